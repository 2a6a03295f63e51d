"""``masked_fill``, ``masked_select`` and ``take``: writes and reads through a boolean mask
or flat positions.
"""
import math

from .. import backend as B
from ..tensor import Tensor
from .._errors import at_user_line, shape_str
from .array_op import checked
from .promotion import check_scalar_fits, number_as
from .indexing import Index, keeps_index
from .gather_scatter import _index_array

xp = B.xp


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
        value = Tensor._make(number_as(value, input._data.dtype, "masked_fill"))
    try:
        xp.broadcast_shapes(mask._data.shape, input._data.shape)
    except ValueError:
        raise RuntimeError(at_user_line(
            f"masked_fill: the mask of shape {shape_str(mask.shape)} cannot be broadcast to the "
            f"input of shape {shape_str(input.shape)}")) from None
    # (a fresh contiguous tensor, as PyTorch's: where() keeps a transposed input's layout)
    return where(mask, value, input).to(input.dtype).contiguous()


@keeps_index(1)   # backward reads the mask: a later write into it is refused, as in PyTorch
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
