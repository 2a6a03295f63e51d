"""Reductions: sum, mean and friends, each with ``dim`` and ``keepdim``."""
from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from ._dims import wrap_dims

xp = B.xp


def _keepdim_shape(shape, axes):
    """``shape`` with the reduced ``axes`` set to 1 (all of them when axes is None)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    def forward(ctx, a, axes, keepdim, np_dtype):
        ctx.shape = a.shape
        ctx.axes = axes
        return xp.sum(a, axis=axes, keepdims=keepdim, dtype=np_dtype)

    def backward(ctx, g):  # (reduced shape) -> (input shape)
        from .movement import Expand
        if g._data.ndim and g._data.ndim != len(ctx.shape):  # keepdim=False: restore the 1s
            g = g.reshape(_keepdim_shape(ctx.shape, ctx.axes))
        return Expand.apply(g, shape=ctx.shape)


class SumToShape(Function):
    """Sum a broadcast result back to ``shape`` (the inverse of broadcasting)."""

    def forward(ctx, a, shape):
        ctx.shape = a.shape
        lead = a.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and a.shape[lead + i] != 1)
        out = xp.sum(a, axis=axes, keepdims=True) if axes else a
        return out.reshape(shape)

    def backward(ctx, g):
        from .movement import expand
        return expand(g, ctx.shape)


def sum_to_shape(x, shape):
    shape = tuple(shape)
    if x._data.shape == shape:
        return x
    return SumToShape.apply(x, shape=shape)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all dimensions by default); integers and bools sum as int64."""
    axes = wrap_dims(dim, input._data.ndim, "sum")
    if dtype is not None:
        np_dtype = B.to_dtype(dtype).np
    elif input._data.dtype.kind in "biu":
        np_dtype = xp.int64
    else:
        np_dtype = None
    return Sum.apply(input, axes=axes, keepdim=keepdim, np_dtype=np_dtype)


def _count(shape, axes):
    if axes is None:
        axes = range(len(shape))
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Arithmetic mean over ``dim``; needs a floating input, as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {B.from_numpy_dtype(input._data.dtype).name.capitalize()}. "
            f"Convert first: x.float().mean()")
    axes = wrap_dims(dim, input._data.ndim, "mean")
    n = _count(input._data.shape, axes)
    return sum(input, dim, keepdim) / n if n else sum(input, dim, keepdim) * float("nan")


__all__ = ["sum", "mean", "sum_to_shape"]
TENSOR_METHODS = ["sum", "mean", "sum_to_shape"]
