"""Sorting and selection: sort, argsort, topk, kthvalue, msort.

Each op finds the positions with NumPy and reads the values with a gather
(``TakeAlong``, ``PickAlong``), so the values are differentiable with no backward
of their own: the gradient goes back to the positions the values came from.
The values are fresh tensors (never views of the input) of the input's dtype;
indices are int64. NaN counts as the largest value, as in PyTorch. As in
PyTorch, topk refuses bool tensors and kthvalue refuses them past 0-d.
"""
from collections import namedtuple

from .. import backend as B
from ..tensor import Tensor
from .._errors import at_user_line, shape_str
from .._dims import wrap_dim
from .indexing import TakeAlong, kept_index
from .array_op import array_op
from .order_stats import pick_along, zero_dim_result

xp = B.xp

SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])


def _descending_keys(data):
    """Keys whose ascending order is ``data``'s descending order (ties keep their order)."""
    if data.dtype.kind == "f":
        return -data
    return ~data  # ints and bools: ~x reverses the order without overflow


def _order(data, dim, descending, stable=True):
    """argsort along ``dim``; descending order puts NaN first (it is the largest)."""
    if not descending:
        return xp.argsort(data, axis=dim, kind="stable" if stable else None)
    keys = _descending_keys(data)
    if data.dtype.kind == "f":
        nan = xp.isnan(data)
        if nan.any():  # primary key: not-NaN (NaN first); secondary: the value
            return xp.lexsort((keys, ~nan), axis=dim)
    return xp.argsort(keys, axis=dim, kind="stable")


def _select(input, indices, dim):
    """Values at ``indices`` (an int64 tensor) along ``dim`` (differentiable), and the indices."""
    return kept_index(TakeAlong.apply(input, idx=indices._data, dim=dim), indices), indices


def _order_int64(data, dim, descending):
    return _order(data, dim, descending).astype(xp.int64)


def _refuse_bool(input, op, error, fix):
    if input._data.dtype == xp.bool_:
        raise error(at_user_line(
            f"{op}(): not supported for bool tensors (chainrule.bool, shape "
            f"{shape_str(input.shape)}), as in PyTorch. Convert first: {fix}"))


def sort(input, dim=-1, descending=False, stable=False):
    """Values sorted along ``dim`` and the positions they came from: ``(values, indices)``.

    The sort is always stable (``stable`` is accepted for PyTorch's signature).
    """
    if input._data.ndim == 0:
        wrap_dim(dim, 0, "sort")
        return zero_dim_result(input, SortResult)
    dim = wrap_dim(dim, input._data.ndim, "sort")
    return SortResult(*_select(input, array_op(_order_int64, input, dim=dim, descending=descending), dim))


def argsort(input, dim=-1, descending=False, stable=False):
    """The positions that sort ``input`` along ``dim`` (int64)."""
    if input._data.ndim == 0:
        wrap_dim(dim, 0, "argsort")
        return Tensor._make(xp.zeros((), xp.int64))
    dim = wrap_dim(dim, input._data.ndim, "argsort")
    return array_op(_order_int64, input, dim=dim, descending=descending)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (``largest=False``: smallest) values along ``dim`` and their positions.

    Returned in order (largest first) whether or not ``sorted`` is set.
    """
    _refuse_bool(input, "topk", RuntimeError, f"x.int().topk({k})")
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim, "topk")
    size = input._data.shape[dim] if ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(at_user_line(
            f"topk(): selected index k={k} out of range for dimension {dim} of size {size} "
            f"(input shape {shape_str(input.shape)}); k must be between 0 and {size}"))
    if ndim == 0:
        return zero_dim_result(input, TopkResult)
    return TopkResult(*_select(input, array_op(_topk_index, input, k=k, dim=dim, largest=largest), dim))


def _topk_index(data, k, dim, largest):
    """The int64 positions of the k largest (smallest) values along ``dim``, in order."""
    size = data.shape[dim]
    few_of_many = size >= 256 and 0 < k <= size // 8
    if few_of_many and not (largest and data.dtype.kind == "f" and xp.isnan(data).any()):
        keys = _descending_keys(data) if largest else data
        part = xp.take(xp.argpartition(keys, k - 1, axis=dim), xp.arange(k), axis=dim)  # k unordered
        order = xp.argsort(xp.take_along_axis(keys, part, axis=dim), axis=dim, kind="stable")
        return xp.take_along_axis(part, order, axis=dim).astype(xp.int64)
    return xp.take(_order(data, dim, descending=largest), xp.arange(k), axis=dim).astype(xp.int64)


def _kth_index(data, k, dim):
    return xp.take(_order(data, dim, False), [k - 1], axis=dim).astype(xp.int64)


def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest value along ``dim`` (``k`` counts from 1) and its position."""
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim, "kthvalue")
    size = input._data.shape[dim] if ndim else 1
    if size == 0:   # PyTorch: an IndexError for an empty dimension, before looking at k
        raise IndexError(at_user_line(
            f"kthvalue(): Expected reduction dim {dim} to have non-zero size (input shape "
            f"{shape_str(input.shape)}); there is no k-th value of an empty dimension"))
    if not 1 <= k <= size:
        raise RuntimeError(at_user_line(
            f"kthvalue(): selected number k={k} out of range for dimension {dim} of size {size} "
            f"(k counts from 1)"))
    if ndim == 0:
        return zero_dim_result(input, KthvalueResult)
    _refuse_bool(input, "kthvalue", NotImplementedError, f"x.int().kthvalue({k})")
    idx = array_op(_kth_index, input, k=k, dim=dim)                    # (..., 1, ...)
    return pick_along(input, idx, dim, keepdim, KthvalueResult)


def msort(input):
    """``sort(input, dim=0).values``."""
    return sort(input, dim=0).values


__all__ = ["sort", "argsort", "topk", "kthvalue", "msort"]
TENSOR_METHODS = __all__
