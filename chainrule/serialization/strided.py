"""Arrays as (storage, offset, shape, strides): how saved tensors share memory.

A storage is a flat 1-D array. Every tensor read from a file is a strided window on one,
so tensors that shared memory when saved share it again when loaded. The window is checked
against the storage's size first: a file may lie, and NumPy's ``as_strided`` would read
whatever memory lies beyond.
"""
import numpy as np


class CorruptFileError(ValueError):
    """A checkpoint whose tensor descriptions do not fit its data."""


def window(storage, offset, shape, strides, where):
    """The view ``storage[offset + sum(i_k * strides[k])]`` of ``shape``; raises if any element
    it could reach lies outside ``storage``. ``offset`` and ``strides`` count elements."""
    shape, strides = tuple(int(n) for n in shape), tuple(int(s) for s in strides)
    offset = int(offset)
    if len(shape) != len(strides) or any(n < 0 for n in shape):
        raise CorruptFileError(f"{where}: the shape {list(shape)} and strides {list(strides)} do not "
                               f"describe a tensor")
    if 0 in shape:
        return np.empty(shape, storage.dtype)
    lowest = offset + sum((n - 1) * s for n, s in zip(shape, strides) if s < 0)
    highest = offset + sum((n - 1) * s for n, s in zip(shape, strides) if s > 0)
    if lowest < 0 or highest >= storage.size:
        raise CorruptFileError(
            f"{where}: a tensor of shape {list(shape)} with strides {list(strides)} at offset {offset} "
            f"reaches elements {lowest}..{highest} of a storage of {storage.size} elements; the file "
            f"is damaged or was not written by chainrule.save or torch.save")
    itemsize = storage.dtype.itemsize
    start = storage[offset:]
    return np.lib.stride_tricks.as_strided(start, shape, tuple(s * itemsize for s in strides))


def describe(array):
    """(root, offset, strides) of ``array`` inside the C-contiguous array that owns its memory,
    or None when it cannot be described that way (another dtype, a non-contiguous owner, no
    elements): the caller then saves a contiguous copy of its own."""
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    itemsize = array.dtype.itemsize
    if array.size == 0 or root.dtype != array.dtype or not root.flags.c_contiguous:
        return None
    start = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    if start % itemsize or any(s % itemsize for s in array.strides):
        return None
    return root, start // itemsize, [s // itemsize for s in array.strides]


def contiguous_strides(shape):
    """The element strides of a C-contiguous array of ``shape``."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return strides[::-1]
