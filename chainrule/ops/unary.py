"""Elementwise math of one tensor, and ``clamp``. The activations (relu, gelu, ...)
live in ``activations.py``; this family registers both (see the end of the file).

Integer and bool inputs to a floating function (exp, sin, sigmoid, ...) give
the default float dtype, as in PyTorch. Every backward is written with
chainrule ops. As in PyTorch, exp, expm1, sqrt, rsqrt, reciprocal, tan, tanh and
sigmoid save their result (changing it in place breaks backward); the others
save their input. Clamp's gradient is selected (``where``), not multiplied by a
0/1 mask, so an infinite upstream gradient gives 0 outside the bounds.
"""
import math

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line
from .promotion import to_floating, result_type, cast_to, check_scalar_fits, _as_python_scalar
from .special import erf_array
from .array_op import array_op
from .elementwise import where, keeping_ties
from .movement import Clone

xp = B.xp

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


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


def _positive_nan(out, a):
    """``out`` with the NaN of a negative input positive, as PyTorch's sqrt and log give it
    (NumPy's is -NaN, which copysign and signbit see)."""
    if a.size and xp.fmin.reduce(a, axis=None) < 0:
        out = xp.asarray(out)
        xp.copysign(out, 1.0, out=out, where=a < 0)
    return out


class Log(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _positive_nan(xp.log(a), a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Log2(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _positive_nan(xp.log2(a), a)

    def backward(ctx, g):  # 1 / (x ln 2)
        (a,) = ctx.saved_tensors
        return g / (a * _LN2)


class Log10(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _positive_nan(xp.log10(a), a)

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
        out = _positive_nan(xp.sqrt(a), a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):  # 1 / (2 sqrt(x))
        (out,) = ctx.saved_tensors
        return g / (2 * out)


class Rsqrt(Function):
    def forward(ctx, a):
        out = 1 / xp.sqrt(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):  # -1 / (2 x^(3/2)) = -out^3 / 2
        (out,) = ctx.saved_tensors
        return g * (out * out * out) * -0.5


class Reciprocal(Function):
    def forward(ctx, a):
        out = 1 / a
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):  # -1 / x^2 = -out^2
        (out,) = ctx.saved_tensors
        return -g * (out * out)


class Abs(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.abs(a)

    def backward(ctx, g):  # g sign(x): 0 at x = 0 and at NaN, as in PyTorch
        (a,) = ctx.saved_tensors
        return g * sign(a)  # an op of x with a zero gradient: second derivatives are zeros


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


class Clamp(Function):
    """Clamp to number bounds; the gradient passes where low <= x <= high."""

    def forward(ctx, a, low, high):
        ctx.save_for_backward(a)
        ctx.low, ctx.high = low, high
        return clamp_array(a, low, high)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return where(array_op(_inside, a, low=ctx.low, high=ctx.high), g, 0.0)


def clamp_array(a, low, high):
    """max(a, low), then min(., high), as PyTorch computes them: ``a`` stays where it is not
    beyond a bound (a -0.0 clamped at 0 stays -0.0; NaN stays NaN); low > high gives high."""
    out = a
    if low is not None:
        out = keeping_ties(xp.maximum, out, low)
    if high is not None:
        out = keeping_ties(xp.minimum, out, high)
    return out


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
        return clamp_array(a, low, high)

    def backward(ctx, g):
        a, low, high = ctx.saved_tensors
        need_a, need_low, need_high = ctx.needs_input_grad
        grad_a = grad_low = grad_high = None
        if need_a:
            grad_a = where(array_op(_inside, a, low, high), g, 0.0)
        if need_low:
            grad_low = where(array_op(_takes_min, a, low, high), g, 0.0)
        if need_high:
            grad_high = where(array_op(_takes_max, a, low, high), g, 0.0)
        return grad_a, grad_low, grad_high


def _takes_min(x, low, high):
    return x < low if high is None else (x < low) & (low < high)


def _takes_max(x, low, high):
    return x > high if low is None else (x > high) | (high < low)


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
    return Rsqrt.apply(to_floating(input))


def square(input):
    """x * x; bool tensors give int64, as in PyTorch."""
    if input._data.dtype == xp.bool_:
        input = cast_to(input, B.int64)
    return input * input


def reciprocal(input):
    return Reciprocal.apply(to_floating(input))


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
    target = B.from_numpy_dtype(input._data.dtype)
    low, high = _number_bound(min, target, "min"), _number_bound(max, target, "max")
    return Clamp.apply(input, low=low, high=high)


_NUMBERS = (float, int, type(None))


def _number_bound(value, target, name):
    """A number bound in the result dtype: refused if it overflows it, as PyTorch does (a
    negative bound of an unsigned tensor wraps: uint8 clamp(min=-1) is clamp(min=255))."""
    if value is None:
        return None
    check_scalar_fits(value, target, "clamp", name)
    return cast_to(value, target)


def _bound(value, target):
    return None if value is None else cast_to(value, target)


clip = clamp


def clamp_min(input, min):
    """max(x, min)."""
    return clamp(input, min=min)


def clamp_max(input, max):
    """min(x, max)."""
    return clamp(input, max=max)


# The activations are their own module; this family registers them (imported last: they use
# the math above).
from .activations import (relu, relu6, leaky_relu, elu, selu, celu, gelu, silu, swish,  # noqa: E402,F401
                          mish, softplus, logsigmoid, softsign, hardtanh, hardsigmoid, hardswish,
                          ReLU, PositiveMask)

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
