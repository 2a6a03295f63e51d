"""Comparisons, logical and bitwise ops, and the tests on values (isnan, any, nonzero, ...).

None of them is differentiable: their results are bool (or integer) tensors that never
require grad. Operands are promoted as in arithmetic (``int_tensor < 2.5`` compares
as floats).
"""
from .. import backend as B
from ..tensor import Tensor, tracer
from .array_op import array_op, sized_by_values
from .._errors import at_user_line
from .._dims import wrap_dims
from .promotion import promote

xp = B.xp


def _compare(fn, input, other):
    a, b = promote(input, other)
    return array_op(fn, a, b)


def eq(input, other):
    """Elementwise ``input == other`` (``x == None`` is False, as in PyTorch)."""
    if other is None:
        return False
    return _compare(xp.equal, input, other)


def ne(input, other):
    """Elementwise ``input != other`` (``x != None`` is True, as in PyTorch)."""
    if other is None:
        return True
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


# ---------------------------------------------------------------- logical (any dtype: nonzero is True)

def _tensors_only(op, input, other):
    """PyTorch's logical ops take two tensors: a Python number is refused, not broadcast."""
    for position, (name, x) in enumerate((("input", input), ("other", other)), start=1):
        if not isinstance(x, Tensor):
            raise TypeError(at_user_line(
                f"{op}(): argument '{name}' (position {position}) must be Tensor, not "
                f"{type(x).__name__}. Wrap a number first, e.g. {op}(x, chainrule.tensor({x!r}))."))


def logical_and(input, other):
    _tensors_only("logical_and", input, other)
    return array_op(xp.logical_and, *promote(input, other))   # in the common dtype: a 0-d int64 -2**63 is 0 as int32


def logical_or(input, other):
    _tensors_only("logical_or", input, other)
    return array_op(xp.logical_or, *promote(input, other))   # in the common dtype: a 0-d int64 -2**63 is 0 as int32


def logical_xor(input, other):
    _tensors_only("logical_xor", input, other)
    return array_op(xp.logical_xor, *promote(input, other))   # in the common dtype: a 0-d int64 -2**63 is 0 as int32


def logical_not(input):
    return array_op(xp.logical_not, input)


# ---------------------------------------------------------------- bitwise (integer and bool only)

def _integral_only(x, label, logical):
    if isinstance(x, Tensor) and x._data.dtype.kind == "f":
        raise NotImplementedError(at_user_line(
            f"{label} is only supported for integer and bool tensors, got {x.dtype}. For masks, "
            f"compare first (x > 0) or use {logical}()."))


def _bitwise(fn, input, other, label, logical):
    for x in (input, other):
        if isinstance(x, float):
            raise NotImplementedError(at_user_line(
                f"{label} is only supported for integer and bool tensors and Python ints/bools; "
                f"got the Python float {x!r} (it would make the operands float). For masks, "
                f"compare first (x > 0) or use {logical}()."))
    a, b = promote(input, other)
    _integral_only(a, label, logical)
    _integral_only(b, label, logical)
    return _compare(fn, a, b)


def bitwise_and(input, other):
    return _bitwise(xp.bitwise_and, input, other, "bitwise_and", "logical_and")


def bitwise_or(input, other):
    return _bitwise(xp.bitwise_or, input, other, "bitwise_or", "logical_or")


def bitwise_xor(input, other):
    return _bitwise(xp.bitwise_xor, input, other, "bitwise_xor", "logical_xor")


def bitwise_not(input):
    _integral_only(input, "bitwise_not (~)", "logical_not")
    return array_op(xp.invert, input)


# ---------------------------------------------------------------- tests on values

def isnan(input):
    return array_op(xp.isnan, input)


def isinf(input):
    return array_op(xp.isinf, input)


def isfinite(input):
    return array_op(xp.isfinite, input)


def _close_operands(input, other, op):
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(at_user_line(
            f"{op}(): both arguments must be Tensors, got {type(input).__name__} and "
            f"{type(other).__name__}. Wrap a number with chainrule.tensor(value, dtype=x.dtype)."))
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(at_user_line(
            f"{op}(): {input.dtype} did not match {other.dtype}; convert one of them first, "
            f"e.g. other.to(input.dtype)."))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|input - other| <= atol + rtol * |other|`` elementwise (same dtypes, broadcasting)."""
    _close_operands(input, other, "isclose")
    return array_op(xp.isclose, input, other, rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True if ``isclose`` holds everywhere."""
    _close_operands(input, other, "allclose")
    _to_python(input, "allclose()")
    return bool(xp.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other):
    """True if both tensors have the same shape and equal elements (dtypes may differ)."""
    for position, x in enumerate((input, other)):
        if not isinstance(x, Tensor):
            raise TypeError(at_user_line(
                f"equal(): argument '{('input', 'other')[position]}' (position {position + 1}) must be "
                f"Tensor, not {type(x).__name__}; wrap a number: chainrule.tensor(value)"))
    _to_python(input, "equal()")
    return input._data.shape == other._data.shape and bool(xp.array_equal(input._data, other._data))


def _truth_reduction(fn, input, dim, keepdim, op):
    axes = wrap_dims(dim, input._data.ndim, op)
    out = array_op(fn, input, axis=axes, keepdims=keepdim)
    if input._data.dtype == xp.uint8:  # PyTorch keeps uint8 for any/all of a uint8 tensor
        out = out.to(B.uint8)
    return out


def any(input, dim=None, keepdim=False):
    """True where any element (along ``dim``, an int or a tuple) is nonzero."""
    return _truth_reduction(xp.any, input, dim, keepdim, "any")


def all(input, dim=None, keepdim=False):
    """True where every element (along ``dim``, an int or a tuple) is nonzero."""
    return _truth_reduction(xp.all, input, dim, keepdim, "all")


def _count_nonzero(a, axis):
    return xp.asarray(xp.count_nonzero(a, axis=axis), dtype=xp.int64)


@sized_by_values
def _nonzero_rows(a):
    return xp.stack(xp.nonzero(xp.atleast_1d(a)))


@sized_by_values
def _argwhere(a):
    return xp.argwhere(a)


def _to_python(input, what):
    """These return Python values computed from tensor values: a compiled trace cannot follow."""
    if tracer[0] is not None:
        tracer[0].value_escapes(input, what)


def count_nonzero(input, dim=None):
    """The number of nonzero elements (along ``dim``, an int or a tuple), as int64."""
    if isinstance(dim, (tuple, list)) and not dim:  # no dims means every dim, as in PyTorch
        dim = None
    axes = wrap_dims(dim, input._data.ndim, "count_nonzero")
    return array_op(_count_nonzero, input, axis=axes)


def nonzero(input, *, as_tuple=False):
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or one index tensor per dim."""
    if as_tuple:
        positions = array_op(_nonzero_rows, input)          # (ndim, n)
        return tuple(positions[k] for k in range(positions.shape[0]))
    return array_op(_argwhere, input)


__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "less", "less_equal", "greater", "greater_equal",
           "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
           "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf", "isfinite", "isclose",
           "allclose", "equal", "any", "all", "count_nonzero", "nonzero"]
TENSOR_METHODS = __all__
