"""Division: true division, floor and truncating division, ``remainder`` and ``fmod``.

Operands promote with PyTorch's rules; true division of integers gives the
default float. Integer division by zero raises (PyTorch's ZeroDivisionError),
unless the result is empty. Each primitive saves only what a gradient reads,
and its backward reads a saved value only for a gradient that is needed: an
operand changed in place after the op breaks backward only where PyTorch's does.
"""
from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line
from .promotion import promote, cast_to, half_with_a_wide_number
from .array_op import checked

xp = B.xp


class Div(Function):
    def forward(ctx, a, b):
        # a's gradient reads b; b's reads a and b (a number operand has no gradient)
        ctx.save_for_backward(a if type(b) is xp.ndarray else None, b)
        return a / b

    def backward(ctx, g):  # d(a/b) = da / b - a db / b^2
        need_a, need_b = ctx.needs_input_grad
        b = ctx.saved_value(1)
        grad_a = grad_b = None
        if need_a:
            grad_a = g / b
        if need_b:
            grad_b = -(g / b) * ctx.saved_value(0) / b
        return grad_a, grad_b


class Remainder(Function):
    """Python's ``%`` (the sign of the divisor); d/da = 1, d/db = -floor(a / b)."""

    def forward(ctx, a, b):
        if type(b) is xp.ndarray:  # only the divisor's gradient reads the operands
            ctx.save_for_backward(a, b)
        out = xp.remainder(a, b)
        if out.dtype.kind == "f":  # an exact zero keeps the dividend's sign, as in PyTorch
            out = xp.asarray(out)
            xp.copysign(out, a, out=out, where=out == 0)
        return out

    def backward(ctx, g):
        grad_b = None
        if ctx.needs_input_grad[1]:
            grad_b = -g * div(ctx.saved_value(0), ctx.saved_value(1), rounding_mode="floor")
        return g, grad_b


class Fmod(Function):
    """C's ``fmod`` (the sign of the dividend); d/da = 1, d/db = -trunc(a / b)."""

    def forward(ctx, a, b):
        if type(b) is xp.ndarray:
            ctx.save_for_backward(a, b)
        return xp.fmod(a, b)

    def backward(ctx, g):
        grad_b = None
        if ctx.needs_input_grad[1]:
            grad_b = -g * div(ctx.saved_value(0), ctx.saved_value(1), rounding_mode="trunc")
        return g, grad_b


class Rounded(Function):
    """Floor or truncating division: piecewise constant, so the gradient is zero."""

    def forward(ctx, a, b, fn):
        return fn(a, b)

    def backward(ctx, g):
        zeros = Tensor._make(xp.zeros_like(g._data))
        return zeros, zeros


# ---------------------------------------------------------------- public functions

def div(input, other, *, rounding_mode=None):
    """True division (integers give the default float); ``rounding_mode`` 'trunc' or 'floor'."""
    if rounding_mode is not None:
        return _rounded_division(input, other, rounding_mode)
    a, b = promote(input, other)
    if not _is_floating(a) and not _is_floating(b):
        # integer division gives the default float; a number operand converts to it directly
        # (int8_tensor / 1000 divides by 1000, not by 1000 wrapped into int8)
        target = B.get_default_dtype()
        a, b = cast_to(input, target), cast_to(other, target)
    elif half_with_a_wide_number(a, b):  # computed in float32 and rounded, as in PyTorch
        from .elementwise import cast
        return cast(Div.apply(cast_to(a, B.float32), cast_to(b, B.float32)), B.float16)
    return Div.apply(a, b)


divide = true_divide = div


def _is_floating(x):
    return x._data.dtype.kind == "f" if isinstance(x, Tensor) else isinstance(x, float)


def _integer_operands(a, b, op):
    """True for an integer result; refuses bool operands."""
    kind = (a if isinstance(a, Tensor) else b)._data.dtype.kind
    if kind == "b":
        raise NotImplementedError(at_user_line(
            f"{op}: not implemented for bool tensors; convert with .long() or .float() first"))
    return kind != "f"


def _nonzero_divisor(a, b, op):
    """The integer divisor ``b`` after checking it holds no 0 (no check for an empty result)."""
    if _empty_result(a, b):
        return b
    if isinstance(b, Tensor):
        return checked(_no_zero, b, op=op)   # inside chainrule.compile: checked on every replay
    return _no_zero(b, op)


def _empty_result(a, b):
    shapes = [x._data.shape for x in (a, b) if isinstance(x, Tensor)]
    return 0 in xp.broadcast_shapes(*shapes)


def _no_zero(divisor, op):
    if (divisor == 0) if isinstance(divisor, int) else not divisor.all():
        raise RuntimeError(at_user_line(
            f"{op}: ZeroDivisionError: integer division by zero (the divisor holds a 0). "
            f"Convert to a floating dtype to get inf/nan instead."))
    return divisor


def _rounded_division(input, other, rounding_mode):
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(at_user_line(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"))
    a, b = promote(input, other)
    integer = _integer_operands(a, b, "div")
    if integer:
        b = _nonzero_divisor(a, b, "div")
    if rounding_mode == "floor":
        fn = xp.floor_divide
    else:
        fn = _truncating_divide_int if integer else _truncating_divide_float
    return Rounded.apply(a, b, fn=fn)


def _truncating_divide_float(a, b):
    return xp.trunc(a / b)


def _truncating_divide_int(a, b):
    # floor division rounds an inexact negative quotient down; truncation rounds it up
    q = xp.floor_divide(a, b)
    up = (a - q * b != 0) & ((xp.asarray(a) < 0) != (xp.asarray(b) < 0))
    return q + up.astype(q.dtype)


def floor_divide(input, other):
    """Division rounded towards minus infinity (``//``); zero gradient, as in PyTorch."""
    return _rounded_division(input, other, "floor")


def remainder(input, other):
    """Python's ``%``: the result takes the sign of the divisor."""
    a, b = promote(input, other)
    if _integer_operands(a, b, "remainder"):
        b = _nonzero_divisor(a, b, "remainder")
    return Remainder.apply(a, b)


def fmod(input, other):
    """C's remainder: the result takes the sign of the dividend."""
    a, b = promote(input, other)
    if _integer_operands(a, b, "fmod"):
        b = _nonzero_divisor(a, b, "fmod")
    return Fmod.apply(a, b)


__all__ = ["div", "divide", "true_divide", "floor_divide", "remainder", "fmod"]
