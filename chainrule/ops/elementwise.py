"""Binary arithmetic, ``where``, ``maximum``/``minimum`` and the dtype cast.

Each public function promotes its operands with PyTorch's rules (see
``promotion.py``) and then calls a primitive. Backward rules are written with
chainrule ops, so they are differentiable; the engine sums gradients back over
broadcast dimensions.
"""
import math

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .promotion import promote, cast_to

xp = B.xp


class Cast(Function):
    def forward(ctx, a, np_dtype):
        ctx.source = a.dtype
        return a.astype(np_dtype)

    def backward(ctx, g):
        return cast(g, B.from_numpy_dtype(ctx.source))


def cast(x, dtype):
    """``x`` converted to ``dtype`` (differentiable between floating dtypes)."""
    dtype = B.to_dtype(dtype)
    if x._data.dtype == dtype.np:
        return x
    if not x._rg:  # nothing to differentiate: skip the graph machinery
        return Tensor._make(x._data.astype(dtype.np))
    return Cast.apply(x, np_dtype=dtype.np)


class Add(Function):
    def forward(ctx, a, b):
        return a + b

    def backward(ctx, g):
        return g, g


class Sub(Function):
    def forward(ctx, a, b):
        return a - b

    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    def forward(ctx, a, b):
        # the gradient of a needs b and vice versa; a Python number needs no gradient,
        # so x * 2 saves nothing of x (x may then change in place, as in PyTorch)
        ctx.save_for_backward(a if type(b) is xp.ndarray else None,
                              b if type(a) is xp.ndarray else None)
        return a * b

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(Function):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        grad_a = g / b
        return grad_a, (-grad_a * a / b if ctx.needs_input_grad[1] else None)


class Neg(Function):
    def forward(ctx, a):
        return -a

    def backward(ctx, g):
        return -g


class Pow(Function):
    def forward(ctx, a, b):
        out = a ** b
        ctx.save_for_backward(a, b, out)
        ctx.tensor_exponent = isinstance(b, xp.ndarray)
        return out

    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = g * b * a ** (b - 1)
            if ctx.tensor_exponent:  # x**0 has derivative 0, also at x = 0
                grad_a = where(b == 0, 0.0, grad_a)
            elif b == 0:
                grad_a = g * 0.0
        if ctx.needs_input_grad[1]:
            # d(a**b)/db = a**b log a, taken as 0 where a == 0 and b >= 0 (as PyTorch does)
            if isinstance(a, Tensor):
                grad_b = where((a == 0) & (b >= 0), 0.0, g * out * a.log())
            else:  # a Python number as the base: 2 ** x
                grad_b = g * out * math.log(a) if a > 0 else g * out * float("nan")
        return grad_a, grad_b


class Remainder(Function):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.remainder(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g, -g * floor_divide(a, b)


class Where(Function):
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        return xp.where(condition, a, b)

    def backward(ctx, g):
        (condition,) = ctx.saved_tensors
        return None, where(condition, g, 0.0), where(condition, 0.0, g)


class PairwiseExtreme(Function):
    """Elementwise maximum (or minimum); ties split the gradient equally, as in PyTorch."""

    largest = True

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.maximum(a, b) if ctx.largest else xp.minimum(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a_wins = (a > b) if ctx.largest else (a < b)
        share_a = a_wins.to(g.dtype) + (a == b).to(g.dtype) * 0.5
        return g * share_a, g * (1.0 - share_a)


class Maximum(PairwiseExtreme):
    largest = True


class Minimum(PairwiseExtreme):
    largest = False


def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b = promote(input, other)
    return Add.apply(a, b)


def sub(input, other, *, alpha=1):
    """``input - alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b = promote(input, other)
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    return Sub.apply(a, b)


subtract = sub


def mul(input, other):
    """Elementwise product with broadcasting."""
    a, b = promote(input, other)
    return Mul.apply(a, b)


multiply = mul


def div(input, other, *, rounding_mode=None):
    """True division (integers give the default float); ``rounding_mode`` 'trunc' or 'floor'."""
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        a, b = promote(input, other)
        return _nondifferentiable(lambda x, y: xp.trunc(x / y).astype(xp.result_type(x, y)), a, b)
    if rounding_mode is not None:
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                         f"but found '{rounding_mode}'")
    a, b = promote(input, other)
    if not _is_floating(a) and not _is_floating(b):  # integer division gives the default float
        target = B.get_default_dtype()
        a, b = cast_to(a, target), cast_to(b, target)
    return Div.apply(a, b)


def _is_floating(x):
    return x._data.dtype.kind == "f" if isinstance(x, Tensor) else isinstance(x, float)


def _is_bool(x):
    return x._data.dtype == xp.bool_ if isinstance(x, Tensor) else isinstance(x, bool)


divide = true_divide = div


def floor_divide(input, other):
    """Division rounded towards minus infinity (not differentiable, as in PyTorch)."""
    a, b = promote(input, other)
    return _nondifferentiable(xp.floor_divide, a, b)


def remainder(input, other):
    """Python's ``%``: the result takes the sign of the divisor."""
    a, b = promote(input, other)
    return Remainder.apply(a, b)


def fmod(input, other):
    """C's remainder: the result takes the sign of the dividend."""
    a, b = promote(input, other)
    return sub(a, mul(div(a, b, rounding_mode="trunc"), b))


def neg(input):
    if input._data.dtype == xp.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return Neg.apply(input)


negative = neg


def pow(input, exponent):
    """``input ** exponent``; either may be a Python number."""
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        if exponent == 1:
            return input
        if input._data.dtype.kind in "iu" and isinstance(exponent, float):
            input = cast_to(input, B.get_default_dtype())
    a, b = promote(input, exponent)
    return Pow.apply(a, b)


def where(condition, input=None, other=None):
    """Pick ``input`` where ``condition`` holds and ``other`` elsewhere."""
    if input is None and other is None:
        return tuple(Tensor._make(i) for i in xp.nonzero(condition._data))
    if condition._data.dtype != xp.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {B.from_numpy_dtype(condition._data.dtype)}")
    a, b = promote(input, other)
    return Where.apply(condition, a, b)


def maximum(input, other):
    """Elementwise maximum; ties split the gradient equally."""
    a, b = promote(input, other)
    return Maximum.apply(a, b)


def minimum(input, other):
    """Elementwise minimum; ties split the gradient equally."""
    a, b = promote(input, other)
    return Minimum.apply(a, b)


def _nondifferentiable(fn, *operands):
    """Apply an array function whose result has no gradient (its output never requires grad)."""
    arrays = [x._data if isinstance(x, Tensor) else x for x in operands]
    return Tensor._make(xp.asarray(fn(*arrays)))


__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "remainder", "fmod", "neg", "negative", "pow", "where",
           "maximum", "minimum"]
TENSOR_METHODS = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
                  "floor_divide", "remainder", "fmod", "neg", "negative", "pow", "where",
                  "maximum", "minimum"]
