"""Indexing: ``x[idx]``, ``x[idx] = v`` (through ``index_put``), gather/scatter and friends.

Basic indexing (ints, slices, None, ...) returns a view; advanced indexing
(integer arrays, boolean masks) copies, as in NumPy and PyTorch. The backward
of every read is a scatter-add of the gradient into zeros of the input shape,
so repeated indices accumulate.
"""
import numbers

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line, shape_str
from .._dims import wrap_dim

xp = B.xp


# ---------------------------------------------------------------- index normalization

def _is_basic(index):
    return index is None or index is Ellipsis or isinstance(index, (slice, numbers.Integral)) \
        and not isinstance(index, bool)


def _to_array_index(item):
    """Tensors and lists become NumPy index arrays; ints, slices, None and ... stay."""
    if isinstance(item, Tensor):
        item = item._data
    elif isinstance(item, (list, tuple)):
        item = xp.asarray([i._data if isinstance(i, Tensor) else i for i in item])
        if item.size == 0:
            item = item.astype(xp.int64)
    if isinstance(item, xp.ndarray):
        if item.dtype.kind == "f":
            raise IndexError(at_user_line(
                "tensors used as indices must be long, int, byte or bool tensors "
                f"(got a float index of shape {shape_str(item.shape)}); convert it with .long()"))
        if item.dtype.kind == "u" and item.dtype != xp.uint8:
            item = item.astype(xp.int64)
        if item.dtype == xp.uint8:
            item = item.astype(bool)
    elif isinstance(item, float):
        raise IndexError(at_user_line(
            "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
            f"valid indices (got float {item})"))
    elif isinstance(item, slice) and item.step is not None and item.step <= 0:
        raise ValueError(at_user_line(
            f"step must be greater than zero (got {item.step}); PyTorch tensors do not support "
            f"negative steps: use .flip(dim) to reverse"))
    return item


def normalize_index(index, shape):
    """A tuple of NumPy-ready index items, with bounds checked and PyTorch's error messages."""
    if not isinstance(index, tuple):
        index = (index,)
    items = tuple(_to_array_index(i) for i in index)
    _check_bounds(items, shape)
    return items


def _check_bounds(items, shape):
    consumed = []  # (item, dim) pairs that address an existing dimension
    explicit = sum(0 if i is None or i is Ellipsis else
                   (i.ndim if isinstance(i, xp.ndarray) and i.dtype == bool else 1) for i in items)
    if explicit > len(shape):
        raise IndexError(at_user_line(
            f"too many indices for tensor of dimension {len(shape)} (got {explicit} indices for "
            f"a tensor of shape {shape_str(shape)})"))
    dim = 0
    for pos, item in enumerate(items):
        if item is None:
            continue
        if item is Ellipsis:
            rest = sum(0 if i is None or i is Ellipsis else
                       (i.ndim if isinstance(i, xp.ndarray) and i.dtype == bool else 1)
                       for i in items[pos + 1:])
            dim = len(shape) - rest
            continue
        if isinstance(item, xp.ndarray) and item.dtype == bool:
            if item.shape != shape[dim:dim + item.ndim]:
                raise IndexError(at_user_line(
                    f"The shape of the mask {list(item.shape)} at index {dim} does not match the "
                    f"shape of the indexed tensor {list(shape)}"))
            dim += item.ndim
            continue
        consumed.append((item, dim))
        dim += 1
    for item, d in consumed:
        size = shape[d]
        if isinstance(item, numbers.Integral):
            if not -size <= item < size:
                raise IndexError(at_user_line(
                    f"index {item} is out of bounds for dimension {d} with size {size} "
                    f"(tensor shape {shape_str(shape)})"))
        elif isinstance(item, xp.ndarray) and item.size:
            bad = (item < -size) | (item >= size)
            if bad.any():
                raise IndexError(at_user_line(
                    f"index {int(item[bad].reshape(-1)[0])} is out of bounds for dimension {d} "
                    f"with size {size} (tensor shape {shape_str(shape)})"))


# ---------------------------------------------------------------- reading

class Index(Function):
    """``a[index]`` for an already normalized index (advanced: a copy)."""

    def forward(ctx, a, index):
        ctx.shape, ctx.index = a.shape, index
        return a[index]

    def backward(ctx, g):
        return IndexBackward.apply(g, shape=ctx.shape, index=ctx.index)


class BasicIndex(Index):
    """``a[index]`` with ints, slices, None and ... only: a view."""
    is_view = True


class IndexBackward(Function):
    """Scatter-add ``g`` into zeros of ``shape`` at ``index`` (duplicates accumulate)."""

    def forward(ctx, g, shape, index):
        ctx.index = index
        out = xp.zeros(shape, dtype=g.dtype)
        if all(_is_basic(i) for i in index):
            out[index] = g
        else:
            xp.add.at(out, index, g)
        return out

    def backward(ctx, gg):
        return Index.apply(gg, index=ctx.index)


def getitem(input, index):
    """``input[index]`` with PyTorch's (NumPy's) indexing rules."""
    if type(index) is int:  # the common case: skip normalization
        shape = input._data.shape
        if not shape:
            raise IndexError(at_user_line("invalid index of a 0-dim tensor. Use `tensor.item()` "
                                          "to convert a 0-dim tensor to a number"))
        if not -shape[0] <= index < shape[0]:
            raise IndexError(at_user_line(
                f"index {index} is out of bounds for dimension 0 with size {shape[0]} "
                f"(tensor shape {shape_str(shape)})"))
        return BasicIndex.apply(input, index=(index,))
    items = normalize_index(index, input._data.shape)
    if all(_is_basic(i) for i in items):
        return BasicIndex.apply(input, index=items)
    return Index.apply(input, index=items)


# ---------------------------------------------------------------- writing

class IndexPut(Function):
    """A copy of ``a`` with ``a[index] = v`` (v broadcast to the indexed shape)."""

    def forward(ctx, a, v, index):
        ctx.index = index
        ctx.v_shape = v.shape if isinstance(v, xp.ndarray) else ()
        out = a.copy()
        out[index] = v
        return out

    def backward(ctx, g):
        grad_a = grad_v = None
        if ctx.needs_input_grad[0]:
            kept = Tensor._make(xp.ones(g._data.shape, dtype=bool))
            kept._data[ctx.index] = False
            grad_a = g * kept
        if len(ctx.needs_input_grad) > 1 and ctx.needs_input_grad[1]:
            grad_v = Index.apply(g, index=ctx.index)  # summed back to v's shape by the engine
        return grad_a, grad_v


def index_put(input, index, value):
    """A new tensor equal to ``input`` with ``input[index] = value`` (used by ``x[idx] = v``)."""
    items = normalize_index(index, input._data.shape)
    if isinstance(value, Tensor):
        if value._data.dtype != input._data.dtype:
            value = value.to(input.dtype)
        target_shape = input._data[items].shape
        try:
            xp.broadcast_shapes(value._data.shape, target_shape)
        except ValueError:
            raise RuntimeError(at_user_line(
                f"shape mismatch: value tensor of shape {shape_str(value.shape)} cannot be "
                f"broadcast to indexing result of shape {shape_str(target_shape)}")) from None
    return IndexPut.apply(input, value, index=items)


def index_add_values(input, index, values):
    """``input`` with ``values`` added at ``index``; repeated positions add up."""
    items = normalize_index(index, input._data.shape)
    target_shape = input._data[items].shape
    if not isinstance(values, Tensor):
        values = Tensor._make(xp.asarray(values, dtype=input._data.dtype))
    values = values.to(input.dtype).expand(target_shape)
    return input + IndexBackward.apply(values, shape=input._data.shape, index=items)


# ---------------------------------------------------------------- gather / scatter family

def _index_array(index, op):
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(at_user_line(
            f"{op}(): Expected dtype int64 for index, got "
            f"{index.dtype if isinstance(index, Tensor) else type(index).__name__}"))
    return index._data


def _check_index_range(idx, size, dim, op):
    if idx.size and (idx.min() < -size or idx.max() >= size):
        bad = idx[(idx < -size) | (idx >= size)].reshape(-1)[0]
        raise IndexError(at_user_line(
            f"{op}(): index {int(bad)} is out of bounds for dimension {dim} with size {size}"))


class TakeAlong(Function):
    """``take_along_axis``: out[i][j] = a[i][idx[i][j]] along ``dim`` (the core of gather)."""

    def forward(ctx, a, idx, dim):
        ctx.shape, ctx.idx, ctx.dim = a.shape, idx, dim
        return xp.take_along_axis(a, idx, axis=dim)

    def backward(ctx, g):
        return ScatterAddInto.apply(g, shape=ctx.shape, idx=ctx.idx, dim=ctx.dim)


class ScatterAddInto(Function):
    """Zeros of ``shape`` with ``g`` added at ``idx`` along ``dim`` (the adjoint of TakeAlong)."""

    def forward(ctx, g, shape, idx, dim):
        ctx.idx, ctx.dim = idx, dim
        out = xp.zeros(shape, dtype=g.dtype)
        xp.add.at(out, _full_index(idx, dim), g)
        return out

    def backward(ctx, gg):
        return gather(gg, ctx.dim, Tensor._make(ctx.idx))


def _full_index(idx, dim):
    """The tuple of index arrays that addresses ``idx`` along ``dim`` (others: their own position)."""
    grids = list(xp.indices(idx.shape, sparse=True))
    grids[dim] = idx
    return tuple(grids)


def gather(input, dim, index):
    """out[i][j] = input[i][index[i][j]] along ``dim`` (index has input's number of dims)."""
    idx = _index_array(index, "gather")
    dim = wrap_dim(dim, input._data.ndim, "gather")
    if idx.ndim != input._data.ndim:
        raise RuntimeError(at_user_line(
            f"gather(): Index tensor must have the same number of dimensions as input tensor "
            f"(index shape {shape_str(idx.shape)}, input shape {shape_str(input.shape)})"))
    for d, (i, s) in enumerate(zip(idx.shape, input._data.shape)):
        if d != dim and i > s:
            raise RuntimeError(at_user_line(
                f"gather(): Size does not match at dimension {d} expected index "
                f"{shape_str(idx.shape)} to be smaller than self {shape_str(input.shape)} "
                f"apart from dimension {dim}"))
    _check_index_range(idx, input._data.shape[dim], dim, "gather")
    # take_along_axis needs index and input to agree outside dim: slice input down to index
    if any(i != s for d, (i, s) in enumerate(zip(idx.shape, input._data.shape)) if d != dim):
        input = input[tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(idx.shape))]
    return TakeAlong.apply(input, idx=idx, dim=dim)


def take_along_dim(input, indices, dim=None):
    """``gather`` with broadcasting of ``indices`` (``dim=None``: over the flattened input)."""
    if dim is None:
        return TakeAlong.apply(input.reshape(-1), idx=_index_array(indices, "take_along_dim").reshape(-1), dim=0)
    dim = wrap_dim(dim, input._data.ndim, "take_along_dim")
    idx = _index_array(indices, "take_along_dim")
    shape = list(xp.broadcast_shapes(tuple(s for d, s in enumerate(input._data.shape) if d != dim),
                                     tuple(s for d, s in enumerate(idx.shape) if d != dim)))
    in_shape = shape[:dim] + [input._data.shape[dim]] + shape[dim:]
    idx_shape = shape[:dim] + [idx.shape[dim]] + shape[dim:]
    _check_index_range(idx, input._data.shape[dim], dim, "take_along_dim")
    return TakeAlong.apply(input.expand(in_shape), idx=xp.broadcast_to(idx, idx_shape), dim=dim)


def index_select(input, dim, index):
    """The entries of ``input`` at positions ``index`` (1-D) along ``dim``."""
    idx = _index_array(index, "index_select")
    if idx.ndim > 1:
        raise IndexError(at_user_line(
            f"index_select(): Index is supposed to be a vector, got shape {shape_str(idx.shape)}"))
    dim = wrap_dim(dim, input._data.ndim, "index_select")
    _check_index_range(idx, input._data.shape[dim] if input._data.ndim else 1, dim, "index_select")
    items = (slice(None),) * dim + (idx.reshape(-1),)
    return Index.apply(input, index=items)


class ScatterInto(Function):
    """A copy of ``a`` with ``src`` written at ``idx`` along ``dim`` (scatter, no reduction)."""

    def forward(ctx, a, src, idx, dim):
        ctx.idx, ctx.dim = idx, dim
        ctx.src_shape = src.shape if isinstance(src, xp.ndarray) else ()
        out = a.copy()
        values = src if isinstance(src, xp.ndarray) and src.ndim else xp.broadcast_to(src, idx.shape)
        if values.shape != idx.shape:
            values = values[tuple(slice(0, n) for n in idx.shape)]
        out[_full_index(idx, dim)] = values
        return out

    def backward(ctx, g):
        grad_a = grad_src = None
        if ctx.needs_input_grad[0]:
            kept = xp.ones(g._data.shape, dtype=bool)
            kept[_full_index(ctx.idx, ctx.dim)] = False
            grad_a = g * Tensor._make(kept)
        if len(ctx.needs_input_grad) > 1 and ctx.needs_input_grad[1]:
            grad_src = _pad_to(gather(g, ctx.dim, Tensor._make(ctx.idx)), ctx.src_shape)
        return grad_a, grad_src


def _pad_to(t, shape):
    """Zero-pad ``t`` at the end of each dimension up to ``shape`` (src may exceed index)."""
    if tuple(t._data.shape) == tuple(shape):
        return t
    from .pad import pad
    widths = []
    for have, want in reversed(list(zip(t._data.shape, shape))):
        widths += [0, want - have]
    return pad(t, tuple(widths))


def _check_scatter(input, dim, idx, src, op):
    dim = wrap_dim(dim, input._data.ndim, op)
    if idx.ndim != input._data.ndim:
        raise RuntimeError(at_user_line(
            f"{op}(): Index tensor must have the same number of dimensions as self tensor "
            f"(index shape {shape_str(idx.shape)}, self shape {shape_str(input.shape)})"))
    if isinstance(src, Tensor) and any(i > s for i, s in zip(idx.shape, src._data.shape)):
        raise RuntimeError(at_user_line(
            f"{op}(): Expected index {shape_str(idx.shape)} to be smaller than src "
            f"{shape_str(src.shape)} in every dimension"))
    _check_index_range(idx, input._data.shape[dim], dim, op)
    return dim


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """A copy of ``input`` with ``src`` (or ``value``) written at ``index`` along ``dim``."""
    if reduce is not None:
        if reduce != "add":
            raise RuntimeError(at_user_line(f"scatter(): reduce='{reduce}' is not supported; use 'add'"))
        return scatter_add(input, dim, index, src)
    if src is None:
        src = value
    idx = _index_array(index, "scatter")
    dim = _check_scatter(input, dim, idx, src, "scatter")
    if isinstance(src, Tensor):
        src = src.to(input.dtype)
    else:
        src = float(src) if input._data.dtype.kind == "f" else src
    return ScatterInto.apply(input, src, idx=idx, dim=dim)


def scatter_add(input, dim, index, src):
    """``input`` plus ``src`` added at ``index`` along ``dim`` (duplicates accumulate)."""
    idx = _index_array(index, "scatter_add")
    dim = _check_scatter(input, dim, idx, src, "scatter_add")
    src = src.to(input.dtype)
    if src._data.shape != idx.shape:
        src = src[tuple(slice(0, n) for n in idx.shape)]
    return input + ScatterAddInto.apply(src, shape=input._data.shape, idx=idx, dim=dim)


def masked_fill(input, mask, value):
    """``value`` where ``mask`` is True (mask broadcasts to ``input``)."""
    from .elementwise import where
    if not isinstance(mask, Tensor) or mask._data.dtype != xp.bool_:
        raise RuntimeError(at_user_line(
            f"masked_fill_ only supports boolean masks, but got mask with dtype "
            f"{mask.dtype if isinstance(mask, Tensor) else type(mask).__name__}"))
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(at_user_line(
                f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)"))
        value = value.to(input.dtype)
    try:
        xp.broadcast_shapes(mask._data.shape, input._data.shape)
    except ValueError:
        raise RuntimeError(at_user_line(
            f"masked_fill: the mask of shape {shape_str(mask.shape)} cannot be broadcast to the "
            f"input of shape {shape_str(input.shape)}")) from None
    return where(mask, value, input).to(input.dtype)


def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor."""
    shape = xp.broadcast_shapes(input._data.shape, mask._data.shape)
    return getitem(input.expand(shape), Tensor._make(xp.broadcast_to(mask._data, shape)))


def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (output has index's shape)."""
    return getitem(input.reshape(-1), index)


__all__ = ["index_put", "gather", "take_along_dim", "index_select", "scatter", "scatter_add",
           "masked_fill", "masked_select", "take"]
TENSOR_METHODS = __all__
