"""The ops that index along one dim with an index tensor: ``gather``/``take_along_dim``,
``scatter``/``scatter_add``, ``index_select``, ``index_add``/``index_copy``/``index_fill``.

Each checks its index's range and shape with PyTorch's messages, and keeps the index tensor's
version (``keeps_index``), so changing the index in place before backward is refused.
"""
import numbers

from .. import backend as B
from ..function import Function
from ..tensor import Tensor, tracer
from .._errors import at_user_line, shape_str
from .._dims import wrap_dim
from .array_op import array_op, checked
from .indexing import Index, BasicIndex, keeps_index, kept_index
from .promotion import number_as, check_scalar_fits

xp = B.xp


def _index_array(index, op):
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(at_user_line(
            f"{op}(): Expected dtype int32/int64 for index, got "
            f"{index.dtype if isinstance(index, Tensor) else type(index).__name__}"))
    if tracer[0] is not None:
        tracer[0].sees(index)   # its array goes into an op's parameters
    return index._data


def _check_index_range(idx, size, dim, op, *, negative=False, error=RuntimeError):
    """``idx`` after PyTorch's gather/scatter rule: 0 <= index < size (no negative indices;
    ``negative=True``: -size <= index < size). PyTorch raises RuntimeError for gather/scatter
    and IndexError for the index_* ops (``error``).
    Inside chainrule.compile the check is an op, so each replay checks its own indices."""
    return checked(_in_range, idx, size=size, dim=dim, op=op, negative=negative, error=error)


def _in_range(idx, size, dim, op, negative=False, error=RuntimeError):
    low = -size if negative else 0
    if idx.size and (idx.min() < low or idx.max() >= size):
        bad = idx[(idx < low) | (idx >= size)].reshape(-1)[0]
        allowed = f"[{low}, {size - 1}]"
        raise error(at_user_line(
            f"{op}(): index {int(bad)} is out of bounds for dimension {dim} with size {size} "
            f"(indices must be in {allowed})"))
    return idx


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
        full_slices = all(n == s for d, (n, s) in enumerate(zip(idx.shape, shape)) if d != dim)
        if idx.shape[dim] == 1 and full_slices:  # one index per slice: no repeats, a plain write (fast)
            xp.put_along_axis(out, idx, g, axis=dim)
        else:
            xp.add.at(out, _full_index(idx, dim), g)
        return out

    def backward(ctx, gg):
        return TakeAlong.apply(_crop_outside(gg, ctx.idx.shape, ctx.dim), idx=ctx.idx, dim=ctx.dim)


def _crop_outside(t, shape, dim):
    """``t`` cut down to ``shape`` in every dimension but ``dim`` (take_along_axis needs that)."""
    if all(a == b for d, (a, b) in enumerate(zip(t._data.shape, shape)) if d != dim):
        return t
    return BasicIndex.apply(t, index=tuple(slice(None) if d == dim else slice(0, n)
                                           for d, n in enumerate(shape)))


def _full_index(idx, dim):
    """The tuple of index arrays that addresses ``idx`` along ``dim`` (others: their own position)."""
    grids = list(xp.indices(idx.shape, sparse=True))
    grids[dim] = idx
    return tuple(grids)


def _check_index_shape(idx, input, dim, op, src=None):
    """PyTorch's rule: index no larger than self (outside ``dim``) and than src (everywhere)."""
    shape = input._data.shape
    if max(idx.ndim, 1) != max(len(shape), 1):   # a 0-d tensor counts as 1-d, as in PyTorch
        raise RuntimeError(at_user_line(
            f"{op}(): Index tensor must have the same number of dimensions as "
            f"{'input' if op == 'gather' else 'self'} tensor (index shape {shape_str(idx.shape)}, "
            f"{'input' if op == 'gather' else 'self'} shape {shape_str(shape)})"))
    too_big = any(d != dim and i > s for d, (i, s) in enumerate(zip(idx.shape, shape)))
    src_shape = src._data.shape if isinstance(src, Tensor) else None
    if src_shape is not None and max(len(src_shape), 1) != max(idx.ndim, 1):   # 0-d counts as 1-d
        raise RuntimeError(at_user_line(
            f"{op}(): Index tensor must have the same number of dimensions as src tensor (index "
            f"shape {shape_str(idx.shape)}, src shape {shape_str(src_shape)})"))
    # an empty index reads nothing from src: PyTorch does not compare their sizes
    if src_shape is not None and idx.size and any(i > s for i, s in zip(idx.shape or (1,), src_shape or (1,))):
        too_big = True
    if too_big:
        words = f" and to be no larger size than src {list(src_shape)}" if src_shape is not None else ""
        raise RuntimeError(at_user_line(
            f"{op}(): Size does not match: expected index {list(idx.shape)} to be no larger than "
            f"self {list(shape)} apart from dimension {dim}{words}"))


@keeps_index(2)
def gather(input, dim, index, *, sparse_grad=False):
    """out[i][j] = input[i][index[i][j]] along ``dim`` (index has input's number of dims).

    The gradient is a scatter-add into ``input``'s shape (``ScatterAddInto``).
    """
    idx = _index_array(index, "gather")
    dim = wrap_dim(dim, input._data.ndim, "gather")
    if input._data.ndim == 0:
        input = input.reshape(1)
    _check_index_shape(idx, input, dim, "gather")
    idx = idx.reshape(-1) if idx.ndim == 0 else idx
    idx = _check_index_range(idx, input._data.shape[dim], dim, "gather")
    out = TakeAlong.apply(_crop_outside(input, idx.shape, dim), idx=idx, dim=dim)
    return out.reshape(()) if index._data.ndim == 0 else out


@keeps_index(1)
def take_along_dim(input, indices, dim=None):
    """``gather`` with broadcasting of ``indices`` (``dim=None``: over the flattened input)."""
    idx = _index_array(indices, "take_along_dim")
    if dim is None:
        input, idx, dim = input.reshape(-1), idx.reshape(-1), 0
    dim = wrap_dim(dim, input._data.ndim, "take_along_dim")
    if idx.ndim != input._data.ndim:
        raise RuntimeError(at_user_line(
            f"take_along_dim(): input and indices should have the same number of dimensions, but "
            f"got {input._data.ndim} dimensions for input, and {idx.ndim} dimensions for indices"))
    idx = _check_index_range(idx, input._data.shape[dim], dim, "take_along_dim")
    try:
        outer = xp.broadcast_shapes(input._data.shape[:dim] + input._data.shape[dim + 1:],
                                    idx.shape[:dim] + idx.shape[dim + 1:])
    except ValueError:
        raise RuntimeError(at_user_line(
            f"take_along_dim(): indices of shape {shape_str(idx.shape)} cannot be broadcast "
            f"against input of shape {shape_str(input.shape)} outside dimension {dim}")) from None
    in_shape = outer[:dim] + input._data.shape[dim:dim + 1] + outer[dim:]
    idx_shape = outer[:dim] + idx.shape[dim:dim + 1] + outer[dim:]
    return TakeAlong.apply(input.expand(in_shape), idx=xp.broadcast_to(idx, idx_shape), dim=dim)


@keeps_index(2)
def index_select(input, dim, index):
    """The entries of ``input`` at positions ``index`` (0-d or 1-D) along ``dim``."""
    idx = _index_array(index, "index_select")
    if idx.ndim > 1:
        raise IndexError(at_user_line(
            f"index_select(): Index is supposed to be a vector, got shape {shape_str(idx.shape)}"))
    dim = wrap_dim(dim, input._data.ndim, "index_select")
    idx = _check_index_range(idx, input._data.shape[dim] if input._data.ndim else 1, dim, "index_select",
                             error=IndexError)
    if input._data.ndim == 0:
        return Index.apply(input.reshape(1), index=(idx.reshape(-1),)).reshape(())
    return Index.apply(input, index=(slice(None),) * dim + (idx.reshape(-1),))


class ScatterInto(Function):
    """A copy of ``a`` with ``src`` written at ``idx`` along ``dim`` (scatter, no reduction)."""

    def forward(ctx, a, src, idx, dim):
        ctx.idx, ctx.dim = idx, dim
        out = a.copy()
        out[_full_index(idx, dim)] = src if isinstance(src, xp.ndarray) and src.ndim else \
            xp.broadcast_to(src, idx.shape)
        return out

    def backward(ctx, g):
        needs = ctx.needs_input_grad
        grad_a = ScatterInto.apply(g, 0, idx=ctx.idx, dim=ctx.dim) if needs[0] else None
        grad_src = None
        if len(needs) > 1 and needs[1]:
            grad_src = TakeAlong.apply(_crop_outside(g, ctx.idx.shape, ctx.dim),
                                       idx=ctx.idx, dim=ctx.dim)
        return grad_a, grad_src


def _scatter_args(input, dim, index, src, op):
    """Checked ``(dim, idx, src)``; a src larger than index is cut down to index's shape."""
    idx = _index_array(index, op)
    dim = wrap_dim(dim, input._data.ndim, op)
    _check_index_shape(idx, input, dim, op, src)
    idx = _check_index_range(idx, input._data.shape[dim] if input._data.ndim else 1, dim, op)
    if input._data.ndim == 1 and idx.ndim == 0:   # a 0-d index into a 1-D tensor is one position
        idx = idx.reshape(1)
    if isinstance(src, Tensor) and src._data.ndim == 0 and idx.ndim == 1:
        src = src.reshape(1)
    if isinstance(src, Tensor):
        if src._data.dtype != input._data.dtype:
            raise RuntimeError(at_user_line(
                f"{op}(): Expected self.dtype to be equal to src.dtype (self is {input.dtype}, "
                f"src is {src.dtype}); convert src with .to(self.dtype)"))
        if src._data.shape != idx.shape:  # the gradient of the unused part is zero
            src = src[tuple(slice(0, n) for n in idx.shape or (1,))]   # (a 0-d index: 1-D src)
    return dim, idx, src


@keeps_index(2)
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """A copy of ``input`` with ``src`` (or the number ``value``) written at ``index`` along ``dim``.

    ``self[i][index[i][j]] = src[i][j]`` for ``dim=1``. With repeated indices the
    last write wins (PyTorch leaves that order unspecified).
    """
    if src is None:
        src = value
    if isinstance(src, numbers.Number) and input._data.dtype.kind in "biu":
        number_as(src, input._data.dtype, "scatter")   # refuses a number no element can hold
    elif isinstance(src, numbers.Number):
        check_scalar_fits(src, B.from_numpy_dtype(input._data.dtype), "scatter", "value")   # 1e10 in float16
    if reduce is not None:
        return _scatter_reduced(input, dim, index, src, reduce)
    if not isinstance(src, (Tensor, numbers.Number)):
        raise TypeError(at_user_line(
            f"scatter(): src must be a tensor or a number, got {type(src).__name__}"))
    dim, idx, src = _scatter_args(input, dim, index, src, "scatter")
    if input._data.ndim == 0:
        return scatter(input.reshape(1), 0, index.reshape(-1), src.reshape(-1) if
                       isinstance(src, Tensor) else src).reshape(())
    return ScatterInto.apply(input, src, idx=idx, dim=dim)


def _scatter_reduced(input, dim, index, src, reduce):
    """``scatter(..., reduce='add' | 'multiply')``: src (or a number) added or multiplied in."""
    if reduce not in ("add", "multiply"):
        raise RuntimeError(at_user_line(
            f"scatter(): reduce argument must be either 'add' or 'multiply', got '{reduce}' "
            f"(scatter_reduce has 'sum', 'prod', 'mean', 'amax' and 'amin')"))
    if not isinstance(src, Tensor):
        src = Tensor._make(xp.full(index._data.shape, src, dtype=input._data.dtype))
    if reduce == "add":
        return scatter_add(input, dim, index, src)
    dim, idx, src = _scatter_args(input, dim, index, src, "scatter")
    if input._data.ndim == 0:
        return _scatter_reduced(input.reshape(1), 0, index.reshape(-1), src.reshape(-1),
                                reduce).reshape(())
    return ScatterMultiply.apply(input, src, idx=idx, dim=dim)


class ScatterMultiply(Function):
    """``input`` with ``src`` multiplied in at ``idx`` along ``dim`` (repeated indices multiply).

    Not differentiable, as in PyTorch (``scatter_reduce(..., 'prod')`` is)."""

    def forward(ctx, a, src, idx, dim):
        out = a.copy()
        xp.multiply.at(out, _full_index(idx, dim), src)
        return out

    def backward(ctx, g):
        raise RuntimeError(at_user_line(
            "the derivative of scatter(..., reduce='multiply') is not implemented; use "
            "scatter_reduce(dim, index, src, reduce='prod'), which is differentiable"))


def scatter_add(input, dim, index, src):
    """``input`` plus ``src`` added at ``index`` along ``dim`` (repeated indices add up)."""
    if not isinstance(src, Tensor):
        src = Tensor._make(xp.asarray(src, dtype=input._data.dtype))
    dim, idx, src = _scatter_args(input, dim, index, src, "scatter_add")
    if input._data.ndim == 0:
        return input + src.reshape(())
    out = ScatterAdd.apply(input, src, idx=idx, dim=dim)
    return kept_index(out, index) if src._rg else out   # PyTorch saves the index for src's gradient only


class ScatterAdd(Function):
    """``a`` with ``src`` added at ``idx`` along ``dim``, into a copy of ``a`` in PyTorch's order
    (a + s1 + s2): adding zeros-plus-src to ``a`` would turn -0.0 + -0.0 into +0.0."""

    def forward(ctx, a, src, idx, dim):
        ctx.idx, ctx.dim = idx, dim
        out = a.copy()
        xp.add.at(out, _full_index(idx, dim), src)
        return out

    def backward(ctx, g):
        needs = ctx.needs_input_grad
        grad_src = None
        if needs[1]:
            grad_src = TakeAlong.apply(_crop_outside(g, ctx.idx.shape, ctx.dim), idx=ctx.idx, dim=ctx.dim)
        return (g if needs[0] else None), grad_src


def _along(idx, dim, shape):
    """A 1-D ``idx`` laid along ``dim`` and broadcast to ``shape`` (index_add/copy as scatter)."""
    view = [1] * len(shape)
    view[dim] = idx.size
    return Tensor._make(xp.broadcast_to(idx.reshape(view), shape))


def _index_along_args(input, dim, index, source, op, negative=False):
    """Checked ``(dim, idx)`` for the index_* ops (``negative``: index_fill counts from the end)."""
    idx = _index_array(index, op)
    if idx.ndim > 1:
        raise IndexError(at_user_line(
            f"{op}(): Index is supposed to be a vector, got shape {shape_str(idx.shape)}"))
    idx = idx.reshape(-1)
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim, op)
    expected = list(input._data.shape)
    if ndim:
        expected[dim] = idx.size
    if source is not None and source._data.dtype != input._data.dtype:
        raise RuntimeError(at_user_line(
            f"{op}(): self and source expected to have the same dtype, but got (self) "
            f"{input.dtype} and (source) {source.dtype}; convert source with .to(self.dtype)"))
    # a 0-d source for a 0-d self; index_copy also takes a 1-element 1-D one there, and a 0-d
    # source for one index into a 1-D self
    limit = 1 if op == "index_copy" else 0
    scalars = source is not None and source._data.size == 1 and (
        (ndim == 0 and source._data.ndim <= limit) or (limit and source._data.ndim == 0 and expected == [1]))
    if source is not None and list(source._data.shape) != expected and not scalars:
        raise _source_shape_error(op, source, expected, dim)(at_user_line(
            f"{op}(): source of shape {shape_str(source.shape)} must match self "
            f"{shape_str(input.shape)} except in dimension {dim}, where it must have the index's "
            f"length {idx.size}: expected shape {shape_str(expected)}"))
    written = source if source is not None else input
    if written._data.size == 0:   # nothing is written: PyTorch's kernel never reads an index
        return dim, idx
    idx = _check_index_range(idx, input._data.shape[dim] if ndim else 1, dim, op, negative=negative,
                             error=IndexError)
    return dim, idx


def _source_shape_error(op, source, expected, dim):
    """PyTorch's class for a source of the wrong shape: index_copy raises IndexError when the
    number of dimensions or the length along ``dim`` is wrong (a 0-d tensor counts as 1-D);
    everything else is a RuntimeError."""
    shape = list(source._data.shape) or [1]
    expected = list(expected) or [1]
    other_dims_match = len(shape) == len(expected) and all(
        a == b for d, (a, b) in enumerate(zip(shape, expected)) if d != dim)
    return IndexError if op == "index_copy" and (len(shape) != len(expected) or other_dims_match) \
        else RuntimeError


def index_add(input, dim, index, source, *, alpha=1):
    """``input`` with ``alpha * source[..., i, ...]`` added at ``input[..., index[i], ...]``."""
    dim, idx = _index_along_args(input, dim, index, source, "index_add")
    source = source * _alpha_as(alpha, input) if alpha != 1 else source   # alpha=1 keeps a bool source bool
    if input._data.ndim == 0:
        return input + source.reshape(())
    out = scatter_add(input, dim, _along(idx, dim, source._data.shape), source)
    return kept_index(out, index) if source._rg else out   # as scatter_add: only for source's gradient


def _alpha_as(alpha, input):
    """``alpha`` as PyTorch's index_add kernel uses it: converted to the tensor's dtype (an
    integer tensor truncates 2.7 to 2, a bool tensor takes its truth value)."""
    if input._data.dtype.kind in "biu":
        return number_as(alpha, input._data.dtype, "index_add").item()   # refuses what no element holds
    check_scalar_fits(alpha, B.from_numpy_dtype(input._data.dtype), "index_add", "alpha")   # 1e10 in float16
    return alpha


@keeps_index(2)
def index_copy(input, dim, index, source):
    """``input`` with ``input[..., index[i], ...] = source[..., i, ...]`` along ``dim``."""
    dim, idx = _index_along_args(input, dim, index, source, "index_copy")
    if source._data.ndim == 0 and input._data.ndim == 1:
        source = source.reshape(1)
    if input._data.ndim == 0:   # a select, not input * 0 + source: inf * 0 would be nan
        from .elementwise import where
        return where(Tensor._make(xp.asarray(True)), source.reshape(()), input)
    return scatter(input, dim, _along(idx, dim, source._data.shape), source)


@keeps_index(2)
def index_fill(input, dim, index, value):
    """``input`` with the entries at ``index`` along ``dim`` set to ``value``."""
    from .masked import _masked_fill, _mask_along  # masked.py imports this file: import at call time
    dim, idx = _index_along_args(input, dim, index, None, "index_fill", negative=True)
    if input._data.size == 0:
        return _masked_fill(input, Tensor._make(xp.zeros((), dtype=bool)), value, "index_fill")
    size = input._data.shape[dim] if input._data.ndim else 1
    mask = array_op(_mask_along, idx, size=size, dim=dim, ndim=input._data.ndim)   # the checked index
    return _masked_fill(input, mask, value, "index_fill")
