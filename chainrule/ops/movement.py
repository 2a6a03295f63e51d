"""Shape and layout ops: reshape, view, expand, permute, transpose, squeeze, unsqueeze, ...

Views (``is_view = True``) share memory and the version counter with their input.
"""
from .. import backend as B
from ..function import Function
from .._errors import at_user_line, shape_str, ShapeError
from .._dims import wrap_dim, shape_arg

xp = B.xp


def _infer_shape(shape, numel, op, old_shape):
    """Resolve one -1 in ``shape`` and check the element count."""
    if shape.count(-1) > 1:
        raise RuntimeError(at_user_line(f"{op}: only one dimension can be inferred (-1), got {shape}"))
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise ShapeError(at_user_line(
                f"{op}: shape '{list(shape)}' is invalid for input of size {numel} "
                f"(input shape {shape_str(old_shape)})"))
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise ShapeError(at_user_line(
            f"{op}: shape '{list(shape)}' is invalid for input of size {numel} "
            f"(input shape {shape_str(old_shape)}); the number of elements must stay the same"))
    return shape


class Reshape(Function):
    is_view = True

    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    def backward(ctx, g):
        return g.reshape(ctx.shape)


def reshape(input, *shape):
    """The same elements in a new shape (one dimension may be -1)."""
    shape = _infer_shape(shape_arg(shape), input._data.size, "reshape", input._data.shape)
    return Reshape.apply(input, shape=shape)


def view(input, *shape):
    """Like ``reshape``, but never copies: fails where the memory layout does not allow it."""
    if len(shape) == 1 and isinstance(shape[0], B.dtype):
        raise RuntimeError("view(dtype) is not supported; use .to(dtype)")
    target = _infer_shape(shape_arg(shape), input._data.size, "view", input._data.shape)
    try:
        xp.reshape(input._data, target, copy=False)
    except ValueError:
        raise RuntimeError(at_user_line(
            f"view size is not compatible with input tensor's size and stride (input shape "
            f"{shape_str(input.shape)}, requested {shape_str(target)}): at least one dimension "
            f"spans across two contiguous subspaces. Use .reshape(...) instead.")) from None
    return Reshape.apply(input, shape=target)


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


class Expand(Function):
    is_view = True

    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return xp.broadcast_to(a, shape)

    def backward(ctx, g):
        from .reduce import sum_to_shape
        return sum_to_shape(g, ctx.shape)


def expand(input, *sizes):
    """Broadcast to ``sizes`` without copying; -1 keeps a dimension's size."""
    sizes = shape_arg(sizes)
    old = input._data.shape
    if len(sizes) < len(old):
        raise ShapeError(at_user_line(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(old)}); tensor shape {shape_str(old)}"))
    lead = len(sizes) - len(old)
    target = tuple(old[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    for i, s in enumerate(old):
        if s != 1 and s != target[lead + i]:
            raise ShapeError(at_user_line(
                f"expand: the expanded size of the tensor ({target[lead + i]}) must match the "
                f"existing size ({s}) at non-singleton dimension {lead + i}. Target sizes: "
                f"{list(sizes)}. Tensor sizes: {list(old)}"))
    if target == old:
        return input
    return Expand.apply(input, shape=target)


def expand_as(input, other):
    return expand(input, other._data.shape)


def broadcast_to(input, size):
    return expand(input, tuple(size))


class Permute(Function):
    is_view = True

    def forward(ctx, a, dims):
        ctx.dims = dims
        return xp.transpose(a, dims)

    def backward(ctx, g):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return permute(g, inverse)


def permute(input, *dims):
    """Reorder the dimensions: output dim i is input dim ``dims[i]``."""
    dims = shape_arg(dims)
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise ShapeError(at_user_line(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal "
            f"to len(dims) = {len(dims)}"))
    dims = tuple(wrap_dim(d, ndim, "permute") for d in dims)
    if len(set(dims)) != ndim:
        raise RuntimeError(at_user_line(f"permute: repeated dim in {list(dims)}"))
    return Permute.apply(input, dims=dims)


def transpose(input, dim0, dim1):
    """Swap two dimensions."""
    ndim = input._data.ndim
    if ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    dims = list(range(ndim))
    a, b = wrap_dim(dim0, ndim, "transpose"), wrap_dim(dim1, ndim, "transpose")
    dims[a], dims[b] = dims[b], dims[a]
    return Permute.apply(input, dims=tuple(dims))


swapaxes = swapdims = transpose


def t(input):
    """Transpose a tensor of at most 2 dimensions."""
    if input._data.ndim > 2:
        raise RuntimeError(at_user_line(
            f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D; "
            f"use .transpose(dim0, dim1) or .mT"))
    return transpose(input, 0, -1)


def unsqueeze(input, dim):
    """Insert a dimension of size 1 at ``dim``."""
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim + 1, "unsqueeze")
    shape = input._data.shape
    return Reshape.apply(input, shape=shape[:dim] + (1,) + shape[dim:])


def squeeze(input, dim=None):
    """Remove dimensions of size 1 (only those in ``dim`` if given)."""
    shape = input._data.shape
    if dim is None:
        axes = {i for i, s in enumerate(shape) if s == 1}
    else:
        dims = (dim,) if isinstance(dim, int) else dim
        axes = {wrap_dim(d, len(shape), "squeeze") for d in dims}
        axes = {a for a in axes if a < len(shape) and shape[a] == 1}
    if not axes:
        return input
    return Reshape.apply(input, shape=tuple(s for i, s in enumerate(shape) if i not in axes))


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim..end_dim`` into one."""
    shape = input._data.shape
    if not shape:
        return reshape(input, 1)
    start = wrap_dim(start_dim, len(shape), "flatten")
    end = wrap_dim(end_dim, len(shape), "flatten")
    if start > end:
        raise RuntimeError(at_user_line("flatten() has invalid args: start_dim cannot come after end_dim"))
    merged = 1
    for s in shape[start:end + 1]:
        merged *= s
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


def unflatten(input, dim, sizes):
    """Split dimension ``dim`` into ``sizes`` (one entry may be -1)."""
    shape = input._data.shape
    dim = wrap_dim(dim, len(shape), "unflatten")
    sizes = _infer_shape(tuple(sizes), shape[dim], "unflatten", shape)
    return reshape(input, shape[:dim] + sizes + shape[dim + 1:])


def movedim(input, source, destination):
    """Move dimension(s) ``source`` to position(s) ``destination``."""
    ndim = input._data.ndim
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    source = [wrap_dim(d, ndim, "movedim") for d in source]
    destination = [wrap_dim(d, ndim, "movedim") for d in destination]
    order = [d for d in range(ndim) if d not in source]
    for dst, src in sorted(zip(destination, source)):
        order.insert(dst, src)
    return permute(input, order)


moveaxis = movedim


class Flip(Function):
    def forward(ctx, a, axes):
        ctx.axes = axes
        return xp.flip(a, axis=axes)

    def backward(ctx, g):
        return Flip.apply(g, axes=ctx.axes)


def flip(input, *dims):
    """Reverse the order of elements along ``dims``."""
    dims = shape_arg(dims)
    axes = tuple(wrap_dim(d, input._data.ndim, "flip") for d in dims)
    return Flip.apply(input, axes=axes) if input._data.ndim else input * 1


class Roll(Function):
    def forward(ctx, a, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return xp.roll(a, shifts, axis=axes)

    def backward(ctx, g):
        negated = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return Roll.apply(g, shifts=negated, axes=ctx.axes)


def roll(input, shifts, dims=None):
    """Shift elements circularly along ``dims`` (over the flattened tensor when None)."""
    if dims is None:
        return Roll.apply(input.reshape(-1), shifts=shifts, axes=None).reshape(input._data.shape)
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise RuntimeError(at_user_line(
            f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}"))
    axes = tuple(wrap_dim(d, input._data.ndim, "roll") for d in dims)
    return Roll.apply(input, shifts=shifts, axes=axes)


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along dimension i (PyTorch's repeat, not NumPy's)."""
    sizes = shape_arg(sizes)
    ndim = input._data.ndim
    if len(sizes) < ndim:
        raise RuntimeError(at_user_line(
            f"repeat: Number of dimensions of repeat dims ({len(sizes)}) can not be smaller than "
            f"number of dimensions of tensor ({ndim}, shape {shape_str(input.shape)})"))
    lead = len(sizes) - ndim
    x = input.reshape((1,) * lead + input._data.shape)          # (1.., *shape)
    # (s0, n0, s1, n1, ...) by broadcasting, then merged pairwise: a broadcast and a copy
    interleaved = []
    for s, n in zip(sizes, x._data.shape):
        interleaved += [s, n]
    expanded = expand(x.reshape(tuple(v for n in x._data.shape for v in (1, n))), interleaved)
    return reshape(expanded, tuple(s * n for s, n in zip(sizes, x._data.shape)))


def tile(input, dims):
    """Like ``repeat``; missing leading entries of ``dims`` count as 1."""
    dims = tuple(dims)
    ndim = input._data.ndim
    if len(dims) < ndim:
        dims = (1,) * (ndim - len(dims)) + dims
    return repeat(input, dims)


def narrow(input, dim, start, length):
    """``length`` entries of ``dim`` starting at ``start`` (a view)."""
    dim = wrap_dim(dim, input._data.ndim, "narrow")
    size = input._data.shape[dim]
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise IndexError(at_user_line(
            f"narrow: start ({start}) + length ({length}) exceeds dimension size ({size}) "
            f"of dim {dim} (tensor shape {shape_str(input.shape)})"))
    return input[(slice(None),) * dim + (slice(start, start + length),)]


def contiguous(input):
    """This tensor if its memory is C-contiguous, else a contiguous copy (still in the graph)."""
    if input._data.flags.c_contiguous:
        return input
    return Contiguous.apply(input)


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


__all__ = ["reshape", "view", "view_as", "reshape_as", "expand", "expand_as", "broadcast_to",
           "permute", "transpose", "swapaxes", "swapdims", "t", "unsqueeze", "squeeze", "flatten",
           "unflatten", "movedim", "moveaxis", "flip", "roll", "repeat", "tile", "narrow",
           "contiguous"]
TENSOR_METHODS = __all__
