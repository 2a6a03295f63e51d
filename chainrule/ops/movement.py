"""Shape and layout ops: reshape, view, expand, permute, transpose, squeeze, flip, roll, repeat, ...

Views (``is_view = True``) share memory and the version counter with their
input. An op is marked a view only where NumPy really returns one: ``reshape``
of a tensor whose layout needs a copy returns a copy (``ReshapeCopy``), as in
PyTorch; ``flip``, ``roll`` and ``repeat`` always copy.
"""
from .. import backend as B
from ..function import Function
from .._errors import at_user_line, shape_str, ShapeError
from .._dims import wrap_dim, shape_arg
from .array_op import array_op, replay_check, sized_by_values
from .reduce import Sum, sum_to_shape

xp = B.xp


# ---------------------------------------------------------------- reshape and view

def _infer_shape(shape, numel, op, old_shape):
    """Resolve one -1 in ``shape`` and check the element count (PyTorch's rules and words)."""
    known, inferred = 1, None
    for i, s in enumerate(shape):
        if s == -1:
            if inferred is not None:
                raise RuntimeError(at_user_line(
                    f"{op}: only one dimension can be inferred (-1), got {list(shape)}"))
            inferred = i
        elif s < 0:
            raise RuntimeError(at_user_line(
                f"{op}: invalid shape dimension {s} at index {i} of shape {list(shape)}"))
        else:
            known *= s
    if inferred is None:
        if known != numel:
            raise ShapeError(at_user_line(
                f"{op}: shape '{list(shape)}' is invalid for input of size {numel} (input shape "
                f"{shape_str(old_shape)}); the number of elements must stay the same"))
        return shape
    if known == 0:
        if numel == 0:
            raise ShapeError(at_user_line(
                f"{op}: cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                f"unspecified dimension size -1 can be any value and is ambiguous"))
        raise ShapeError(at_user_line(
            f"{op}: shape '{list(shape)}' is invalid for input of size {numel} "
            f"(input shape {shape_str(old_shape)})"))
    if numel % known:
        raise ShapeError(at_user_line(
            f"{op}: shape '{list(shape)}' is invalid for input of size {numel} (input shape "
            f"{shape_str(old_shape)}): {numel} is not divisible by {known}"))
    return shape[:inferred] + (numel // known,) + shape[inferred + 1:]


class Reshape(Function):
    """A view of the same memory in a new shape."""
    is_view = True

    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    def backward(ctx, g):
        return _reshape(g, ctx.shape)


class ReshapeCopy(Reshape):
    """``reshape`` where the memory layout does not allow a view: a copy, not a view."""
    is_view = False


def _is_view_reshape(array, shape):
    if array.flags.c_contiguous:
        return True
    try:
        xp.reshape(array, shape, copy=False)
    except ValueError:
        return False
    return True


def _reshape(input, shape):
    """Reshape to a complete ``shape`` (no -1): a view where the layout allows, else a copy."""
    if _is_view_reshape(input._data, shape):
        return Reshape.apply(input, shape=shape)
    return ReshapeCopy.apply(input, shape=shape)


def _alias(input):
    """A new tensor that views all of ``input`` (PyTorch returns a view, never ``self``)."""
    return Reshape.apply(input, shape=input._data.shape)


def reshape(input, *shape):
    """The same elements in a new shape (one dimension may be -1); a view when the layout allows.

    ``x.reshape(2, 3)``, ``x.reshape((2, 3))`` and ``chainrule.reshape(x, (2, 3))`` are the same.
    """
    data = input._data
    shape = _infer_shape(shape_arg(shape), data.size, "reshape", data.shape)
    if data.flags.c_contiguous:  # the common case: always a view
        return Reshape.apply(input, shape=shape)
    return _reshape(input, shape)


def view(input, *shape):
    """Like ``reshape``, but never copies: fails where the memory layout does not allow a view."""
    if len(shape) == 1 and isinstance(shape[0], B.dtype):
        raise RuntimeError(at_user_line("view(dtype) is not supported; use .to(dtype)"))
    data = input._data
    target = _infer_shape(shape_arg(shape), data.size, "view", data.shape)
    if not _is_view_reshape(data, target):
        raise RuntimeError(at_user_line(
            f"view size is not compatible with input tensor's size and stride (input shape "
            f"{shape_str(data.shape)}, requested {shape_str(target)}): at least one dimension "
            f"spans across two contiguous subspaces. Use .reshape(...) instead."))
    return Reshape.apply(input, shape=target)


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim..end_dim`` into one (a 0-d tensor becomes shape (1,))."""
    shape = input._data.shape
    start = wrap_dim(start_dim, len(shape), "flatten")
    end = wrap_dim(end_dim, len(shape), "flatten")
    if not shape:
        return Reshape.apply(input, shape=(1,))
    if start > end:
        raise RuntimeError(at_user_line(
            f"flatten() has invalid args: start_dim cannot come after end_dim (got start_dim="
            f"{start_dim}, end_dim={end_dim} for shape {shape_str(shape)})"))
    if start == end:
        return input   # nothing to merge: the tensor itself, as in PyTorch (not a view of it)
    merged = 1
    for s in shape[start:end + 1]:
        merged *= s
    return _reshape(input, shape[:start] + (merged,) + shape[end + 1:])


def unflatten(input, dim, sizes):
    """Split dimension ``dim`` into ``sizes`` (one entry may be -1); the inverse of ``flatten``."""
    shape = input._data.shape
    dim = wrap_dim(dim, len(shape), "unflatten")
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError(at_user_line("unflatten: sizes must be non-empty"))
    size = shape[dim] if shape else 1
    try:
        sizes = _infer_shape(sizes, size, "unflatten", shape)
    except ShapeError:
        raise ShapeError(at_user_line(
            f"unflatten: shape '{list(sizes)}' is invalid for input of size {size}: the provided "
            f"sizes must multiply up to the size of dim {dim} ({size}) of the input of shape "
            f"{shape_str(shape)}")) from None
    return _reshape(input, shape[:dim] + sizes + shape[dim + 1:])


def unsqueeze(input, dim):
    """Insert a dimension of size 1 at ``dim`` (always a view)."""
    shape = input._data.shape
    dim = wrap_dim(dim, len(shape) + 1, "unsqueeze")
    return Reshape.apply(input, shape=shape[:dim] + (1,) + shape[dim:])


def squeeze(input, dim=None):
    """Remove dimensions of size 1 (only those among ``dim``, an int or tuple, if given)."""
    shape = input._data.shape
    if dim is None:
        return Reshape.apply(input, shape=tuple(s for s in shape if s != 1))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = [wrap_dim(d, len(shape), "squeeze") for d in dims]
    if len(set(axes)) != len(axes):
        raise RuntimeError(at_user_line(
            f"squeeze: dim {_first_repeat(axes)} appears multiple times in the list of dims {list(dims)}"))
    return Reshape.apply(input, shape=tuple(s for i, s in enumerate(shape)
                                            if not (s == 1 and i in axes)))


def _first_repeat(values):
    seen = set()
    for v in values:
        if v in seen:
            return v
        seen.add(v)
    return None


# ---------------------------------------------------------------- broadcasting

class Expand(Function):
    """A broadcast view (stride 0 along the expanded dims); backward sums them back."""
    is_view = True

    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return xp.broadcast_to(a, shape)

    def backward(ctx, g):
        return sum_to_shape(g, ctx.shape)


def expand(input, *sizes):
    """Broadcast to ``sizes`` without copying; -1 keeps a dimension's size; new dims go in front."""
    sizes = shape_arg(sizes)
    old = input._data.shape
    if len(sizes) < len(old):
        raise ShapeError(at_user_line(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(old)}); tensor shape {shape_str(old)}"))
    lead = len(sizes) - len(old)
    for i, s in enumerate(sizes[:lead]):
        if s < 0:
            raise ShapeError(at_user_line(
                f"expand: the expanded size of the tensor ({s}) isn't allowed in a leading, "
                f"non-existing dimension {i} (target sizes {list(sizes)}, tensor shape {shape_str(old)})"))
    target = sizes[:lead] + tuple(n if s == -1 else s for s, n in zip(sizes[lead:], old))
    for i, n in enumerate(old):
        s = target[lead + i]
        if (n != 1 and s != n) or s < 0:
            raise ShapeError(at_user_line(
                f"expand: the expanded size of the tensor ({s}) must match the existing size ({n}) "
                f"at non-singleton dimension {lead + i}. Target sizes: {list(sizes)}. "
                f"Tensor sizes: {list(old)}"))
    if target == old:
        return _alias(input)
    return Expand.apply(input, shape=target)


def expand_as(input, other):
    return expand(input, other._data.shape)


def broadcast_to(input, size):
    return expand(input, tuple(size))


# ---------------------------------------------------------------- dimension order

class Permute(Function):
    is_view = True

    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    def backward(ctx, g):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return Permute.apply(g, dims=tuple(inverse))


def permute(input, *dims):
    """Reorder the dimensions: output dim i is input dim ``dims[i]`` (a view)."""
    dims = shape_arg(dims)
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise ShapeError(at_user_line(
            f"permute: number of dims don't match: input.dim() = {ndim} is not equal to "
            f"len(dims) = {len(dims)} (input shape {shape_str(input._data.shape)}, dims "
            f"{list(dims)}); give each dimension exactly once"))
    dims = tuple(wrap_dim(d, ndim, "permute") for d in dims)
    if len(set(dims)) != ndim:
        raise RuntimeError(at_user_line(
            f"permute: repeated dim {_first_repeat(dims)} in dims {list(dims)} (duplicate dims "
            f"are not allowed); give each dimension exactly once"))
    return Permute.apply(input, dims=dims)


def transpose(input, dim0, dim1):
    """Swap dimensions ``dim0`` and ``dim1`` (a view)."""
    ndim = input._data.ndim
    a, b = wrap_dim(dim0, ndim, "transpose"), wrap_dim(dim1, ndim, "transpose")
    if ndim < 2:
        return _alias(input)
    dims = list(range(ndim))
    dims[a], dims[b] = b, a
    return Permute.apply(input, dims=tuple(dims))


swapaxes = swapdims = transpose


def t(input):
    """Transpose a tensor of at most 2 dimensions (0-d and 1-d come back unchanged, as views)."""
    if input._data.ndim > 2:
        raise RuntimeError(at_user_line(
            f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D "
            f"(shape {shape_str(input._data.shape)}); use .transpose(dim0, dim1) or .mT"))
    return transpose(input, 0, -1)


def movedim(input, source, destination):
    """Move dimension(s) ``source`` to position(s) ``destination``; the others keep their order."""
    ndim = input._data.ndim
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    if len(source) != len(destination):
        raise RuntimeError(at_user_line(
            f"movedim: Invalid source or destination dims: source ({source} dims) should contain "
            f"the same number of dims as destination ({destination} dims)"))
    source = [wrap_dim(d, ndim, "movedim") for d in source]
    destination = [wrap_dim(d, ndim, "movedim") for d in destination]
    for name, dims in (("source", source), ("destination", destination)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(at_user_line(f"movedim: repeated dim in `{name}` ({dims})"))
    order = [d for d in range(ndim) if d not in source]
    for dst, src in sorted(zip(destination, source)):
        order.insert(dst, src)
    return Permute.apply(input, dims=tuple(order)) if ndim else _alias(input)


moveaxis = movedim


# ---------------------------------------------------------------- copies: flip, roll, repeat

class Flip(Function):
    def forward(ctx, a, axes):
        ctx.axes = axes
        return xp.flip(a, axis=axes).copy()  # NumPy's flip is a view; PyTorch's a copy

    def backward(ctx, g):
        return Flip.apply(g, axes=ctx.axes)


def flip(input, *dims):
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch)."""
    dims = shape_arg(dims)
    ndim = input._data.ndim
    axes = tuple(wrap_dim(d, ndim, "flip") for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(at_user_line(
            f"flip: dim {_first_repeat(axes)} appears multiple times in the list of dims {list(dims)}"))
    return Flip.apply(input, axes=axes if ndim else ())


class Roll(Function):
    def forward(ctx, a, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return xp.roll(a, shifts, axis=axes)

    def backward(ctx, g):
        return Roll.apply(g, shifts=tuple(-s for s in ctx.shifts), axes=ctx.axes)


def roll(input, shifts, dims=None):
    """Shift elements circularly along ``dims``; with ``dims=None``, over the flattened tensor."""
    shifts = tuple(int(s) for s in shifts) if isinstance(shifts, (tuple, list)) else (int(shifts),)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(at_user_line(
                f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims: 0 (with "
                f"dims=None the tensor is rolled flattened, by one shift)"))
        shape = input._data.shape
        flat = _reshape(input, (input._data.size,))
        return _reshape(Roll.apply(flat, shifts=shifts, axes=(0,)), shape)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise RuntimeError(at_user_line(
            f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}"))
    if input._data.size == 0:
        return input.clone()  # nothing moves, and PyTorch checks no dims
    if input._data.ndim == 0:
        raise IndexError(at_user_line(
            f"roll: Dimension specified as {dims[0]} but tensor has no dimensions; use dims=None"))
    axes = tuple(wrap_dim(d, input._data.ndim, "roll") for d in dims)
    return Roll.apply(input, shifts=shifts, axes=axes)


class Repeat(Function):
    """PyTorch's ``repeat`` (NumPy's ``tile``): copies of the whole tensor along each dim."""

    def forward(ctx, a, sizes):
        ctx.shape = a.shape
        ctx.sizes = sizes
        return xp.tile(a, sizes)

    def backward(ctx, g):  # (s0*n0, s1*n1, ...) -> (s0, n0, s1, n1, ...) -> sum over the s axes
        sizes = ctx.sizes
        if not sizes:
            return g
        shape = (1,) * (len(sizes) - len(ctx.shape)) + ctx.shape
        pairs = tuple(v for s, n in zip(sizes, shape) for v in (s, n))
        summed = Sum.apply(_reshape(g, pairs), axes=tuple(range(0, len(pairs), 2)), keepdim=False,
                           np_dtype=None)
        return _reshape(summed, ctx.shape)


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along dimension i (PyTorch's repeat, not NumPy's).

    Extra leading entries add dimensions: ``x.repeat(4, 1, 1)`` of a (2, 3) tensor is (4, 2, 3).
    """
    sizes = shape_arg(sizes)
    ndim = input._data.ndim
    if len(sizes) < ndim:
        raise RuntimeError(at_user_line(
            f"repeat: Number of dimensions of repeat dims ({len(sizes)}) can not be smaller than "
            f"number of dimensions of tensor ({ndim}, shape {shape_str(input._data.shape)})"))
    if any(s < 0 for s in sizes):
        raise RuntimeError(at_user_line(f"repeat: repeats must be non-negative, got {list(sizes)}"))
    return Repeat.apply(input, sizes=sizes)


def tile(input, *dims):
    """Like ``repeat``, but ``dims`` may be shorter than the tensor's rank (leading 1s implied)."""
    dims = shape_arg(dims)
    ndim = input._data.ndim
    if len(dims) < ndim:
        dims = (1,) * (ndim - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times (an int, or one count per entry along ``dim``).

    With ``dim=None`` the input is flattened first. ``repeat_interleave(counts)`` alone gives
    the indices ``0..n-1`` repeated ``counts`` times. NumPy's ``repeat``; PyTorch's name.
    """
    from ..tensor import Tensor
    from .indexing import Index
    if repeats is None:  # the one-argument form: input holds the counts
        counts = _repeat_counts(input, None, "repeat_interleave")
        # _repeat_counts checked this call's counts; inside chainrule.compile each replay checks its own
        input = replay_check(_no_negative_counts, input, op="repeat_interleave")
        return array_op(_repeated_positions, input.reshape(-1), size=counts.size)
    if dim is None:
        input, dim = flatten(input), 0
    elif input._data.ndim == 0:
        raise IndexError(at_user_line(
            f"repeat_interleave: Dimension specified as {dim} but tensor has no dimensions; use dim=None"))
    axis = wrap_dim(dim, input._data.ndim, "repeat_interleave")
    size = input._data.shape[axis] if input._data.ndim else 1
    counts = _repeat_counts(repeats, size, "repeat_interleave")
    if isinstance(repeats, Tensor):   # an op on the counts, so that a compiled graph follows them
        repeats = replay_check(_no_negative_counts, repeats, op="repeat_interleave")   # as above
        index = array_op(_repeated_positions, repeats, size=size)._data
    else:
        index = _repeated_positions(counts, size)
    if input._data.ndim == 0:
        return Index.apply(Reshape.apply(input, shape=(1,)), index=(index,))
    return Index.apply(input, index=(slice(None),) * axis + (index,))


@sized_by_values
def _repeated_positions(counts, size):
    """``0..size-1``, each repeated ``counts`` times (one count, or one per position)."""
    return xp.repeat(xp.arange(size, dtype=xp.int64), counts)


def _repeat_counts(repeats, size, op):
    """``repeats`` (int or 0-d/1-d tensor) as an int array, checked against ``size`` entries."""
    from ..tensor import Tensor
    counts = repeats._data if isinstance(repeats, Tensor) else xp.asarray(repeats)
    if counts.ndim > 1 or counts.dtype.kind not in "iu":
        raise RuntimeError(at_user_line(
            f"{op}: repeats must be an int or a 0-dim or 1-dim integer tensor, got "
            f"{counts.dtype} of shape {shape_str(counts.shape)}"))
    _no_negative_counts(counts, op)
    if size is not None and counts.ndim == 1 and counts.size not in (1, size):
        raise RuntimeError(at_user_line(
            f"{op}: repeats must have the same size as input along dim, but got repeats.size(0) = "
            f"{counts.size} and input.size(dim) = {size}"))
    return counts.reshape(-1) if size is None or counts.size != 1 else counts.reshape(())


def _no_negative_counts(counts, op):
    if counts.size and counts.min() < 0:
        raise RuntimeError(at_user_line(f"{op}: repeats can not be negative, got {counts.tolist()}"))
    return counts


# ---------------------------------------------------------------- slices and copies

def narrow(input, dim, start, length):
    """``length`` entries of ``dim`` starting at ``start`` (may be negative); a view."""
    from .indexing import BasicIndex
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError(at_user_line("narrow() cannot be applied to a 0-dim tensor."))
    dim = wrap_dim(dim, ndim, "narrow")
    size = input._data.shape[dim]
    if not -size <= start <= size:
        raise IndexError(at_user_line(
            f"narrow: start out of range (expected to be in range of [{-size}, {size}], but got "
            f"{start}) for dim {dim} of a tensor of shape {shape_str(input._data.shape)}"))
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError(at_user_line(f"narrow(): length must be non-negative, got {length}."))
    if start + length > size:
        raise RuntimeError(at_user_line(
            f"narrow: start ({start}) + length ({length}) exceeds dimension size ({size}) of dim "
            f"{dim} (tensor shape {shape_str(input._data.shape)})"))
    return BasicIndex.apply(input, index=(slice(None),) * dim + (slice(start, start + length),))


class Diagonal(Function):
    """The diagonal of the plane (dim1, dim2) at ``offset``, as the last dimension (a view)."""
    is_view = True

    def forward(ctx, a, offset, dim1, dim2):
        ctx.shape, ctx.args = a.shape, (offset, dim1, dim2)
        return _diagonal_view(a, offset, dim1, dim2)

    def backward(ctx, g):
        return DiagonalBackward.apply(g, shape=ctx.shape, args=ctx.args)


class DiagonalBackward(Function):
    """Zeros of the input shape with ``g`` written on the diagonal."""

    def forward(ctx, g, shape, args):
        ctx.args = args
        out = xp.zeros(shape, dtype=g.dtype)
        _diagonal_view(out, *args)[...] = g
        return out

    def backward(ctx, gg):
        return Diagonal.apply(gg, offset=ctx.args[0], dim1=ctx.args[1], dim2=ctx.args[2])


def _diagonal_view(a, offset, dim1, dim2):
    """A writable strided view of the diagonal (NumPy's ``diagonal`` is read-only)."""
    n1, n2 = a.shape[dim1], a.shape[dim2]
    length = max(min(n1 + min(offset, 0), n2 - max(offset, 0)), 0)
    start = [slice(None)] * a.ndim
    if length:
        start[dim1 if offset < 0 else dim2] = slice(abs(offset), None)
    else:
        start[dim1] = slice(0, 0)
    corner = a[tuple(start)]
    rest = [i for i in range(a.ndim) if i not in (dim1, dim2)]
    shape = tuple(a.shape[i] for i in rest) + (length,)
    strides = tuple(a.strides[i] for i in rest) + (a.strides[dim1] + a.strides[dim2],)
    return xp.lib.stride_tricks.as_strided(corner, shape, strides, writeable=a.flags.writeable)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The entries ``input[..., i, i + offset, ...]`` of the plane (dim1, dim2), as the last dim."""
    ndim = input._data.ndim
    d1, d2 = wrap_dim(dim1, ndim, "diagonal"), wrap_dim(dim2, ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(at_user_line(f"diagonal dimensions cannot be identical {dim1}, {dim2}"))
    return Diagonal.apply(input, offset=int(offset), dim1=d1, dim2=d2)


class Clone(Function):
    def forward(ctx, a):
        return a.copy()

    def backward(ctx, g):
        return g


class Contiguous(Function):
    def forward(ctx, a):
        return xp.ascontiguousarray(a)

    def backward(ctx, g):
        return g


def contiguous(input):
    """This tensor if its memory is C-contiguous, else a contiguous copy (still in the graph)."""
    if input._data.flags.c_contiguous:
        return input
    return Contiguous.apply(input)


__all__ = ["reshape", "view", "view_as", "reshape_as", "expand", "expand_as", "broadcast_to",
           "permute", "transpose", "swapaxes", "swapdims", "t", "unsqueeze", "squeeze", "flatten",
           "unflatten", "movedim", "moveaxis", "flip", "roll", "repeat", "tile", "repeat_interleave",
           "narrow", "diagonal", "contiguous"]
TENSOR_METHODS = __all__
