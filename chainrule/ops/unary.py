"""Elementwise math and activation functions of one tensor.

Integer and bool inputs to a floating function (exp, sin, sigmoid, ...) give
the default float dtype, as in PyTorch; the activations PyTorch refuses on
integers (elu, gelu, silu, ...) raise NotImplementedError here too. Every
backward is written with chainrule ops; masks that only select (relu, clamp)
are constants, built directly as arrays.
"""
import math

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line
from .promotion import to_floating, result_type, cast_to, _as_python_scalar
from .special import erf_array
from .array_op import array_op
from .movement import Clone

xp = B.xp

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ONE_OVER_SQRT_2 = 1.0 / math.sqrt(2.0)
_ONE_OVER_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _mask(condition_array, like):
    """A constant 0/1 tensor of ``like``'s dtype (not differentiable: it only selects)."""
    return Tensor._make(condition_array.astype(like._data.dtype))


def _zeros_like(g):
    return Tensor._make(xp.zeros_like(g._data))


def _float_only(input, name):
    """PyTorch's activations have no integer kernels: say so, and how to fix it."""
    if input._data.dtype.kind != "f":
        raise NotImplementedError(at_user_line(
            f"{name}: not implemented for {input.dtype} tensors; convert the input to a floating "
            f"dtype first, e.g. {name}(x.float())"))


def _no_bool(input, name):
    if input._data.dtype == xp.bool_:
        raise NotImplementedError(at_user_line(
            f"{name}: not implemented for bool tensors; convert the input first, e.g. x.long() "
            f"or x.float()"))


# ---------------------------------------------------------------- exp and log family

class Exp(Function):
    def forward(ctx, a):
        out = xp.exp(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):  # d e^x = e^x
        (out,) = ctx.saved_tensors
        return g * out


class Expm1(Function):
    def forward(ctx, a):
        out = xp.expm1(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):  # d (e^x - 1) = e^x
        (out,) = ctx.saved_tensors
        return g * (out + 1)


class Log(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.log(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Log2(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.log2(a)

    def backward(ctx, g):  # 1 / (x ln 2)
        (a,) = ctx.saved_tensors
        return g / (a * _LN2)


class Log10(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.log10(a)

    def backward(ctx, g):  # 1 / (x ln 10)
        (a,) = ctx.saved_tensors
        return g / (a * _LN10)


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

    def backward(ctx, g):  # 1 / (2 sqrt(x))
        (out,) = ctx.saved_tensors
        return g / (2 * out)


class Abs(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.abs(a)

    def backward(ctx, g):  # sign(x); 0 at x = 0, as in PyTorch
        (a,) = ctx.saved_tensors
        return g * _mask(xp.sign(a._data), g)


class ZeroGradient(Function):
    """Piecewise-constant functions (sign, floor, ...): the gradient is zero everywhere."""

    def forward(ctx, a, fn):
        return fn(a)

    def backward(ctx, g):
        return _zeros_like(g)


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

    def backward(ctx, g):  # 1 + tan(x)^2
        (out,) = ctx.saved_tensors
        return g * (1 + out * out)


class Asin(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.arcsin(a)

    def backward(ctx, g):  # 1 / sqrt(1 - x^2)
        (a,) = ctx.saved_tensors
        return g * rsqrt(1 - a * a)


class Acos(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.arccos(a)

    def backward(ctx, g):  # -1 / sqrt(1 - x^2)
        (a,) = ctx.saved_tensors
        return -g * rsqrt(1 - a * a)


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
        return g * (exp(-(a * a)) * _TWO_OVER_SQRT_PI)


# ---------------------------------------------------------------- activations

class PositiveMask(Function):
    """1 where the input is positive, else 0, in its dtype: a selector, whose gradient is zero.
    As an op (not a raw array) it keeps ReLU's backward replayable by chainrule.compile."""

    def forward(ctx, a):
        return (a > 0).astype(a.dtype)

    def backward(ctx, g):
        return None


class ReLU(Function):
    def forward(ctx, a):
        out = xp.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):  # 1 where the output is positive (0 at x = 0)
        (out,) = ctx.saved_tensors
        return g * PositiveMask.apply(out)


class LeakyReLU(Function):
    def forward(ctx, a, slope):
        ctx.save_for_backward(a)
        ctx.slope = slope
        return xp.where(a > 0, a, a * slope)

    def backward(ctx, g):  # 1 for x > 0, the slope otherwise
        (a,) = ctx.saved_tensors
        factor = xp.where(a._data > 0, 1.0, ctx.slope).astype(g._data.dtype)
        return g * Tensor._make(factor)


class ELU(Function):
    def forward(ctx, a, alpha):
        ctx.save_for_backward(a)
        ctx.alpha = alpha
        return xp.where(a > 0, a, alpha * xp.expm1(xp.minimum(a, 0)))

    def backward(ctx, g):  # 1 for x > 0, alpha e^x otherwise
        (a,) = ctx.saved_tensors
        positive = _mask(a._data > 0, g)
        return g * (positive + (1 - positive) * (exp(_nonpositive_part(a)) * ctx.alpha))


def _nonpositive_part(a):
    """min(a, 0) with gradient 1 where a < 0 (keeps exp() finite for large positive a)."""
    return a * _mask(a._data < 0, a)


class Softplus(Function):
    def forward(ctx, a, beta, threshold):
        ctx.save_for_backward(a)
        ctx.beta, ctx.threshold = beta, threshold
        scaled = a * beta
        soft = (xp.maximum(scaled, 0) + xp.log1p(xp.exp(-xp.abs(scaled)))) / beta
        return xp.where(scaled > threshold, a, soft)

    def backward(ctx, g):  # sigmoid(beta x), or 1 above the threshold
        (a,) = ctx.saved_tensors
        linear = _mask(a._data * ctx.beta > ctx.threshold, g)
        return g * (linear + (1 - linear) * sigmoid(a * ctx.beta))


class SiLU(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * _sigmoid_array(a)

    def backward(ctx, g):  # s (1 + x (1 - s)), s = sigmoid(x)
        (a,) = ctx.saved_tensors
        s = sigmoid(a)
        return g * (s * (1 + a * (1 - s)))


class GELU(Function):
    """x Phi(x), Phi the standard normal CDF; or its tanh approximation."""

    def forward(ctx, a, tanh_approximation):
        ctx.save_for_backward(a)
        ctx.tanh_approximation = tanh_approximation
        if tanh_approximation:  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            inner = (a + 0.044715 * a * a * a) * _SQRT_2_OVER_PI
            return 0.5 * a * (1 + xp.tanh(inner))
        return 0.5 * a * (1 + erf_array(a * _ONE_OVER_SQRT_2))

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        if ctx.tanh_approximation:
            t = tanh((a + 0.044715 * a * a * a) * _SQRT_2_OVER_PI)
            d_inner = (1 + 0.134145 * a * a) * _SQRT_2_OVER_PI
            return g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * d_inner)
        cdf = 0.5 * (1 + erf(a * _ONE_OVER_SQRT_2))  # Phi(x) + x phi(x)
        pdf = exp(-0.5 * a * a) * _ONE_OVER_SQRT_2PI
        return g * (cdf + a * pdf)


class Clamp(Function):
    """Clamp to number bounds; the gradient passes where low <= x <= high."""

    def forward(ctx, a, low, high):
        ctx.save_for_backward(a)
        ctx.low, ctx.high = low, high
        if low is None:
            return xp.minimum(a, high)
        if high is None:
            return xp.maximum(a, low)
        return xp.minimum(xp.maximum(a, low), high)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * _mask(_inside(a._data, ctx.low, ctx.high), g)


def _inside(a, low, high):
    if low is None:
        return a <= high
    if high is None:
        return a >= low
    return (a >= low) & (a <= high)


class ClampTensor(Function):
    """Clamp to tensor bounds, with PyTorch's gradients: input where low <= x <= high,
    ``min`` where x < min < max, ``max`` where x > max or max < min."""

    def forward(ctx, a, low, high):
        ctx.save_for_backward(a, low, high)
        out = a
        if low is not None:
            out = xp.maximum(out, low)
        if high is not None:
            out = xp.minimum(out, high)
        return out

    def backward(ctx, g):
        a, low, high = ctx.saved_tensors
        need_a, need_low, need_high = ctx.needs_input_grad
        x = a._data
        lo = low._data if isinstance(low, Tensor) else low
        hi = high._data if isinstance(high, Tensor) else high
        grad_a = grad_low = grad_high = None
        if need_a:
            grad_a = g * _mask(_inside(x, lo, hi), g)
        if need_low:
            takes_min = x < lo if hi is None else (x < lo) & (lo < hi)
            grad_low = g * _mask(takes_min, g)
        if need_high:
            takes_max = x > hi if lo is None else (x > hi) | (hi < lo)
            grad_high = g * _mask(takes_max, g)
        return grad_a, grad_low, grad_high


class Hardtanh(Function):
    """Clamp with PyTorch's activation gradient: 1 strictly inside (low, high), else 0."""

    def forward(ctx, a, low, high):
        ctx.save_for_backward(a)
        ctx.low, ctx.high = low, high
        return xp.minimum(xp.maximum(a, low), high).astype(a.dtype, copy=False)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        x = a._data
        return g * _mask((x > ctx.low) & (x < ctx.high), g)


# ---------------------------------------------------------------- public functions: math

def exp(input):
    return Exp.apply(to_floating(input))


def expm1(input):
    return Expm1.apply(to_floating(input))


def log(input):
    return Log.apply(to_floating(input))


def log2(input):
    return Log2.apply(to_floating(input))


def log10(input):
    return Log10.apply(to_floating(input))


def log1p(input):
    return Log1p.apply(to_floating(input))


def sqrt(input):
    return Sqrt.apply(to_floating(input))


def rsqrt(input):
    """1 / sqrt(x)."""
    return 1 / sqrt(input)


def square(input):
    """x * x; bool tensors give int64, as in PyTorch."""
    if input._data.dtype == xp.bool_:
        input = cast_to(input, B.int64)
    return input * input


def reciprocal(input):
    return 1 / to_floating(input)


def abs(input):
    _no_bool(input, "abs")
    return Abs.apply(input)


absolute = abs


def _integer_copy(input, name):
    """Rounding an integer tensor changes nothing: a copy, as PyTorch returns."""
    _no_bool(input, name)
    return Clone.apply(input)


def sign(input):
    """-1, 0 or 1 (0 for NaN; bool stays bool); zero gradient."""
    if input._data.dtype.kind != "f":
        if input._data.dtype == xp.bool_:
            return Clone.apply(input)
        return array_op(xp.sign, input)
    return ZeroGradient.apply(input, fn=_sign_array)


def _sign_array(a):
    return xp.subtract(a > 0, a < 0, dtype=a.dtype)  # 0 for NaN, as in PyTorch


def floor(input):
    if input._data.dtype.kind != "f":
        return _integer_copy(input, "floor")
    return ZeroGradient.apply(input, fn=xp.floor)


def ceil(input):
    if input._data.dtype.kind != "f":
        return _integer_copy(input, "ceil")
    return ZeroGradient.apply(input, fn=xp.ceil)


def trunc(input):
    if input._data.dtype.kind != "f":
        return _integer_copy(input, "trunc")
    return ZeroGradient.apply(input, fn=xp.trunc)


def round(input, *, decimals=0):
    """Round half to even, to ``decimals`` places; zero gradient."""
    if input._data.dtype.kind != "f":
        if decimals != 0:
            raise NotImplementedError(at_user_line(
                f"round: decimals={decimals} is not implemented for {input.dtype} tensors; "
                f"convert to a floating dtype first, e.g. x.float().round(decimals={decimals})"))
        return _integer_copy(input, "round")
    if decimals == 0:
        return ZeroGradient.apply(input, fn=xp.rint)
    return ZeroGradient.apply(input, fn=lambda a: xp.round(a, decimals))


def frac(input):
    """x - trunc(x), with the sign of x; gradient 1."""
    _float_only(input, "frac")
    return input - trunc(input)


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


# ---------------------------------------------------------------- public functions: activations

def _in_place(fn, input, name, **options):
    """``F.<activation>(x, inplace=True)``: computed out of place, then written into x."""
    from .inplace import commit
    return commit(input, fn, name, **options)


def relu(input, inplace=False):
    """max(x, 0); the gradient at 0 is 0."""
    if inplace:
        return _in_place(relu, input, "relu_")
    if input._data.dtype == xp.bool_:
        raise RuntimeError(at_user_line("relu: Boolean inputs not supported for relu; "
                                        "convert first, e.g. relu(x.float())"))
    return ReLU.apply(input)


def relu6(input, inplace=False):
    """min(max(x, 0), 6) (hardtanh(x, 0, 6))."""
    if inplace:
        return _in_place(relu6, input, "relu6_")
    return hardtanh(input, 0.0, 6.0)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    if inplace:
        return _in_place(leaky_relu, input, "leaky_relu_", negative_slope=negative_slope)
    _float_only(input, "leaky_relu")
    return LeakyReLU.apply(input, slope=negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha (exp(x) - 1) otherwise."""
    if inplace:
        return _in_place(elu, input, "elu_", alpha=alpha)
    _float_only(input, "elu")
    return ELU.apply(input, alpha=alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalizing constants of Klambauer et al. (2017)."""
    if inplace:
        return _in_place(selu, input, "selu_")
    _float_only(input, "selu")
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1))."""
    if inplace:
        return _in_place(celu, input, "celu_", alpha=alpha)
    _float_only(input, "celu")
    return elu(input / alpha, 1.0) * alpha


def gelu(input, approximate="none"):
    """x * Phi(x); ``approximate='tanh'`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate not in ("none", "tanh"):
        raise ValueError(at_user_line(
            f"gelu: approximate must be 'none' or 'tanh', got '{approximate}'"))
    _float_only(input, "gelu")
    return GELU.apply(input, tanh_approximation=approximate == "tanh")


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    if inplace:
        return _in_place(silu, input, "silu_")
    _float_only(input, "silu")
    return SiLU.apply(input)


swish = silu


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    if inplace:
        return _in_place(mish, input, "mish_")
    _float_only(input, "mish")
    return input * tanh(softplus(input))


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    _float_only(input, "softplus")
    return Softplus.apply(input, beta=beta, threshold=threshold)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    _float_only(input, "logsigmoid")
    return -softplus(-input)


def softsign(input):
    """x / (1 + |x|)."""
    input = to_floating(input)
    return input / (1 + abs(input))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Clamp to [min_val, max_val]; gradient 1 strictly inside, as in PyTorch."""
    if inplace:
        return _in_place(hardtanh, input, "hardtanh_", min_val=min_val, max_val=max_val)
    if min_val > max_val:
        raise ValueError(at_user_line(
            f"hardtanh: min_val cannot be greater than max_val (got {min_val} > {max_val})"))
    _no_bool(input, "hardtanh")
    return Hardtanh.apply(input, low=min_val, high=max_val)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    if inplace:
        return _in_place(hardsigmoid, input, "hardsigmoid_")
    _float_only(input, "hardsigmoid")
    return relu6(input + 3) / 6


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    if inplace:
        return _in_place(hardswish, input, "hardswish_")
    _float_only(input, "hardswish")
    return input * hardsigmoid(input)


# ---------------------------------------------------------------- clamp

def clamp(input, min=None, max=None):
    """Limit values to [min, max] (bounds may be numbers or tensors; min > max gives max).

    The gradient passes where min <= x <= max. The result dtype follows type promotion
    over the input and the bounds (an int tensor clamped to 0.5 is float).
    """
    if min is None and max is None:
        raise RuntimeError(at_user_line(
            "clamp: at least one of 'min' or 'max' must not be None"))
    min, max = _as_python_scalar(min), _as_python_scalar(max)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        target = result_type(input, min, max)
        return ClampTensor.apply(cast_to(input, target), _bound(min, target), _bound(max, target))
    if input._data.dtype.kind != "f" or type(min) not in _NUMBERS or type(max) not in _NUMBERS:
        input = cast_to(input, result_type(input, min, max))
    return Clamp.apply(input, low=min, high=max)


_NUMBERS = (float, int, type(None))


def _bound(value, target):
    return None if value is None else cast_to(value, target)


clip = clamp


def clamp_min(input, min):
    """max(x, min)."""
    return clamp(input, min=min)


def clamp_max(input, max):
    """min(x, max)."""
    return clamp(input, max=max)


__all__ = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square",
           "reciprocal", "abs", "absolute", "sign", "floor", "ceil", "trunc", "round", "frac",
           "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "erf",
           "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
           "softplus", "logsigmoid", "softsign", "hardtanh", "hardsigmoid", "hardswish",
           "clamp", "clip", "clamp_min", "clamp_max"]
TENSOR_METHODS = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square",
                  "reciprocal", "abs", "absolute", "sign", "floor", "ceil", "trunc", "round",
                  "frac", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
                  "sigmoid", "erf", "relu", "clamp", "clip", "clamp_min", "clamp_max"]
