"""Padding (``nn.functional.pad``) and triangular parts (``tril``, ``triu``).

``pad`` takes PyTorch's pad tuple: last dimension first, ``(left, right, top,
bottom, front, back, ...)``. Negative widths crop. Constant padding is one
primitive whose backward crops the gradient; reflect, replicate and circular
padding gather entries along each padded dimension (``index_select``), so their
backward is that op's scatter-add.
"""
import numbers

from .. import backend as B
from ..function import Function
from .._errors import at_user_line, shape_str
from .indexing import BasicIndex, Index
from .promotion import number_as

xp = B.xp

_NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


class ConstantPad(Function):
    def forward(ctx, a, widths, value):
        ctx.crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape))
        if not widths:  # a 0-d tensor padded by ()
            return a.copy()
        return xp.pad(a, widths, mode="constant", constant_values=value)

    def backward(ctx, g):
        return BasicIndex.apply(g, index=ctx.crop)


def _crop(input, widths):
    """``input`` without the entries that negative widths remove (a view)."""
    index = tuple(slice(-lo if lo < 0 else 0, n + hi if hi < 0 else n)
                  for (lo, hi), n in zip(widths, input._data.shape))
    return BasicIndex.apply(input, index=index)


def _gather_pad(input, widths, mode):
    """Non-negative ``widths`` of reflect/replicate/circular padding, one dimension at a time."""
    for axis, (lo, hi) in enumerate(widths):
        if lo or hi:
            source = xp.pad(xp.arange(input._data.shape[axis]), (lo, hi), mode=_NUMPY_MODES[mode])
            input = Index.apply(input, index=(slice(None),) * axis + (source,))
    return input


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative widths, crop) the last ``len(pad) // 2`` dimensions.

    Modes: ``constant`` (fill with ``value``, default 0), ``reflect`` (mirror without repeating
    the edge: 2 1 | 0 1 2 | 1 0), ``replicate`` (repeat the edge: 0 0 | 0 1 2 | 2 2) and
    ``circular`` (wrap around: 1 2 | 0 1 2 | 0 1). Unlike PyTorch, the non-constant modes
    work on any number of dimensions.
    """
    for i, p in enumerate(pad):
        if not isinstance(p, numbers.Integral):
            raise TypeError(at_user_line(
                f"pad(): argument 'pad' must be tuple of ints, but found element of type "
                f"{type(p).__name__} at pos {i}"))
    shape = input._data.shape
    ndim = len(shape)
    if len(pad) % 2 or len(pad) // 2 > ndim:
        raise RuntimeError(at_user_line(
            f"pad: padding length {len(pad)} must be even and at most twice the number of "
            f"dimensions of the input ({ndim}, shape {shape_str(shape)}): one (before, after) "
            f"pair per dimension, last dimension first"))
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        widths[ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    for d, ((lo, hi), n) in enumerate(zip(widths, shape)):
        if n + lo + hi < 0 or n + min(lo, 0) < 0 or n + min(hi, 0) < 0:
            raise RuntimeError(at_user_line(
                f"pad: the input size {n}, plus negative padding {lo} and {hi}, resulted in a "
                f"negative output size, which is invalid. Check dimension {d} of your input "
                f"(shape {shape_str(shape)})."))
    if mode == "constant":
        if any(lo < 0 or hi < 0 for lo, hi in widths):
            input = _crop(input, widths)
            widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        if value is not None and input._data.dtype.kind in "biu":
            adds = any(lo > 0 or hi > 0 for lo, hi in widths)   # (a pad that adds nothing uses no value)
            value = _fill_value(value, input._data.dtype) if adds else 0
        return ConstantPad.apply(input, widths=widths, value=0.0 if value is None else value)
    if mode not in _NUMPY_MODES:
        raise NotImplementedError(
            f"pad: unknown mode '{mode}'; use constant, reflect, replicate or circular")
    if value is not None and value != 0:
        raise RuntimeError(at_user_line(
            f'pad: padding mode "{mode}" doesn\'t take in value argument (got value={value})'))
    return _indexed_pad(input, widths, mode)


def _fill_value(value, dtype):
    """A constant pad value for an integer or bool tensor: it must fit the dtype exactly (no
    wrapping, unlike an operand of arithmetic: PyTorch refuses -1 for uint8 here)."""
    if isinstance(value, int) and not isinstance(value, bool) and dtype.kind in "iu":
        info = B.xp.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise RuntimeError(at_user_line(
                f"pad: value {value} cannot be converted to type {B.from_numpy_dtype(dtype)} without "
                f"overflow (its range is [{info.min}, {info.max}])"))
    return number_as(value, dtype, "pad").item()   # refuses inf and NaN; 2.5 becomes 2


def _indexed_pad(input, widths, mode):
    """reflect/replicate pad the original then crop; circular crops first, then wraps."""
    positive = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    if mode == "circular":
        input = _crop(input, widths)
    shape = input._data.shape
    for d, ((lo, hi), n) in enumerate(zip(positive, shape)):
        if not (lo or hi):
            continue
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(at_user_line(
                f"pad: padding size should be less than the corresponding input dimension for "
                f"reflect mode, but got padding ({lo}, {hi}) at dimension {d} of input shape "
                f"{shape_str(shape)}"))
        if mode == "replicate" and n == 0:
            raise RuntimeError(at_user_line(
                f"pad: replicate mode cannot pad dimension {d} of size 0 (input shape {shape_str(shape)})"))
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError(at_user_line(
                f"pad: padding ({lo}, {hi}) at dimension {d} of size {n} causes circular padding "
                f"to wrap around more than once (input shape {shape_str(shape)})"))
    out = _gather_pad(input, positive, mode)
    out = out if mode == "circular" else _crop(out, widths)
    if not any(lo or hi for lo, hi in positive):   # nothing gathered: out is a view of input
        return PaddedCopy.apply(out)
    if not out._data.flags.c_contiguous:   # a crop: PyTorch's result is a fresh contiguous tensor
        from .movement import Clone
        out = Clone.apply(out)   # (ndarray.copy is C-ordered)
    return out


class PaddedCopy(Function):
    """A copy of ``a`` (the input, or a crop of it) as the result of a pad that added nothing.
    Its gradient stays connected to ``a``, as PyTorch's pad backward is to its input: a second
    derivative through it is zero, not an error."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a.copy()   # (C-ordered)

    def backward(ctx, g):
        from .activations import GatedGradient
        return GatedGradient.apply(g, ctx.saved_value(0), keep=_everywhere, bounds=(), slope=None)


def _everywhere(x):
    return xp.ones(x.shape, dtype=bool)


class Triangle(Function):
    """Zero the entries above (``tril``) or below (``triu``) a diagonal of the last two dims."""

    def forward(ctx, a, diagonal, lower):
        ctx.diagonal, ctx.lower = diagonal, lower
        rows, cols = a.shape[-2:]
        if lower:
            keep = xp.tri(rows, cols, diagonal, dtype=bool)
        else:
            keep = ~xp.tri(rows, cols, diagonal - 1, dtype=bool)
        return xp.where(keep, a, xp.zeros((), a.dtype))  # where, not a * mask: inf * 0 is nan

    def backward(ctx, g):
        return Triangle.apply(g, diagonal=ctx.diagonal, lower=ctx.lower)


def _triangle(input, diagonal, lower, op):
    if input._data.ndim < 2:
        raise RuntimeError(at_user_line(
            f"{op}: input tensor must have at least 2 dimensions, got shape {shape_str(input._data.shape)}"))
    return Triangle.apply(input, diagonal=int(diagonal), lower=lower)


def tril(input, diagonal=0):
    """The lower triangle (on and below ``diagonal``) of the last two dims; zeros elsewhere."""
    return _triangle(input, diagonal, True, "tril")


def triu(input, diagonal=0):
    """The upper triangle (on and above ``diagonal``) of the last two dims; zeros elsewhere."""
    return _triangle(input, diagonal, False, "triu")


__all__ = ["pad", "tril", "triu"]
TENSOR_METHODS = ["tril", "triu"]
