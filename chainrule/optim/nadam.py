"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""
import math

from .. import backend as B
from .optimizer import Optimizer

xp = B.xp


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016) as in PyTorch.

    .. math::
        \mu_t = \beta_1 (1 - \tfrac12 \, 0.96^{t \psi}), \quad \Pi_t = \prod_{i \le t} \mu_i \\
        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,
        \quad d_t = \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
        \theta_t = \theta_{t-1} - \gamma \frac{1 - \mu_t}{1 - \Pi_t} \frac{g_t}{d_t}
        - \gamma \frac{\mu_{t+1}}{1 - \Pi_t \mu_{t+1}} \frac{m_t}{d_t}
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 maximize=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, maximize=maximize))

    def _update(self, param, grad, state, group):
        (beta1, beta2), psi = group["betas"], group["momentum_decay"]
        if not state:
            state.update(step=0, mu_product=1.0, exp_avg=xp.zeros_like(param), exp_avg_sq=xp.zeros_like(param))
        state["step"] += 1
        step = state["step"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        mu = beta1 * (1 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * psi))
        state["mu_product"] *= mu
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        denominator = xp.sqrt(v / (1 - beta2 ** step)) + group["eps"]
        param -= group["lr"] * (1 - mu) / (1 - state["mu_product"]) * grad / denominator
        param -= group["lr"] * mu_next / (1 - state["mu_product"] * mu_next) * m / denominator


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2020) as in PyTorch: Adam with a variance-rectification term.

    .. math::
        \rho_\infty = \frac{2}{1 - \beta_2} - 1, \quad \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1 - \beta_2^t} \\
        \text{if } \rho_t > 5: \ r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}
        {(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}, \
        \theta_t = \theta_{t-1} - \gamma \hat m_t r_t \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon} \\
        \text{else } \theta_t = \theta_{t-1} - \gamma \hat m_t
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        if not state:
            state.update(step=0, exp_avg=xp.zeros_like(param), exp_avg_sq=xp.zeros_like(param))
        state["step"] += 1
        step = state["step"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        m_hat = m / (1 - beta1 ** step)
        rho_inf = 2 / (1 - beta2) - 1
        rho = rho_inf - 2 * step * beta2 ** step / (1 - beta2 ** step)
        if rho > 5.0:
            rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            adaptive = math.sqrt(1 - beta2 ** step) / (xp.sqrt(v) + group["eps"])
            param -= group["lr"] * m_hat * rect * adaptive
        else:
            param -= group["lr"] * m_hat
