"""RMSprop, centered or not, with momentum."""
from .. import backend as B
from .optimizer import Optimizer

xp = B.xp


class RMSprop(Optimizer):
    r"""RMSprop as in PyTorch.

    .. math::
        g_t = \nabla_\theta + \lambda \theta_{t-1}, \quad s_t = \alpha s_{t-1} + (1 - \alpha) g_t^2 \\
        \bar g_t = \alpha \bar g_{t-1} + (1 - \alpha) g_t, \quad d_t = \sqrt{s_t - \bar g_t^2} + \epsilon
        \text{ (centered) else } \sqrt{s_t} + \epsilon \\
        b_t = \mu b_{t-1} + g_t / d_t, \ \theta_t = \theta_{t-1} - \gamma b_t \text{ (momentum) else }
        \theta_t = \theta_{t-1} - \gamma g_t / d_t
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                 maximize=False):
        if alpha < 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _update(self, param, grad, state, group):
        alpha = group["alpha"]
        if not state:
            state.update(step=0, square_avg=xp.zeros_like(param))
            if group["momentum"] > 0:
                state["momentum_buffer"] = xp.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(param)
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            denominator = xp.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denominator = xp.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += grad / denominator
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * grad / denominator
