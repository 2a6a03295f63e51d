"""Reductions: sum, mean, var/std, prod, max/min, median/mode, norms and cumulative ops.

``dim`` follows PyTorch: an int, a sequence of ints, or None for all dims (an
empty sequence also means all dims); negative dims count from the end; a 0-d
tensor takes dim 0 or -1; ``keepdim=True`` keeps reduced dims as size 1.
Each primitive is one backend call forward; its backward is written with
chainrule ops, so gradients of gradients work.
"""
import builtins
import math
import warnings
from collections import namedtuple

from .. import backend as B
from ..function import Function
from ..tensor import Tensor, tracer
from .._errors import at_user_line, shape_str
from .._dims import wrap_dim
from .elementwise import cast, where
from .indexing import TakeAlong
from .array_op import array_op

xp = B.xp


# ---------------------------------------------------------------- dims and shapes

def reduce_axes(dim, ndim, op):
    """``dim`` as a sorted tuple of axes, or None for all dims (None or an empty sequence)."""
    if dim is None:
        return None
    if isinstance(dim, int):
        axis = wrap_dim(dim, ndim, op)
        return (axis,) if ndim else ()
    axes = [wrap_dim(d, ndim, op) for d in dim]
    if not axes:
        return None
    if len(set(axes)) != len(axes):
        repeated = next(a for a in axes if axes.count(a) > 1)
        raise RuntimeError(at_user_line(
            f"{op}(): dim {repeated} appears multiple times in the list of dims {list(dim)}"))
    return tuple(sorted(axes)) if ndim else ()


def _keepdim_shape(shape, axes):
    """``shape`` with the reduced ``axes`` set to 1 (all of them when axes is None)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _drop(shape, axes):
    """``shape`` without the reduced ``axes`` (all of them when axes is None)."""
    return tuple(s for i, s in enumerate(shape) if axes is not None and i not in axes)


def _out_shape(shape, axes, keepdim):
    return _keepdim_shape(shape, axes) if keepdim else _drop(shape, axes)


def _count(shape, axes):
    """How many elements each output of a reduction over ``axes`` combines."""
    n = 1
    for a in range(len(shape)) if axes is None else axes:
        n *= shape[a]
    return n


def _expand_back(g, shape, axes):
    """A reduced gradient broadcast back to the input ``shape`` (dropped dims restored)."""
    from .movement import Expand
    if g._data.ndim and g._data.ndim != len(shape):  # keepdim=False: put the 1s back
        g = g.reshape(_keepdim_shape(shape, axes))
    return Expand.apply(g, shape=shape)


def _require_float(input, op, fix):
    if input._data.dtype.kind != "f":
        raise RuntimeError(at_user_line(
            f"{op}(): expected a floating point input, got "
            f"{B.from_numpy_dtype(input._data.dtype).name}. Convert first: {fix}"))


# ---------------------------------------------------------------- sum and mean

class Sum(Function):
    def forward(ctx, a, axes, keepdim, np_dtype):
        ctx.shape, ctx.axes, ctx.dtype = a.shape, axes, a.dtype
        return a.sum(axis=axes, keepdims=keepdim, dtype=np_dtype)

    def backward(ctx, g):  # (reduced shape) -> (input shape): every input element gets g
        if g._data.dtype != ctx.dtype:  # sum(dtype=...) computed in another float dtype
            g = cast(g, B.from_numpy_dtype(ctx.dtype))
        return _expand_back(g, ctx.shape, ctx.axes)


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
    """Sum over ``dim`` (all dims by default); integers and bools sum as int64."""
    axes = reduce_axes(dim, input._data.ndim, "sum")
    if dtype is not None:
        np_dtype = B.to_dtype(dtype).np
    elif input._data.dtype.kind in "biu":
        np_dtype = xp.int64
    else:
        np_dtype = None
    return Sum.apply(input, axes=axes, keepdim=keepdim, np_dtype=np_dtype)


class Mean(Function):
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes = a.shape, axes
        count = _count(a.shape, axes)
        if count == 0:  # the mean of nothing is nan, as in PyTorch (and without NumPy's warning)
            return xp.full(_out_shape(a.shape, axes, keepdim), xp.nan, dtype=a.dtype)
        return a.sum(axis=axes, keepdims=keepdim) / a.dtype.type(count)

    def backward(ctx, g):  # every input element gets g / count
        count = _count(ctx.shape, ctx.axes)
        return _expand_back(g * (1.0 / count) if count else g, ctx.shape, ctx.axes)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Arithmetic mean over ``dim``; needs a floating input (or ``dtype``), as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(at_user_line(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {B.from_numpy_dtype(input._data.dtype).name.capitalize()}. "
            f"Convert first: x.float().mean(), or pass dtype=chainrule.float32"))
    axes = reduce_axes(dim, input._data.ndim, "mean")
    return Mean.apply(input, axes=axes, keepdim=keepdim)


# ---------------------------------------------------------------- variance

class Var(Function):
    """sum((x - mean)^2) / max(0, n - correction) over ``axes``."""

    def forward(ctx, a, axes, keepdim, correction):
        n = _count(a.shape, axes)
        ctx.shape, ctx.axes, ctx.divisor = a.shape, axes, builtins.max(0, n - correction)
        ctx.save_for_backward(a)
        if n == 0:
            return xp.full(_out_shape(a.shape, axes, keepdim), xp.nan, dtype=a.dtype)
        centered = a - a.mean(axis=axes, keepdims=True)
        squares = xp.sum(centered * centered, axis=axes, keepdims=keepdim)
        if ctx.divisor:
            return squares / a.dtype.type(ctx.divisor)
        with xp.errstate(divide="ignore", invalid="ignore"):  # inf or nan, as in PyTorch
            return squares / a.dtype.type(0)

    def backward(ctx, g):  # 2 (x - mean) / (n - correction) * g
        (a,) = ctx.saved_tensors
        centered = a - mean(a, ctx.axes, keepdim=True)
        if g._data.ndim and g._data.ndim != len(ctx.shape):
            g = g.reshape(_keepdim_shape(ctx.shape, ctx.axes))
        if ctx.divisor:
            return centered * (g * (2.0 / ctx.divisor))
        with xp.errstate(invalid="ignore"):  # no degrees of freedom: inf or nan, as in PyTorch
            return centered * (g * math.inf)


class StdFromVar(Function):
    """sqrt of a variance; the gradient g / (2 std) is taken as 0 where std is 0 (as PyTorch)."""

    def forward(ctx, v):
        out = xp.sqrt(v)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        zero = out == 0
        return where(zero, 0.0, g / (2 * where(zero, 1.0, out)))


def _variance(input, dim, unbiased, keepdim, correction, op):
    if isinstance(dim, bool):  # PyTorch's var(input, unbiased) overload
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(at_user_line(
            f"{op}(): pass either unbiased= or correction=, not both "
            f"(unbiased=True is correction=1, unbiased=False is correction=0)"))
    if correction is None:
        correction = 0 if unbiased is False else 1
    if input._data.dtype.kind != "f":
        raise RuntimeError(at_user_line(
            f"{op}(): std and var only support floating point and complex dtypes, got "
            f"{B.from_numpy_dtype(input._data.dtype).name}. Convert first: x.float().{op}()"))
    axes = reduce_axes(dim, input._data.ndim, op)
    if _count(input._data.shape, axes) - correction <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0: correction={correction} is not less "
                      f"than the number of reduced elements, so the result is inf or nan", stacklevel=3)
    return Var.apply(input, axes=axes, keepdim=keepdim, correction=correction)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim``: sum((x - mean)^2) / (n - correction); ``correction`` is 1 by
    default (Bessel), ``unbiased=False`` means correction=0."""
    return _variance(input, dim, unbiased, keepdim, correction, "var")


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: the square root of ``var`` (zero gradient where it is 0)."""
    return StdFromVar.apply(_variance(input, dim, unbiased, keepdim, correction, "std"))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim``."""
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, _plain_dim(dim), keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim``."""
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, _plain_dim(dim), keepdim)


def _plain_dim(dim):
    return None if isinstance(dim, bool) else dim


# ---------------------------------------------------------------- products

class Prod(Function):
    def forward(ctx, a, axis, keepdim):
        ctx.axis, ctx.keepdim = axis, keepdim
        out = xp.prod(a, axis=axis, keepdims=keepdim)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):  # d prod / d x_i = the product of the other entries
        a, out = ctx.saved_tensors
        if ctx.axis is not None and not ctx.keepdim:
            g, out = g.unsqueeze(ctx.axis), out.unsqueeze(ctx.axis)
        if tracer[0] is None and not (a._data == 0).any():   # compiled: the zero-safe ops, for any values
            return g * out / a
        # With zeros, no division: exclusive products from both sides.
        if ctx.axis is None:
            return g * _exclusive_product(a.reshape(-1), 0).reshape(a.shape)
        return g * _exclusive_product(a, ctx.axis)


def _exclusive_product(a, dim):
    """For each position, the product of all other entries along ``dim``."""
    from .movement import flip
    from .pad import pad
    n = a.shape[dim]
    shift = [0, 0] * (a.ndim - 1 - dim) + [1, 0]  # one 1 in front along dim
    before = pad(cumprod(a, dim), shift, value=1.0).narrow(dim, 0, n)
    after = flip(pad(cumprod(flip(a, [dim]), dim), shift, value=1.0).narrow(dim, 0, n), [dim])
    return before * after


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over one ``dim`` (or all elements); the gradient is right also at zeros."""
    if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
        raise TypeError(at_user_line(
            f"prod(): dim must be one int, got {dim!r}; reduce one dim at a time "
            f"(x.prod(0).prod(0)) or flatten first"))
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.to(B.int64)
    axis = None if dim is None else wrap_dim(dim, input._data.ndim, "prod")
    if input._data.ndim == 0:
        axis = None
    return Prod.apply(input, axis=axis, keepdim=keepdim)


# ---------------------------------------------------------------- cumulative ops

def _reverse_cumsum(t, axis):
    """out_i = sum_{j >= i} t_j along ``axis``."""
    from .movement import flip
    return flip(cumsum(flip(t, [axis]), axis), [axis])


class Cumsum(Function):
    def forward(ctx, a, axis):
        ctx.axis = axis
        return xp.cumsum(a, axis=axis)

    def backward(ctx, g):
        return _reverse_cumsum(g, ctx.axis)


def _cumulative_input(input, dim, dtype, op):
    axis = wrap_dim(dim, input._data.ndim, op)
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.to(B.int64)
    return input, axis


def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim``; integers and bools accumulate as int64."""
    input, axis = _cumulative_input(input, dim, dtype, "cumsum")
    if input._data.ndim == 0:
        return input * 1
    return Cumsum.apply(input, axis=axis)


class Cumprod(Function):
    def forward(ctx, a, axis):
        ctx.axis = axis
        out = xp.cumprod(a, axis=axis)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):  # grad_i = sum_{j >= i} g_j prod_{k <= j, k != i} a_k
        a, out = ctx.saved_tensors
        zero = a._data == 0
        if tracer[0] is None and not zero.any():   # compiled: the rule that handles zeros, rerun whole
            return _reverse_cumsum(g * out, ctx.axis) / a
        return _cumprod_grad_at_zeros(g, a, out, ctx.axis, zero)


def _cumprod_grad_at_zeros(g, a, out, axis, zero):
    """Cumprod's gradient without dividing by zero.

    Where a_i != 0 the usual formula reverse_cumsum(g * out)_i / a_i holds. At the first
    and second zero of a line, the product skips a_i: the same sum over the cumprod of a
    with a_i set to 1. Past the second zero every product holds two zeros: 0. Each
    expression equals the gradient near the point, so first and second derivatives are exact.
    """
    nonzero = Tensor._make(~zero)
    grad = where(nonzero, _reverse_cumsum(g * out, axis) / where(nonzero, a, 1.0), 0.0)
    rank = xp.cumsum(zero, axis=axis)  # how many zeros up to and including each position
    for r in (1, 2):
        at = zero & (rank == r)
        if at.any():
            mask = Tensor._make(at)
            skipped = cumprod(where(mask, 1.0, a), axis)
            grad = grad + where(mask, _reverse_cumsum(g * skipped, axis), 0.0)
    return grad


def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim``; integers and bools accumulate as int64."""
    input, axis = _cumulative_input(input, dim, dtype, "cumprod")
    if input._data.ndim == 0:
        return input * 1
    return Cumprod.apply(input, axis=axis)


# ---------------------------------------------------------------- max / min family

MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])
AminmaxResult = namedtuple("aminmax", ["min", "max"])
MedianResult = namedtuple("median", ["values", "indices"])
ModeResult = namedtuple("mode", ["values", "indices"])


class Extreme(Function):
    """A value picked per reduced slice (amax, amin, median); its gradient is split evenly
    among the entries equal to it (``nan_ties``: NaN entries tie with a NaN result)."""

    def forward(ctx, a, value, axes, keepdim, nan_ties):  # value: the result, keepdim-shaped
        ctx.value, ctx.axes, ctx.shape, ctx.nan_ties = value, axes, a.shape, nan_ties
        ctx.save_for_backward(a)
        return value if keepdim else value.reshape(_drop(a.shape, axes))

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        data, value = a._data, ctx.value
        hit = data == value                                           # (input shape)
        if ctx.nan_ties:
            hit |= xp.isnan(data) & xp.isnan(value)
        count = hit.sum(axis=ctx.axes, keepdims=True)
        with xp.errstate(invalid="ignore"):  # no tie at all (a NaN amax): nan, as in PyTorch
            share = Tensor._make((hit / count).astype(data.dtype))
        return _expand_back(g, ctx.shape, ctx.axes) * share


def _check_nonempty(input, axes, op, numel_error=RuntimeError):
    shape = input._data.shape
    if axes is None:
        if input._data.size == 0:
            raise numel_error(at_user_line(
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0 (input "
                f"shape {shape_str(shape)}). Specify the reduction dim with the 'dim' argument."))
        return
    for a in axes:
        if shape[a] == 0:
            raise IndexError(at_user_line(
                f"{op}(): Expected reduction dim {a} to have non-zero size (input shape "
                f"{shape_str(shape)}); there is no {op} of an empty dimension"))


def _extreme(input, dim, keepdim, largest, op, nan_ties=False):
    axes = reduce_axes(dim, input._data.ndim, op)
    _check_nonempty(input, axes, op)
    value = array_op(xp.max if largest else xp.min, input, axis=axes, keepdims=True)._data
    return Extreme.apply(input, value=value, axes=axes, keepdim=keepdim, nan_ties=nan_ties)


def amax(input, dim=None, keepdim=False):
    """The largest value over ``dim`` (all dims by default); ties share the gradient evenly."""
    return _extreme(input, dim, keepdim, True, "amax")


def amin(input, dim=None, keepdim=False):
    """The smallest value over ``dim`` (all dims by default); ties share the gradient evenly."""
    return _extreme(input, dim, keepdim, False, "amin")


def _arg_extreme(input, dim, keepdim, largest, op):
    data = input._data
    if data.dtype == xp.bool_:
        raise RuntimeError(at_user_line(f"{op}(): does not support bool input; convert first: x.int().{op}()"))
    if dim is None:
        _check_nonempty(input, None, op, numel_error=IndexError)
        return array_op(_flat_arg_extreme, input, largest=largest, keepdim=keepdim)
    axis = wrap_dim(dim, data.ndim, op)
    if data.ndim == 0:
        return Tensor._make(xp.zeros((), xp.int64))
    _check_nonempty(input, (axis,), op)
    return array_op(_arg_extreme_along, input, largest=largest, axis=axis, keepdim=keepdim)


def _flat_arg_extreme(data, largest, keepdim):
    """The int64 position of the first largest (smallest) element of the flattened ``data``."""
    index = xp.asarray((xp.argmax if largest else xp.argmin)(data.reshape(-1)), dtype=xp.int64)
    return index.reshape((1,) * data.ndim if keepdim else ())


def _arg_extreme_along(data, largest, axis, keepdim):
    return (xp.argmax if largest else xp.argmin)(data, axis=axis, keepdims=keepdim).astype(xp.int64)


def argmax(input, dim=None, keepdim=False):
    """Index of the largest value along ``dim`` (of the flattened tensor when ``dim`` is None)."""
    return _arg_extreme(input, dim, keepdim, True, "argmax")


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest value along ``dim`` (of the flattened tensor when ``dim`` is None)."""
    return _arg_extreme(input, dim, keepdim, False, "argmin")


def _argmax_int64(data, axis):
    """The keepdim-shaped int64 position of the first maximum along ``axis``."""
    return xp.argmax(data, axis=axis, keepdims=True).astype(xp.int64)


def _argmin_int64(data, axis):
    return xp.argmin(data, axis=axis, keepdims=True).astype(xp.int64)


def _select(input, idx, axis, keepdim, result_type):
    """The values at ``idx`` (keepdim-shaped) along ``axis``; the gradient goes to that index."""
    indices = idx if isinstance(idx, Tensor) else Tensor._make(idx.astype(xp.int64))
    values = TakeAlong.apply(input, idx=indices._data, dim=axis)
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return result_type(values, indices)


def _zero_dim_result(input, result_type):
    return result_type(input * 1, Tensor._make(xp.zeros((), xp.int64)))


def _max_min(input, dim, keepdim, other, largest, op):
    from .elementwise import maximum, minimum
    if isinstance(dim, Tensor) or other is not None:  # max(a, b): elementwise
        return (maximum if largest else minimum)(input, dim if other is None else other)
    if dim is None:  # all elements; ties (NaNs included) share the gradient
        return _extreme(input, None, False, largest, op, nan_ties=True)
    result_type = MaxResult if largest else MinResult
    axis = wrap_dim(dim, input._data.ndim, op)
    if input._data.ndim == 0:
        return _zero_dim_result(input, result_type)
    _check_nonempty(input, (axis,), op)
    index = array_op(_argmax_int64 if largest else _argmin_int64, input, axis=axis)  # the first one
    return _select(input, index, axis, keepdim, result_type)


def max(input, dim=None, keepdim=False, *, other=None):
    """The largest value (gradient split among ties); with ``dim``, a (values, indices) pair
    (gradient to that index, the first occurrence); with a tensor, ``maximum``."""
    return _max_min(input, dim, keepdim, other, True, "max")


def min(input, dim=None, keepdim=False, *, other=None):
    """The smallest value; with ``dim``, a (values, indices) pair; with a tensor, ``minimum``."""
    return _max_min(input, dim, keepdim, other, False, "min")


def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` over ``dim`` (an int) or all elements, as a named pair."""
    axes = reduce_axes(dim, input._data.ndim, "aminmax")
    if input._data.size == 0 and (axes is None or any(input._data.shape[a] == 0 for a in axes)):
        raise RuntimeError(at_user_line(
            f"aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
            f"identity (input shape {shape_str(input._data.shape)})"))
    return AminmaxResult(amin(input, dim, keepdim), amax(input, dim, keepdim))


def _median_value(data):
    """The lower median of all of ``data``, shaped (1,) * ndim."""
    flat = data.reshape(-1)
    return flat[_median_index(flat, 0)].reshape((1,) * data.ndim)


def _median_index(data, axis):
    """Positions (keepdim-shaped) of the lower median along ``axis``, or of a NaN if there is one."""
    order = xp.argsort(data, axis=axis, kind="stable")  # NaNs sort last
    n = data.shape[axis]
    pos = xp.full(_keepdim_shape(data.shape, (axis,)), (n - 1) // 2)
    if data.dtype.kind == "f":
        nans = xp.isnan(data).sum(axis=axis, keepdims=True)
        pos = xp.where(nans > 0, n - nans, pos)
    return xp.take_along_axis(order, pos, axis=axis)


def median(input, dim=None, keepdim=False):
    """The lower median, the ((n - 1) // 2)-th smallest value (NaN where there is a NaN).

    Without ``dim``: over all elements, the gradient split evenly among equal entries.
    With ``dim``: a (values, indices) pair, the gradient going to that index.
    """
    data = input._data
    if data.dtype == xp.bool_:
        raise NotImplementedError(at_user_line("median(): not implemented for bool; convert first: x.int()"))
    if dim is None:
        if data.size == 0:
            _require_float(input, "median", "x.float().median() (the median of nothing is nan)")
            return Tensor._make(xp.full((), xp.nan, dtype=data.dtype))
        value = array_op(_median_value, input)._data     # an op: a compiled graph recomputes it
        return Extreme.apply(input, value=value, axes=None, keepdim=False, nan_ties=True)
    if not isinstance(dim, int):
        raise TypeError(at_user_line(f"median(): dim must be an int, got {dim!r}"))
    axis = wrap_dim(dim, data.ndim, "median")
    if data.ndim == 0:
        return _zero_dim_result(input, MedianResult)
    _check_nonempty(input, (axis,), "median")
    return _select(input, array_op(_median_index, input, axis), axis, keepdim, MedianResult)


def _mode_index(data, axis):
    """Positions (keepdim-shaped) of the most frequent value along ``axis``: on a tie the
    smallest value, at its last occurrence (as PyTorch)."""
    moved = xp.moveaxis(data, axis, -1)                              # (..., n)
    order = xp.argsort(moved, axis=-1, kind="stable")
    ordered = xp.take_along_axis(moved, order, axis=-1)
    n = ordered.shape[-1]
    position = xp.arange(n)
    starts = xp.ones(ordered.shape, dtype=bool)                      # a new run of equal values
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    ends = xp.ones(ordered.shape, dtype=bool)
    ends[..., :-1] = starts[..., 1:]
    first = xp.maximum.accumulate(xp.where(starts, position, 0), axis=-1)
    last = xp.flip(xp.minimum.accumulate(xp.flip(xp.where(ends, position, n), -1), axis=-1), -1)
    best = xp.argmax(last - first, axis=-1)[..., None]              # longest run, smallest value
    index = xp.take_along_axis(order, xp.take_along_axis(last, best, axis=-1), axis=-1)
    return xp.moveaxis(index, -1, axis)


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` and its index, as a (values, indices) pair."""
    data = input._data
    axis = wrap_dim(dim, data.ndim, "mode")
    if data.ndim == 0:
        return _zero_dim_result(input, ModeResult)
    _check_nonempty(input, (axis,), "mode")
    if data.size == 0:  # another dim is empty: empty results
        index = xp.zeros(_keepdim_shape(data.shape, (axis,)), dtype=xp.int64)
    else:
        index = array_op(_mode_index, input, axis)
    return _select(input, index, axis, keepdim, ModeResult)


# ---------------------------------------------------------------- norms

class TwoNorm(Function):
    """sqrt(sum x^2); the gradient x / norm is taken as 0 where the norm is 0 (as PyTorch)."""

    def forward(ctx, a, axes, keepdim):
        out = xp.sqrt(xp.sum(a * a, axis=axes, keepdims=keepdim))
        ctx.keepdim_shape = _keepdim_shape(a.shape, axes)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):
        a, out = ctx.saved_tensors
        g, out = g.reshape(ctx.keepdim_shape), out.reshape(ctx.keepdim_shape)
        zero = out == 0
        return where(zero, 0.0, g * a / where(zero, 1.0, out))


class PNorm(Function):
    """(sum |x|^p)^(1/p); the gradient sign(x) |x|^(p-1) g / norm^(p-1) is taken as 0 where
    the norm is 0, and (for p < 1) where x is 0, as PyTorch does."""

    def forward(ctx, a, axes, keepdim, p):
        with xp.errstate(divide="ignore"):  # 0 ** negative p is inf, and the norm 0
            out = xp.sum(xp.abs(a) ** p, axis=axes, keepdims=keepdim) ** (1.0 / p)
        ctx.p, ctx.keepdim_shape = p, _keepdim_shape(a.shape, axes)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):
        a, out = ctx.saved_tensors
        p = ctx.p
        g, out = g.reshape(ctx.keepdim_shape), out.reshape(ctx.keepdim_shape)
        zero_norm = out == 0
        scale = where(zero_norm, 0.0, g / where(zero_norm, 1.0, out) ** (p - 1))
        if p < 1:
            zero = a == 0
            slope = a.sign() * where(zero, 0.0, where(zero, 1.0, a.abs()) ** (p - 1))
        elif p < 2:
            slope = a.sign() * a.abs() ** (p - 1)
        else:
            slope = a * a.abs() ** (p - 2)
        return slope * scale


class CountNonzero(Function):
    """The p=0 "norm": how many entries are nonzero. It has no gradient (None, as PyTorch)."""

    def forward(ctx, a, axes, keepdim):
        return (a != 0).sum(axis=axes, keepdims=keepdim).astype(a.dtype)

    def backward(ctx, g):
        return None


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over ``dim`` (all elements by default): (sum |x|^p)^(1/p).

    ``p`` may be 'fro' (the 2-norm, over at most two dims), any number, inf (max |x|,
    ties share the gradient) or -inf (min |x|). 'nuc' needs an SVD and is not supported.
    """
    if dtype is not None:
        input = input.to(dtype)
    _require_float(input, "norm", "x.float().norm()")
    if not isinstance(p, (str, int, float)):
        raise TypeError(at_user_line(
            f"norm(): p must be a number or 'fro', got {p!r}; pass the dims as norm(dim={p!r})"))
    if isinstance(p, str):
        if p != "fro":
            raise RuntimeError(at_user_line(
                f"norm(): p='{p}' is not supported; use a number, inf, -inf or 'fro'"))
        if dim is not None and not isinstance(dim, int) and len(dim) > 2:
            raise RuntimeError(at_user_line(
                f"norm(): the 'fro' norm reduces at most 2 dims, got dim={dim}; use p=2 for more"))
        p = 2
    axes = reduce_axes(dim, input._data.ndim, "norm")
    if p == 2:
        return TwoNorm.apply(input, axes=axes, keepdim=keepdim)
    if p == 1:
        return sum(input.abs(), dim, keepdim)
    if p == 0:
        return CountNonzero.apply(input, axes=axes, keepdim=keepdim)
    if math.isinf(p):
        if input._data.size == 0 and (axes is None or any(input._data.shape[a] == 0 for a in axes)):
            raise RuntimeError(at_user_line(
                f"norm(): cannot compute the {p} norm over an empty dimension (input shape "
                f"{shape_str(input._data.shape)}) because the operation has no identity"))
        return _extreme(input.abs(), dim, keepdim, p > 0, "norm")
    return PNorm.apply(input, axes=axes, keepdim=keepdim, p=p)


__all__ = ["sum", "mean", "sum_to_shape", "var", "std", "var_mean", "std_mean", "prod", "cumsum",
           "cumprod", "amax", "amin", "argmax", "argmin", "max", "min", "aminmax", "median", "mode",
           "norm"]
TENSOR_METHODS = ["sum", "mean", "sum_to_shape", "var", "std", "prod", "cumsum", "cumprod",
                  "amax", "amin", "argmax", "argmin", "max", "min", "aminmax", "median", "mode",
                  "norm"]
