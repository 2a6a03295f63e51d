"""Scatter with a reduction: ``scatter_reduce``, ``index_reduce``, and ``masked_scatter``.

``scatter_reduce(input, dim, index, src, reduce)`` combines, for each output
position, the ``src`` entries that ``index`` sends there (and the input's own
value unless ``include_self=False``) with ``sum``, ``prod``, ``mean``,
``amax`` or ``amin``. ``index_reduce`` is the same with a 1-D index along
``dim``. Gradients follow PyTorch:

    sum:        every contributor gets g
    mean:       every contributor gets g / count
    amax, amin: the contributors equal to the result share g evenly
    prod:       each contributor gets g * (the product of the other contributors),
                computed without dividing by zero
"""
from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._dims import wrap_dim
from .._errors import at_user_line, shape_str, ShapeError
from .indexing import (keeps_index, TakeAlong, Index, _crop_outside, _full_index, _scatter_args,
                       _index_along_args, _along, _index_array)
from .elementwise import where
from .array_op import array_op, checked
from .movement import expand

xp = B.xp

_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_UFUNCS = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum,
           "amin": xp.minimum}


def _identity(reduce, dtype):
    """The value a reduction starts from (an empty sum is 0, an empty max is the lowest value)."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -xp.inf if reduce == "amax" else xp.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = xp.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _scattered(shape, idx, dim):
    """A bool array of ``shape``: True at the positions ``idx`` writes to."""
    hit = xp.zeros(shape, dtype=bool)
    hit[_full_index(idx, dim)] = True
    return hit


class ScatterReduce(Function):
    """out = input with src reduced in at idx along dim (see the module docstring)."""

    def forward(ctx, a, src, idx, dim, reduce, include_self):
        ctx.idx, ctx.dim, ctx.reduce, ctx.include_self = idx, dim, reduce, include_self
        where_to = _full_index(idx, dim)
        out = a.copy()
        if not include_self:
            out[where_to] = _identity(reduce, a.dtype)
        _UFUNCS[reduce].at(out, where_to, src)
        if reduce == "mean":
            count = xp.ones(a.shape, a.dtype) if include_self else xp.zeros(a.shape, a.dtype)
            xp.add.at(count, where_to, 1)
            count = xp.maximum(count, 1)                   # 0 only where nothing was scattered
            out = out / count if a.dtype.kind == "f" else xp.floor_divide(out, count)
            ctx.count = count
        ctx.save_for_backward(a, src, out)
        return out

    def backward(ctx, g):
        a, src, out = ctx.saved_tensors
        rule = _BACKWARD[ctx.reduce]
        grad_a, grad_src = rule(ctx, g, a, src, out)
        if not ctx.include_self:                           # the input's own value took no part
            kept = Tensor._make(~_scattered(a._data.shape, ctx.idx, ctx.dim))
            grad_a = where(kept, grad_a, 0.0)
        return grad_a, grad_src

    # ---------------------------------------------------------------- helpers for the rules

    def gather(ctx, t):
        """t at the index positions: shape of idx (the adjoint of the scatter)."""
        return TakeAlong.apply(_crop_outside(t, ctx.idx.shape, ctx.dim), idx=ctx.idx, dim=ctx.dim)

    def gather_array(ctx, array):
        """The array version of ``gather`` (for masks and counts)."""
        crop = tuple(slice(None) if d == ctx.dim else slice(0, n) for d, n in enumerate(ctx.idx.shape))
        return xp.take_along_axis(array[crop], ctx.idx, ctx.dim)

    def self_takes_part(ctx, shape):
        """Where the input's own value is a contributor."""
        if ctx.include_self:
            return xp.ones(shape, dtype=bool)
        return ~_scattered(shape, ctx.idx, ctx.dim)

    def scatter_add_array(ctx, values, shape):
        total = xp.zeros(shape, dtype=values.dtype)
        xp.add.at(total, _full_index(ctx.idx, ctx.dim), values)
        return total


def _sum_backward(ctx, g, a, src, out):
    return g, ctx.gather(g)


def _mean_backward(ctx, g, a, src, out):
    share = g / Tensor._make(ctx.count.astype(g._data.dtype))
    return share, ctx.gather(share)


def _extreme_backward(ctx, g, a, src, out):
    """The contributors equal to the result share its gradient evenly (PyTorch's rule)."""
    result = out._data
    self_hits = (a._data == result) & ctx.self_takes_part(result.shape)
    src_hits = src._data == ctx.gather_array(result)
    count = self_hits.astype(result.dtype) + ctx.scatter_add_array(src_hits.astype(result.dtype),
                                                                   result.shape)
    with xp.errstate(divide="ignore"):  # no contributor equals a NaN result: NaN, as in PyTorch
        share = g / Tensor._make(count)
    return share * Tensor._make(self_hits.astype(result.dtype)), \
        ctx.gather(share) * Tensor._make(src_hits.astype(result.dtype))


def _prod_backward(ctx, g, a, src, out):
    """g times the product of the other contributors, without dividing by zero. A nonzero value
    v gets out / v (0 when another contributor is 0, with the right derivative in that zero);
    a zero gets the product P of the nonzero contributors if it is the only zero, else 0."""
    a_zero, src_zero = a._data == 0, src._data == 0
    shape = a._data.shape
    zeros = (a_zero & ctx.self_takes_part(shape)).astype(xp.int64) + \
        ctx.scatter_add_array(src_zero.astype(xp.int64), shape)
    a_safe = where(Tensor._make(a_zero), 1.0, a)
    src_safe = where(Tensor._make(src_zero), 1.0, src)
    nonzero_product = ScatterReduce.apply(a_safe, src_safe, idx=ctx.idx, dim=ctx.dim, reduce="prod",
                                          include_self=ctx.include_self)
    # the sum of the zero contributors (all 0, but in the graph): with two zeros, the other one is
    # zero_sum - v, so the product of the others stays differentiable in it (second derivatives)
    zero_sum = ScatterReduce.apply(where(Tensor._make(a_zero), a, 0.0), where(Tensor._make(src_zero), src, 0.0),
                                   idx=ctx.idx, dim=ctx.dim, reduce="sum", include_self=ctx.include_self)
    others_a = _others(a_zero, zeros, out, nonzero_product, zero_sum, a, a_safe)
    others_src = _others(src_zero, ctx.gather_array(zeros), ctx.gather(out), ctx.gather(nonzero_product),
                         ctx.gather(zero_sum), src, src_safe)
    return g * others_a, ctx.gather(g) * others_src


def _others(is_zero, zeros, out, nonzero_product, zero_sum, values, safe):
    """The product of the other contributors (see _prod_backward), for one set of values: for a
    zero, P if it is the only zero, (the other zero) * P if there are two, else 0."""
    two_zeros = where(Tensor._make(zeros == 2), (zero_sum - values) * nonzero_product, 0.0)
    at_zero = where(Tensor._make(zeros == 1), nonzero_product, two_zeros)
    return where(Tensor._make(is_zero), at_zero, out / safe)


_BACKWARD = {"sum": _sum_backward, "mean": _mean_backward, "prod": _prod_backward,
             "amax": _extreme_backward, "amin": _extreme_backward}


# ---------------------------------------------------------------- public functions

def _check_reduce(reduce, allowed, op):
    if reduce not in allowed:
        names = ", ".join(allowed[:-1]) + " or " + allowed[-1]
        raise RuntimeError(at_user_line(
            f"{op}(): Expected reduce to be one of {names} but got {reduce}."))


def _same_dtype(input, src, op, name):
    if not isinstance(src, Tensor):
        raise TypeError(at_user_line(
            f"{op}(): argument '{name}' must be Tensor, not {type(src).__name__}"))
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(at_user_line(
            f"{op}(): Expected self.dtype to be equal to {name}.dtype, got {input.dtype} and "
            f"{src.dtype}; convert it first: {name}.to(input.dtype)"))


@keeps_index(2)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """``input`` with each ``src[i][j]`` reduced into ``input[i][index[i][j]]`` (for dim=1) by
    ``reduce``: 'sum', 'prod', 'mean', 'amax' or 'amin'. Integer means round down."""
    _check_reduce(reduce, _REDUCES, "scatter_reduce")
    _same_dtype(input, src, "scatter_reduce", "src")
    dim, idx, src = _scatter_args(input, dim, index, src, "scatter_reduce")
    if reduce == "mean" and input._data.dtype == xp.bool_:
        raise NotImplementedError(at_user_line(
            "scatter_reduce: \"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool' (a "
            "mean of bools is not a bool); convert both first: input.float(), src.float()"))
    if input._data.ndim == 0:
        out = ScatterReduce.apply(input.reshape(1), src.reshape(-1), idx=idx.reshape(-1), dim=0,
                                  reduce=reduce, include_self=include_self)
        return out.reshape(())
    return ScatterReduce.apply(input, src, idx=idx, dim=dim, reduce=reduce,
                               include_self=include_self)


@keeps_index(2)
def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """``input`` with ``source[..., i, ...]`` reduced into ``input[..., index[i], ...]`` along
    ``dim`` by ``reduce``: 'prod', 'mean', 'amax' or 'amin' (PyTorch has no 'sum' here: that is
    ``index_add``)."""
    _check_reduce(reduce, _REDUCES[1:], "index_reduce")
    _same_dtype(input, source, "index_reduce", "source")
    idx = _index_array(index, "index_reduce")
    length = source._data.shape[dim] if source._data.ndim else 1
    if idx.size != length:
        raise RuntimeError(at_user_line(
            f"index_reduce_(): Number of indices ({idx.size}) should be equal to "
            f"source.size(dim): ({length}), for dim: {dim} (source shape {shape_str(source.shape)})"))
    if input._data.ndim == 0:
        wrap_dim(dim, 0, "index_reduce")   # a 0-d tensor takes dim 0 or -1
        if source._data.ndim:
            raise RuntimeError(at_user_line(
                f"index_reduce(): source tensor shape must match self tensor shape, excluding the "
                f"specified dimension. Got self.shape = [] source.shape = {list(source.shape)}"))
        return index_reduce(input.reshape(1), 0, index.reshape(-1), source.reshape(-1), reduce,
                            include_self=include_self).reshape(())
    dim, idx = _index_along_args(input, dim, index, source, "index_reduce")
    if input._data.dtype == xp.bool_ and (reduce == "mean" or not include_self):
        raise NotImplementedError(at_user_line(
            f"index_reduce ('{reduce}', include_self={include_self}) is not implemented for bool "
            f"tensors, as in PyTorch (bools take 'prod', 'amax' and 'amin' with include_self=True); "
            f"convert both to an integer dtype first (input.to(chainrule.uint8), "
            f"source.to(chainrule.uint8))"))
    spread = _along(idx, dim, source._data.shape)
    return ScatterReduce.apply(input, source, idx=spread._data, dim=dim, reduce=reduce,
                               include_self=include_self)


# ---------------------------------------------------------------- masked_scatter

def _source_positions(mask, count):
    """For each True of the flattened mask, which element of the source it takes (in order)."""
    return xp.clip(xp.cumsum(mask.reshape(-1)) - 1, 0, max(count - 1, 0)).reshape(mask.shape)


def _enough_source(mask, count):
    needed = int(mask.sum())
    if needed > count:
        raise RuntimeError(at_user_line(
            f"masked_scatter: Number of elements of source < number of ones in mask: the mask "
            f"selects {needed} positions but source has only {count} elements"))
    return mask


def masked_scatter(input, mask, source):
    """``input`` with the positions where ``mask`` is True filled, in order, by the elements
    of ``source`` (read flattened). ``input`` and ``mask`` broadcast together."""
    if not isinstance(mask, Tensor) or mask._data.dtype != xp.bool_:
        dtype = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(at_user_line(
            f"masked_scatter_ only supports boolean masks, but got mask with dtype {dtype}; "
            f"build one with a comparison (x > 0) or .bool()"))
    _same_dtype(input, source, "masked_scatter", "source")
    try:
        shape = xp.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        raise ShapeError(at_user_line(
            f"masked_scatter: the mask of shape {shape_str(mask.shape)} cannot be broadcast with "
            f"the input of shape {shape_str(input.shape)}")) from None
    count = source._data.size
    mask = checked(_enough_source, expand(mask, shape), count=count)   # counted where it lands
    if count == 0:       # nothing is selected (checked above); source still gets its (empty) gradient
        return where(mask, source.sum().to(input.dtype), input)   # sum() of bool is int64
    positions = array_op(_source_positions, mask, count=count)
    taken = Index.apply(source.reshape(-1), index=(positions._data,))       # (shape)
    return where(mask, taken, input)


__all__ = ["scatter_reduce", "index_reduce", "masked_scatter"]
TENSOR_METHODS = __all__
