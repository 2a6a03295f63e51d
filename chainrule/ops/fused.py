"""Fused, numerically stable ops: softmax, log_softmax, logsumexp.

Each subtracts the maximum before exponentiating, so logits of 1000 do not
overflow where the naive exp(x) / sum(exp(x)) gives inf / inf = nan. The
backward rules are closed forms written with chainrule ops (double backward
works):

    softmax:      y = exp(x) / sum(exp(x))    dx = y * (g - sum(g * y))
    log_softmax:  y = x - logsumexp(x)        dx = g - exp(y) * sum(g)
    logsumexp:    y = log(sum(exp(x)))        dx = g * exp(x - y)
"""
from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line
from .._dims import wrap_dim
from .reduce_dims import reduce_axes, _keepdim_shape, _drop

xp = B.xp


def _minus_max(a, axis):
    """``a - max(a)`` along ``axis``. A slice whose max is +-inf (or NaN) gives NaN, as in PyTorch."""
    peak = a.max(axis=axis, keepdims=True)
    if xp.isfinite(peak).all():
        return a - peak
    with xp.errstate(invalid="ignore"):
        return a - peak


class Softmax(Function):
    def forward(ctx, a, axis):
        ctx.axis = axis
        if a.size == 0:
            out = xp.empty_like(a)
        else:
            out = xp.exp(_minus_max(a, axis))  # a fresh array: normalize it in place
            out /= out.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):  # y * (g - sum(g * y))
        (y,) = ctx.saved_tensors
        return y * (g - (g * y).sum(ctx.axis, keepdim=True))


class LogSoftmax(Function):
    def forward(ctx, a, axis):
        ctx.axis = axis
        if a.size == 0:
            out = xp.empty_like(a)
        else:
            out = _minus_max(a, axis)
            out -= xp.log(xp.exp(out).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):  # g - exp(y) * sum(g)
        (y,) = ctx.saved_tensors
        return g - y.exp() * g.sum(ctx.axis, keepdim=True)


class LogSumExp(Function):
    def forward(ctx, a, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        if a.size == 0:  # an empty sum of exponentials is 0: its log is -inf
            peak = xp.zeros(_keepdim_shape(a.shape, axes), a.dtype)
        else:
            peak = a.max(axis=axes, keepdims=True)
        if a.size and xp.isfinite(peak).all():
            out = xp.log(xp.exp(a - peak).sum(axis=axes, keepdims=True)) + peak
        else:  # an infinite max is not subtracted: -inf slices give -inf, +inf ones +inf
            peak = xp.where(xp.isinf(peak), 0, peak).astype(a.dtype)
            with xp.errstate(divide="ignore"):
                out = xp.log(xp.exp(a - peak).sum(axis=axes, keepdims=True)) + peak
        if not keepdim:
            out = out.reshape(_drop(a.shape, axes))
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):  # g * softmax(a) = g * exp(a - y)
        a, out = ctx.saved_tensors
        if not ctx.keepdim:
            shape = _keepdim_shape(a.shape, ctx.axes)
            g, out = g.reshape(shape), out.reshape(shape)
        if xp.isfinite(out._data).all():
            return g * (a - out).exp()
        with xp.errstate(invalid="ignore"):  # -inf - -inf: a nan gradient, as in PyTorch
            return g * (a - out).exp()


def _softmax_input(input, dim, dtype, op):
    """The input cast to ``dtype`` and the axis; integer inputs need ``dtype``, as in PyTorch."""
    axis = wrap_dim(dim, input._data.ndim, op)
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f" and input._data.size:  # empty: nothing to check (PyTorch)
        raise NotImplementedError(at_user_line(
            f"{op}(): not implemented for {input.dtype} input; pass dtype=chainrule.float32 "
            f"or convert first: x.float().{op}(dim)"))
    return input, axis if input._data.ndim else None


def softmax(input, dim, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim`` (required), computed stably; ``dtype`` casts first."""
    input, axis = _softmax_input(input, dim, dtype, "softmax")
    if input._data.dtype.kind != "f":  # an empty integer tensor: returned as it is, as PyTorch
        return Tensor._make(input._data.copy())
    return Softmax.apply(input, axis=axis)


def log_softmax(input, dim, dtype=None):
    """log(softmax(x)) = x - logsumexp(x) along ``dim``, computed stably (finite for finite x)."""
    input, axis = _softmax_input(input, dim, dtype, "log_softmax")
    if input._data.dtype.kind != "f":  # an empty integer tensor: returned as it is, as PyTorch
        return Tensor._make(input._data.copy())
    return LogSoftmax.apply(input, axis=axis)


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(x))) over ``dim``, computed stably; integer inputs become the default float."""
    if input._data.dtype.kind != "f":
        input = input.to(B.get_default_dtype())
    axes = reduce_axes(dim, input._data.ndim, "logsumexp")
    return LogSumExp.apply(input, axes=axes, keepdim=keepdim)


__all__ = ["softmax", "log_softmax", "logsumexp"]
TENSOR_METHODS = __all__
