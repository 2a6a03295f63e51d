"""Layout ops composed from movement and indexing: ``rot90``, ``diag``, ``trace``,
``tensor_split``, ``meshgrid``, ``broadcast_tensors``, ``cross``.

None needs a backward of its own: each is flips, transposes, views,
expansions, diagonals and arithmetic, whose gradients compose.
"""
import warnings

from .. import backend as B
from ..tensor import Tensor
from .._errors import at_user_line, shape_str, ShapeError
from .._dims import wrap_dim
from .movement import flip, transpose, expand, roll, DiagonalBackward, Clone
from .movement import diagonal as _diagonal
from .join import _slice
from .reduce import sum as _sum

xp = B.xp


# ---------------------------------------------------------------- rot90 / diag / trace

def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane ``dims``, from the first axis towards the
    second (a copy)."""
    dims = list(dims)
    ndim = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(at_user_line(
            f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}; pass two "
            f"dims, e.g. dims=(0, 1)"))
    if ndim < 2:
        raise RuntimeError(at_user_line(
            f"rot90: expected total dims >= 2, but got total dims = {ndim} (input shape "
            f"{shape_str(input.shape)})"))
    first, second = wrap_dim(dims[0], ndim, "rot90"), wrap_dim(dims[1], ndim, "rot90")
    if first == second:
        raise RuntimeError(at_user_line(
            f"rot90: expected rotation dims to be different, but got dim0 = {dims[0]} and "
            f"dim1 = {dims[1]}"))
    k %= 4
    if k == 1:
        return transpose(flip(input, second), first, second)
    if k == 2:
        return flip(input, first, second)
    if k == 3:
        return transpose(flip(input, first), first, second)
    return Clone.apply(input)


def diag(input, diagonal=0):
    """1-D input: a square matrix with ``input`` on the ``diagonal``-th diagonal (0 the main
    one, > 0 above, < 0 below). 2-D input: that diagonal, as a 1-D copy.

    Reached as ``x.diag(k)``: ``chainrule.diag`` is the diagnostics package.
    """
    ndim = input._data.ndim
    offset = int(diagonal)
    if ndim == 1:
        size = input._data.shape[0] + abs(offset)
        return DiagonalBackward.apply(input, shape=(size, size), args=(offset, 0, 1))
    if ndim == 2:
        return Clone.apply(_diagonal(input, offset))
    raise RuntimeError(at_user_line(
        f"diag(): Supports 1D or 2D tensors. Got {ndim}D (shape {shape_str(input.shape)}); for "
        f"batches use diagonal(x, dim1=-2, dim2=-1) or diag_embed"))



def trace(input):
    """The sum of the main diagonal of a matrix (integers sum as int64)."""
    if input._data.ndim != 2:
        raise RuntimeError(at_user_line(
            f"trace: expected a matrix, but got tensor with dim {input._data.ndim} (shape "
            f"{shape_str(input.shape)}); for batches use x.diagonal(dim1=-2, dim2=-1).sum(-1)"))
    if input._data.dtype == xp.bool_:
        raise NotImplementedError(at_user_line(
            "trace: not implemented for bool tensors; convert with .long() first"))
    return _sum(_diagonal(input))


# ---------------------------------------------------------------- tensor_split

def _split_points(indices_or_sections, size):
    """(start, stop) of each piece: n near-equal sections, or cuts at the given indices."""
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise RuntimeError(at_user_line(
                f"tensor_split: number of sections must be larger than 0, got {n}"))
        small, extra = divmod(size, n)
        stops, stop = [], 0
        for i in range(n):
            start, stop = stop, stop + small + (1 if i < extra else 0)
            stops.append((start, stop))
        return stops
    cuts = [int(i) for i in indices_or_sections]
    starts = [0] + cuts
    stops = cuts + [None]
    return list(zip(starts, stops))


def _tensor_sections(t):
    if t._data.dtype != xp.int64:
        raise RuntimeError(at_user_line(
            f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
            f"{t.dtype.name}; convert with .long()"))
    if t._data.ndim > 1:
        raise RuntimeError(at_user_line(
            f"tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
            f"one-dimensional tensor, but got a tensor with {t._data.ndim} dims"))
    values = t.tolist()
    return values if isinstance(values, list) else int(values)


def tensor_split(input, indices_or_sections=None, dim=0, *, sections=None, indices=None,
                 tensor_indices_or_sections=None):
    """Views of ``input`` along ``dim``: ``sections`` (an int) near-equal pieces, the first
    ``size % sections`` one longer; or pieces cut at ``indices`` (Python slicing: input[:i0],
    input[i0:i1], ..., input[ik:]). A tensor argument is read as either form."""
    for value in (sections, indices, tensor_indices_or_sections):
        if value is not None:
            indices_or_sections = value
    if indices_or_sections is None:
        raise TypeError(at_user_line(
            "tensor_split() missing the sections or indices argument, e.g. x.tensor_split(3)"))
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = _tensor_sections(indices_or_sections)
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError(at_user_line(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims; "
            "reshape it first: x.reshape(1)"))
    axis = wrap_dim(dim, ndim, "tensor_split")
    points = _split_points(indices_or_sections, input._data.shape[axis])
    return tuple(_slice(input, axis, start, stop) for start, stop in points)


# ---------------------------------------------------------------- meshgrid / broadcast_tensors

def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors: output i holds tensor i along dimension i
    (``indexing='ij'``), or with the first two dimensions swapped (``'xy'``, as NumPy's
    default). The outputs are expanded views."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError(at_user_line("meshgrid expects a non-empty TensorList"))
    if indexing is None:
        warnings.warn("chainrule.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument; 'ij' is used now (pass indexing='ij' or 'xy').",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(at_user_line(
            f'meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'))
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(at_user_line(
                f"meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor of shape "
                f"{shape_str(t.shape)}; flatten it first"))
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError(at_user_line(
                f"meshgrid expects all tensors to have the same dtype, got {tensors[0].dtype} and "
                f"{t.dtype}; convert them first"))
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for t, axis in zip(tensors, axes):
        shape[axis] = t._data.size
    grids = []
    for t, axis in zip(tensors, axes):
        view = [1] * len(tensors)
        view[axis] = t._data.size
        grids.append(expand(t.reshape(view), shape))
    return tuple(grids)


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views)."""
    shapes = [t._data.shape for t in tensors]
    try:
        shape = xp.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(at_user_line(
            f"broadcast_tensors: shapes {', '.join(shape_str(s) for s in shapes)} cannot be "
            f"broadcast together (sizes must match or be 1 in every trailing dimension)")) from None
    # As PyTorch, a tensor that already has the common shape comes back itself, not a view: under
    # no_grad() a view would not require grad, and the tensor itself still does.
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)


# ---------------------------------------------------------------- cross

def _default_cross_dim(input):
    for axis, size in enumerate(input._data.shape):
        if size == 3:
            return axis
    raise RuntimeError(at_user_line(
        f"cross: no dimension of size 3 in input (shape {shape_str(input.shape)}); pass dim="))


def cross(input, other, dim=None):
    """The cross product of 3-vectors along ``dim`` (broadcasting over the other dims):
    c = (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0).

    ``dim=None`` takes the first dimension of size 3 (deprecated in PyTorch, with the same
    warning); ``torch.linalg.cross``'s default is ``dim=-1``.
    """
    if input._data.ndim != other._data.ndim:
        raise RuntimeError(at_user_line(
            f"linalg.cross: inputs must have the same number of dimensions, got shapes "
            f"{shape_str(input.shape)} and {shape_str(other.shape)}; unsqueeze one of them"))
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(at_user_line(
            f"linalg.cross: input and other must have the same dtype, got {input.dtype} and "
            f"{other.dtype}; convert one of them first"))
    if dim is None:
        warnings.warn("Using chainrule.cross without specifying the dim arg is deprecated. Please "
                      "either pass the dim explicitly or pass dim=-1 (the default of "
                      "torch.linalg.cross).", UserWarning, stacklevel=2)
        dim = _default_cross_dim(input)
    if input._data.ndim == 0:
        raise IndexError(at_user_line(
            f"linalg.cross: Dimension specified as {dim} but tensor has no dimensions (shapes "
            f"{shape_str(input.shape)} and {shape_str(other.shape)}); cross takes vectors of length 3"))
    axis = wrap_dim(dim, max(input._data.ndim, 1), "cross")
    sizes = (input._data.shape[axis], other._data.shape[axis]) if input._data.ndim else (1, 1)
    if sizes != (3, 3):
        raise RuntimeError(at_user_line(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {sizes[0]} and "
            f"{sizes[1]} (shapes {shape_str(input.shape)} and {shape_str(other.shape)})"))
    a, b = broadcast_tensors(input, other)
    return roll(a, -1, axis) * roll(b, -2, axis) - roll(a, -2, axis) * roll(b, -1, axis)


# ``diag`` is a Tensor method only: the name ``chainrule.diag`` belongs to the diagnostics package.
__all__ = ["rot90", "trace", "tensor_split", "meshgrid", "broadcast_tensors", "cross"]
TENSOR_METHODS = ["rot90", "diag", "trace", "tensor_split", "cross"]
