"""Elementwise math and activation functions of one tensor.

Integer inputs to a floating function give the default float dtype, as in
PyTorch. Every backward is written with chainrule ops; masks that only select
(relu, clamp) are constants, built directly as arrays.
"""
import math

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .promotion import to_floating
from .special import erf_array

xp = B.xp


def _mask(condition_array, like):
    """A constant 0/1 tensor of ``like``'s dtype (not differentiable: it only selects)."""
    return Tensor._make(condition_array.astype(like._data.dtype))


# ---------------------------------------------------------------- exp and log family

class Exp(Function):
    def forward(ctx, a):
        out = xp.exp(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Expm1(Function):
    def forward(ctx, a):
        out = xp.expm1(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out + 1)


class Log(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.log(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Log1p(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.log1p(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / (a + 1)


class Sqrt(Function):
    def forward(ctx, a):
        out = xp.sqrt(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (2 * out)


class Abs(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.abs(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * _mask(xp.sign(a._data), g)


class ZeroGradient(Function):
    """Piecewise-constant functions (sign, floor, ...): their gradient is zero."""

    def forward(ctx, a, fn):
        return fn(a)

    def backward(ctx, g):
        return g * 0.0


# ---------------------------------------------------------------- trigonometric and hyperbolic

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

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 + out * out)


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
        # exp of a non-positive number only: no overflow for large |a|
        e = xp.exp(-xp.abs(a))
        out = xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)


class Erf(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return erf_array(a)

    def backward(ctx, g):  # d erf(x)/dx = 2/sqrt(pi) exp(-x^2)
        (a,) = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * exp(-(a * a))


# ---------------------------------------------------------------- activations

class ReLU(Function):
    def forward(ctx, a):
        out = xp.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * _mask(out._data > 0, g)


class LeakyReLU(Function):
    def forward(ctx, a, slope):
        ctx.save_for_backward(a)
        ctx.slope = slope
        return xp.where(a > 0, a, a * slope).astype(a.dtype, copy=False)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        factor = xp.where(a._data > 0, 1.0, ctx.slope).astype(g._data.dtype)
        return g * Tensor._make(factor)


class ELU(Function):
    def forward(ctx, a, alpha):
        ctx.save_for_backward(a)
        ctx.alpha = alpha
        return xp.where(a > 0, a, alpha * xp.expm1(xp.minimum(a, 0))).astype(a.dtype, copy=False)

    def backward(ctx, g):  # 1 for x > 0, alpha * exp(x) otherwise
        (a,) = ctx.saved_tensors
        positive = _mask(a._data > 0, g)
        return g * (positive + (1 - positive) * ctx.alpha * exp(minimum0(a)))


def minimum0(a):
    """min(a, 0) with gradient 1 where a < 0 (keeps exp() finite for large positive a)."""
    return a * _mask(a._data < 0, a)


class Softplus(Function):
    def forward(ctx, a, beta, threshold):
        ctx.save_for_backward(a)
        ctx.beta, ctx.threshold = beta, threshold
        scaled = a * beta
        soft = (xp.maximum(scaled, 0) + xp.log1p(xp.exp(-xp.abs(scaled)))) / beta
        return xp.where(scaled > threshold, a, soft).astype(a.dtype, copy=False)

    def backward(ctx, g):  # sigmoid(beta x), or 1 above the threshold
        (a,) = ctx.saved_tensors
        linear = _mask(a._data * ctx.beta > ctx.threshold, g)
        return g * (linear + (1 - linear) * sigmoid(a * ctx.beta))


class Clamp(Function):
    def forward(ctx, a, low, high):
        ctx.save_for_backward(a)
        ctx.low, ctx.high = low, high
        return xp.clip(a, low, high).astype(a.dtype, copy=False)

    def backward(ctx, g):  # passes where low <= x <= high, as PyTorch does
        (a,) = ctx.saved_tensors
        inside = xp.ones(a._data.shape, dtype=bool)
        if ctx.low is not None:
            inside &= a._data >= ctx.low
        if ctx.high is not None:
            inside &= a._data <= ctx.high
        return g * _mask(inside, g)


# ---------------------------------------------------------------- public functions

def exp(input):
    return Exp.apply(to_floating(input))


def expm1(input):
    return Expm1.apply(to_floating(input))


def log(input):
    return Log.apply(to_floating(input))


def log1p(input):
    return Log1p.apply(to_floating(input))


def log2(input):
    return log(input) / math.log(2)


def log10(input):
    return log(input) / math.log(10)


def sqrt(input):
    return Sqrt.apply(to_floating(input))


def rsqrt(input):
    return 1 / sqrt(input)


def square(input):
    return input * input


def reciprocal(input):
    return 1 / to_floating(input)


def abs(input):
    return Abs.apply(input)


absolute = abs


def sign(input):
    if input._data.dtype.kind != "f":
        return Tensor._make(xp.sign(input._data))
    return ZeroGradient.apply(input, fn=xp.sign)


def floor(input):
    return ZeroGradient.apply(input, fn=xp.floor) if input._data.dtype.kind == "f" else input


def ceil(input):
    return ZeroGradient.apply(input, fn=xp.ceil) if input._data.dtype.kind == "f" else input


def trunc(input):
    return ZeroGradient.apply(input, fn=xp.trunc) if input._data.dtype.kind == "f" else input


def round(input, *, decimals=0):
    if input._data.dtype.kind != "f":
        return input
    return ZeroGradient.apply(input, fn=lambda a: xp.round(a, decimals))


def frac(input):
    return input - trunc(input)


def sin(input):
    return Sin.apply(to_floating(input))


def cos(input):
    return Cos.apply(to_floating(input))


def tan(input):
    return Tan.apply(to_floating(input))


def tanh(input):
    return Tanh.apply(to_floating(input))


def sinh(input):
    input = to_floating(input)
    return (exp(input) - exp(-input)) / 2


def cosh(input):
    input = to_floating(input)
    return (exp(input) + exp(-input)) / 2


def sigmoid(input):
    return Sigmoid.apply(to_floating(input))


def erf(input):
    return Erf.apply(to_floating(input))


def relu(input):
    return ReLU.apply(input)


def relu6(input):
    return hardtanh(input, 0.0, 6.0)


def leaky_relu(input, negative_slope=0.01):
    return LeakyReLU.apply(input, slope=negative_slope)


def elu(input, alpha=1.0):
    return ELU.apply(input, alpha=alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input):
    """scale * elu(x, alpha) with the self-normalizing constants of Klambauer et al. (2017)."""
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def celu(input, alpha=1.0):
    return elu(input / alpha, 1.0) * alpha


def gelu(input, approximate="none"):
    """x * Phi(x); ``approximate='tanh'`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate == "tanh":
        inner = (input + 0.044715 * input * input * input) * math.sqrt(2 / math.pi)
        return 0.5 * input * (1 + tanh(inner))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got '{approximate}'")
    return 0.5 * input * (1 + erf(input * (1 / math.sqrt(2))))


def silu(input):
    return input * sigmoid(input)


swish = silu


def mish(input):
    return input * tanh(softplus(input))


def softplus(input, beta=1.0, threshold=20.0):
    return Softplus.apply(to_floating(input), beta=beta, threshold=threshold)


def logsigmoid(input):
    return -softplus(-input)


def softsign(input):
    return input / (1 + abs(input))


def hardtanh(input, min_val=-1.0, max_val=1.0):
    return clamp(input, min_val, max_val)


def hardsigmoid(input):
    return hardtanh(input / 6 + 0.5, 0.0, 1.0)


def hardswish(input):
    return input * hardsigmoid(input)


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; bounds may be numbers or tensors."""
    from .elementwise import where
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = where(out < min, min, out)
        if max is not None:
            out = where(out > max, max, out)
        return out
    return Clamp.apply(input, low=min, high=max)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


__all__ = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square",
           "reciprocal", "abs", "absolute", "sign", "floor", "ceil", "trunc", "round", "frac",
           "sin", "cos", "tan", "tanh", "sinh", "cosh", "sigmoid", "erf", "relu", "relu6",
           "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "logsigmoid",
           "softsign", "hardtanh", "hardsigmoid", "hardswish", "clamp", "clip", "clamp_min",
           "clamp_max"]
TENSOR_METHODS = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square",
                  "reciprocal", "abs", "absolute", "sign", "floor", "ceil", "trunc", "round",
                  "frac", "sin", "cos", "tan", "tanh", "sinh", "cosh", "sigmoid", "erf", "relu",
                  "clamp", "clip", "clamp_min", "clamp_max"]
