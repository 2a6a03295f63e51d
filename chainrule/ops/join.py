"""Joining and splitting: cat, stack, hstack, vstack, split, chunk, unbind, select.

``cat`` and ``stack`` are primitives (one copy); their backward slices the
gradient. The pieces of ``split``/``chunk``/``unbind`` are views, each its own
single-output slicing op, so the engine adds their gradients into the input.
"""
from .. import backend as B
from .. import views as _views
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line, shape_str, ShapeError
from .._dims import wrap_dim
from .indexing import BasicIndex
from .promotion import result_type, cast_to

xp = B.xp


def _slice(input, axis, start, stop):
    """``input[..., start:stop, ...]`` along ``axis``: a view."""
    return BasicIndex.apply(input, index=(slice(None),) * axis + (slice(start, stop),))


def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(at_user_line(
            f"{op}(): argument 'tensors' must be a tuple or list of Tensors, not "
            f"{type(tensors).__name__}"))
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(at_user_line(
                f"{op}(): expected Tensor as element {i} in argument 'tensors', but got "
                f"{type(t).__name__}"))
    return list(tensors)


def _is_legacy_empty(t):
    return t._data.ndim == 1 and t._data.shape[0] == 0


class Cat(Function):
    def forward(ctx, *arrays, axis, skip):
        ctx.axis = axis
        if skip:  # legacy 1-D empty tensors take no part (but still get an empty gradient)
            ctx.sizes = [None if s else a.shape[axis] for a, s in zip(arrays, skip)]
            arrays = [a for a, s in zip(arrays, skip) if not s]
        else:
            ctx.sizes = [a.shape[axis] for a in arrays]
        return xp.concatenate(arrays, axis=axis)

    def backward(ctx, g):  # each input gets its slice of g
        grads, start = [], 0
        for size in ctx.sizes:
            if size is None:
                grads.append(Tensor._make(xp.zeros((0,), g._data.dtype)))
                continue
            grads.append(_slice(g, ctx.axis, start, start + size))
            start += size
        return tuple(grads)


def cat(tensors, dim=0):
    """Join tensors along an existing dimension ``dim``; dtypes promote as in PyTorch.

    All shapes must match except along ``dim``. 1-D empty tensors (shape (0,)) are skipped,
    as PyTorch does for backward compatibility.
    """
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise RuntimeError(at_user_line("cat(): expected a non-empty list of Tensors"))
    skip = [_is_legacy_empty(t) for t in tensors]
    if all(skip):
        skip = [False] * len(tensors)
        dim = 0
    kept = [(i, t) for i, t in enumerate(tensors) if not skip[i]]
    for i, t in kept:
        if t._data.ndim == 0:
            raise RuntimeError(at_user_line(
                f"zero-dimensional tensor (at position {i}) cannot be concatenated; use "
                f"stack(), or unsqueeze(0) it first"))
    first_i, first = kept[0]
    ndim = first._data.ndim
    axis = wrap_dim(dim, ndim, "cat")
    for i, t in kept[1:]:
        shape = t._data.shape
        if len(shape) != ndim:
            raise ShapeError(at_user_line(
                f"cat(): tensors must have the same number of dimensions: tensor {i} has shape "
                f"{shape_str(shape)} but tensor {first_i} has shape {shape_str(first._data.shape)}"))
        if any(a != b for d, (a, b) in enumerate(zip(shape, first._data.shape)) if d != axis):
            raise ShapeError(at_user_line(
                f"cat(): tensor {i} has shape {shape_str(shape)} but tensor {first_i} has shape "
                f"{shape_str(first._data.shape)}: sizes must match except in dimension {axis}"))
    target = result_type(*tensors)
    tensors = [cast_to(t, target) for t in tensors]
    return Cat.apply(*tensors, axis=axis, skip=skip if any(skip) else None)


concat = concatenate = cat


class Stack(Function):
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        return xp.stack(arrays, axis=axis)

    def backward(ctx, g):  # each input gets its slice of g along the new axis
        index = (slice(None),) * ctx.axis
        return tuple(BasicIndex.apply(g, index=index + (i,)) for i in range(g._data.shape[ctx.axis]))


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dimension ``dim`` (dtypes promote as in ``cat``)."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError(at_user_line("stack expects a non-empty TensorList"))
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != shape:
            raise ShapeError(at_user_line(
                f"stack expects each tensor to be equal size, but got {shape_str(shape)} at entry 0 "
                f"and {shape_str(t._data.shape)} at entry {i}"))
    axis = wrap_dim(dim, len(shape) + 1, "stack")
    target = result_type(*tensors)
    return Stack.apply(*[cast_to(t, target) for t in tensors], axis=axis)


def hstack(tensors):
    """Join along dim 1 (dim 0 for 1-D tensors); 0-d tensors count as 1-D."""
    tensors = [t if t._data.ndim else t.reshape(1) for t in _tensor_list(tensors, "hstack")]
    if not tensors:
        raise RuntimeError(at_user_line("hstack expects a non-empty TensorList"))
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    """Join along dim 0, after making 0-d and 1-D tensors (n,) into rows (1, n)."""
    tensors = _tensor_list(tensors, "vstack")
    return cat([t.reshape(1, -1) if t._data.ndim < 2 else t for t in tensors], 0)


def split(tensor, split_size_or_sections, dim=0):
    """Views of ``tensor`` along ``dim``: pieces of ``split_size`` (the last may be smaller), or
    pieces of the given sizes (a list that sums to the dimension's size)."""
    ndim = tensor._data.ndim
    axis = wrap_dim(dim, ndim, "split")
    if ndim == 0:
        raise RuntimeError(at_user_line("split: a 0-dim tensor cannot be split; reshape it to 1-D first"))
    size = tensor._data.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0 or (step == 0 and size):
            raise RuntimeError(at_user_line(
                f"split expects split_size be non-negative, and 0 only if the dimension size is 0; "
                f"got split_size={step} for dimension {axis} of size {size}"))
        sizes = [min(step, size - start) for start in range(0, size, step)] if size else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes):
            raise RuntimeError(at_user_line(
                f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                f"split_sizes={sizes}"))
        if sum(sizes) != size:
            raise RuntimeError(at_user_line(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {axis}, shape {shape_str(tensor._data.shape)}), but got "
                f"split_sizes={sizes}"))
    pieces, start = [], 0
    for s in sizes:
        pieces.append(_slice(tensor, axis, start, start + s))
        start += s
    return tuple(_views.mark_multi_output(pieces, "split"))


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` views of ceil(size / chunks) entries (fewer if the size runs out)."""
    if chunks <= 0:
        raise RuntimeError(at_user_line(f"chunk expects `chunks` to be greater than 0, got: {chunks}"))
    ndim = input._data.ndim
    axis = wrap_dim(dim, ndim, "chunk")
    if ndim == 0:
        raise RuntimeError(at_user_line("chunk expects at least a 1-dimensional tensor"))
    size = input._data.shape[axis]
    if size == 0:  # PyTorch: `chunks` empty pieces
        return split(input, [0] * chunks, axis)
    return split(input, -(-size // chunks), axis)


def unbind(input, dim=0):
    """The slices along ``dim``, each without that dimension (views)."""
    ndim = input._data.ndim
    if ndim == 0:
        raise IndexError(at_user_line(f"unbind: Dimension specified as {dim} but tensor has no dimensions"))
    axis = wrap_dim(dim, ndim, "unbind")
    index = (slice(None),) * axis
    pieces = [BasicIndex.apply(input, index=index + (i,)) for i in range(input._data.shape[axis])]
    return tuple(_views.mark_multi_output(pieces, "unbind"))


def select(input, dim, index):
    """The slice at ``index`` along ``dim``, without that dimension (a view)."""
    shape = input._data.shape
    if not shape:
        raise IndexError(at_user_line("select() cannot be applied to a 0-dim tensor."))
    axis = wrap_dim(dim, len(shape), "select")
    if not -shape[axis] <= index < shape[axis]:
        raise IndexError(at_user_line(
            f"select(): index {index} out of range for tensor of size {list(shape)} at dimension {axis}"))
    return BasicIndex.apply(input, index=(slice(None),) * axis + (int(index),))


__all__ = ["cat", "concat", "concatenate", "stack", "split", "chunk", "unbind", "select",
           "hstack", "vstack"]
TENSOR_METHODS = ["split", "chunk", "unbind", "select"]
