"""Special functions as ops: ``lgamma``, ``erfinv``, ``exp2``, ``xlogy``.

The array math (log-gamma, polygamma, erfinv) lives in ``special.py``; here are
the differentiable ops built on it. Integer and bool inputs give the default
float, as in PyTorch.

    d/dx lgamma(x) = psi(x)                  (digamma; its derivatives are polygamma)
    d/dx erfinv(x) = sqrt(pi) / 2 * exp(erfinv(x)^2)
    xlogy(x, y)    = x log(y), and 0 where x == 0 (NaN if y is NaN)
"""
import math

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line
from .promotion import to_floating, result_type, cast_to
from .special import lgamma_array, polygamma_array, erfinv_array
from .elementwise import where
from .unary import exp

xp = B.xp

_HALF_SQRT_PI = 0.5 * math.sqrt(math.pi)


class Lgamma(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return lgamma_array(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * Polygamma.apply(a, n=0)


class Polygamma(Function):
    """psi^(n)(x), the n-th derivative of digamma (n = 0: digamma); d/dx = psi^(n+1)(x)."""

    def forward(ctx, a, n):
        ctx.save_for_backward(a)
        ctx.n = n
        return polygamma_array(n, a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * Polygamma.apply(a, n=ctx.n + 1)


class Exp2(Function):
    def forward(ctx, a):
        out = xp.exp2(a)
        ctx.save_for_backward(out)   # the result alone, as PyTorch: x may then change in place
        return out

    def backward(ctx, g):  # d 2^x = 2^x ln 2
        (out,) = ctx.saved_tensors
        return g * (out * math.log(2.0))


class Erfinv(Function):
    def forward(ctx, a):
        with xp.errstate(invalid="ignore"):
            out = erfinv_array(a)
        ctx.save_for_backward(a)   # the input, as PyTorch: the result may then change in place
        return out

    def backward(ctx, g):  # 1 / erf'(y) = sqrt(pi) / 2 * exp(y^2), y = erfinv(x) recomputed
        (a,) = ctx.saved_tensors
        y = erfinv(a)
        return g * (exp(y * y) * _HALF_SQRT_PI)


class XLogY(Function):
    """x log(y) with xlogy(0, y) = 0 for any y but NaN.
    d/dx = log(y), but 0 where x == 0 and y <= 0; d/dy = x / y (PyTorch's rules)."""

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        with xp.errstate(divide="ignore", invalid="ignore"):
            product = x * xp.log(y)
        return xp.where((xp.asarray(x) == 0) & ~xp.isnan(y), 0.0, product).astype(product.dtype)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        grad_x = grad_y = None
        if need_x:
            undefined = Tensor._make(xp.asarray((x._data == 0) & (y._data <= 0)))
            grad_x = where(undefined, 0.0, XLogY.apply(g, y))
        if need_y:
            grad_y = g * x / y
        return grad_x, grad_y


# ---------------------------------------------------------------- public functions

def lgamma(input):
    """ln |Gamma(x)|; +inf at the poles 0, -1, -2, ... and at +-inf."""
    return Lgamma.apply(to_floating(input))


def erfinv(input):
    """The inverse of erf on [-1, 1]: +-inf at +-1, NaN outside."""
    return Erfinv.apply(to_floating(input))


def exp2(input):
    """2 ** x."""
    return Exp2.apply(to_floating(input))


def xlogy(input, other):
    """``input * log(other)``, and 0 where input is 0 (unless other is NaN); either may be a number."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(at_user_line(
            f"xlogy(): expected a Tensor for input or other, got {type(input).__name__} and "
            f"{type(other).__name__}"))
    target = result_type(input, other)
    if target.category != 2:
        target = B.get_default_dtype()
    x, y = cast_to(input, target), cast_to(other, target)
    if not isinstance(y, Tensor):                   # keep a number's value in the right dtype
        y = Tensor._make(xp.asarray(y, dtype=target.np))
    return XLogY.apply(x, y)


__all__ = ["lgamma", "erfinv", "exp2", "xlogy"]
TENSOR_METHODS = __all__
