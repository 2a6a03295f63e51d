"""Adam and AdamW (decoupled weight decay), with AMSGrad."""
import math

from .. import backend as B
from .optimizer import Optimizer

xp = B.xp


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015) as in PyTorch.

    .. math::
        g_t = \nabla_\theta + \lambda \theta_{t-1} \\
        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat v_t = \max(\hat v_{t-1}, v_t) \text{ (amsgrad) else } v_t \\
        \theta_t = \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \frac{m_t}{\sqrt{\hat v_t / (1 - \beta_2^t)} + \epsilon}
    """

    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 maximize=False):
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameters: {betas}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _update(self, param, grad, state, group):
        lr, (beta1, beta2), eps, decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            state.update(step=0, exp_avg=xp.zeros_like(param), exp_avg_sq=xp.zeros_like(param))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(param)
        if decay:
            if self.decoupled:
                param *= 1 - lr * decay
            else:
                grad = grad + decay * param
        state["step"] += 1
        step, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        work = self._scratch(param)                        # one reused buffer: no temporaries per step
        m *= beta1
        xp.multiply(grad, 1 - beta1, out=work)
        m += work
        v *= beta2
        xp.multiply(grad, grad, out=work)
        work *= 1 - beta2
        v += work
        if group["amsgrad"]:
            xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        xp.sqrt(v, out=work)                               # the denominator, as PyTorch orders it
        work /= math.sqrt(1 - beta2 ** step)
        work += eps
        xp.divide(m, work, out=work)
        work *= lr / (1 - beta1 ** step)
        param -= work

    def _scratch(self, param):
        """A buffer shaped like ``param``, kept outside ``state`` (so never in a state dict)."""
        buffers = self.__dict__.setdefault("_buffers", {})
        work = buffers.get(id(param))
        if work is None or work.shape != param.shape or work.dtype != param.dtype:
            work = buffers[id(param)] = xp.empty_like(param)
        return work


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019):
    :math:`\theta \leftarrow \theta (1 - \gamma \lambda)` before the Adam step. Default weight_decay 0.01."""

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
