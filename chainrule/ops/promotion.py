"""PyTorch's type promotion for the operands of one op.

Operands fall in three groups, in order of priority: tensors with dimensions,
0-d tensors, and Python scalars. A lower group changes the result only when it
is of a higher category (bool < integer < floating): ``int32_tensor + 2.5`` is
float32 (the default float), ``float32_tensor + 2.5`` stays float32, and a
float64 0-d tensor does not turn a float32 tensor into float64.

Python ints keep PyTorch's two conventions. An operand (``uint8_tensor + 300``)
wraps around to the result dtype; it must fit in 64 bits, or OverflowError. A
scalar argument (``alpha``, a clamp bound, an exponent, ``where``'s fill value)
is converted with a range check instead: ``check_scalar_fits``.
"""
import math
import numbers

from .. import backend as B
from ..tensor import Tensor
from .._errors import at_user_line


_INT64_MIN, _UINT64_MAX = -2**63, 2**64 - 1


def _scalar_dtype(value):
    if isinstance(value, bool):
        return B.bool_
    if isinstance(value, numbers.Integral):
        check_64_bits(value)
        return B.int64
    if isinstance(value, numbers.Real):
        return B.get_default_dtype()
    raise TypeError(at_user_line(
        f"unsupported operand of type {type(value).__name__}; expected a Tensor or a number"))


def _combine(higher, lower):
    """Merge the dtype of a higher-priority group with a lower one (None = group empty)."""
    if higher is None:
        return lower
    if lower is None or higher.category == 2:
        return higher
    if higher.category == 0 or lower.category == 2:
        return B.promote_types(higher, lower)
    return higher


def _promote_group(current, new):
    return new if current is None else B.promote_types(current, new)


def result_type(*operands):
    """The dtype PyTorch gives an op on these operands (tensors and Python numbers)."""
    dim = zero = scalar = None
    for x in operands:
        if isinstance(x, Tensor):
            d = B.from_numpy_dtype(x._data.dtype)
            if x._data.ndim:
                dim = _promote_group(dim, d)
            else:
                zero = _promote_group(zero, d)
        elif x is not None:
            scalar = _promote_group(scalar, _scalar_dtype(x))
    return _combine(dim, _combine(zero, scalar))


def _as_python_scalar(x):
    """A NumPy scalar as the Python number it holds (NumPy scalars promote like Python's)."""
    return x.item() if hasattr(x, "item") and not isinstance(x, Tensor) else x


def promote(a, b):
    """Cast the tensors among ``a, b`` to their common dtype; Python scalars stay numbers."""
    # Fast paths (every arithmetic op passes here): equal dtypes, or a float tensor with a
    # Python float/int, need no cast.
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a._data.dtype == b._data.dtype:
                return a, b
        elif type(b) in _PLAIN_NUMBERS and a._data.dtype.kind == "f" and _fits_64_bits(b):
            return a, b
    elif isinstance(b, Tensor) and type(a) in _PLAIN_NUMBERS and b._data.dtype.kind == "f" \
            and _fits_64_bits(a):
        return a, b
    a, b = _as_python_scalar(a), _as_python_scalar(b)
    target = result_type(a, b)
    return cast_to(a, target), cast_to(b, target)


_PLAIN_NUMBERS = (float, int)


def _fits_64_bits(number):
    return type(number) is float or _INT64_MIN <= number <= _UINT64_MAX


def check_64_bits(value):
    """A Python int operand must fit in 64 bits (int64, or uint64's bit pattern), as in PyTorch."""
    if not _INT64_MIN <= value <= _UINT64_MAX:
        raise OverflowError(at_user_line(
            f"int too big to convert: the Python integer {value} does not fit in 64 bits (tensor "
            f"arithmetic takes ints in [-2**63, 2**64 - 1]). Use a float, e.g. {float(value):g}, "
            f"or a smaller number."))


def half_with_a_wide_number(a, b):
    """A float16 tensor with a Python number beyond float16's normal range (above 65504, or
    nonzero under 2**-14). PyTorch multiplies and divides such a pair in float32 and rounds
    once, so ``half * 2**31`` is 0 at 0, not 0 * inf = nan."""
    tensor, number = (a, b) if isinstance(a, Tensor) else (b, a)
    if type(number) not in _PLAIN_NUMBERS or not isinstance(tensor, Tensor):
        return False
    if tensor._data.dtype != B.float16.np:
        return False
    size = abs(number)
    return size > 65504 or 0 < size < 2.0 ** -14


def cast_to(x, target):
    """``x`` as ``target`` dtype: tensors through the differentiable cast; numbers stay numbers,
    except that an int outside an integer target's range wraps around, as in PyTorch
    (``uint8_tensor + 300`` adds 44)."""
    if isinstance(x, Tensor):
        if x._data.dtype != target.np:
            from .elementwise import cast
            return cast(x, target)
        return x
    if not isinstance(x, numbers.Number):
        raise TypeError(at_user_line(
            f"unsupported operand of type {type(x).__name__}; expected a Tensor or a number"))
    if target.category == 1 and type(x) is int:
        return _wrap_integer(x, target)
    return x


def _wrap_integer(value, target):
    low, high = _INTEGER_RANGE[target.name]
    if low <= value <= high:
        return value
    check_64_bits(value)
    span = high - low + 1
    return (value - low) % span + low


_INTEGER_RANGE = {"uint8": (0, 255), "int8": (-128, 127), "int16": (-2**15, 2**15 - 1),
                  "int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}


def check_scalar_fits(value, target, op, name, floats=True):
    """Refuse a scalar argument that overflows the result dtype ``target``, as PyTorch does.

    Integers take their range; an unsigned dtype also takes the negatives of its range
    (uint8 accepts -255..255: they wrap, as ``a - b`` is ``a + 255 * b``). With ``floats``, a
    finite number beyond a floating dtype's largest value is refused too. Bools never overflow.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or target.category == 0:
        return
    if isinstance(value, int):
        check_64_bits(value)
    if target.category == 1:
        low, high = _INTEGER_RANGE[target.name]
        if low == 0:
            low = -high
        fits = low <= value <= high
    elif floats:
        high = float(B.xp.finfo(target.np).max)
        low = -high
        fits = not math.isfinite(value) or abs(value) <= high
    else:
        return
    if not fits:
        raise RuntimeError(at_user_line(
            f"{op}: value cannot be converted to type {target.name} without overflow: {name}="
            f"{value} is outside [{low}, {high}]. Pass a value in that range, or convert the "
            f"tensor to a wider dtype first (e.g. x.long() or x.double())."))


def number_as(value, dtype, op):
    """The Python number ``value`` as a 0-d array of the integer or bool ``dtype``.

    Floats are truncated toward zero and integers wrap (PyTorch's conversion of a
    scalar); a float that no integer of ``dtype`` can hold is refused, and so is an integer
    outside the range PyTorch accepts (uint8: -255..255, which wrap).
    """
    if dtype.kind == "b":
        return B.xp.asarray(bool(value))
    if isinstance(value, int):
        check_scalar_fits(value, B.from_numpy_dtype(dtype), op, "value", floats=False)
    if isinstance(value, float) or isinstance(value, B.xp.floating):
        info = B.xp.iinfo(dtype)
        if not math.isfinite(value) or not info.min - 1 < value < info.max + 1:
            raise RuntimeError(at_user_line(
                f"{op}: value {value} cannot be converted to type {B.from_numpy_dtype(dtype)} "
                f"without overflow"))
        value = int(value)
    return B.xp.asarray(value).astype(dtype)


def to_floating(x):
    """Integer and bool tensors become the default float (as ``exp``, ``sqrt``... do in PyTorch)."""
    if x._data.dtype.kind in "biu":
        from .elementwise import cast
        return cast(x, B.get_default_dtype())
    return x
