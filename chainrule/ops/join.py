"""Joining and splitting: cat, stack, split, chunk, unbind."""
from .. import backend as B
from ..function import Function
from .._errors import at_user_line, shape_str, ShapeError
from .._dims import wrap_dim
from .promotion import result_type, cast_to

xp = B.xp


class Cat(Function):
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        ctx.sizes = [a.shape[axis] for a in arrays]
        return xp.concatenate(arrays, axis=axis)

    def backward(ctx, g):  # each input gets its slice of g
        grads, start = [], 0
        for size in ctx.sizes:
            grads.append(g.narrow(ctx.axis, start, size))
            start += size
        return tuple(grads)


def cat(tensors, dim=0):
    """Join tensors along an existing dimension ``dim``."""
    tensors = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)] or list(tensors)[:1]
    if not tensors:
        raise RuntimeError(at_user_line("cat(): expected a non-empty list of Tensors"))
    first = tensors[0]
    if first._data.ndim == 0:
        raise RuntimeError(at_user_line("zero-dimensional tensor (at position 0) cannot be concatenated"))
    axis = wrap_dim(dim, first._data.ndim, "cat")
    for i, t in enumerate(tensors[1:], 1):
        same_rest = (t._data.ndim == first._data.ndim and all(
            a == b for d, (a, b) in enumerate(zip(t._data.shape, first._data.shape)) if d != axis))
        if not same_rest:
            raise ShapeError(at_user_line(
                f"cat(): tensor {i} has shape {shape_str(t.shape)} but tensor 0 has shape "
                f"{shape_str(first.shape)}: sizes must match except in dimension {axis}"))
    target = result_type(*tensors)
    tensors = [cast_to(t, target) for t in tensors]
    return Cat.apply(*tensors, axis=axis)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dimension ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(at_user_line("stack expects a non-empty TensorList"))
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != shape:
            raise ShapeError(at_user_line(
                f"stack expects each tensor to be equal size, but got {shape_str(shape)} at entry 0 "
                f"and {shape_str(t.shape)} at entry {i}"))
    axis = wrap_dim(dim, len(shape) + 1, "stack")
    return cat([t.unsqueeze(axis) for t in tensors], axis)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``tensor`` along ``dim``: of equal size (the last may be smaller), or of the given sizes."""
    axis = wrap_dim(dim, tensor._data.ndim, "split")
    size = tensor._data.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(at_user_line(f"split expects split_size be non-negative, but got {step}"))
        sizes = [min(step, size - start) for start in range(0, size, step)] if size else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != size:
            raise RuntimeError(at_user_line(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {axis}), but got split_sizes={sizes}"))
    pieces, start = [], 0
    for s in sizes:
        pieces.append(tensor.narrow(axis, start, s))
        start += s
    return tuple(pieces)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of ceil(size / chunks) (fewer if the size runs out)."""
    if chunks <= 0:
        raise RuntimeError(at_user_line(f"chunk expects `chunks` to be greater than 0, got: {chunks}"))
    size = input._data.shape[wrap_dim(dim, input._data.ndim, "chunk")]
    step = max(-(-size // chunks), 1)
    return split(input, step, dim)


def unbind(input, dim=0):
    """The slices along ``dim``, each without that dimension."""
    axis = wrap_dim(dim, input._data.ndim, "unbind")
    return tuple(input.select(axis, i) for i in range(input._data.shape[axis]))


def select(input, dim, index):
    """The slice at ``index`` along ``dim`` (the dimension is removed)."""
    axis = wrap_dim(dim, input._data.ndim, "select")
    return input[(slice(None),) * axis + (index,)]


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t._data.ndim < 2 else t for t in tensors], 0)


__all__ = ["cat", "concat", "concatenate", "stack", "split", "chunk", "unbind", "select",
           "hstack", "vstack"]
TENSOR_METHODS = ["split", "chunk", "unbind", "select"]
