"""Indexing: ``x[idx]`` and ``x[idx] = v`` (through ``index_put``); this family also registers the
ops along one dim (``gather_scatter.py``) and through masks (``masked.py``).

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
import numbers

from .. import backend as B
from ..function import Function
from ..tensor import Tensor, tracer
from .._errors import at_user_line, shape_str
from .array_op import checked
from .promotion import number_as

xp = B.xp


def kept_index(out, index):
    """``out``, whose graph reads the arrays of the integer or bool Tensors in ``index`` (one, or a
    tuple of getitem's index parts) in backward, its node noting their versions: an in-place
    change of the indices then makes backward refuse, as in PyTorch, which saves them, instead
    of silently sending the gradient to the new positions. (The returned node is the one every
    gradient into the graph's inner nodes passes through, so it may check for them.)"""
    node = out.grad_fn if isinstance(out, Tensor) else None
    if node is None:
        return out
    for part in index if isinstance(index, (tuple, list)) else (index,):
        if isinstance(part, Tensor) and part._data.dtype.kind in "biu":   # masks too
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
        return item   # (its step is checked in order with the other items: _check_bounds)
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
            if item is not None and item.step is not None and item.step <= 0:
                raise ValueError(at_user_line(
                    f"step must be greater than zero (got {item.step}); PyTorch tensors do not "
                    f"support negative steps: use .flip(dim) to reverse"))
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
        out = a[index]   # NumPy may lay the result out in another order (x[:, :, idx]):
        return out if out.flags.c_contiguous else xp.ascontiguousarray(out)   # PyTorch's is contiguous

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
            return value if dtype.np.kind == "f" else number_as(value, dtype.np, "setitem").item()
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
    """``put_values`` with PyTorch's checks that a tensor of values has ``input``'s dtype and no
    more dimensions than the indexed result (``x[i] = v`` drops leading size-1 dims of ``v``)."""
    check_put_dtype(input, values, "index_put")
    check_put_shape(input, indices, values, "index_put")
    return put_values(input, indices, values, accumulate)


def check_put_shape(input, indices, values, op):
    """A tensor of values has no more dimensions than the indexed result (``x[i] = v`` is laxer:
    it drops leading size-1 dims of ``v``)."""
    if not isinstance(values, Tensor):
        return
    target = input._data.shape
    for step in parse_index(indices, target)[0]:   # (checks the indices first)
        target = _indexed_shape(target, step)
    if values._data.ndim > len(target):
        raise RuntimeError(at_user_line(
            f"{op}: shape mismatch: value tensor of shape {shape_str(values.shape)} cannot be "
            f"broadcast to indexing result of shape {shape_str(target)}"))


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


class AccumulateAt(Function):
    """``a`` with ``values`` added at ``index`` (repeated positions add up), as ``a[i] + v``
    exactly: the other positions keep their value, and the signs of zeros follow IEEE sums."""

    def forward(ctx, a, values, index):
        ctx.index = index
        out = a.copy()
        xp.add.at(out, index, values)
        return out

    def backward(ctx, g):
        needs = ctx.needs_input_grad
        return (g if needs[0] else None), (_read(g, ctx.index) if needs[1] else None)


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
    if len(steps) == 1 and not any(step is None for step in steps[0]):
        return AccumulateAt.apply(input, added, index=steps[0])
    touched = Tensor._make(xp.ones(target, dtype=bool)) if input._data.dtype.kind == "f" else None
    for shape, step in zip(reversed(shapes), reversed(steps)):
        added = IndexBackward.apply(added, shape=shape, index=step)
        if touched is not None:
            touched = IndexBackward.apply(touched, shape=shape, index=step)
    if touched is None:
        return input + added
    # floats: the positions not indexed keep their exact value (x + 0 would turn -0.0 into 0.0)
    from .elementwise import where
    return where(touched, input + added, input)


# The ops along one dim (gather/scatter/index_*) and through masks live in their own files;
# this family registers them (imported last: they use the reading and writing above).
# Other op files import these through this module (it is always imported first).
from .gather_scatter import (gather, take_along_dim, index_select, scatter, scatter_add,  # noqa: E402,F401
                             index_add, index_copy, index_fill, TakeAlong, ScatterAddInto, _crop_outside,
                             _full_index, _scatter_args, _index_along_args, _along, _index_array)
from .masked import masked_fill, masked_select, take  # noqa: E402,F401


__all__ = ["index_put", "gather", "take_along_dim", "index_select", "scatter", "scatter_add",
           "index_add", "index_copy", "index_fill", "masked_fill", "masked_select", "take"]
TENSOR_METHODS = __all__
