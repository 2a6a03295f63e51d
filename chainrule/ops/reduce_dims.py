"""Dims and shapes of reductions, shared by ``reduce``, ``order_stats`` and ``fused``.

``dim`` follows PyTorch: an int, a sequence of ints, or None for all dims (an
empty sequence also means all dims); negative dims count from the end; a 0-d
tensor takes dim 0 or -1.
"""
from .. import backend as B
from .._errors import at_user_line
from .._dims import wrap_dim


def reduce_axes(dim, ndim, op):
    """``dim`` as a sorted tuple of axes, or None for all dims (None or an empty sequence)."""
    if dim is None:
        return None
    if isinstance(dim, int):
        axis = wrap_dim(dim, ndim, op)
        return (axis,) if ndim else ()
    axes = [wrap_dim(d, ndim, op) for d in dim]
    if not axes:
        return None
    if len(set(axes)) != len(axes):
        repeated = next(a for a in axes if axes.count(a) > 1)
        raise RuntimeError(at_user_line(
            f"{op}(): dim {repeated} appears multiple times in the list of dims {list(dim)}"))
    return tuple(sorted(axes)) if ndim else ()


def _keepdim_shape(shape, axes):
    """``shape`` with the reduced ``axes`` set to 1 (all of them when axes is None)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _drop(shape, axes):
    """``shape`` without the reduced ``axes`` (all of them when axes is None)."""
    return tuple(s for i, s in enumerate(shape) if axes is not None and i not in axes)


def _out_shape(shape, axes, keepdim):
    return _keepdim_shape(shape, axes) if keepdim else _drop(shape, axes)


def _count(shape, axes):
    """How many elements each output of a reduction over ``axes`` combines."""
    n = 1
    for a in range(len(shape)) if axes is None else axes:
        n *= shape[a]
    return n


def _with_kept_dims(g, shape, axes):
    """A reduced gradient reshaped so that it broadcasts against the input ``shape``."""
    if g._data.ndim and g._data.ndim != len(shape):  # keepdim=False: put the 1s back
        g = g.reshape(_keepdim_shape(shape, axes))
    return g


def _expand_back(g, shape, axes):
    """A reduced gradient broadcast back to the input ``shape`` (dropped dims restored)."""
    from .movement import Expand
    return Expand.apply(_with_kept_dims(g, shape, axes), shape=shape)


def _require_float(input, op, fix):
    if input._data.dtype.kind != "f":
        raise RuntimeError(at_user_line(
            f"{op}(): expected a floating point input, got "
            f"{B.from_numpy_dtype(input._data.dtype).name}. Convert first: {fix}"))
