"""Binary arithmetic, ``where``, ``maximum``/``minimum``, the dtype cast and composites
(``lerp``, ``addcmul``, ``addcdiv``). Division lives in ``division.py`` (re-exported here).

Each public function promotes its operands with PyTorch's rules (see
``promotion.py``) and then calls a primitive. Backward rules are written with
chainrule ops, so they are differentiable; the engine sums gradients back over
broadcast dimensions. A primitive saves only what its gradients read, and reads
a saved value only for a gradient that is needed (``ctx.saved_value``), so an
operand changed in place after the op breaks backward only where PyTorch's does.
"""
import builtins
import math

from .. import backend as B
from ..function import Function
from ..tensor import Tensor, tracer
from .._errors import at_user_line
from .promotion import promote, cast_to, result_type, check_scalar_fits, half_with_a_wide_number, number_as
from .array_op import array_op
from .select import select
from .division import (Div, Remainder, Fmod, Rounded, div, divide, true_divide,  # noqa: F401
                       floor_divide, remainder, fmod)

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
        need_a, need_b = ctx.needs_input_grad
        grad_a = g * ctx.saved_value(1) if need_a else None
        grad_b = g * ctx.saved_value(0) if need_b else None
        return grad_a, grad_b


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
        out = _power(a, b)
        # a tensor exponent's gradient reads the result (saved, as PyTorch does, whether or not
        # it is needed); x ** 2 saves x alone, so its result may change in place
        ctx.save_for_backward(a, b, out if type(b) is xp.ndarray else None)
        return out

    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        a, b, out = ctx.saved_tensors
        grad_a = grad_b = None
        if need_a:
            if isinstance(b, Tensor):
                grad_a = where(b == 0, 0.0, g * b * a ** (b - 1))
            elif b == 0 and type(b) is not bool:
                # PyTorch's shortcut tests the exponent against 0.0, which a bool never equals:
                # x ** False goes through g * b * x ** (b - 1), so a negative x gets a -0 gradient
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


def _power(a, b):
    """``a ** b``; a number exponent beyond the integers float32 holds exactly is applied to a
    float32 ``a`` in float64, as PyTorch keeps it in double: (-1) ** (2**24 + 1) is -1."""
    if type(b) is not xp.ndarray and type(a) is xp.ndarray and a.dtype == xp.float32 and abs(b) > 2 ** 24:
        with xp.errstate(over="ignore"):
            return (a.astype(xp.float64) ** b).astype(xp.float32)
    out = a ** b
    if type(a) is xp.ndarray and a.dtype.kind == "f":
        out = _negative_infinity_to_a_fraction(a, b, out)
    return out


def _negative_infinity_to_a_fraction(a, b, out):
    """``-inf ** 2.5``: C's pow gives inf (0 for a negative exponent), as PyTorch does, except for
    the number exponents 0.5 and -0.5, which it computes as sqrt and rsqrt (NaN); NumPy's result
    depends on the array's size."""
    base = a == -xp.inf
    if not base.any():
        return out
    if type(b) is not xp.ndarray and b in (0.5, -0.5):
        return xp.where(base, xp.nan, out).astype(out.dtype)
    fraction = xp.isfinite(b) & (xp.floor(b) != b)
    c_pow = xp.where(b > 0, xp.inf, 0.0).astype(out.dtype)
    return xp.where(base & fraction, c_pow, out).astype(out.dtype)


class Where(Function):
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        return select(condition, a, b)

    def backward(ctx, g):
        (condition,) = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[1:]
        return (None, where(condition, g, 0.0) if need_a else None,
                where(condition, 0.0, g) if need_b else None)


class PairwiseExtreme(Function):
    """Elementwise maximum (or minimum), with PyTorch's gradients: g to the operand that is
    picked, g / 2 to each on a tie, and g to both where one is NaN (neither loses). The
    gradient is selected, not multiplied by a 0/1 mask, so an infinite g gives 0 to the loser."""

    largest = True

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return keeping_ties(xp.maximum if ctx.largest else xp.minimum, a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        shared = where(array_op(xp.equal, a, b), g * 0.5, g)
        beats, loses = (xp.greater, xp.less) if ctx.largest else (xp.less, xp.greater)
        grad_a = where(array_op(loses, a, b), 0.0, shared) if need_a else None
        grad_b = where(array_op(beats, a, b), 0.0, shared) if need_b else None
        return grad_a, grad_b


class Maximum(PairwiseExtreme):
    largest = True


class Minimum(PairwiseExtreme):
    largest = False


def keeping_ties(fn, a, b):
    """``fn(a, b)`` (NumPy's maximum or minimum) giving ``a`` where ``a == b``, as PyTorch does: the
    two zeros (-0.0, 0.0) tie, and NumPy's pick between them depends on the dtype."""
    out = xp.asarray(fn(a, b))
    if out.dtype.kind == "f":
        ties = a == b
        if ties.any():
            xp.copyto(out, a, where=ties)
    return out


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
    if type(alpha) is int and alpha == 0:   # PyTorch adds other * -alpha: an int -0 is +0
        return add(input, other, alpha=0)
    if alpha is not _ONE:
        other = _scaled(input, other, alpha, "sub")
    a, b = promote(input, other)
    return Sub.apply(a, b)


subtract = sub


def _is_bool(x):
    return x._data.dtype == xp.bool_ if isinstance(x, Tensor) else isinstance(x, bool)


_ONE = 1


def _scaled(input, other, alpha, op):
    """``alpha * other`` after PyTorch's checks on ``alpha``; a number ``other`` stays a number."""
    target = result_type(input, other)
    if isinstance(alpha, bool) and target is not B.bool_:
        raise RuntimeError(at_user_line(
            f"{op}: Boolean alpha only supported for Boolean results; got a {target} result. "
            f"Pass alpha as a number."))
    if isinstance(alpha, float) and target.category != 2:
        raise RuntimeError(at_user_line(
            f"{op}: For integral input tensors, argument alpha must not be a floating point "
            f"number (got alpha={alpha} for a {target} result)."))
    # sub scales by -alpha (so alpha=128 fits int8 there, and -128 does not), as PyTorch does
    check_scalar_fits(-alpha if op == "sub" and not isinstance(alpha, bool) else alpha,
                      target, op, "alpha")
    if target is B.bool_:
        alpha = bool(alpha)
    if isinstance(other, Tensor):  # scaled in the result dtype: an int32 other does not wrap
        if isinstance(input, Tensor) and other._data.shape != input._data.shape:
            # scaled at the result's shape, then summed by backward, as PyTorch's kernel does
            # (inf * the gradient of an empty result is an empty sum, 0, not inf * 0)
            other = other.expand(xp.broadcast_shapes(input._data.shape, other._data.shape))
        return mul(cast_to(other, target), alpha)
    return _scaled_number(other, alpha, target)


def _scaled_number(other, alpha, target):
    """``alpha * other`` for a number: a Python number of the result's kind, which then promotes
    as a Python scalar (int_tensor + 1.5 * 2 is float32, not a float64 0-d tensor)."""
    if target is B.bool_:
        return bool(other) and alpha
    if target.category == 1:   # PyTorch multiplies in int64, which wraps
        return (int(other) * alpha + 2 ** 63) % 2 ** 64 - 2 ** 63
    with xp.errstate(over="ignore"):   # PyTorch rounds the number to the result dtype first:
        rounded = float(xp.asarray(other, dtype=target.np))   # float16 add(x, 1e10, alpha=0) is nan
    return rounded * alpha


def mul(input, other):
    """Elementwise product with broadcasting."""
    a, b = promote(input, other)
    if (type(a) is not Tensor or type(b) is not Tensor) and half_with_a_wide_number(a, b):
        return cast(Mul.apply(cast_to(a, B.float32), cast_to(b, B.float32)), B.float16)
    return Mul.apply(a, b)


multiply = mul


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
        if type(exponent) in (int, float) and builtins.abs(exponent) > 127:  # may overflow int8
            check_scalar_fits(exponent, result_type(input, exponent), "pow", "exponent")
    negative_int = type(exponent) is int and exponent < 0   # (checked before it wraps to uint8)
    a, b = promote(input, exponent)
    kind = (a if isinstance(a, Tensor) else b)._data.dtype.kind
    if kind == "f":
        return Pow.apply(a, b)
    if kind == "b":
        if isinstance(b, Tensor):
            raise NotImplementedError(at_user_line(
                "pow: not implemented for a bool exponent tensor; convert with .long() first"))
        return cast(_integer_power(cast_to(a, B.int8), cast_to(b, B.int8)), B.bool_)
    if not isinstance(b, Tensor) and (b < 0 or negative_int):
        raise RuntimeError(at_user_line(
            f"pow: Integers to negative integer powers are not allowed (exponent {exponent} on a "
            f"{a.dtype} tensor). Use a float exponent or tensor, e.g. x.float() ** {exponent}."))
    return _integer_power(a, b)


def _integer_power(a, b):
    return array_op(_integer_power_arrays, a, b)   # an op: a compiled graph recomputes it


def _integer_power_arrays(base, exponent):
    """``base ** exponent`` for integers; a negative exponent gives 0 unless the base is 1 or -1."""
    if isinstance(exponent, int) or not (exponent < 0).any():
        return xp.asarray(base ** exponent)
    odd = (exponent & 1).astype(bool)  # parity without abs(), which overflows at -2**63
    unit_power = xp.where(odd | (base == 1), base, 1)
    negative_power = xp.where((base == 1) | (base == -1), unit_power, 0)
    result = xp.where(exponent < 0, negative_power, base ** xp.maximum(exponent, 0))
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
    for name, x in (("input", input), ("other", other)):
        if type(x) is int:  # a number argument must fit the result dtype (PyTorch's check)
            check_scalar_fits(x, result_type(input, other), "where", name, floats=False)
    a, b = promote(input, other)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):  # two numbers
        dtype = result_type(a, b).np
        a, b = xp.asarray(a, dtype), xp.asarray(b, dtype)
    return Where.apply(condition, a, b)


def _where_method(input, condition, other):
    """``x.where(condition, y)``: ``x`` where ``condition`` holds, else ``y`` (the tensor is the
    first choice, not the condition, as in PyTorch)."""
    return where(condition, input, other)


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
    """``input + weight * (end - input)`` for |weight| < 0.5, else ``end - (end - input) *
    (1 - weight)`` (PyTorch's two formulas: exact at weight 1, and the same infinities);
    ``end`` (and a weight tensor) share input's dtype."""
    _same_dtype(input, end, "lerp", "end")
    if isinstance(weight, Tensor) and weight.ndim:
        _same_dtype(input, weight, "lerp", "weight")
    elif isinstance(weight, Tensor) and weight._data.dtype != input._data.dtype:
        # a 0-d weight promotes as a 0-d operand does (float64 over 0-d float32 operands, not over 1-D)
        target = result_type(input, end, weight)
        input, end, weight = (cast_to(t, target) for t in (input, end, weight))
    if input._data.dtype.kind != "f":
        raise NotImplementedError(at_user_line(
            f"lerp: not implemented for {input.dtype} tensors; convert with .float() first"))
    check_scalar_fits(weight, B.from_numpy_dtype(input._data.dtype), "lerp", "weight")
    diff = end - input
    if not isinstance(weight, Tensor):
        return input + weight * diff if abs(weight) < 0.5 else end - diff * (1 - weight)
    return where(weight.abs() < 0.5, input + weight * diff, end - diff * (1 - weight))


def _same_dtype(input, other, op, name):
    if other._data.dtype != input._data.dtype:
        raise RuntimeError(at_user_line(
            f"{op}: expected dtype {input.dtype} for `{name}` but got dtype {other.dtype}. "
            f"Convert it first, e.g. {name}.to(input.dtype)."))


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``, in the dtype the three tensors promote to."""
    target = result_type(input, tensor1, tensor2)
    if target is B.bool_:
        raise NotImplementedError(at_user_line(
            "addcmul: \"addcmul_cpu_out\" not implemented for 'Bool' (input, tensor1 and tensor2 "
            "are all bool); convert first, e.g. addcmul(input.long(), tensor1, tensor2)"))
    value = _addc_value(value, target, "addcmul")
    input, tensor1, tensor2 = _addc_operands(input, tensor1, tensor2, target)
    return cast_to(input + value * tensor1 * tensor2, target)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2`` (true division), in the tensors' promoted dtype."""
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError(at_user_line(
            "addcdiv: Integer division with addcdiv is no longer supported; convert tensor1 or "
            "tensor2 to a floating dtype, or use input + value * tensor1 // tensor2 for "
            "floor division."))
    target = result_type(input, tensor1, tensor2)
    value = _addc_value(value, target, "addcdiv")
    input, tensor1, tensor2 = _addc_operands(input, tensor1, tensor2, target)
    return cast_to(input + value * tensor1 / tensor2, target)


def _addc_operands(input, tensor1, tensor2, target):
    """The three operands in the computation dtype, broadcast to the result's shape first: the
    gradients are then computed per element and summed, as in PyTorch's fused kernel (an empty
    result gives zero gradients, never 0 * inf)."""
    compute = _computation_dtype(target)
    shape = xp.broadcast_shapes(input._data.shape, tensor1._data.shape, tensor2._data.shape)
    return tuple(cast_to(t, compute).expand(shape) for t in (input, tensor1, tensor2))


def _addc_value(value, target, op):
    """``value`` as PyTorch applies it: it does not take part in type promotion, an integer
    result uses its integer part, and it must fit an integer result."""
    if isinstance(value, float) and target.category != 2:
        return number_as(value, target.np, op).item()   # refuses inf, NaN and what overflows
    check_scalar_fits(value, target, op, "value", floats=False)
    return value


def _computation_dtype(target):
    """float16 arithmetic runs in float32 and rounds once at the end, as PyTorch's CPU kernels do."""
    return B.float32 if target is B.float16 else target


__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "remainder", "fmod", "neg", "negative", "pow", "where",
           "maximum", "minimum", "lerp", "addcmul", "addcdiv"]
TENSOR_METHODS = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
                  "floor_divide", "remainder", "fmod", "neg", "negative", "pow",
                  "maximum", "minimum", "lerp", "addcmul", "addcdiv"]
# The method takes the tensor as the first choice, not as the condition: registered by hand.
Tensor.where = _where_method
