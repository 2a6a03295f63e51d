"""``Variable``: the pre-0.4 PyTorch wrapper, kept so old lecture code runs.

``Variable(t)`` returns ``t`` itself; ``Variable(t, requires_grad=True)``
also marks it as requiring grad. ``isinstance(x, Variable)`` is true for every tensor.
"""
from ..tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor)

    def __call__(cls, data, requires_grad=False, volatile=False):
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if requires_grad:
            data.requires_grad_(True)
        return data


class Variable(metaclass=_VariableMeta):
    """Pass-through: ``Variable(tensor)`` is the tensor."""
