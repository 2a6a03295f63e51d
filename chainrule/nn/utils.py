"""``nn.utils``: gradient clipping and flattening parameters into one vector."""
import math

from .. import backend as B
from ..tensor import Tensor
from ..grad_mode import no_grad
from ..ops.join import stack
from ..ops.array_op import checked
from .._errors import at_user_line

xp = B.xp


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so their joint norm is at most ``max_norm``; return the norm."""
    params = _with_grads(parameters)
    if not params:
        return Tensor._make(xp.asarray(0.0, dtype=B.get_default_dtype().np))
    grads = [p.grad for p in params]
    with no_grad():   # tensor ops throughout, so that a compiled training step clips on every replay
        total = _total_norm([g for g in grads if g.numel()], float(norm_type))
        if error_if_nonfinite:   # an op inside chainrule.compile: each replay checks its own norm
            total = checked(_finite_norm, total, norm_type=norm_type)
        scale = (max_norm / (total + 1e-6)).clamp(max=1.0)   # () float64; 1 leaves the gradients as they are
        for g in grads:
            g.mul_(scale.to(g.dtype))
    return total.to(grads[0].dtype)


def _finite_norm(total, norm_type):
    if not xp.isfinite(total):
        raise RuntimeError(at_user_line(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
            f"it cannot be clipped. To disable this error and scale the gradients by the non-finite "
            f"norm anyway, set `error_if_nonfinite=False`"))
    return total


def _total_norm(grads, norm_type):
    """The ``norm_type``-norm of all ``grads`` together, a () float64 tensor."""
    if not grads:
        return Tensor._make(xp.zeros((), xp.float64))
    if norm_type == math.inf:
        return stack([g.abs().max() for g in grads]).max().double()
    return stack([(g.double().abs() ** norm_type).sum() for g in grads]).sum() ** (1.0 / norm_type)


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    with no_grad():
        for p in _with_grads(parameters):
            p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (in the graph)."""
    from ..ops.join import cat
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of ``vec`` into the parameters, in place."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError(f"expected a 1-D chainrule Tensor, but got {type(vec).__name__}")
    start = 0
    with no_grad():   # copy_: an op, so that a compiled step copies again on each replay
        for p in parameters:
            n = p.numel()
            p.copy_(vec[start:start + n].reshape(p.shape))
            start += n


def _norm_except_dim(v, dim):
    """The 2-norm of ``v`` over every dimension but ``dim`` (kept, for broadcasting)."""
    if dim is None:
        return (v * v).sum().sqrt()
    dims = [d for d in range(v.ndim) if d != dim % v.ndim]
    return (v * v).sum(dims, keepdim=True).sqrt()


class _WeightNorm:
    """Forward pre-hook that rebuilds ``module.<name>`` = g * v / ||v|| before every call."""

    def __init__(self, name, dim):
        self.name, self.dim = name, dim

    def compute(self, module):
        g = getattr(module, f"{self.name}_g")
        v = getattr(module, f"{self.name}_v")
        return g * v / _norm_except_dim(v, self.dim)

    def __call__(self, module, args):
        setattr(module, self.name, self.compute(module))


def weight_norm(module, name="weight", dim=0):
    """Reparametrize ``module.<name>`` as a length g and a direction v (Salimans & Kingma, 2016).

    ``<name>_g`` holds the norm over every dimension but ``dim``, ``<name>_v`` the unnormalized
    direction; both are Parameters and the weight is recomputed before each forward.
    """
    from .parameter import Parameter
    weight = getattr(module, name)
    if not isinstance(weight, Parameter):
        raise TypeError(f"weight_norm: module.{name} is not a Parameter")
    hook = _WeightNorm(name, dim)
    with no_grad():
        g = _norm_except_dim(weight, dim) if dim is not None else (weight * weight).sum().sqrt()
    delattr(module, name)
    setattr(module, f"{name}_g", Parameter(g.detach().clone()))
    setattr(module, f"{name}_v", Parameter(weight.detach().clone()))
    setattr(module, name, hook.compute(module))
    module._weight_norm_handle = module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module, name="weight"):
    """Fold g and v back into a plain ``<name>`` Parameter."""
    from .parameter import Parameter
    handle = getattr(module, "_weight_norm_handle", None)
    if handle is None:
        raise ValueError(f"weight_norm of '{name}' not found in {module}")
    hook = handle.hooks_dict[handle.id]
    weight = hook.compute(module).detach()
    handle.remove()
    del module._weight_norm_handle
    delattr(module, f"{name}_g")
    delattr(module, f"{name}_v")
    setattr(module, name, Parameter(weight.clone()))
    return module
