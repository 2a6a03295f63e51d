"""Order statistics of a reduction: amax/amin, max/min, argmax/argmin, aminmax, median, mode.

Without ``dim``, the value is one op whose gradient is shared evenly among the
entries equal to it (``Extreme``). With ``dim``, the result is a (values,
indices) pair: the positions are found on arrays, then ``PickAlong`` reads the
values, a fresh tensor with its own version counter (not a view of the input),
and sends their gradient back to those positions. Re-exported by ``reduce``.
"""
from collections import namedtuple

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line, shape_str
from .._dims import wrap_dim
from .array_op import array_op
from .elementwise import where
from .indexing import ScatterAddInto
from .reduce_dims import reduce_axes, _keepdim_shape, _drop, _with_kept_dims, _require_float

xp = B.xp

MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])
AminmaxResult = namedtuple("aminmax", ["min", "max"])
MedianResult = namedtuple("median", ["values", "indices"])
ModeResult = namedtuple("mode", ["values", "indices"])


# ---------------------------------------------------------------- primitives

class Extreme(Function):
    """A value picked per reduced slice (amax, amin, max(), min(), median(), the inf-norms), its
    gradient split evenly among the entries equal to it (``nan_ties``: NaN entries tie with a
    NaN result). ``select`` chooses PyTorch's way of splitting: max(), min() and median() select
    the share for the tied entries (an infinite g leaves the others 0); amax and amin multiply
    it by a 0/1 mask (inf * 0 is nan there). The input and the output object itself are saved,
    so changing either in place breaks backward, as in PyTorch."""

    def forward(ctx, a, value, axes, keepdim, nan_ties, select):  # value: the result, keepdim-shaped
        ctx.axes, ctx.shape, ctx.nan_ties, ctx.select = axes, a.shape, nan_ties, select
        out = value if keepdim else value.reshape(_drop(a.shape, axes))
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):
        a, out = ctx.saved_tensors
        out = _with_kept_dims(out, ctx.shape, ctx.axes)                # (kept dims)
        hit = array_op(_ties, a, out, nan_ties=ctx.nan_ties)           # (input shape), bool
        count = hit.sum(ctx.axes, keepdim=True)                        # (kept dims), int64
        with xp.errstate(divide="ignore", invalid="ignore"):           # no tie (a NaN amax): nan
            share = _with_kept_dims(g, ctx.shape, ctx.axes) / count
        if ctx.select:
            return where(hit, share, 0.0)
        with xp.errstate(invalid="ignore"):                            # inf * 0: nan, as in PyTorch
            return share * hit.to(share.dtype)


def _ties(data, value, nan_ties):
    hit = data == value
    if nan_ties:
        hit |= xp.isnan(data) & xp.isnan(value)
    return hit


class PickAlong(Function):
    """The entries at keepdim-shaped positions ``idx`` along ``axis`` (one per slice), in a
    fresh array; without ``keepdim`` that dim is dropped. The gradient goes to the positions."""

    def forward(ctx, a, idx, axis, keepdim):
        ctx.shape, ctx.idx, ctx.axis, ctx.keepdim = a.shape, idx, axis, keepdim
        out = xp.take_along_axis(a, idx, axis=axis)                    # (kept dims)
        return out if keepdim else out.reshape(_drop(a.shape, (axis,)))

    def backward(ctx, g):
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.axis)
        return ScatterAddInto.apply(g, shape=ctx.shape, idx=ctx.idx, dim=ctx.axis)


def pick_along(input, index, axis, keepdim, result_type):
    """(values, indices) for int64 keepdim-shaped positions ``index`` (a Tensor) along ``axis``."""
    values = PickAlong.apply(input, idx=index._data, axis=axis, keepdim=keepdim)
    if values.grad_fn is not None:   # backward reads the positions: refuse if they change in place
        values.grad_fn.keep_index(index)
    if not keepdim:
        index = index.squeeze(axis)
    return result_type(values, index)


def zero_dim_result(input, result_type):
    """The (values, indices) pair of a 0-d tensor: a copy of it (same dtype) and index 0."""
    from .movement import Clone   # movement needs reduce, which needs this module
    return result_type(Clone.apply(input), Tensor._make(xp.zeros((), xp.int64)))


# ---------------------------------------------------------------- amax, amin, max, min

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


def extreme(input, dim, keepdim, largest, op, nan_ties=False, select=False):
    """The largest (smallest) value over ``dim`` as one ``Extreme`` op."""
    axes = reduce_axes(dim, input._data.ndim, op)
    _check_nonempty(input, axes, op)
    value = array_op(xp.max if largest else xp.min, input, axis=axes, keepdims=True)._data
    return Extreme.apply(input, value=value, axes=axes, keepdim=keepdim, nan_ties=nan_ties,
                         select=select)


def amax(input, dim=None, keepdim=False):
    """The largest value over ``dim`` (all dims by default); ties share the gradient evenly."""
    return extreme(input, dim, keepdim, True, "amax")


def amin(input, dim=None, keepdim=False):
    """The smallest value over ``dim`` (all dims by default); ties share the gradient evenly."""
    return extreme(input, dim, keepdim, False, "amin")


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


def _max_min(input, dim, keepdim, other, largest, op):
    from .elementwise import maximum, minimum
    if isinstance(dim, Tensor) or other is not None:  # max(a, b): elementwise
        return (maximum if largest else minimum)(input, dim if other is None else other)
    if dim is None:  # all elements; ties (NaNs included) share the gradient
        return extreme(input, None, False, largest, op, nan_ties=True, select=True)
    result_type = MaxResult if largest else MinResult
    axis = wrap_dim(dim, input._data.ndim, op)
    if input._data.ndim == 0:
        return zero_dim_result(input, result_type)
    _check_nonempty(input, (axis,), op)
    index = array_op(_argmax_int64 if largest else _argmin_int64, input, axis=axis)  # the first one
    return pick_along(input, index, axis, keepdim, result_type)


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
    empty = [a for a in axes or () if input._data.shape[a] == 0]
    if empty:   # PyTorch: an IndexError for an empty reduced dim, a RuntimeError with no dim
        raise IndexError(at_user_line(
            f"aminmax: Expected reduction dim {empty[0]} to have non-zero size (input shape "
            f"{shape_str(input._data.shape)}); there is no min or max of an empty dimension"))
    if input._data.size == 0 and axes is None:
        raise RuntimeError(at_user_line(
            f"aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
            f"identity (input shape {shape_str(input._data.shape)})"))
    return AminmaxResult(amin(input, dim, keepdim), amax(input, dim, keepdim))


# ---------------------------------------------------------------- median and mode

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
        return Extreme.apply(input, value=value, axes=None, keepdim=False, nan_ties=True, select=True)
    if not isinstance(dim, int):
        raise TypeError(at_user_line(f"median(): dim must be an int, got {dim!r}"))
    axis = wrap_dim(dim, data.ndim, "median")
    if data.ndim == 0:
        return zero_dim_result(input, MedianResult)
    _check_nonempty(input, (axis,), "median")
    return pick_along(input, array_op(_median_index, input, axis), axis, keepdim, MedianResult)


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
        return zero_dim_result(input, ModeResult)
    _check_nonempty(input, (axis,), "mode")
    if data.size == 0:  # another dim is empty: empty results
        index = Tensor._make(xp.zeros(_keepdim_shape(data.shape, (axis,)), dtype=xp.int64))
    else:
        index = array_op(_mode_index, input, axis)
    return pick_along(input, index, axis, keepdim, ModeResult)


__all__ = ["amax", "amin", "argmax", "argmin", "max", "min", "aminmax", "median", "mode"]
