"""Trigonometric and hyperbolic functions, sigmoid and erf: elementwise, floating results.

Integer and bool inputs give the default float dtype, as in PyTorch. tan, tanh and sigmoid
save their result (changing it in place breaks backward); the others save their input.
"""
import math

from .. import backend as B
from ..function import Function
from .promotion import to_floating
from .special import erf_array
from . import unary  # the backward rules use exp and rsqrt (unary imports this file first)

xp = B.xp

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Sin(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.sin(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * cos(a)


class Cos(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.cos(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return -g * sin(a)


class Tan(Function):
    def forward(ctx, a):
        out = xp.tan(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):  # 1 + tan(x)^2
        (out,) = ctx.saved_tensors
        return g * (1 + out * out)


class Asin(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.arcsin(a)

    def backward(ctx, g):  # 1 / sqrt(1 - x^2)
        (a,) = ctx.saved_tensors
        return g * unary.rsqrt(1 - a * a)


class Acos(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.arccos(a)

    def backward(ctx, g):  # -1 / sqrt(1 - x^2)
        (a,) = ctx.saved_tensors
        return -g * unary.rsqrt(1 - a * a)


class Atan(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.arctan(a)

    def backward(ctx, g):  # 1 / (1 + x^2)
        (a,) = ctx.saved_tensors
        return g / (1 + a * a)


class Sinh(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.sinh(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * cosh(a)


class Cosh(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.cosh(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * sinh(a)


class Tanh(Function):
    def forward(ctx, a):
        out = xp.tanh(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):  # 1 - tanh(x)^2
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


def _sigmoid_array(a):
    # 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below: exp never sees a positive
    # argument, so large |x| neither overflows nor warns
    e = xp.exp(-xp.abs(a))
    r = 1 / (1 + e)
    return xp.where(a >= 0, r, e * r)


class Sigmoid(Function):
    def forward(ctx, a):
        out = _sigmoid_array(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):  # s (1 - s)
        (out,) = ctx.saved_tensors
        return g * (out * (1 - out))


class Erf(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return erf_array(a)

    def backward(ctx, g):  # 2/sqrt(pi) exp(-x^2)
        (a,) = ctx.saved_tensors
        return g * (unary.exp(-(a * a)) * _TWO_OVER_SQRT_PI)


def sin(input):
    return Sin.apply(to_floating(input))


def cos(input):
    return Cos.apply(to_floating(input))


def tan(input):
    return Tan.apply(to_floating(input))


def asin(input):
    return Asin.apply(to_floating(input))


def acos(input):
    return Acos.apply(to_floating(input))


def atan(input):
    return Atan.apply(to_floating(input))


arcsin, arccos, arctan = asin, acos, atan  # NumPy's names, which PyTorch also has


def sinh(input):
    return Sinh.apply(to_floating(input))


def cosh(input):
    return Cosh.apply(to_floating(input))


def tanh(input):
    return Tanh.apply(to_floating(input))


def sigmoid(input):
    """1 / (1 + exp(-x)), computed without overflow for any x."""
    return Sigmoid.apply(to_floating(input))


def erf(input):
    """The error function 2/sqrt(pi) * integral_0^x exp(-t^2) dt."""
    return Erf.apply(to_floating(input))
