"""Fused, numerically stable ops: softmax, log_softmax, logsumexp.

Each subtracts the maximum before exponentiating (no overflow for logits of
1000) and has a closed-form backward written with chainrule ops.
"""
from .. import backend as B
from ..function import Function
from .._dims import wrap_dim, wrap_dims

xp = B.xp


def _shifted(a, axis):
    """``a - max(a)`` along ``axis``; rows that are all -inf stay -inf instead of NaN."""
    peak = xp.max(a, axis=axis, keepdims=True, initial=-xp.inf)
    peak = xp.where(xp.isfinite(peak), peak, 0)
    return a - peak, peak


class Softmax(Function):
    def forward(ctx, a, axis):
        shifted, _ = _shifted(a, axis)
        e = xp.exp(shifted)
        out = e / xp.sum(e, axis=axis, keepdims=True)
        ctx.axis = axis
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):  # y * (g - sum(g * y))
        (y,) = ctx.saved_tensors
        return y * (g - (g * y).sum(ctx.axis, keepdim=True))


class LogSoftmax(Function):
    def forward(ctx, a, axis):
        shifted, _ = _shifted(a, axis)
        out = shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))
        ctx.axis = axis
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):  # g - exp(y) * sum(g)
        (y,) = ctx.saved_tensors
        return g - y.exp() * g.sum(ctx.axis, keepdim=True)


class LogSumExp(Function):
    def forward(ctx, a, axes, keepdim):
        shifted, peak = _shifted(a, axes)
        out = xp.log(xp.sum(xp.exp(shifted), axis=axes, keepdims=True)) + peak
        if not keepdim:
            out = xp.squeeze(out, axis=axes)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):  # softmax(a) * g
        a, out = ctx.saved_tensors
        if not ctx.keepdim:
            shape = [1 if ctx.axes is None or i in ctx.axes else s for i, s in enumerate(a.shape)]
            g, out = g.reshape(shape), out.reshape(shape)
        return g * (a - out).exp()


def _softmax_input(input, dtype):
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        input = input.to(B.get_default_dtype())
    return input


def softmax(input, dim, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, computed stably."""
    input = _softmax_input(input, dtype)
    return Softmax.apply(input, axis=wrap_dim(dim, input._data.ndim, "softmax") if input._data.ndim else None)


def log_softmax(input, dim, dtype=None):
    """log(softmax(x)) along ``dim``, computed stably (never log of 0 for finite logits)."""
    input = _softmax_input(input, dtype)
    return LogSoftmax.apply(input, axis=wrap_dim(dim, input._data.ndim, "log_softmax") if input._data.ndim else None)


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(x))) over ``dim``, computed stably."""
    input = _softmax_input(input, None)
    axes = wrap_dims(dim, input._data.ndim, "logsumexp")
    if not input._data.ndim:
        axes = None
    return LogSumExp.apply(input, axes=axes, keepdim=keepdim)


__all__ = ["softmax", "log_softmax", "logsumexp"]
TENSOR_METHODS = __all__
