"""Functions that make new tensors: ``tensor``, ``zeros``, ``randn``, ``arange``, ..."""
import numbers

from . import backend as B
from .tensor import Tensor
from ._errors import at_user_line

xp = B.xp


def _infer_dtype(data):
    """PyTorch's dtype for Python data: floats -> default float, ints -> int64, bools -> bool."""
    array = xp.asarray(data)
    kind = array.dtype.kind
    if kind == "f":
        return array, (B.get_default_dtype() if not isinstance(data, xp.ndarray) else None)
    if kind in "iu":
        return array, (B.int64 if not isinstance(data, xp.ndarray) else None)
    if kind == "b":
        return array, None
    if kind not in "OUS":
        B.from_numpy_dtype(array.dtype)  # names the unsupported dtype
    raise TypeError(at_user_line(
        f"can't convert data of type {type(data).__name__} (NumPy dtype {array.dtype}) to a tensor; "
        f"expected numbers, nested lists of numbers, NumPy arrays or tensors"))


def as_array(data, dtype=None):
    """A backend array for ``data`` with PyTorch's dtype inference (always a copy of Python data)."""
    if isinstance(data, Tensor):
        array = data._data
        return array.astype(B.to_dtype(dtype).np) if dtype is not None else array
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _tensors_to_lists(data)
    array, inferred = _infer_dtype(data)
    target = B.to_dtype(dtype) if dtype is not None else inferred
    if target is not None:
        array = array.astype(target.np)
    elif array.dtype.kind == "f" and array.dtype != xp.float16 and not isinstance(data, xp.ndarray):
        array = array.astype(B.get_default_dtype().np)
    B.from_numpy_dtype(array.dtype)  # reject unsupported NumPy dtypes with a clear message
    return array


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _tensors_to_lists(data):
    if isinstance(data, Tensor):
        return data.tolist()   # a compiled function stops here: it cannot follow values into Python
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(x) for x in data]
    return data


def _finish(array, requires_grad, device):
    return _finish_tensor(Tensor._make(array), requires_grad, device)


def _finish_tensor(t, requires_grad, device):
    if device is not None:
        B.check_device(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays, tensors)."""
    if isinstance(data, Tensor):   # ops, so that a compiled graph copies the new values
        return _finish_tensor(_copied(data, dtype), requires_grad, device)
    array = as_array(data, dtype)
    if isinstance(data, (Tensor, xp.ndarray)) or array is data:
        array = array.copy()
    return _finish(array if array.flags.c_contiguous else array.copy(order="C"), requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == B.to_dtype(dtype)):
        return data
    if isinstance(data, Tensor):
        return _finish_tensor(data.detach().to(dtype), False, device)
    return _finish(as_array(data, dtype), False, device)


def _copied(data, dtype):
    """A C-contiguous copy of tensor ``data`` (in ``dtype``), outside the autograd graph."""
    from .ops.movement import Clone
    source = data.detach()
    if dtype is not None and B.to_dtype(dtype) != data.dtype:
        return source.to(dtype).contiguous()
    return Clone.apply(source.contiguous())


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray`` (changes show in both)."""
    if not isinstance(ndarray, xp.ndarray):
        raise TypeError(f"from_numpy expected a NumPy array, got {type(ndarray).__name__}")
    B.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def _dtype_np(dtype):
    return (B.to_dtype(dtype) if dtype is not None else B.get_default_dtype()).np


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    for s in size:
        if not isinstance(s, numbers.Integral) or s < 0:
            raise RuntimeError(at_user_line(
                f"sizes must be non-negative integers, got {tuple(size)}"))
    return tuple(int(s) for s in size)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _finish(xp.zeros(_size(size), _dtype_np(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _finish(xp.ones(_size(size), _dtype_np(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _finish(xp.empty(_size(size), _dtype_np(dtype)), requires_grad, device)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = (B.bool_ if isinstance(fill_value, bool) else
                 B.int64 if isinstance(fill_value, numbers.Integral) else B.get_default_dtype())
    np_dtype = _dtype_np(dtype)
    if np_dtype.kind in "biu" and isinstance(fill_value, numbers.Number):
        from .ops.promotion import number_as   # (ops import this module)
        fill_value = number_as(fill_value, np_dtype, "full")   # refuses what no element can hold
    return _finish(xp.full(_size((size,)), fill_value, np_dtype), requires_grad, device)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    return _finish(xp.eye(n, m, dtype=_dtype_np(dtype)), requires_grad, device)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` up to (not including) ``end``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError(at_user_line("arange: step must be nonzero"))
    if dtype is None:
        all_ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = B.int64 if all_ints else B.get_default_dtype()
    dtype = B.to_dtype(dtype)
    # computed in float64 like PyTorch, so float32 results match its element count and values
    count = max(0, int(-(-(end - start) // step)))
    values = start + step * xp.arange(count, dtype=xp.float64)
    return _finish(values.astype(dtype.np), requires_grad, device)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    values = xp.linspace(start, end, steps, dtype=xp.float64)
    return _finish(values.astype(_dtype_np(dtype)), requires_grad, device)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    values = base ** xp.linspace(start, end, steps, dtype=xp.float64)
    return _finish(values.astype(_dtype_np(dtype)), requires_grad, device)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1)."""
    values = _random(generator, _uniform01, _size(size), _dtype_np(dtype))
    return _finish(values, requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples."""
    values = _random(generator, _standard_normal, _size(size), _dtype_np(dtype))
    return _finish(values, requires_grad, device)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing the required argument 'size'")
    values = _random(generator, _integers, low, high, _size((size,)), (B.to_dtype(dtype) if dtype else B.int64).np)
    return _finish(values, requires_grad, device)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    values = _random(generator, _permutation, n, (B.to_dtype(dtype) if dtype else B.int64).np)
    return _finish(values, requires_grad, device)


def normal(mean, std, size=None, *, generator=None):
    """Normal samples with the given mean and standard deviation (numbers or tensors)."""
    if size is None:
        shape = xp.broadcast_shapes(xp.shape(_array(mean)), xp.shape(_array(std)))
    else:
        shape = _size((size,))
    if isinstance(mean, Tensor) or isinstance(std, Tensor):   # tensor arguments: an op on their values
        from .ops.array_op import array_op
        standard = Tensor._make(_random(generator, _standard_normal, shape, xp.float64))
        return array_op(_shift_and_scale, standard, _detached(mean), _detached(std),
                        np_dtype=B.get_default_dtype().np)
    return Tensor._make(_random(generator, _normal, mean, std, shape, B.get_default_dtype().np))


# Random draws go through the RandomDraw op (see ops/random.py); these are its draw functions.

def _random(generator, draw, *args):
    from .ops.random import random_array
    return random_array(draw, *args, generator=generator)


def _uniform01(rng, shape, np_dtype):
    return rng.random(shape).astype(np_dtype)


def _standard_normal(rng, shape, np_dtype):
    return rng.standard_normal(shape).astype(np_dtype)


def _integers(rng, low, high, shape, np_dtype):
    return rng.integers(low, high, shape).astype(np_dtype)


def _permutation(rng, n, np_dtype):
    return rng.permutation(n).astype(np_dtype)


def _normal(rng, mean, std, shape, np_dtype):
    return rng.normal(mean, std, shape).astype(np_dtype)


def _shift_and_scale(standard, mean, std, np_dtype):
    """``mean + std * standard``, what ``rng.normal(mean, std)`` gives for the same draws."""
    return (mean + std * standard).astype(np_dtype)


def _detached(x):
    return x.detach() if isinstance(x, Tensor) else x


def _array(x):
    return x._data if isinstance(x, Tensor) else x


def _like(fn, input, dtype, requires_grad, **kwargs):
    dtype = dtype if dtype is not None else input.dtype
    return fn(tuple(input.shape), dtype=dtype, requires_grad=requires_grad, **kwargs)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False):
    return _like(zeros, input, dtype, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False):
    return _like(ones, input, dtype, requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False):
    return _like(empty, input, dtype, requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    return _like(rand, input, dtype, requires_grad, generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    return _like(randn, input, dtype, requires_grad, generator=generator)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    dtype = dtype if dtype is not None else input.dtype
    return full(tuple(input.shape), fill_value, dtype=dtype, requires_grad=requires_grad)


def randint_like(input, low, high=None, *, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype)


def clone(input):
    """A copy of ``input`` that stays in the graph."""
    from .ops.movement import Clone
    return Clone.apply(input)


def new_tensor(self, data, *, dtype=None, requires_grad=False):
    """A new tensor from ``data`` with this tensor's dtype unless given."""
    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


def new_zeros(self, *size, dtype=None, requires_grad=False):
    return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, requires_grad=False):
    return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, requires_grad=False):
    return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


def new_full(self, size, fill_value, *, dtype=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)


TENSOR_METHODS = ["clone", "new_tensor", "new_zeros", "new_ones", "new_empty", "new_full"]

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "eye", "arange",
           "linspace", "logspace", "rand", "randn", "randint", "randperm", "normal", "zeros_like",
           "ones_like", "empty_like", "rand_like", "randn_like", "full_like", "randint_like", "clone"]
