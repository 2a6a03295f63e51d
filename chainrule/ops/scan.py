"""Scans along one dimension: ``cummax``, ``cummin``, ``logcumsumexp`` and ``diff``.

``cummax``/``cummin`` find, for each position, the index of the running
extreme (ties take the latest index; a NaN, once seen, stays the extreme, as
in PyTorch), then gather the values, so the gradient flows to that index.
``logcumsumexp`` is one stable primitive; ``diff`` is slicing and subtraction.
"""
from collections import namedtuple

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line, shape_str
from .._dims import wrap_dim
from .array_op import array_op
from .indexing import TakeAlong, kept_index
from .elementwise import where
from .compare import logical_xor
from .movement import flip, narrow, Clone
from .join import cat
from .unary import exp, log

xp = B.xp

CummaxResult = namedtuple("cummax", ["values", "indices"])
CumminResult = namedtuple("cummin", ["values", "indices"])


# ---------------------------------------------------------------- cummax / cummin

def _running_extreme_index(a, axis, largest):
    """int64 index of the running max (min) along ``axis``: the latest position whose value
    equals the running extreme, or the latest NaN once one was seen."""
    accumulate = xp.maximum.accumulate if largest else xp.minimum.accumulate
    running = accumulate(a, axis=axis)                    # NaN propagates from its position on
    takes_over = a == running
    if a.dtype.kind == "f":
        takes_over |= xp.isnan(a)
    shape = [1] * a.ndim
    shape[axis] = a.shape[axis]
    positions = xp.arange(a.shape[axis], dtype=xp.int64).reshape(shape)
    return xp.maximum.accumulate(xp.where(takes_over, positions, 0), axis=axis)


def _running_extreme(input, dim, largest, op):
    if input._data.dtype.kind not in "biuf":
        raise TypeError(at_user_line(f"{op}(): unsupported dtype {input.dtype}"))
    axis = wrap_dim(dim, input._data.ndim, op)
    scalar = input._data.ndim == 0
    if scalar:
        input = input.reshape(1)
    indices = array_op(_running_extreme_index, input, axis=axis, largest=largest)
    values = kept_index(TakeAlong.apply(input, idx=indices._data, dim=axis), indices)   # gradient: back to each index
    if scalar:
        values, indices = values.reshape(()), indices.reshape(())
    return values, indices


def cummax(input, dim):
    """(values, indices) of the running maximum along ``dim``."""
    return CummaxResult(*_running_extreme(input, dim, True, "cummax"))


def cummin(input, dim):
    """(values, indices) of the running minimum along ``dim``."""
    return CumminResult(*_running_extreme(input, dim, False, "cummin"))


# ---------------------------------------------------------------- logcumsumexp

class LogCumSumExp(Function):
    """out_j = log sum_{i <= j} exp(x_i), computed as a running logaddexp.

    d out_j / d x_i = exp(x_i - out_j) for i <= j, so grad_i = sum_{j >= i} g_j exp(x_i - out_j).
    The sum is taken in log space, separately over the positive and the negative g_j, so
    that nothing overflows: grad = exp(x + R(log g+ - out)) - exp(x + R(log g- - out)),
    R the reversed logcumsumexp.
    """

    def forward(ctx, a, axis):
        ctx.axis = axis
        out = xp.logaddexp.accumulate(a, axis=axis) + 0.0  # from log(0) = -inf, as PyTorch: -0.0 gives 0.0
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):
        a, out = ctx.saved_tensors
        # log(0) stands in as a finite, very negative number, so that double backward stays finite
        # (sqrt of the largest float: sums of a few of them cannot overflow)
        lowest = -float(xp.finfo(g._data.dtype).max) ** 0.5
        positive = Tensor._make(g._data > 0)
        negative = Tensor._make(g._data < 0)
        log_positive = where(positive, log(where(positive, g, 1.0)), lowest)
        log_negative = where(negative, log(where(negative, -g, 1.0)), lowest)
        from_positive = exp(_reverse_logcumsumexp(log_positive - out, ctx.axis) + a)
        from_negative = exp(_reverse_logcumsumexp(log_negative - out, ctx.axis) + a)
        return from_positive - from_negative


def _reverse_logcumsumexp(t, axis):
    """out_i = log sum_{j >= i} exp(t_j) along ``axis``."""
    return flip(LogCumSumExp.apply(flip(t, [axis]), axis=axis), [axis])


def logcumsumexp(input, dim):
    """log(cumsum(exp(input))) along ``dim``, without overflow."""
    axis = wrap_dim(dim, input._data.ndim, "logcumsumexp")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(at_user_line(
            f"logcumsumexp: not implemented for {input.dtype} tensors; convert to a floating "
            f"dtype first, e.g. x.float().logcumsumexp({dim})"))
    if input._data.ndim == 0:  # the identity, gradient g also at inf (as PyTorch)
        return Clone.apply(input)
    return LogCumSumExp.apply(input, axis=axis)


# ---------------------------------------------------------------- diff

def _check_edge(edge, input, name):
    if edge is None:
        return
    if not isinstance(edge, Tensor):
        raise TypeError(at_user_line(
            f"diff(): argument '{name}' must be Tensor, not {type(edge).__name__}; wrap it: "
            f"chainrule.tensor([value])"))
    if edge._data.ndim != input._data.ndim:
        raise RuntimeError(at_user_line(
            f"diff expects prepend or append to be the same dimension as input: {name} has shape "
            f"{shape_str(edge.shape)}, input has shape {shape_str(input.shape)}. Give {name} the "
            f"input's number of dimensions (size 1 or more along dim)."))


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along ``dim``: out[i] = x[i + 1] - x[i], applied n times
    (``logical_xor`` for bool tensors). ``prepend``/``append`` are joined on first."""
    if input._data.ndim == 0:
        raise RuntimeError(at_user_line(
            "diff expects input to be at least one-dimensional; reshape a 0-d tensor first: "
            "x.reshape(1)"))
    if n < 0:
        raise RuntimeError(at_user_line(f"diff: order must be non-negative but got {n}"))
    axis = wrap_dim(dim, input._data.ndim, "diff")   # checked even when n is 0, as in PyTorch
    _check_edge(prepend, input, "prepend")
    _check_edge(append, input, "append")
    if n == 0:  # no differences: the input itself, without prepend/append (as PyTorch)
        return Clone.apply(input)
    x = input
    if prepend is not None or append is not None:
        parts = [t for t in (prepend, input, append) if t is not None]
        x = cat(parts, dim=axis)
    for _ in range(n):
        length = max(x._data.shape[axis] - 1, 0)
        later, earlier = narrow(x, axis, x._data.shape[axis] - length, length), narrow(x, axis, 0, length)
        x = logical_xor(later, earlier) if x._data.dtype == xp.bool_ else later - earlier
    return x


__all__ = ["cummax", "cummin", "logcumsumexp", "diff"]
TENSOR_METHODS = __all__
