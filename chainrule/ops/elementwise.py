"""Binary arithmetic, ``where``, ``maximum``/``minimum``, the dtype cast and composites
(``lerp``, ``addcmul``, ``addcdiv``).

Each public function promotes its operands with PyTorch's rules (see
``promotion.py``) and then calls a primitive. Backward rules are written with
chainrule ops, so they are differentiable; the engine sums gradients back over
broadcast dimensions.
"""
import math

from .. import backend as B
from ..function import Function
from ..tensor import Tensor, tracer
from .._errors import at_user_line
from .promotion import promote, cast_to, result_type
from .array_op import array_op, checked

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
    if not x._rg and tracer[0] is None:  # nothing to differentiate or record: skip the graph machinery
        return Tensor._make(x._data.astype(dtype.np))
    return Cast.apply(x, np_dtype=dtype.np)   # while tracing an op even without grad: replays recompute it


# ---------------------------------------------------------------- primitives

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

    def backward(ctx, g):  # d(a/b) = da / b - a db / b^2
        a, b = ctx.saved_tensors
        grad_a = g / b
        return grad_a, (-grad_a * a / b if ctx.needs_input_grad[1] else None)


class Neg(Function):
    def forward(ctx, a):
        return -a

    def backward(ctx, g):
        return -g


class Pow(Function):
    """a ** b for floating results, with PyTorch's gradients at the edges:
    d/da is 0 wherever b == 0 (also at a == 0), and d/db (a**b log a) is 0 where
    a == 0 and b >= 0."""

    def forward(ctx, a, b):
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            if isinstance(b, Tensor):
                grad_a = where(b == 0, 0.0, g * b * a ** (b - 1))
            elif b == 0:
                grad_a = _zeros_like(g)
            else:
                grad_a = g * b * a ** (b - 1)
        if need_b:
            if isinstance(a, Tensor):
                grad_b = where((a == 0) & (b >= 0), 0.0, g * out * a.log())
            elif a > 0:  # a Python number as the base: 2 ** x
                grad_b = g * out * math.log(a)
            elif a == 0:  # 0 ** b: 0 for b >= 0, and -inf * inf beyond
                grad_b = where(b >= 0, 0.0, g * out * -math.inf)
            else:
                grad_b = g * out * math.nan
        return grad_a, grad_b


class Remainder(Function):
    """Python's ``%`` (the sign of the divisor); d/db = -floor(a / b)."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        out = xp.remainder(a, b)
        if out.dtype.kind == "f":  # an exact zero keeps the dividend's sign, as in PyTorch
            out = xp.asarray(out)
            xp.copysign(out, a, out=out, where=out == 0)
        return out

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        grad_b = -g * div(a, b, rounding_mode="floor") if ctx.needs_input_grad[1] else None
        return g, grad_b


class Fmod(Function):
    """C's ``fmod`` (the sign of the dividend); d/db = -trunc(a / b)."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.fmod(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        grad_b = -g * div(a, b, rounding_mode="trunc") if ctx.needs_input_grad[1] else None
        return g, grad_b


class Rounded(Function):
    """Floor or truncating division: piecewise constant, so the gradient is zero."""

    def forward(ctx, a, b, fn):
        return fn(a, b)

    def backward(ctx, g):
        zeros = _zeros_like(g)
        return zeros, zeros


class Where(Function):
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        return xp.where(condition, a, b)

    def backward(ctx, g):
        (condition,) = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[1:]
        return (None, where(condition, g, 0.0) if need_a else None,
                where(condition, 0.0, g) if need_b else None)


class PairwiseExtreme(Function):
    """Elementwise maximum (or minimum); ties split the gradient equally, as in PyTorch."""

    largest = True

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.maximum(a, b) if ctx.largest else xp.minimum(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        x, y = a._data, b._data
        wins = (x > y) if ctx.largest else (x < y)
        share_a = wins.astype(g._data.dtype) + (x == y).astype(g._data.dtype) * 0.5
        share_a = Tensor._make(share_a)  # a constant: it only selects
        return g * share_a, g * (1 - share_a)


class Maximum(PairwiseExtreme):
    largest = True


class Minimum(PairwiseExtreme):
    largest = False


def _zeros_like(g):
    return Tensor._make(xp.zeros_like(g._data))


# ---------------------------------------------------------------- arithmetic

def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    if alpha is not _ONE:  # the default (small ints are singletons); anything else is checked
        other = _scaled(input, other, alpha, "add")
    a, b = promote(input, other)
    return Add.apply(a, b)


def sub(input, other, *, alpha=1):
    """``input - alpha * other`` with broadcasting (bool tensors refuse, as in PyTorch)."""
    if _is_bool(input) or _is_bool(other):
        if _is_bool(input) and _is_bool(other):
            raise RuntimeError(at_user_line(
                "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
                "`^` or `logical_xor()` operator instead."))
        raise RuntimeError(at_user_line(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."))
    if alpha is not _ONE:
        other = _scaled(input, other, alpha, "sub")
    a, b = promote(input, other)
    return Sub.apply(a, b)


subtract = sub


_ONE = 1


def _scaled(input, other, alpha, op):
    """``alpha * other`` after PyTorch's checks on ``alpha``."""
    target = result_type(input, other)
    if isinstance(alpha, bool) and target is not B.bool_:
        raise RuntimeError(at_user_line(
            f"{op}: Boolean alpha only supported for Boolean results; got a {target} result. "
            f"Pass alpha as a number."))
    if isinstance(alpha, float) and target.category != 2:
        raise RuntimeError(at_user_line(
            f"{op}: For integral input tensors, argument alpha must not be a floating point "
            f"number (got alpha={alpha} for a {target} result)."))
    if target is B.bool_:
        return mul(other, bool(alpha))
    return mul(other, alpha)


def mul(input, other):
    """Elementwise product with broadcasting."""
    a, b = promote(input, other)
    return Mul.apply(a, b)


multiply = mul


def div(input, other, *, rounding_mode=None):
    """True division (integers give the default float); ``rounding_mode`` 'trunc' or 'floor'."""
    if rounding_mode is not None:
        return _rounded_division(input, other, rounding_mode)
    a, b = promote(input, other)
    if not _is_floating(a) and not _is_floating(b):  # integer division gives the default float
        target = B.get_default_dtype()
        a, b = cast_to(a, target), cast_to(b, target)
    return Div.apply(a, b)


divide = true_divide = div


def _is_floating(x):
    return x._data.dtype.kind == "f" if isinstance(x, Tensor) else isinstance(x, float)


def _is_bool(x):
    return x._data.dtype == xp.bool_ if isinstance(x, Tensor) else isinstance(x, bool)


def _integer_operands(a, b, op):
    """True for an integer result; refuses bool operands."""
    kind = (a if isinstance(a, Tensor) else b)._data.dtype.kind
    if kind == "b":
        raise NotImplementedError(at_user_line(
            f"{op}: not implemented for bool tensors; convert with .long() or .float() first"))
    return kind != "f"


def _nonzero_divisor(b, op):
    """The integer divisor ``b`` (a number or a tensor) after checking it holds no 0."""
    if isinstance(b, Tensor):
        return checked(_no_zero, b, op=op)   # inside chainrule.compile: checked on every replay
    return _no_zero(b, op)


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
        b = _nonzero_divisor(b, "div")
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
        b = _nonzero_divisor(b, "remainder")
    return Remainder.apply(a, b)


def fmod(input, other):
    """C's remainder: the result takes the sign of the dividend."""
    a, b = promote(input, other)
    if _integer_operands(a, b, "fmod"):
        b = _nonzero_divisor(b, "fmod")
    return Fmod.apply(a, b)


def neg(input):
    if input._data.dtype == xp.bool_:
        raise RuntimeError(at_user_line(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."))
    return Neg.apply(input)


negative = neg


def pow(input, exponent):
    """``input ** exponent``; either may be a Python number.

    Integer results follow PyTorch: a negative Python exponent is an error, and a negative
    tensor exponent gives 0 (or +-1 for a base of +-1), as integer division would.
    """
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        if input._data.dtype.kind in "iub" and isinstance(exponent, float):
            input = cast_to(input, B.get_default_dtype())
    a, b = promote(input, exponent)
    kind = (a if isinstance(a, Tensor) else b)._data.dtype.kind
    if kind == "f":
        return Pow.apply(a, b)
    if kind == "b":
        if isinstance(b, Tensor):
            raise NotImplementedError(at_user_line(
                "pow: not implemented for a bool exponent tensor; convert with .long() first"))
        return cast(_integer_power(cast_to(a, B.int8), cast_to(b, B.int8)), B.bool_)
    if not isinstance(b, Tensor) and b < 0:
        raise RuntimeError(at_user_line(
            f"pow: Integers to negative integer powers are not allowed (exponent {b} on a "
            f"{a.dtype} tensor). Use a float exponent or tensor, e.g. x.float() ** {b}."))
    return _integer_power(a, b)


def _integer_power(a, b):
    return array_op(_integer_power_arrays, a, b)   # an op: a compiled graph recomputes it


def _integer_power_arrays(base, exponent):
    """``base ** exponent`` for integers; a negative exponent gives 0 unless the base is 1 or -1."""
    if isinstance(exponent, int) or not (exponent < 0).any():
        return xp.asarray(base ** exponent)
    unit = (xp.asarray(base) == 1) | (xp.asarray(base) == -1)
    result = xp.where(exponent < 0, xp.where(unit, base ** xp.abs(exponent), 0),
                      base ** xp.maximum(exponent, 0))
    return result.astype(xp.result_type(base, exponent))


# ---------------------------------------------------------------- selection

def where(condition, input=None, other=None):
    """Pick ``input`` where ``condition`` holds and ``other`` elsewhere.

    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``.
    """
    if input is None and other is None:
        from .compare import nonzero
        return nonzero(condition.reshape(1) if condition.ndim == 0 else condition, as_tuple=True)
    if condition._data.dtype != xp.bool_:
        raise RuntimeError(at_user_line(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{condition.dtype}. Compare to build a mask (x > 0), or convert with .bool()."))
    a, b = promote(input, other)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):  # two numbers
        dtype = result_type(a, b).np
        a, b = xp.asarray(a, dtype), xp.asarray(b, dtype)
    return Where.apply(condition, a, b)


def maximum(input, other):
    """Elementwise maximum of two tensors; ties split the gradient equally."""
    _both_tensors(input, other, "maximum", "clamp(input, min=value)")
    a, b = promote(input, other)
    return Maximum.apply(a, b)


def minimum(input, other):
    """Elementwise minimum of two tensors; ties split the gradient equally."""
    _both_tensors(input, other, "minimum", "clamp(input, max=value)")
    a, b = promote(input, other)
    return Minimum.apply(a, b)


def _both_tensors(input, other, op, fix):
    if not isinstance(other, Tensor) or not isinstance(input, Tensor):
        raise TypeError(at_user_line(
            f"{op}(): both arguments must be Tensors, got {type(input).__name__} and "
            f"{type(other).__name__}. For a number use {fix}."))


# ---------------------------------------------------------------- composites

def lerp(input, end, weight):
    """``input + weight * (end - input)``; ``end`` (and a weight tensor) share input's dtype."""
    _same_dtype(input, end, "lerp", "end")
    if isinstance(weight, Tensor) and weight.ndim:
        _same_dtype(input, weight, "lerp", "weight")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(at_user_line(
            f"lerp: not implemented for {input.dtype} tensors; convert with .float() first"))
    return input + weight * (end - input)


def _same_dtype(input, other, op, name):
    if other._data.dtype != input._data.dtype:
        raise RuntimeError(at_user_line(
            f"{op}: expected dtype {input.dtype} for `{name}` but got dtype {other.dtype}. "
            f"Convert it first, e.g. {name}.to(input.dtype)."))


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``."""
    if isinstance(value, float) and result_type(input, tensor1, tensor2).category != 2:
        value = int(value)  # an integer result uses the integer part of value, as in PyTorch
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2`` (true division)."""
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError(at_user_line(
            "addcdiv: Integer division with addcdiv is no longer supported; convert tensor1 or "
            "tensor2 to a floating dtype, or use input + value * tensor1 // tensor2 for "
            "floor division."))
    return input + value * tensor1 / tensor2


__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "remainder", "fmod", "neg", "negative", "pow", "where",
           "maximum", "minimum", "lerp", "addcmul", "addcdiv"]
TENSOR_METHODS = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
                  "floor_divide", "remainder", "fmod", "neg", "negative", "pow", "where",
                  "maximum", "minimum", "lerp", "addcmul", "addcdiv"]
