"""Arrays that look into a traced value: re-made as the same view of the new value.

Library code outside ops often reshapes or broadcasts a tensor's array before handing
it to an op as a parameter (``index_select`` flattens its index, ``masked_select``
broadcasts its mask). Such an array is no value the graph knows, and held as a
constant it would freeze the traced call's data. Its memory says where it comes from:
it lies inside a traced value's memory, at a byte offset, with its own shape and
strides. ``ViewOf`` takes the same window of the replay's value.
"""
import numpy
from numpy.lib.array_utils import byte_bounds
from numpy.lib.stride_tricks import as_strided

from ..function import Function


class ViewOf(Function):
    """The window ``(start, shape, strides)`` into ``source``: ``source[start]`` is its first element."""

    is_view = True

    def forward(ctx, source, start, shape, strides, source_strides):
        if source.strides != source_strides:
            raise RuntimeError(
                f"chainrule.compile: a traced view expects an array with strides {source_strides}, "
                f"got {source.strides}")
        window = source[tuple(slice(i, None) for i in start)]
        return as_strided(window, shape, strides, writeable=False)


def find_window(array, candidates):
    """``(source, params)`` for the first of ``candidates`` whose memory holds ``array``, else None."""
    if array.base is None or array.size == 0:
        return None
    owner = _owner(array)
    low, high = byte_bounds(array)
    for source in candidates:
        if source.size == 0 or _owner(source) is not owner:
            continue
        source_low, source_high = byte_bounds(source)
        if not (source_low <= low and high <= source_high):
            continue
        start = _element_at(source, _first_element(array) - _first_element(source))
        if start is not None:
            return source, {"start": start, "shape": array.shape, "strides": array.strides,
                            "source_strides": source.strides}
    return None


def _owner(array):
    """The array that owns ``array``'s memory."""
    while isinstance(array.base, numpy.ndarray):
        array = array.base
    return array


def _first_element(array):
    return array.__array_interface__["data"][0]


def _element_at(source, offset):
    """The index of ``source``'s element ``offset`` bytes after its first one (None if there is none)."""
    index = [0] * source.ndim
    for axis in sorted(range(source.ndim), key=lambda a: -abs(source.strides[a])):
        stride = source.strides[axis]
        if stride <= 0:
            continue
        index[axis], offset = divmod(offset, stride)
        if index[axis] >= source.shape[axis]:
            return None
    return tuple(index) if offset == 0 else None
