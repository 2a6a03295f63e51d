"""Convolution as im2col + GEMM, and the windows that pooling reduces.

``unfold`` (im2col) turns every kh x kw window of a padded (N, C, H, W) input
into a column: (N, C * kh * kw, L) with L = out_h * out_w. A convolution is
then one batched matrix product with the weight reshaped to
(out_channels, C * kh * kw). ``fold`` (col2im) is its adjoint: it adds every
column back into its window. Each is the other's backward, so convolution is
differentiable to any order; neither loops in Python over pixels (only over
the kh * kw kernel offsets).
"""
from .. import backend as B
from ..function import Function

xp = B.xp


def out_size(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class Unfold(Function):
    """(N, C, H, W) -> (N, C * kh * kw, out_h * out_w), zero padding."""

    def forward(ctx, x, kernel, stride, padding, dilation):
        ctx.args = (x.shape[2:], kernel, stride, padding, dilation)
        n, c = x.shape[:2]
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
        padded = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
        oh = out_size(x.shape[2], kh, sh, ph, dh)
        ow = out_size(x.shape[3], kw, sw, pw, dw)
        # a strided view: windows[n, c, i, j, y, x] = padded[n, c, y*sh + i*dh, x*sw + j*dw]
        sn, sc, sy, sx = padded.strides
        windows = xp.lib.stride_tricks.as_strided(
            padded, (n, c, kh, kw, oh, ow), (sn, sc, sy * dh, sx * dw, sy * sh, sx * sw), writeable=False)
        return windows.reshape(n, c * kh * kw, oh * ow)

    def backward(ctx, g):
        size, kernel, stride, padding, dilation = ctx.args
        return Fold.apply(g, output_size=size, kernel=kernel, stride=stride, padding=padding, dilation=dilation)


class Fold(Function):
    """(N, C * kh * kw, L) -> (N, C, H, W): each column added back into its window."""

    def forward(ctx, cols, output_size, kernel, stride, padding, dilation):
        ctx.args = (kernel, stride, padding, dilation)
        (h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = output_size, kernel, stride, padding, dilation
        n = cols.shape[0]
        c = cols.shape[1] // (kh * kw)
        oh, ow = out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)
        blocks = cols.reshape(n, c, kh, kw, oh, ow)
        out = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
        for i in range(kh):          # one strided add per kernel offset
            for j in range(kw):
                out[:, :, i * dh:i * dh + sh * oh:sh, j * dw:j * dw + sw * ow:sw] += blocks[:, :, i, j]
        return out[:, :, ph:ph + h, pw:pw + w]

    def backward(ctx, g):
        kernel, stride, padding, dilation = ctx.args
        return Unfold.apply(g, kernel=kernel, stride=stride, padding=padding, dilation=dilation)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col, PyTorch's ``F.unfold``: (N, C, H, W) -> (N, C * kh * kw, L)."""
    return Unfold.apply(input, kernel=_pair(kernel_size), stride=_pair(stride), padding=_pair(padding),
                        dilation=_pair(dilation))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, PyTorch's ``F.fold``: (N, C * kh * kw, L) -> (N, C, H, W), overlaps summed."""
    return Fold.apply(input, output_size=_pair(output_size), kernel=_pair(kernel_size), stride=_pair(stride),
                      padding=_pair(padding), dilation=_pair(dilation))


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


__all__ = []
TENSOR_METHODS = []
