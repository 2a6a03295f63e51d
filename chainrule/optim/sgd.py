"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""
from .optimizer import Optimizer


class SGD(Optimizer):
    r"""SGD as in PyTorch.

    .. math::
        g_t = \nabla_\theta + \lambda \theta_{t-1} \\
        b_t = \mu b_{t-1} + (1 - \tau) g_t \quad (b_1 = g_1) \\
        g_t \leftarrow g_t + \mu b_t \text{ if nesterov else } b_t \text{ (when } \mu \neq 0) \\
        \theta_t = \theta_{t-1} - \gamma g_t
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 maximize=False):
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _update(self, param, grad, state, group):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        param -= group["lr"] * grad
