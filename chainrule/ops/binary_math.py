"""Math of two operands: ``atan2``, ``hypot``, ``logaddexp``/``logaddexp2``, ``float_power``, ``rsub``.

Each promotes its operands with PyTorch's rules (integers become the default
float where the result is floating). ``atan2``, ``hypot`` and the two
``logaddexp`` take two tensors, as in PyTorch; ``float_power`` and ``rsub``
also take a Python number. The primitives' backward rules are written with
chainrule ops, so second derivatives work.
"""
import math

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line
from .promotion import promote, result_type, cast_to
from .elementwise import where, sub, pow as _pow
from .unary import sigmoid

xp = B.xp

_LN2 = math.log(2.0)


def _constant(condition_array):
    """A bool tensor outside the graph (it only selects)."""
    return Tensor._make(xp.asarray(condition_array))   # a 0-d comparison gives a NumPy scalar


class Atan2(Function):
    """atan2(y, x), the angle of the point (x, y); d/dy = x / r^2, d/dx = -y / r^2, r^2 = x^2 + y^2.
    At the origin both gradients are 0 (PyTorch's convention)."""

    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return xp.arctan2(y, x)

    def backward(ctx, g):
        y, x = ctx.saved_tensors
        origin = _constant((y._data == 0) & (x._data == 0))
        squared = where(origin, 1.0, y * y + x * x)            # 1 at the origin keeps 1/r^2 finite
        inverse = where(origin, 0.0, 1 / squared)
        need_y, need_x = ctx.needs_input_grad
        return (g * x * inverse if need_y else None), (g * -y * inverse if need_x else None)


class Hypot(Function):
    """sqrt(a^2 + b^2) without overflow; d/da = a / out (NaN at the origin, as in PyTorch)."""

    def forward(ctx, a, b):
        out = xp.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad   # each gradient reads only its own operand
        out = ctx.saved_value(2)
        return (g * ctx.saved_value(0) / out if need_a else None), (g * ctx.saved_value(1) / out if need_b else None)


class LogAddExp(Function):
    """log(e^a + e^b), or log2(2^a + 2^b) with ``base2``; d/da = sigmoid(scale (a - b)),
    scale = 1 (or ln 2)."""

    def forward(ctx, a, b, base2):
        ctx.save_for_backward(a, b)
        ctx.scale = _LN2 if base2 else 1.0
        return xp.logaddexp2(a, b) if base2 else xp.logaddexp(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        difference = (a - b) * ctx.scale if ctx.scale != 1.0 else a - b
        grad_a = g * sigmoid(difference) if need_a else None
        grad_b = g * sigmoid(-difference) if need_b else None
        return grad_a, grad_b


# ---------------------------------------------------------------- public functions

def _two_tensors(input, other, op):
    for name, x in (("input", input), ("other", other)):
        if not isinstance(x, Tensor):
            raise TypeError(at_user_line(
                f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}. Wrap a "
                f"number as a tensor: chainrule.tensor(value, dtype=x.dtype)."))


def _floating_pair(input, other):
    """Both operands promoted, and made the default float if the common type is integral."""
    target = result_type(input, other)
    if target.category != 2:
        target = B.get_default_dtype()
    return cast_to(input, target), cast_to(other, target)


def _float_only_pair(input, other, op):
    """PyTorch has no integer kernels for hypot and logaddexp: refuse, with the fix."""
    a, b = promote(input, other)
    if a._data.dtype.kind != "f":
        raise NotImplementedError(at_user_line(
            f"{op}: not implemented for {a.dtype} tensors; convert to a floating dtype first, "
            f"e.g. chainrule.{op}(x.float(), y.float())"))
    return a, b


def atan2(input, other):
    """The angle of (other, input) in (-pi, pi]: ``atan2(y, x)``, elementwise with broadcasting."""
    _two_tensors(input, other, "atan2")
    y, x = _floating_pair(input, other)
    return Atan2.apply(y, x)


arctan2 = atan2


def hypot(input, other):
    """sqrt(input^2 + other^2), computed without overflow or underflow."""
    _two_tensors(input, other, "hypot")
    return Hypot.apply(*_float_only_pair(input, other, "hypot"))


def logaddexp(input, other):
    """log(exp(input) + exp(other)), without overflow."""
    _two_tensors(input, other, "logaddexp")
    return LogAddExp.apply(*_float_only_pair(input, other, "logaddexp"), base2=False)


def logaddexp2(input, other):
    """log2(2^input + 2^other), without overflow."""
    _two_tensors(input, other, "logaddexp2")
    return LogAddExp.apply(*_float_only_pair(input, other, "logaddexp2"), base2=True)


def float_power(input, exponent):
    """``input ** exponent`` computed in float64 (the result is always float64)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError(at_user_line(
            f"float_power(): expected a Tensor for input or exponent, got "
            f"{type(input).__name__} and {type(exponent).__name__}"))
    return _pow(_as_float64(input), _as_float64(exponent))


def _as_float64(x):
    if isinstance(x, Tensor):
        return cast_to(x, B.float64)
    return float(x)


def rsub(input, other, *, alpha=1):
    """``other - alpha * input`` (subtraction with the operands reversed)."""
    if not isinstance(input, Tensor):
        raise TypeError(at_user_line(
            f"rsub(): argument 'input' must be Tensor, not {type(input).__name__}; for "
            f"number - tensor write the subtraction directly"))
    return sub(other, input, alpha=alpha)


__all__ = ["atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "float_power", "rsub"]
TENSOR_METHODS = ["atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "float_power"]
