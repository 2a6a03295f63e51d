"""Padding (``nn.functional.pad``) and triangular masks (``tril``, ``triu``)."""
from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line, shape_str

xp = B.xp

_NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _widths(ndim, pad):
    """PyTorch's pad tuple (last dim first: left, right, top, bottom, ...) as NumPy's pairs."""
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        widths[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return widths


class ConstantPad(Function):
    def forward(ctx, a, widths, value):
        ctx.crop = tuple(slice(before, before + n) for (before, _), n in zip(widths, a.shape))
        return xp.pad(a, widths, mode="constant", constant_values=value)

    def backward(ctx, g):
        return g[ctx.crop]


class IndexedPad(Function):
    """reflect / replicate / circular: each output takes one input element (a gather)."""

    def forward(ctx, a, widths, mode):
        source = xp.arange(a.size).reshape(a.shape)
        ctx.source = xp.pad(source, widths, mode=_NUMPY_MODES[mode]).reshape(-1)
        ctx.shape = a.shape
        return a.reshape(-1)[ctx.source].reshape(xp.pad(source, widths, mode="constant").shape)

    def backward(ctx, g):
        from .indexing import IndexBackward
        flat = IndexBackward.apply(g.reshape(-1), shape=(int(xp.prod(ctx.shape)),), index=(ctx.source,))
        return flat.reshape(ctx.shape)


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative widths in constant mode, crop) the last ``len(pad) // 2`` dims."""
    pad = tuple(int(p) for p in pad)
    ndim = input._data.ndim
    if len(pad) % 2 or len(pad) // 2 > ndim:
        raise RuntimeError(at_user_line(
            f"pad: padding length {len(pad)} must be even and at most twice the number of "
            f"dimensions of the input ({ndim}, shape {shape_str(input.shape)})"))
    widths = _widths(ndim, pad)
    if mode == "constant":
        crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(widths, input._data.shape))
        if any(lo < 0 or hi < 0 for lo, hi in widths):
            input = input[crop]
            widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        return ConstantPad.apply(input, widths=widths, value=0.0 if value is None else value)
    if mode not in _NUMPY_MODES:
        raise NotImplementedError(f"pad: unknown mode '{mode}'; use constant, reflect, replicate or circular")
    for d, (lo, hi) in enumerate(widths):
        size = input._data.shape[d]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(at_user_line(
                f"pad: padding size should be less than the corresponding input dimension for "
                f"reflect mode, but got padding ({lo}, {hi}) at dimension {d} of size {size}"))
        if lo < 0 or hi < 0:
            raise RuntimeError(at_user_line("pad: negative padding is only supported in constant mode"))
    return IndexedPad.apply(input, widths=widths, mode=mode)


def _triangle(input, diagonal, lower, op):
    if input._data.ndim < 2:
        raise RuntimeError(at_user_line(
            f"{op}: input tensor must have at least 2 dimensions, got shape {shape_str(input.shape)}"))
    rows, cols = input._data.shape[-2:]
    keep = (xp.tri(rows, cols, diagonal, dtype=bool) if lower
            else ~xp.tri(rows, cols, diagonal - 1, dtype=bool))
    if input._data.dtype.kind != "f":
        return Tensor._make(xp.where(keep, input._data, 0).astype(input._data.dtype))
    return input * Tensor._make(keep.astype(input._data.dtype))


def tril(input, diagonal=0):
    """The lower triangle (on and below ``diagonal``) of the last two dims; zeros elsewhere."""
    return _triangle(input, diagonal, True, "tril")


def triu(input, diagonal=0):
    """The upper triangle (on and above ``diagonal``) of the last two dims; zeros elsewhere."""
    return _triangle(input, diagonal, False, "triu")


__all__ = ["pad", "tril", "triu"]
TENSOR_METHODS = ["tril", "triu"]
