"""Comparisons, logical and bitwise ops: not differentiable, their results never require grad."""
from .. import backend as B
from ..tensor import Tensor
from .promotion import promote

xp = B.xp


def _compare(fn, input, other):
    a, b = promote(input, other)
    a = a._data if isinstance(a, Tensor) else a
    b = b._data if isinstance(b, Tensor) else b
    return Tensor._make(xp.asarray(fn(a, b)))


def eq(input, other):
    return _compare(xp.equal, input, other)


def ne(input, other):
    return _compare(xp.not_equal, input, other)


def lt(input, other):
    return _compare(xp.less, input, other)


def le(input, other):
    return _compare(xp.less_equal, input, other)


def gt(input, other):
    return _compare(xp.greater, input, other)


def ge(input, other):
    return _compare(xp.greater_equal, input, other)


less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne


def logical_and(input, other):
    return _compare(xp.logical_and, input, other)


def logical_or(input, other):
    return _compare(xp.logical_or, input, other)


def logical_xor(input, other):
    return _compare(xp.logical_xor, input, other)


def logical_not(input):
    return Tensor._make(xp.logical_not(input._data))


def _bitwise(fn, input, other):
    a, b = promote(input, other)
    for x in (a, b):
        if isinstance(x, Tensor) and x._data.dtype.kind == "f":
            raise RuntimeError(f"{fn.__name__} is only supported for integer and bool tensors, "
                               f"got {B.from_numpy_dtype(x._data.dtype)}")
    return _compare(fn, a, b)


def bitwise_and(input, other):
    return _bitwise(xp.bitwise_and, input, other)


def bitwise_or(input, other):
    return _bitwise(xp.bitwise_or, input, other)


def bitwise_xor(input, other):
    return _bitwise(xp.bitwise_xor, input, other)


def bitwise_not(input):
    if input._data.dtype.kind == "f":
        raise RuntimeError(f"bitwise_not (~) is only supported for integer and bool tensors, "
                           f"got {input.dtype}")
    return Tensor._make(xp.invert(input._data))


def isnan(input):
    return Tensor._make(xp.isnan(input._data))


def isinf(input):
    return Tensor._make(xp.isinf(input._data))


def isfinite(input):
    return Tensor._make(xp.isfinite(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return Tensor._make(xp.isclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(xp.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other):
    """True if both tensors have the same shape and elements."""
    return input._data.shape == other._data.shape and bool(xp.array_equal(input._data, other._data))


def any(input, dim=None, keepdim=False):
    return Tensor._make(xp.asarray(xp.any(input._data, axis=dim, keepdims=keepdim)))


def all(input, dim=None, keepdim=False):
    return Tensor._make(xp.asarray(xp.all(input._data, axis=dim, keepdims=keepdim)))


def count_nonzero(input, dim=None):
    return Tensor._make(xp.asarray(xp.count_nonzero(input._data, axis=dim), dtype=xp.int64))


def nonzero(input, *, as_tuple=False):
    indices = xp.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._make(i) for i in indices)
    return Tensor._make(xp.stack(indices, axis=-1) if indices else xp.zeros((1, 0), xp.int64))


__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "less", "less_equal", "greater", "greater_equal",
           "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
           "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf", "isfinite", "isclose",
           "allclose", "equal", "any", "all", "count_nonzero", "nonzero"]
TENSOR_METHODS = __all__
