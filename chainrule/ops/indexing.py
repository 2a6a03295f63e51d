"""Indexing: ``x[idx]``, ``x[idx] = v`` (through ``index_put``), gather/scatter and friends.

Basic indexing (ints, slices, None, ...) returns a view; advanced indexing
(integer arrays, boolean masks) copies, as in NumPy and PyTorch. The backward
of every read is a scatter-add of the gradient into zeros of the input shape,
so repeated indices accumulate.

PyTorch follows NumPy's rules with one exception: an integer never takes part
in advanced indexing (``x[1, :, [0, 1]]`` selects row 1 first, then indexes
the rest). Such an index is applied in two steps: the basic part, then the
advanced part. A list of index tensors means one tensor per dimension
(``index_put``'s convention); any other list is an index array.
"""
import functools
import math
import numbers

from .. import backend as B
from ..function import Function
from ..tensor import Tensor, tracer
from .._errors import at_user_line, shape_str
from .._dims import wrap_dim
from .array_op import array_op, checked
from .promotion import check_scalar_fits

xp = B.xp


def kept_index(out, index):
    """``out``, whose graph reads the arrays of the integer Tensors in ``index`` (one, or a
    tuple of getitem's index parts) in backward, its node noting their versions: an in-place
    change of the indices then makes backward refuse, as in PyTorch, which saves them, instead
    of silently sending the gradient to the new positions. (The returned node is the one every
    gradient into the graph's inner nodes passes through, so it may check for them.)"""
    node = out.grad_fn if isinstance(out, Tensor) else None
    if node is None:
        return out
    for part in index if isinstance(index, (tuple, list)) else (index,):
        if isinstance(part, Tensor) and part._data.dtype.kind in "iu":
            node.keep_index(part)
    return out


def keeps_index(position):
    """Decorates a public op whose argument at ``position`` (the index) its backward reads:
    see ``kept_index``."""
    def decorate(function):
        name = function.__code__.co_varnames[position]

        @functools.wraps(function)
        def op(*args, **kwargs):
            index = args[position] if len(args) > position else kwargs.get(name)
            out = function(*args, **kwargs)
            if args and out is args[0]:   # nothing new was made (an empty write): no node to mark
                return out
            return kept_index(out, index)
        return op
    return decorate


# ---------------------------------------------------------------- index normalization

def _is_basic(item):
    return item is None or item is Ellipsis or type(item) is int or type(item) is slice


def _index_type_error(what):
    return IndexError(at_user_line(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
        f"valid indices (got {what})"))


def _item(item):
    """One index item in NumPy form: ints, slices, None and ... stay; the rest become arrays."""
    kind = type(item)
    if kind is int or item is None or item is Ellipsis or kind is slice and item.step is None:
        return item
    if isinstance(item, Tensor):
        if item._data.dtype == xp.uint8:   # PyTorch's deprecated byte mask, converted by an op
            item = item.to(B.bool_)
        elif item._data.ndim == 0 and item._data.dtype.kind in "iu" and tracer[0] is not None:
            tracer[0].value_escapes(item, "indexing with a 0-d integer tensor")   # it acts as a Python int
        if tracer[0] is not None:
            tracer[0].sees(item)   # its array goes into an op's parameters
        item = item._data
    elif isinstance(item, (bool, xp.bool_)):
        return xp.asarray(bool(item))  # x[True] adds a dimension, as a 0-d mask
    elif isinstance(item, numbers.Integral):
        return int(item)
    elif isinstance(item, slice):
        if item.step is not None and item.step <= 0:
            raise ValueError(at_user_line(
                f"step must be greater than zero (got {item.step}); PyTorch tensors do not "
                f"support negative steps: use .flip(dim) to reverse"))
        return item
    elif isinstance(item, (list, tuple)):
        try:
            item = xp.asarray([i._data if isinstance(i, Tensor) else i for i in item])
        except ValueError:  # ragged nested lists
            raise _index_type_error(f"a ragged list {item!r}") from None
        if item.size == 0:
            item = item.astype(xp.int64)
    if not isinstance(item, xp.ndarray):
        raise _index_type_error(type(item).__name__)
    kind = item.dtype.kind
    if kind == "b":
        return item
    if kind not in "iu":
        raise IndexError(at_user_line(
            f"tensors used as indices must be long, int, byte or bool tensors (got a "
            f"{item.dtype} index of shape {shape_str(item.shape)}); convert it with .long()"))
    if item.dtype == xp.uint8:  # PyTorch's deprecated byte mask
        return item.astype(bool)
    if item.ndim == 0:  # a 0-d integer tensor acts as an int
        return int(item)
    return item


def parse_index(index, shape):
    """``(steps, advanced)``: NumPy index tuples that together give PyTorch's ``x[index]``.

    ``steps`` holds one tuple, or two (basic part, then advanced part) when ints
    and index arrays are mixed. Bounds are checked with PyTorch's messages.
    """
    if type(index) is list and index and all(isinstance(i, Tensor) for i in index):
        index = tuple(index)
    items = tuple(_item(i) for i in index) if type(index) is tuple else (_item(index),)
    ndim = len(shape)
    used, ellipses, has_int, has_array = 0, 0, False, False
    for item in items:
        if item is None:
            continue
        if item is Ellipsis:
            ellipses += 1
        elif type(item) is int:
            used, has_int = used + 1, True
        elif type(item) is slice:
            used += 1
        else:
            used, has_array = used + (item.ndim if item.dtype == bool else 1), True
    if ellipses > 1:
        raise IndexError(at_user_line("an index can only have a single ellipsis ('...')"))
    if used > ndim:
        if ndim == 0 and has_int:
            raise IndexError(at_user_line(
                "invalid index of a 0-dim tensor. Use `tensor.item()` to convert a 0-dim tensor "
                "to a number"))
        raise IndexError(at_user_line(
            f"too many indices for tensor of dimension {ndim} (got {used} indices for a tensor "
            f"of shape {shape_str(shape)})"))
    items = _check_bounds(items, shape, ndim - used)
    if not has_array:
        return (items,), False
    if not has_int:
        return (items,), True
    first, second = [], []
    for item in items:
        if type(item) is int:
            first.append(item)
        elif _is_basic(item):
            first.append(item)
            second.append(Ellipsis if item is Ellipsis else slice(None))
        else:
            first.extend([slice(None)] * (item.ndim if item.dtype == bool else 1))
            second.append(item)
    return (tuple(first), tuple(second)), True


def _check_bounds(items, shape, ellipsis_dims):
    """``items`` after the bounds checks; an index array comes back through its check, which
    inside chainrule.compile is an op, so each replay checks its own indices."""
    dim = 0
    for position, item in enumerate(items):
        if item is None or type(item) is slice:
            dim += item is not None
        elif item is Ellipsis:
            dim += ellipsis_dims
        elif type(item) is int:
            if not -shape[dim] <= item < shape[dim]:
                raise _out_of_bounds(item, dim, shape)
            dim += 1
        elif item.dtype == bool:
            if item.shape != shape[dim:dim + item.ndim]:
                raise IndexError(at_user_line(
                    f"The shape of the mask {list(item.shape)} at index {dim} does not match the "
                    f"shape of the indexed tensor {list(shape)}"))
            dim += item.ndim
        else:
            array = checked(_array_in_bounds, item, dim=dim, shape=shape)
            if array is not item:
                items = items[:position] + (array,) + items[position + 1:]
            dim += 1
    return items


def _array_in_bounds(index, dim, shape):
    """``index``, an integer array for dimension ``dim``, after checking -size <= index < size."""
    size = shape[dim]
    if index.size and (index.min() < -size or index.max() >= size):
        bad = index[(index < -size) | (index >= size)].reshape(-1)[0]
        raise _out_of_bounds(int(bad), dim, shape)
    return index


def _out_of_bounds(index, dim, shape):
    return IndexError(at_user_line(
        f"index {index} is out of bounds for dimension {dim} with size {shape[dim]} "
        f"(tensor shape {shape_str(shape)})"))


def _plain(index, shape):
    """True for a tuple of in-range ints and step-free slices (the fast path of getitem)."""
    if len(index) > len(shape):
        return False
    for item, size in zip(index, shape):
        kind = type(item)
        if kind is int:
            if not -size <= item < size:
                return False
        elif kind is not slice or item.step is not None:
            return False
    return True


# ---------------------------------------------------------------- reading

class Index(Function):
    """``a[index]`` for a NumPy index tuple (advanced: a copy)."""

    def forward(ctx, a, index):
        ctx.shape, ctx.index = a.shape, index
        return a[index]

    def backward(ctx, g):
        return IndexBackward.apply(g, shape=ctx.shape, index=ctx.index)


class BasicIndex(Index):
    """``a[index]`` with ints, slices, None and ... only: a view."""
    is_view = True

    def forward(ctx, a, index):
        ctx.shape, ctx.index = a.shape, index
        out = a[index]
        if type(out) is not xp.ndarray:  # NumPy gives a scalar (a copy) for a 0-d result
            out = a[index + (Ellipsis,)]
        return out


class IndexBackward(Function):
    """Scatter-add ``g`` into zeros of ``shape`` at ``index`` (duplicates accumulate)."""

    def forward(ctx, g, shape, index):
        ctx.index = index
        if all(_is_basic(i) for i in index):
            out = xp.zeros(shape, dtype=g.dtype)
            out[index] = g
            return out
        return _scatter_add(g, shape, index)

    def backward(ctx, gg):
        return _read(gg, ctx.index)


def _read(t, index):
    """``t[index]`` for a NumPy index tuple: a view for basic indices, else a copy."""
    if all(_is_basic(i) for i in index):
        return BasicIndex.apply(t, index=index)
    return Index.apply(t, index=index)


_ROWS_PATH_MIN_SIZE = 16384


def _scatter_add(g, shape, index):
    """Zeros of ``shape`` plus ``g`` added at ``index``, repeated positions summed.

    A large gradient read through one integer array among full slices
    (``x[idx]``, ``x[:, idx]``: embeddings, index_select) takes a sort-and-
    segment-sum path, about twice as fast as ``np.add.at``; the rest uses
    ``np.add.at`` (faster for small arrays).
    """
    arrays = [k for k, i in enumerate(index) if not _is_basic(i)]
    axis = arrays[0] if len(arrays) == 1 else -1
    rows_path = g.size >= _ROWS_PATH_MIN_SIZE and axis >= 0 and index[axis].dtype != bool and \
        len(index) <= len(shape) and all(i == slice(None) for k, i in enumerate(index) if k != axis)
    if not rows_path:
        out = xp.zeros(shape, dtype=g.dtype)
        xp.add.at(out, index, g)
        return out
    idx = index[axis].reshape(-1)
    size = shape[axis]
    idx = xp.where(idx < 0, idx + size, idx)
    # g is (*shape[:axis], *idx.shape, *shape[axis+1:]): bring the indexed rows to the front
    rows = xp.moveaxis(g.reshape(shape[:axis] + (idx.size,) + shape[axis + 1:]), axis, 0)
    rows = rows.reshape(idx.size, g.size // idx.size)  # (N, D)
    sums = xp.zeros((size, rows.shape[1]), dtype=g.dtype)  # (size, D)
    order = xp.argsort(idx, kind="stable")
    sorted_idx = idx[order]
    starts = xp.flatnonzero(xp.concatenate(([True], sorted_idx[1:] != sorted_idx[:-1])))
    sums[sorted_idx[starts]] = xp.add.reduceat(rows[order], starts, axis=0)  # one sum per row
    moved = shape[axis:axis + 1] + shape[:axis] + shape[axis + 1:]
    return xp.ascontiguousarray(xp.moveaxis(sums.reshape(moved), 0, axis))


@keeps_index(1)
def getitem(input, index):
    """``input[index]`` with PyTorch's indexing rules (see the module docstring)."""
    shape = input._data.shape
    if type(index) is int and shape:  # the hot paths: x[i] and x[a:b]
        if not -shape[0] <= index < shape[0]:
            raise _out_of_bounds(index, 0, shape)
        return BasicIndex.apply(input, index=(index,))
    if type(index) is slice and index.step is None and shape:
        return BasicIndex.apply(input, index=(index,))
    if type(index) is tuple and _plain(index, shape):  # x[:, 1], x[i, j]
        return BasicIndex.apply(input, index=index)
    steps, advanced = parse_index(index, shape)
    if not advanced:
        return BasicIndex.apply(input, index=steps[0])
    if len(steps) == 2:
        input = BasicIndex.apply(input, index=steps[0])
    return Index.apply(input, index=steps[-1])


# ---------------------------------------------------------------- writing

class IndexPut(Function):
    """A copy of ``a`` with ``a[index] = v`` (v broadcast to the indexed shape).

    Gradients (PyTorch's): ``a`` gets ``g`` with zeros at the written positions;
    ``v`` gets ``g[index]``, so with a repeated index every copy of it receives
    the gradient of the position, although only the last write survives.
    """

    def forward(ctx, a, v, index):
        ctx.index = index
        out = a.copy()
        out[index] = v
        return out

    def backward(ctx, g):
        needs = ctx.needs_input_grad
        grad_a = IndexPut.apply(g, 0, index=ctx.index) if needs[0] else None
        grad_v = _read(g, ctx.index) if len(needs) > 1 and needs[1] else None
        return grad_a, grad_v


def _indexed_shape(shape, index):
    """The shape of ``x[index]`` for an ``x`` of ``shape``, without touching any data."""
    return xp.broadcast_to(xp.zeros((), dtype=bool), shape)[index].shape


def _fit_value(value, target_shape, dtype):
    """``value`` cast to ``dtype``, leading size-1 dims dropped, checked against the target."""
    if not isinstance(value, Tensor):
        if isinstance(value, numbers.Number):
            return value if dtype.np.kind == "f" else _number_as(value, dtype.np, "setitem").item()
        raise TypeError(at_user_line(
            f"can't assign a {type(value).__name__} to a chainrule.{dtype.name} tensor; "
            f"assign a number or a tensor: chainrule.tensor(value)"))
    if value._data.dtype != dtype.np:
        value = value.to(dtype)
    vshape = value._data.shape
    extra = len(vshape) - len(target_shape)
    if extra > 0 and all(s == 1 for s in vshape[:extra]):
        value = value.reshape(vshape[extra:])
    try:
        fits = xp.broadcast_shapes(value._data.shape, target_shape) == tuple(target_shape)
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(at_user_line(
            f"shape mismatch: value tensor of shape {shape_str(vshape)} cannot be broadcast to "
            f"indexing result of shape {shape_str(target_shape)}"))
    return value


def index_put(input, indices, values, accumulate=False):
    """``put_values`` with PyTorch's check that a tensor of values has ``input``'s dtype."""
    check_put_dtype(input, values, "index_put")
    return put_values(input, indices, values, accumulate)


def check_put_dtype(input, values, op):
    if isinstance(values, Tensor) and values._data.dtype != input._data.dtype:
        raise RuntimeError(at_user_line(
            f"{op}: Index put requires the source and destination dtypes match, got {input.dtype} "
            f"for the destination and {values.dtype} for the source (shapes {shape_str(input.shape)} "
            f"and {shape_str(values.shape)}); convert with values.to(x.dtype)"))


@keeps_index(1)
def put_values(input, indices, values, accumulate=False):
    """A new tensor equal to ``input`` with ``input[indices] = values`` (used by ``x[i] = v``).

    ``values`` broadcasts to the indexed shape and is cast to ``input``'s dtype;
    ``accumulate=True`` adds instead (repeated positions add up).
    """
    if accumulate:
        return index_add_values(input, indices, values)
    steps, _ = parse_index(indices, input._data.shape)
    if len(steps) == 2:  # ints mixed with arrays: rewrite the basic part as a whole
        part = BasicIndex.apply(input, index=steps[0])
        values = _fit_value(values, _indexed_shape(part._data.shape, steps[1]), input.dtype)
        return IndexPut.apply(input, IndexPut.apply(part, values, index=steps[1]), index=steps[0])
    values = _fit_value(values, _indexed_shape(input._data.shape, steps[0]), input.dtype)
    return IndexPut.apply(input, values, index=steps[0])


@keeps_index(1)
def index_add_values(input, index, values):
    """``input`` with ``values`` added at ``index``; repeated positions add up."""
    steps, _ = parse_index(index, input._data.shape)
    shapes = [input._data.shape]
    if len(steps) == 2:
        shapes.append(_indexed_shape(shapes[0], steps[0]))
    target = _indexed_shape(shapes[-1], steps[-1])
    if not isinstance(values, Tensor):
        values = Tensor._make(xp.asarray(values, dtype=input._data.dtype))
    added = _fit_value(values, target, input.dtype).expand(target)
    for shape, step in zip(reversed(shapes), reversed(steps)):
        added = IndexBackward.apply(added, shape=shape, index=step)
    return input + added


# ---------------------------------------------------------------- gather / scatter family

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
    if idx.ndim != max(len(shape), 1) and not (idx.ndim == 0 and not shape):
        raise RuntimeError(at_user_line(
            f"{op}(): Index tensor must have the same number of dimensions as "
            f"{'input' if op == 'gather' else 'self'} tensor (index shape {shape_str(idx.shape)}, "
            f"{'input' if op == 'gather' else 'self'} shape {shape_str(shape)})"))
    too_big = any(d != dim and i > s for d, (i, s) in enumerate(zip(idx.shape, shape)))
    src_shape = src._data.shape if isinstance(src, Tensor) else None
    # an empty index reads nothing from src: PyTorch does not compare their sizes
    if src_shape is not None and idx.size and (len(src_shape) != idx.ndim or
                                  any(i > s for i, s in zip(idx.shape, src_shape))):
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
        input, idx = input.reshape(1), idx.reshape(-1) if idx.ndim == 0 else idx
    _check_index_shape(idx, input, dim, "gather")
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
    if isinstance(src, Tensor):
        if src._data.dtype != input._data.dtype:
            raise RuntimeError(at_user_line(
                f"{op}(): Expected self.dtype to be equal to src.dtype (self is {input.dtype}, "
                f"src is {src.dtype}); convert src with .to(self.dtype)"))
        if src._data.shape != idx.shape:  # the gradient of the unused part is zero
            src = src[tuple(slice(0, n) for n in idx.shape)]
    return dim, idx, src


@keeps_index(2)
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """A copy of ``input`` with ``src`` (or the number ``value``) written at ``index`` along ``dim``.

    ``self[i][index[i][j]] = src[i][j]`` for ``dim=1``. With repeated indices the
    last write wins (PyTorch leaves that order unspecified).
    """
    if src is None:
        src = value
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
    if source is not None and list(source._data.shape) != expected and \
            not (ndim == 0 and source._data.size == 1):
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
    """PyTorch's class for a source of the wrong shape: index_copy raises IndexError when only
    the length along ``dim`` differs from the index's; everything else is a RuntimeError."""
    shape = list(source._data.shape)
    only_dim = len(shape) == len(expected) and all(
        a == b for d, (a, b) in enumerate(zip(shape, expected)) if d != dim)
    return IndexError if op == "index_copy" and only_dim else RuntimeError


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
    kind = input._data.dtype.kind
    if kind == "b":
        return bool(alpha)
    return int(alpha) if kind in "iu" and math.isfinite(alpha) else alpha


@keeps_index(2)
def index_copy(input, dim, index, source):
    """``input`` with ``input[..., index[i], ...] = source[..., i, ...]`` along ``dim``."""
    dim, idx = _index_along_args(input, dim, index, source, "index_copy")
    if input._data.ndim == 0:   # a select, not input * 0 + source: inf * 0 would be nan
        from .elementwise import where
        return where(Tensor._make(xp.asarray(True)), source.reshape(()), input)
    return scatter(input, dim, _along(idx, dim, source._data.shape), source)


@keeps_index(2)
def index_fill(input, dim, index, value):
    """``input`` with the entries at ``index`` along ``dim`` set to ``value``."""
    dim, idx = _index_along_args(input, dim, index, None, "index_fill", negative=True)
    if input._data.size == 0:
        return _masked_fill(input, Tensor._make(xp.zeros((), dtype=bool)), value, "index_fill")
    size = input._data.shape[dim] if input._data.ndim else 1
    mask = array_op(_mask_along, idx, size=size, dim=dim, ndim=input._data.ndim)   # the checked index
    return _masked_fill(input, mask, value, "index_fill")


def _mask_along(index, size, dim, ndim):
    """A bool mask, True at positions ``index`` along ``dim`` (size 1 in the other ``ndim`` dims)."""
    mask = xp.zeros(size, dtype=bool)
    mask[index.reshape(-1)] = True
    view = [1] * ndim
    if view:
        view[dim] = size
    return mask.reshape(view)


def masked_fill(input, mask, value):
    """``value`` where ``mask`` is True (mask broadcasts to ``input``)."""
    return _masked_fill(input, mask, value, "masked_fill")


def _masked_fill(input, mask, value, op):
    from .elementwise import where
    if not isinstance(mask, Tensor) or mask._data.dtype != xp.bool_:
        raise RuntimeError(at_user_line(
            f"masked_fill_ only supports boolean masks, but got mask with dtype "
            f"{mask.dtype if isinstance(mask, Tensor) else type(mask).__name__}"))
    if input._data.dtype.kind == "f":   # PyTorch refuses a finite number beyond the dtype's range
        check_scalar_fits(value, B.from_numpy_dtype(input._data.dtype), op, "value", floats=True)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(at_user_line(
                f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)"))
        value = value.to(input.dtype)
    elif input._data.dtype.kind != "f":
        value = Tensor._make(_number_as(value, input._data.dtype, "masked_fill"))
    try:
        xp.broadcast_shapes(mask._data.shape, input._data.shape)
    except ValueError:
        raise RuntimeError(at_user_line(
            f"masked_fill: the mask of shape {shape_str(mask.shape)} cannot be broadcast to the "
            f"input of shape {shape_str(input.shape)}")) from None
    return where(mask, value, input).to(input.dtype)


def _number_as(value, dtype, op):
    """The Python number ``value`` as a 0-d array of the integer or bool ``dtype``.

    Floats are truncated toward zero and integers wrap (PyTorch's conversion of a
    scalar); a float that no integer of ``dtype`` can hold is refused, and so is an integer
    outside the range PyTorch accepts (uint8: -255..255, which wrap).
    """
    if dtype.kind == "b":
        return xp.asarray(bool(value))
    if isinstance(value, int):
        check_scalar_fits(value, B.from_numpy_dtype(dtype), op, "value", floats=False)
    if isinstance(value, float) or isinstance(value, xp.floating):
        info = xp.iinfo(dtype)
        if not math.isfinite(value) or not info.min - 1 < value < info.max + 1:
            raise RuntimeError(at_user_line(
                f"{op}: value {value} cannot be converted to type {B.from_numpy_dtype(dtype)} "
                f"without overflow"))
        value = int(value)
    return xp.asarray(value).astype(dtype)


def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor (both broadcast)."""
    if not isinstance(mask, Tensor) or mask._data.dtype != xp.bool_:
        raise RuntimeError(at_user_line(
            f"masked_select: expected a boolean mask, got "
            f"{mask.dtype if isinstance(mask, Tensor) else type(mask).__name__}"))
    try:
        shape = xp.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        raise RuntimeError(at_user_line(
            f"masked_select: the mask of shape {shape_str(mask.shape)} cannot be broadcast "
            f"with the input of shape {shape_str(input.shape)}")) from None
    return Index.apply(input.expand(shape), index=(xp.broadcast_to(mask._data, shape),))


@keeps_index(1)
def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (negative counts from the end;
    the output has index's shape)."""
    idx = _index_array(index, "take")
    idx = checked(_flat_in_range, idx, shape=input._data.shape)
    return Index.apply(input.reshape(-1), index=(idx,))


def _flat_in_range(idx, shape):
    """``idx`` after checking -numel <= idx < numel for a tensor of ``shape`` (take's rule)."""
    numel = math.prod(shape)
    if idx.size and (idx.min() < -numel or idx.max() >= numel):
        bad = idx[(idx < -numel) | (idx >= numel)].reshape(-1)[0]
        raise IndexError(at_user_line(
            f"take(): out of range: tried to access index {int(bad)} on a tensor of {numel} "
            f"elements (shape {shape_str(shape)})"))
    return idx


__all__ = ["index_put", "gather", "take_along_dim", "index_select", "scatter", "scatter_add",
           "index_add", "index_copy", "index_fill", "masked_fill", "masked_select", "take"]
TENSOR_METHODS = __all__
