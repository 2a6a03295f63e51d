"""Searching and counting: ``searchsorted``, ``bucketize``, ``unique``, ``isin``,
``bincount``, ``argwhere``.

None of these is differentiable: they return integer or bool tensors (or, for
``unique`` and weighted ``bincount``, values that never require grad). Each is
an ``array_op``, so a compiled graph recomputes it on every replay.

``searchsorted`` is a binary search run on all values at once: each step
halves every value's interval [lo, hi) with one comparison, so a batch of
sorted rows costs log2(n) array passes, whatever the number of rows.
"""
import math

from .. import backend as B
from ..tensor import Tensor
from .._errors import at_user_line, shape_str
from .._dims import wrap_dim
from .array_op import array_op, checked, sized_by_values
from .compare import nonzero
from .promotion import result_type

xp = B.xp


# ---------------------------------------------------------------- searchsorted / bucketize

def _binary_search(rows, values, right):
    """For each row r and value v of that row: the count of entries of rows[r] that are < v
    (<= v with ``right``). NaN comparisons are false, so a NaN value lands at the end."""
    n = rows.shape[1]
    low = xp.zeros(values.shape, dtype=xp.int64)
    high = xp.full(values.shape, n, dtype=xp.int64)
    active = low < high
    while active.any():
        middle = (low + high) // 2
        probe = xp.take_along_axis(rows, xp.minimum(middle, n - 1), axis=1)
        goes_right = ~(probe > values) if right else ~(probe >= values)
        low = xp.where(active & goes_right, middle + 1, low)
        high = xp.where(active & ~goes_right, middle, high)
        active = low < high
    return low


def _search_arrays(sequence, values, sorter=None, right=False, out_int32=False):
    n = sequence.shape[-1]
    if sorter is not None:
        sequence = xp.take_along_axis(sequence, sorter, axis=-1)
    if sequence.ndim == 1:
        rows, flat = sequence.reshape(1, n), values.reshape(1, values.size)
    else:
        count = math.prod(sequence.shape[:-1])
        rows, flat = sequence.reshape(count, n), values.reshape(count, values.shape[-1])
    index = _binary_search(rows, flat, right).reshape(values.shape)
    return index.astype(xp.int32 if out_int32 else xp.int64)


def _sorter_in_range(sorter, size):
    if sorter.size and (sorter.min() < 0 or sorter.max() >= size):
        raise RuntimeError(at_user_line(
            f"torch.searchsorted(): sorter index out of range: every entry must be in [0, {size}) "
            f"(the positions of the boundaries, e.g. from argsort)"))
    return sorter


def _check_sorter(sorter, sequence):
    if not isinstance(sorter, Tensor) or sorter._data.dtype != xp.int64:
        dtype = sorter.dtype if isinstance(sorter, Tensor) else type(sorter).__name__
        raise RuntimeError(at_user_line(
            f"torch.searchsorted(): sorter must be a tensor of long dtype but got dtype {dtype}; "
            f"pass the int64 result of argsort"))
    if sorter._data.shape != sequence._data.shape:
        raise RuntimeError(at_user_line(
            f"torch.searchsorted(): boundary and sorter must have the same size, but got boundary "
            f"tensor {list(sequence.shape)} and got sorter tensor {list(sorter.shape)}"))
    return checked(_sorter_in_range, sorter, size=sequence._data.shape[-1])


def _search_side(right, side):
    if side is None:
        return right
    if side not in ("left", "right"):
        raise RuntimeError(at_user_line(
            f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"))
    if side == "left" and right:
        raise RuntimeError(at_user_line(
            "torch.searchsorted(): side and right can't be set to opposites, got side of left "
            "while right was True; pass only one of them"))
    return side == "right"


def _check_search_shapes(sequence, values):
    seq_shape, value_shape = sequence._data.shape, values._data.shape
    if not seq_shape:
        raise RuntimeError(at_user_line(
            "torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
            "dimension; give the boundaries as a 1-D tensor"))
    if len(seq_shape) > 1 and not value_shape:
        raise RuntimeError(at_user_line(
            f"torch.searchsorted(): input value can be a scalar only when boundaries tensor "
            f"dimension is 1, but we got boundaries tensor dim({len(seq_shape)})"))
    if len(seq_shape) > 1 and (len(value_shape) != len(seq_shape) or
                               seq_shape[:-1] != value_shape[:-1]):
        raise RuntimeError(at_user_line(
            f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            f"dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(seq_shape)} and input value tensor {list(value_shape)}"))
    if sequence._data.dtype == xp.bool_ and values._data.dtype == xp.bool_:  # one of them may be
        raise NotImplementedError(at_user_line(
            "searchsorted: \"searchsorted_out_cpu\" not implemented for 'Bool' (bool boundaries "
            "and bool input); convert one with .int() first"))


def _as_tensor(x, op, name):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Tensor._make(xp.asarray(x))
    raise TypeError(at_user_line(
        f"{op}(): argument '{name}' must be a Tensor or a number, not {type(x).__name__}"))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices where ``input`` would be inserted to keep ``sorted_sequence`` sorted along its
    last dimension (the leftmost such place, or the rightmost with ``right=True`` or
    ``side='right'``). ``sorter`` gives the sorting order of an unsorted sequence."""
    sequence = _as_tensor(sorted_sequence, "searchsorted", "sorted_sequence")
    values = _as_tensor(input, "searchsorted", "input")
    right = _search_side(right, side)
    _check_search_shapes(sequence, values)
    inputs = [sequence, values]
    if sorter is not None:
        inputs.append(_check_sorter(sorter, sequence))
    return array_op(_search_with, *inputs, right=right, out_int32=out_int32)


def _search_with(sequence, values, sorter=None, right=False, out_int32=False):
    return _search_arrays(sequence, values, sorter, right, out_int32)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of ``input``: i with boundaries[i-1] < x <= boundaries[i]
    (boundaries[i-1] <= x < boundaries[i] with ``right=True``); boundaries is 1-D, sorted."""
    if not isinstance(boundaries, Tensor) or boundaries._data.ndim != 1:
        ndim = boundaries._data.ndim if isinstance(boundaries, Tensor) else 0
        raise RuntimeError(at_user_line(
            f"bucketize: boundaries tensor must be 1 dimension, but got dim({ndim}); for one "
            f"set of boundaries per row use searchsorted"))
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# ---------------------------------------------------------------- unique

def _unique_flat(a):
    values, inverse, counts = xp.unique(a.reshape(-1), return_inverse=True, return_counts=True,
                                        equal_nan=False)
    return values, inverse.reshape(a.shape).astype(xp.int64), counts.astype(xp.int64)


def _unique_along(a, axis):
    """Unique slices along ``axis``, sorted lexicographically."""
    moved = xp.moveaxis(a, axis, 0)
    rows = moved.reshape(moved.shape[0], math.prod(moved.shape[1:]))  # -1 is ambiguous when empty
    values, inverse, counts = xp.unique(rows, axis=0, return_inverse=True, return_counts=True)
    values = xp.moveaxis(values.reshape((values.shape[0],) + moved.shape[1:]), 0, axis)
    return values, inverse.reshape(-1).astype(xp.int64), counts.astype(xp.int64)


@sized_by_values
def _unique_parts(a, axis, part):
    if axis is None:
        result = _unique_flat(a)
    else:
        result = _unique_along(a, axis)
    return result[part]


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (or, with ``dim``, the distinct slices along ``dim``), in ascending
    order; with ``return_inverse`` the index of each input element (slice) in that result, with
    ``return_counts`` how often each occurs. NaNs are all distinct. Always sorted."""
    axis = None
    if dim is not None:
        if input._data.ndim == 0:
            raise IndexError(at_user_line(
                f"unique: Dimension specified as {dim} but tensor has no dimensions"))
        axis = wrap_dim(dim, input._data.ndim, "unique")
        shape = input._data.shape
        if any(size == 0 for d, size in enumerate(shape) if d != axis):
            raise RuntimeError(at_user_line(
                f"unique: There are 0 sized dimensions, and they aren't selected, so unique "
                f"cannot be applied (input shape {shape_str(shape)}, dim={dim})"))
    values = array_op(_unique_parts, input, axis=axis, part=0)
    if not (return_inverse or return_counts):
        return values
    result = [values]
    if return_inverse:
        result.append(array_op(_unique_parts, input, axis=axis, part=1))
    if return_counts:
        result.append(array_op(_unique_parts, input, axis=axis, part=2))
    return tuple(result)


# ---------------------------------------------------------------- isin / bincount / argwhere

def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of ``elements`` occurs in ``test_elements`` (either may be a
    number); ``invert=True`` gives the opposite. NaN is never found."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(at_user_line(
            "isin(): expected at least one of elements and test_elements to be a Tensor"))
    elements = _as_tensor(elements, "isin", "elements")
    test_elements = _as_tensor(test_elements, "isin", "test_elements")
    for t in (elements, test_elements):
        if t._data.dtype == xp.bool_:
            raise RuntimeError(at_user_line(
                "Unsupported input type encountered for isin(): Bool; compare bools with == "
                "or convert them first, e.g. x.int()"))
    dtype = result_type(elements, test_elements).np
    return array_op(_isin_arrays, elements, test_elements, dtype=dtype, invert=invert)


def _isin_arrays(elements, test_elements, dtype, invert):
    return xp.isin(elements.astype(dtype), test_elements.astype(dtype).reshape(-1), invert=invert)


def _non_negative_counts(values):
    if values.size and values.min() < 0:
        raise RuntimeError(at_user_line(
            f"bincount only supports 1-d non-negative integral inputs: found the value "
            f"{int(values.min())}. Shift the values (x - x.min()) or map them to classes first."))
    return values


def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ..., max(input) occurs in the 1-D non-negative integer
    ``input`` (at least ``minlength`` bins); with ``weights``, the sum of the weights instead
    (float32 weights give float32, any other dtype float64)."""
    data = input._data
    if data.dtype.kind not in "iu":
        raise NotImplementedError(at_user_line(
            f"bincount: not implemented for {input.dtype} tensors; it counts non-negative "
            f"integers, e.g. bincount(x.long())"))
    if data.ndim != 1:
        raise RuntimeError(at_user_line(
            f"bincount only supports 1-d non-negative integral inputs, got a tensor of shape "
            f"{shape_str(data.shape)}; flatten it first: x.reshape(-1)"))
    if minlength < 0:
        raise RuntimeError(at_user_line(f"bincount: minlength should be >= 0, got {minlength}"))
    if weights is not None and (weights._data.ndim != 1 or weights._data.shape != data.shape):
        raise RuntimeError(at_user_line(
            f"bincount: weights should be 1-d and have the same length as input: weights "
            f"{shape_str(weights.shape)}, input {shape_str(data.shape)}"))
    input = checked(_non_negative_counts, input)
    if weights is None:
        return array_op(_bincount_arrays, input, minlength=minlength)
    dtype = xp.float32 if weights._data.dtype == xp.float32 else xp.float64
    return array_op(_bincount_arrays, input, weights, minlength=minlength, dtype=dtype)


@sized_by_values
def _bincount_arrays(values, weights=None, minlength=0, dtype=xp.int64):
    if weights is None or values.size == 0:   # no values: int64 zeros, with weights too (as PyTorch)
        return xp.bincount(values, minlength=minlength).astype(xp.int64)
    return xp.bincount(values, weights.astype(xp.float64), minlength=minlength).astype(dtype)


def argwhere(input):
    """The indices of the nonzero elements, one row each: an (n, ndim) int64 tensor."""
    return nonzero(input)


__all__ = ["searchsorted", "bucketize", "unique", "isin", "bincount", "argwhere"]
TENSOR_METHODS = ["unique", "bincount", "argwhere"]
