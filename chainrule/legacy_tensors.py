"""PyTorch's legacy tensor types: ``FloatTensor(2, 3)``, ``LongTensor([1, 2])``, ``x.type()``.

Old tutorials and many real programs still build tensors with the typed constructors and
compare type strings. Each typed name here is a class whose call makes a plain ``Tensor`` of
its dtype and whose ``isinstance`` check compares dtypes, as in PyTorch
(``isinstance(torch.zeros(2), torch.FloatTensor)`` is True).
"""
import numbers

from . import backend as B
from ._errors import at_user_line
from .tensor import Size, Tensor

# legacy name -> dtype name, PyTorch's table
LEGACY_NAMES = {
    "FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
    "LongTensor": "int64", "IntTensor": "int32", "ShortTensor": "int16", "CharTensor": "int8",
    "ByteTensor": "uint8", "BoolTensor": "bool",
}
_NAME_OF_DTYPE = {dtype_name: legacy for legacy, dtype_name in LEGACY_NAMES.items()}


def legacy_array(dtype, args, op):
    """The array that PyTorch's legacy constructor ``op(*args)`` makes for ``dtype``: no arguments
    give an empty tensor, integers or a ``Size`` give that shape (filled with zeros where PyTorch
    leaves memory uninitialised), one sequence, array or tensor gives its data converted."""
    if not args:
        return B.xp.empty((0,), dtype.np)
    if len(args) == 1 and isinstance(args[0], Size):
        args = tuple(args[0])
    if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args):
        if any(a < 0 for a in args):
            raise RuntimeError(at_user_line(
                f"{op}(): negative dimension in the size {list(args)}; sizes must be non-negative"))
        return B.xp.zeros(tuple(int(a) for a in args), dtype.np)
    if len(args) != 1:
        raise TypeError(at_user_line(
            f"{op}(): expected sizes (ints) or one sequence of data, got {len(args)} arguments of types "
            f"{', '.join(type(a).__name__ for a in args)}"))
    data = args[0]
    if isinstance(data, Tensor):
        if data.dtype != dtype:
            raise TypeError(at_user_line(
                f"{op}(): expected a {dtype} tensor, but got {data.dtype}; use .to({dtype}) to convert"))
        return data._data  # PyTorch's legacy constructor aliases a tensor of its own type
    if isinstance(data, numbers.Number):
        raise TypeError(at_user_line(
            f"{op}(): new(): data must be a sequence (got {type(data).__name__}); for a 0-d tensor use "
            f"chainrule.tensor({data!r}, dtype={dtype})"))
    from .creation import as_array
    return as_array(data, dtype)


class _LegacyTensorType(type):
    """The metaclass of ``FloatTensor`` and its kin: calls make tensors, isinstance checks dtypes."""

    def __call__(cls, *args, requires_grad=False):
        tensor = Tensor._make(legacy_array(cls.dtype, args, cls.__name__))
        return tensor.requires_grad_(True) if requires_grad else tensor

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls):
        return f"<class 'chainrule.{cls.__name__}'>"


def _make_type(name, dtype_name):
    return _LegacyTensorType(name, (), {"dtype": B.to_dtype(dtype_name), "__module__": "chainrule",
                                        "__doc__": f"A {dtype_name} tensor: ``{name}(data)`` or ``{name}(*sizes)``."})


LEGACY_TYPES = {name: _make_type(name, dtype_name) for name, dtype_name in LEGACY_NAMES.items()}


def type_string(dtype):
    """``x.type()``: ``'chainrule.FloatTensor'`` for a float32 tensor, as PyTorch's ``'torch.FloatTensor'``."""
    return f"chainrule.{_NAME_OF_DTYPE[dtype.name]}"


def dtype_of_type(value):
    """The dtype that ``x.type(value)`` asks for: a dtype, a legacy class, or its name as a
    string (``'torch.LongTensor'``, ``'chainrule.LongTensor'``, ``'LongTensor'``)."""
    if isinstance(value, _LegacyTensorType):
        return value.dtype
    if isinstance(value, str):
        name = value.rsplit(".", 1)[-1]
        if "cuda" in value:
            raise ValueError(at_user_line(
                f"type(): invalid type '{value}': chainrule has no CUDA tensors; use 'chainrule.{name}'"))
        if name in LEGACY_NAMES:
            return B.to_dtype(LEGACY_NAMES[name])
        if "Tensor" in name:
            raise ValueError(at_user_line(
                f"type(): invalid type '{value}'; known types: "
                f"{', '.join('chainrule.' + n for n in LEGACY_NAMES)} (CUDA types do not exist here)"))
    return B.to_dtype(value)
