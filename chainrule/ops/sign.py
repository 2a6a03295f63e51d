"""Signs: ``sgn``, ``signbit``, ``copysign``.

``sgn`` is ``sign`` for real tensors (PyTorch extends it to complex numbers,
which chainrule does not have). ``signbit`` reads the sign bit, so it tells
-0.0 from 0.0 (and sees the sign of a NaN). ``copysign(x, s)`` is |x| with the
sign of s; its gradient to x is the sign change (0 where x == 0, as in
PyTorch) and to s is zero.
"""
from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line
from .promotion import result_type, cast_to
from .array_op import array_op
from .unary import sign
from .elementwise import where

xp = B.xp


class Copysign(Function):
    def forward(ctx, a, b):
        out = xp.copysign(a, b)
        ctx.save_for_backward(a, out)   # as PyTorch: the factor out / a is built from both
        return out

    def backward(ctx, g):
        grad_a = grad_b = None
        out = ctx.saved_value(1)   # read whichever gradient is asked for: PyTorch always unpacks its result
        if ctx.needs_input_grad[0]:   # g * out / a: +-g, or 0 at a == 0
            a = ctx.saved_value(0)
            zero = a == 0
            grad_a = g * where(zero, 0.0, out / where(zero, 1.0, a))
        if ctx.needs_input_grad[1]:
            grad_b = Tensor._make(xp.zeros_like(g._data))
        return grad_a, grad_b


def sgn(input):
    """The sign of each element: -1, 0 or 1 (``sign`` for real tensors)."""
    return sign(input)


def _signbit_array(a):
    if a.dtype.kind == "f":
        return xp.signbit(a)
    if a.dtype.kind == "i":
        return a < 0
    return xp.zeros(a.shape, dtype=bool)   # bool and uint8 have no sign


def signbit(input):
    """True where the sign bit is set: negative numbers, -0.0 and negative NaNs."""
    return array_op(_signbit_array, input)


def copysign(input, other):
    """|input| with the sign of ``other`` (a tensor or a number), elementwise with broadcasting;
    integer inputs give the default float."""
    if not isinstance(input, Tensor):
        raise TypeError(at_user_line(
            f"copysign(): argument 'input' must be Tensor, not {type(input).__name__}"))
    target = result_type(input, other)
    if target.category != 2:
        target = B.get_default_dtype()
    a, b = cast_to(input, target), cast_to(other, target)
    if not isinstance(b, Tensor):
        b = Tensor._make(xp.asarray(b, dtype=target.np))
    return Copysign.apply(a, b)


__all__ = ["sgn", "signbit", "copysign"]
TENSOR_METHODS = __all__
