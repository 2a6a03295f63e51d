"""Sorting and selection: sort, argsort, topk, kthvalue. Values are differentiable (a gather)."""
from collections import namedtuple

from .. import backend as B
from ..tensor import Tensor
from .._errors import at_user_line, shape_str
from .._dims import wrap_dim
from .indexing import TakeAlong

xp = B.xp

SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])


def _order(data, dim, descending, stable):
    if descending:  # a stable descending order: sort the negated keys (ints/bools via ranks)
        keys = -data if data.dtype.kind == "f" else -data.astype(xp.int64)
        return xp.argsort(keys, axis=dim, kind="stable")
    return xp.argsort(data, axis=dim, kind="stable" if stable else None)


def _select(input, idx, dim):
    """Values at ``idx`` along ``dim`` (differentiable) and the indices as an int64 tensor."""
    values = TakeAlong.apply(input, idx=idx, dim=dim) if input._data.ndim else input * 1
    return values, Tensor._make(idx.astype(xp.int64))


def sort(input, dim=-1, descending=False, stable=False):
    """Sorted values along ``dim`` and the positions they came from."""
    if input._data.ndim == 0:
        return SortResult(input * 1, Tensor._make(xp.zeros((), xp.int64)))
    dim = wrap_dim(dim, input._data.ndim, "sort")
    idx = _order(input._data, dim, descending, stable)
    return SortResult(*_select(input, idx, dim))


def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable).indices


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) values along ``dim`` and their positions."""
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim, "topk")
    size = input._data.shape[dim] if ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(at_user_line(
            f"topk(): selected index k={k} out of range for dimension {dim} of size {size} "
            f"(input shape {shape_str(input.shape)})"))
    if ndim == 0:
        return TopkResult(input * 1, Tensor._make(xp.zeros((), xp.int64)))
    idx = _order(input._data, dim, descending=largest, stable=True)
    idx = xp.take(idx, xp.arange(k), axis=dim)
    return TopkResult(*_select(input, idx, dim))


def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest value along ``dim`` (1-based ``k``) and its position."""
    dim = wrap_dim(dim, input._data.ndim, "kthvalue")
    size = input._data.shape[dim] if input._data.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(at_user_line(
            f"kthvalue(): selected number k={k} out of range for dimension {dim} of size {size}"))
    idx = xp.take(_order(input._data, dim, False, True), [k - 1], axis=dim)
    values, indices = _select(input, idx, dim)
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return KthvalueResult(values, indices)


def msort(input):
    return sort(input, dim=0).values


__all__ = ["sort", "argsort", "topk", "kthvalue", "msort"]
TENSOR_METHODS = __all__
