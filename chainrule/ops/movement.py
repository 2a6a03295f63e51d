"""Shape and layout ops: reshape, view, expand, permute, transpose, squeeze, unsqueeze, ...

Views (``is_view = True``) share memory and the version counter with their input.
"""
from .. import backend as B
from ..function import Function
from .._errors import at_user_line, shape_str, ShapeError
from ._dims import wrap_dim, shape_arg

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


__all__ = ["reshape", "view", "view_as", "reshape_as", "expand", "expand_as", "broadcast_to",
           "permute", "transpose", "swapaxes", "swapdims", "t", "unsqueeze", "squeeze", "flatten"]
TENSOR_METHODS = __all__
