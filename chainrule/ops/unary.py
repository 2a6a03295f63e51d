"""Elementwise math and activation functions of one tensor."""
from .. import backend as B
from ..function import Function
from .promotion import to_floating

xp = B.xp


class Exp(Function):
    def forward(ctx, a):
        out = xp.exp(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.log(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Tanh(Function):
    def forward(ctx, a):
        out = xp.tanh(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


class Sigmoid(Function):
    def forward(ctx, a):
        # exp of a non-positive number only: no overflow warnings for large |a|
        e = xp.exp(-xp.abs(a))
        out = xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)


class ReLU(Function):
    def forward(ctx, a):
        out = xp.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > 0)


def exp(input):
    return Exp.apply(to_floating(input))


def log(input):
    return Log.apply(to_floating(input))


def tanh(input):
    return Tanh.apply(to_floating(input))


def sigmoid(input):
    return Sigmoid.apply(to_floating(input))


def relu(input):
    return ReLU.apply(input)


__all__ = ["exp", "log", "tanh", "sigmoid", "relu"]
TENSOR_METHODS = __all__
