"""Elementwise math of one tensor: exp and log, roots, abs, sign and rounding. The
trigonometric functions (``trigonometric.py``), ``clamp`` (``clamp.py``) and the activations
(``activations.py``) live in their own files; this family registers them all.

Integer and bool inputs to a floating function (exp, sin, sigmoid, ...) give
the default float dtype, as in PyTorch. Every backward is written with
chainrule ops. As in PyTorch, exp, expm1, sqrt, rsqrt and reciprocal save their
result (changing it in place breaks backward); the others save their input.
"""
import math

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line
from .promotion import to_floating, cast_to
from .array_op import array_op
from .movement import Clone
from .trigonometric import (sin, cos, tan, asin, acos, atan, arcsin, arccos, arctan, sinh, cosh, tanh, sigmoid, erf,  # noqa: F401
                            Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Tanh, Sigmoid, Erf, _sigmoid_array)
from .clamp import (clamp, clip, clamp_min, clamp_max, clamp_array, Clamp, ClampTensor)  # noqa: F401

xp = B.xp

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


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



# The activations are their own module; this family registers them (imported last: they use
# the math above).
from .activations import (relu, relu6, leaky_relu, elu, selu, celu, gelu, silu, swish,  # noqa: E402,F401
                          mish, softplus, logsigmoid, softsign, hardtanh, hardsigmoid, hardswish,
                          ReLU, PositiveMask)

__all__ = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square",
           "reciprocal", "abs", "absolute", "sign", "floor", "ceil", "trunc", "round", "frac",
           "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "sigmoid", "erf",
           "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
           "softplus", "logsigmoid", "softsign", "hardtanh", "hardsigmoid", "hardswish",
           "clamp", "clip", "clamp_min", "clamp_max"]
TENSOR_METHODS = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square",
                  "reciprocal", "abs", "absolute", "sign", "floor", "ceil", "trunc", "round",
                  "frac", "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
                  "sigmoid", "erf", "relu", "clamp", "clip", "clamp_min", "clamp_max"]
