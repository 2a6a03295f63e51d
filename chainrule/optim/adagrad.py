"""Adagrad and Adadelta."""

from .. import backend as B
from .optimizer import Optimizer

xp = B.xp


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011) as in PyTorch.

    .. math::
        \tilde\gamma = \gamma / (1 + (t - 1) \eta), \quad g_t = \nabla_\theta + \lambda \theta_{t-1} \\
        s_t = s_{t-1} + g_t^2, \quad \theta_t = \theta_{t-1} - \tilde\gamma g_t / (\sqrt{s_t} + \epsilon)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                 maximize=False):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))

    def _update(self, param, grad, state, group):
        if not state:
            state.update(step=0, sum=xp.full_like(param, group["initial_accumulator_value"]))
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        param -= lr * grad / (xp.sqrt(state["sum"]) + group["eps"])


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012) as in PyTorch.

    .. math::
        v_t = \rho v_{t-1} + (1 - \rho) g_t^2, \quad
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t \\
        u_t = \rho u_{t-1} + (1 - \rho) \Delta_t^2, \quad \theta_t = \theta_{t-1} - \gamma \Delta_t
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _update(self, param, grad, state, group):
        rho, eps = group["rho"], group["eps"]
        if not state:
            state.update(step=0, square_avg=xp.zeros_like(param), acc_delta=xp.zeros_like(param))
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= group["lr"] * delta


