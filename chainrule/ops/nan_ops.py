"""Working around NaN and inf: ``nansum``, ``nanmean``, ``nan_to_num``.

All three are compositions: NaN entries are replaced (``where``) before a
plain reduction, so their gradient is zero, as in PyTorch.

    nansum(x)  = sum(where(isnan(x), 0, x))
    nanmean(x) = nansum(x) / count(not isnan(x))      (NaN for an all-NaN slice)
"""
from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line
from .compare import isnan, logical_not
from .elementwise import where, div
from .reduce import sum as _sum
from .movement import Clone
from .array_op import array_op

xp = B.xp


class ZeroNaN(Function):
    """NaN entries set to 0; the gradient is g * (not NaN), a product as in PyTorch's nansum
    (so an infinite g, from the mean of an all-NaN slice, gives NaN there)."""

    def forward(ctx, a, is_nan):
        ctx.keep = xp.asarray(~is_nan)   # an array also for 0-d input
        return xp.where(is_nan, xp.zeros((), a.dtype), a)

    def backward(ctx, g):
        return g * Tensor._make(ctx.keep.astype(g._data.dtype)), None


def _without_nan(input):
    """``input`` with NaN entries set to 0 (a float tensor; other dtypes hold no NaN)."""
    if input._data.dtype.kind != "f":
        return input
    return ZeroNaN.apply(input, isnan(input))


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """The sum over ``dim`` (all dims by default) treating NaN as zero."""
    return _sum(_without_nan(input), dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean over ``dim`` of the entries that are not NaN."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(at_user_line(
            f"nanmean(): expected input to have floating point or complex dtype but got "
            f"{input.dtype.name.capitalize()}. Convert first: x.float().nanmean()"))
    count = _sum(logical_not(isnan(input)), dim, keepdim)         # int64
    with xp.errstate(invalid="ignore"):                            # 0 / 0 for an all-NaN slice
        return div(nansum(input, dim, keepdim, dtype=dtype), count)


def _constant_like(value, input):
    """``value`` as a 0-d tensor of ``input``'s dtype (too large a value becomes +-inf)."""
    with xp.errstate(over="ignore"):
        return Tensor._make(xp.asarray(value, dtype=input._data.dtype))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN replaced by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (by default the
    largest and the lowest finite value of the dtype). Integer tensors come back as a copy.
    The gradient passes where the input is finite."""
    data = input._data
    if data.dtype.kind != "f":
        return Clone.apply(input)
    info = xp.finfo(data.dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = where(isnan(input), _constant_like(nan, input), input)
    out = where(array_op(xp.isposinf, input), _constant_like(posinf, input), out)
    return where(array_op(xp.isneginf, input), _constant_like(neginf, input), out)


__all__ = ["nansum", "nanmean", "nan_to_num"]
TENSOR_METHODS = __all__
