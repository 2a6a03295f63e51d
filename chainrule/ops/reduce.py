"""Reductions: sum, mean and friends, each with ``dim`` and ``keepdim``."""
from collections import namedtuple

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line
from .._dims import wrap_dim, wrap_dims

xp = B.xp


def _keepdim_shape(shape, axes):
    """``shape`` with the reduced ``axes`` set to 1 (all of them when axes is None)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    def forward(ctx, a, axes, keepdim, np_dtype):
        ctx.shape = a.shape
        ctx.axes = axes
        return a.sum(axis=axes, keepdims=keepdim, dtype=np_dtype)

    def backward(ctx, g):  # (reduced shape) -> (input shape)
        from .movement import Expand
        if g._data.ndim and g._data.ndim != len(ctx.shape):  # keepdim=False: restore the 1s
            g = g.reshape(_keepdim_shape(ctx.shape, ctx.axes))
        return Expand.apply(g, shape=ctx.shape)


class SumToShape(Function):
    """Sum a broadcast result back to ``shape`` (the inverse of broadcasting)."""

    def forward(ctx, a, shape):
        ctx.shape = a.shape
        lead = a.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and a.shape[lead + i] != 1)
        out = a.sum(axis=axes, keepdims=True) if axes else a
        return out.reshape(shape)

    def backward(ctx, g):
        from .movement import expand
        return expand(g, ctx.shape)


def sum_to_shape(x, shape):
    shape = tuple(shape)
    if x._data.shape == shape:
        return x
    return SumToShape.apply(x, shape=shape)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all dimensions by default); integers and bools sum as int64."""
    axes = wrap_dims(dim, input._data.ndim, "sum")
    if dtype is not None:
        np_dtype = B.to_dtype(dtype).np
    elif input._data.dtype.kind in "biu":
        np_dtype = xp.int64
    else:
        np_dtype = None
    return Sum.apply(input, axes=axes, keepdim=keepdim, np_dtype=np_dtype)


def _count(shape, axes):
    if axes is None:
        axes = range(len(shape))
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Arithmetic mean over ``dim``; needs a floating input, as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {B.from_numpy_dtype(input._data.dtype).name.capitalize()}. "
            f"Convert first: x.float().mean()")
    axes = wrap_dims(dim, input._data.ndim, "mean")
    return Mean.apply(input, axes=axes, keepdim=keepdim)


class Mean(Function):
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes = a.shape, axes
        count = _count(a.shape, axes)
        if count == 0:  # the mean of nothing is nan, as in PyTorch (and without NumPy's warning)
            return xp.full(_drop_or_keep(a.shape, axes, keepdim), xp.nan, dtype=a.dtype)
        return a.sum(axis=axes, keepdims=keepdim) / a.dtype.type(count)

    def backward(ctx, g):  # every input element gets g / count
        from .movement import Expand
        count = _count(ctx.shape, ctx.axes)
        g = g * (1.0 / count) if count else g
        if g._data.ndim and g._data.ndim != len(ctx.shape):
            g = g.reshape(_keepdim_shape(ctx.shape, ctx.axes))
        return Expand.apply(g, shape=ctx.shape)


def _drop_or_keep(shape, axes, keepdim):
    return _keepdim_shape(shape, axes) if keepdim else _drop(shape, axes)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default; ``unbiased=False`` is 0)."""
    if correction is None:
        correction = 0 if unbiased is False else 1
    axes = wrap_dims(dim, input._data.ndim, "var")
    n = _count(input._data.shape, axes)
    centered = input - mean(input, dim, keepdim=True)
    return sum(centered * centered, dim, keepdim) / (n - correction if n > correction else 0)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: the square root of ``var``."""
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


class Prod(Function):
    def forward(ctx, a, axis, keepdim):
        ctx.axis, ctx.keepdim = axis, keepdim
        ctx.save_for_backward(a)
        return xp.prod(a, axis=axis, keepdims=keepdim)

    def backward(ctx, g):
        # d prod / d x_i = product of the others: an exclusive cumulative product from both
        # sides, which stays right when some x are zero (no division).
        (a,) = ctx.saved_tensors
        if ctx.axis is None:
            flat = a.reshape(-1)
            others = _exclusive_product(flat, 0).reshape(a.shape)
            return g * others
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.axis)
        return g * _exclusive_product(a, ctx.axis)


def _exclusive_product(a, dim):
    """For each position, the product of all other entries along ``dim``."""
    from .movement import flip
    from .pad import pad
    ones = [0, 0] * (a.ndim - 1 - dim)
    before = pad(cumprod(a, dim), ones + [1, 0], value=1.0).narrow(dim, 0, a.shape[dim])
    after = flip(pad(cumprod(flip(a, [dim]), dim), ones + [1, 0], value=1.0)
                 .narrow(dim, 0, a.shape[dim]), [dim])
    return before * after


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over ``dim`` (one dim, or all), correct gradient also at zeros."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.to(B.int64)
    axis = None if dim is None else wrap_dim(dim, input._data.ndim, "prod")
    if input._data.ndim == 0:
        axis = None
    return Prod.apply(input, axis=axis, keepdim=keepdim)


class Cumsum(Function):
    def forward(ctx, a, axis):
        ctx.axis = axis
        return xp.cumsum(a, axis=axis)

    def backward(ctx, g):  # reversed cumulative sum
        from .movement import flip
        return flip(cumsum(flip(g, [ctx.axis]), ctx.axis), [ctx.axis])


def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim``."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.to(B.int64)
    if input._data.ndim == 0:
        return input * 1
    return Cumsum.apply(input, axis=wrap_dim(dim, input._data.ndim, "cumsum"))


class Cumprod(Function):
    def forward(ctx, a, axis):
        ctx.axis = axis
        out = xp.cumprod(a, axis=axis)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):
        # grad_i = sum_{j >= i} g_j * out_j / a_i (assumes nonzero a, as the simple formula does)
        from .movement import flip
        a, out = ctx.saved_tensors
        axis = ctx.axis
        return flip(cumsum(flip(g * out, [axis]), axis), [axis]) / a


def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim`` (its gradient divides by the input: nonzero inputs only)."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.ndim == 0:
        return input * 1
    return Cumprod.apply(input, axis=wrap_dim(dim, input._data.ndim, "cumprod"))


# ---------------------------------------------------------------- max / min family

MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


class Extreme(Function):
    """amax/amin over ``axes``; the gradient is split evenly among tied extremes."""

    def forward(ctx, a, axes, keepdim, largest):
        out = (xp.max if largest else xp.min)(a, axis=axes, keepdims=True)
        ctx.axes, ctx.keepdim, ctx.shape = axes, keepdim, a.shape
        ctx.save_for_backward(a, out)
        return out if keepdim else out.reshape(_drop(a.shape, axes))

    def backward(ctx, g):
        from .movement import Expand
        a, out = ctx.saved_tensors
        hit = a._data == out._data                                   # (input shape)
        count = hit.sum(axis=ctx.axes, keepdims=True)
        share = Tensor._make((hit / count).astype(g._data.dtype))
        if not ctx.keepdim:
            g = g.reshape(_keepdim_shape(ctx.shape, ctx.axes))
        return Expand.apply(g, shape=ctx.shape) * share


def _drop(shape, axes):
    """``shape`` without the reduced ``axes`` (all of them when axes is None)."""
    return tuple(s for i, s in enumerate(shape) if axes is not None and i not in axes)


def _check_nonempty(input, axes, op):
    if input._data.size == 0 and (axes is None or any(input._data.shape[a] == 0 for a in axes)):
        raise IndexError(at_user_line(
            f"{op}(): Expected reduction dim to be specified for input.numel() == 0 "
            f"(input shape {tuple(input.shape)}); an empty reduction has no maximum or minimum"))


def amax(input, dim=None, keepdim=False):
    axes = wrap_dims(dim if dim != () else None, input._data.ndim, "amax")
    _check_nonempty(input, axes, "amax")
    return Extreme.apply(input, axes=axes, keepdim=keepdim, largest=True)


def amin(input, dim=None, keepdim=False):
    axes = wrap_dims(dim if dim != () else None, input._data.ndim, "amin")
    _check_nonempty(input, axes, "amin")
    return Extreme.apply(input, axes=axes, keepdim=keepdim, largest=False)


def _arg_extreme(input, dim, keepdim, largest, op):
    data = input._data
    fn = xp.argmax if largest else xp.argmin
    if dim is None:
        _check_nonempty(input, None, op)
        index = fn(data.reshape(-1))
        return Tensor._make(xp.asarray(index, dtype=xp.int64).reshape((1,) * data.ndim if keepdim else ()))
    axis = wrap_dim(dim, data.ndim, op)
    if data.ndim == 0:
        return Tensor._make(xp.zeros((), xp.int64))
    _check_nonempty(input, (axis,), op)
    return Tensor._make(fn(data, axis=axis, keepdims=keepdim).astype(xp.int64))


def argmax(input, dim=None, keepdim=False):
    """Index of the largest value (of the flattened tensor when ``dim`` is None)."""
    return _arg_extreme(input, dim, keepdim, True, "argmax")


def argmin(input, dim=None, keepdim=False):
    return _arg_extreme(input, dim, keepdim, False, "argmin")


def _max_min(input, dim, keepdim, largest, result_type, other):
    from .elementwise import maximum, minimum
    if isinstance(dim, Tensor):  # torch.max(a, b): elementwise
        return (maximum if largest else minimum)(input, dim)
    if dim is None:
        return amax(input) if largest else amin(input)
    from .indexing import TakeAlong
    indices = _arg_extreme(input, dim, True, largest, "max" if largest else "min")
    if input._data.ndim == 0:
        return result_type(input * 1, Tensor._make(xp.zeros((), xp.int64)))
    axis = wrap_dim(dim, input._data.ndim, "max")
    values = TakeAlong.apply(input, idx=indices._data, dim=axis)  # the gradient goes to that index
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return result_type(values, indices)


def max(input, dim=None, keepdim=False):
    """The largest value; with ``dim``, a (values, indices) pair; with a tensor, ``maximum``."""
    return _max_min(input, dim, keepdim, True, MaxResult, None)


def min(input, dim=None, keepdim=False):
    return _max_min(input, dim, keepdim, False, MinResult, None)


def aminmax(input, *, dim=None, keepdim=False):
    return amin(input, dim, keepdim), amax(input, dim, keepdim)


# ---------------------------------------------------------------- norms

def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over ``dim`` (all elements by default); 'fro' is the 2-norm."""
    if dtype is not None:
        input = input.to(dtype)
    if p == "fro" or p == 2:
        return _two_norm(input, dim, keepdim)
    if p == float("inf"):
        return amax(input.abs(), dim, keepdim)
    if p == float("-inf"):
        return amin(input.abs(), dim, keepdim)
    if p == 1:
        return sum(input.abs(), dim, keepdim)
    if p == 0:
        return sum((input != 0).to(input.dtype), dim, keepdim)
    if isinstance(p, str):
        raise RuntimeError(at_user_line(f"norm(): p='{p}' is not supported; use a number or 'fro'"))
    return sum(input.abs() ** p, dim, keepdim) ** (1.0 / p)


class TwoNorm(Function):
    """sqrt(sum x^2); the gradient x / norm is taken as 0 where the norm is 0 (as PyTorch)."""

    def forward(ctx, a, axes, keepdim):
        out = xp.sqrt(xp.sum(a * a, axis=axes, keepdims=keepdim))
        ctx.keepdim_shape = _keepdim_shape(a.shape, axes)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):
        from .elementwise import where
        a, out = ctx.saved_tensors
        g, out = g.reshape(ctx.keepdim_shape), out.reshape(ctx.keepdim_shape)
        safe = where(out == 0, 1.0, out)
        return where(out == 0, 0.0, g * a / safe)


def _two_norm(input, dim, keepdim):
    axes = wrap_dims(dim, input._data.ndim, "norm")
    return TwoNorm.apply(input, axes=axes, keepdim=keepdim)


__all__ = ["sum", "mean", "sum_to_shape", "var", "std", "var_mean", "std_mean", "prod", "cumsum",
           "cumprod", "amax", "amin", "argmax", "argmin", "max", "min", "aminmax", "norm"]
TENSOR_METHODS = ["sum", "mean", "sum_to_shape", "var", "std", "prod", "cumsum", "cumprod",
                  "amax", "amin", "argmax", "argmin", "max", "min", "aminmax", "norm"]
