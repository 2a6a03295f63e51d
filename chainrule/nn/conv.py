"""Convolution layers and their functional forms: conv1d, conv2d, conv_transpose2d.

conv2d is im2col (``ops.conv.unfold``) followed by one batched GEMM.
"""
import math

from .. import creation
from .._errors import at_user_line, shape_str, ShapeError
from ..ops.conv import Unfold, Fold, out_size, _pair
from . import init
from .module import Module
from .parameter import Parameter


def _same_padding(kernel, dilation):
    """Padding per side for padding='same' with stride 1 (PyTorch pads the extra pixel at the end)."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return [(t // 2, t - t // 2) for t in total]


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation: (N, C_in, H, W) with weight (C_out, C_in / groups, kh, kw) -> (N, C_out, H', W')."""
    stride, dilation = _pair(stride), _pair(dilation)
    if input.ndim != 4:
        raise ShapeError(at_user_line(
            f"conv2d: expected a 4-D input (N, C, H, W), got shape {shape_str(input.shape)}"))
    n, c, h, w = input.shape
    c_out, c_per_group, kh, kw = weight.shape
    if c != c_per_group * groups:
        hint = " (is the input NHWC? conv2d wants NCHW: x.permute(0, 3, 1, 2))" if input.shape[-1] == c_per_group * groups else ""
        raise ShapeError(at_user_line(
            f"conv2d: expected input with {c_per_group * groups} channels in dim 1 (weight {shape_str(weight.shape)}, "
            f"groups={groups}), got input of shape {shape_str(input.shape)}{hint}"))
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        (top, bottom), (left, right) = _same_padding((kh, kw), dilation)
        if top != bottom or left != right:
            input = _pad(input, (left, right, top, bottom))  # the odd pixel goes at the end
            padding = (0, 0)
        else:
            padding = (top, left)
    elif padding == "valid":
        padding = (0, 0)
    padding = _pair(padding)
    h, w = input.shape[2:]
    oh, ow = out_size(h, kh, stride[0], padding[0], dilation[0]), out_size(w, kw, stride[1], padding[1], dilation[1])
    if oh <= 0 or ow <= 0:
        raise ShapeError(at_user_line(
            f"conv2d: input of spatial size ({h}, {w}) is smaller than the kernel ({kh}, {kw}) "
            f"(with padding {padding} and dilation {dilation})"))
    cols = Unfold.apply(input, kernel=(kh, kw), stride=stride, padding=padding, dilation=dilation)  # (N, C*kh*kw, L)
    if groups == 1:
        out = weight.reshape(c_out, -1) @ cols                                                  # (N, C_out, L)
    else:
        cols = cols.reshape(n, groups, c_per_group * kh * kw, oh * ow)                          # (N, G, C/G*k, L)
        out = weight.reshape(groups, c_out // groups, -1) @ cols                                # (N, G, C_out/G, L)
    out = out.reshape(n, c_out, oh, ow)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


def _pad(input, widths):
    from ..ops.pad import pad
    return pad(input, widths)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation: (N, C_in, L) -> (N, C_out, L'), through conv2d with a height of 1."""
    if input.ndim != 3:
        raise ShapeError(at_user_line(
            f"conv1d: expected a 3-D input (N, C, L), got shape {shape_str(input.shape)}"))
    if input.shape[1] != weight.shape[1] * groups:
        raise ShapeError(at_user_line(
            f"conv1d: expected input with {weight.shape[1] * groups} channels in dim 1 (weight "
            f"{shape_str(weight.shape)}, groups={groups}), got input of shape {shape_str(input.shape)}"))
    padding = padding if isinstance(padding, str) else (0, padding if isinstance(padding, int) else padding[0])
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, _first(stride)), padding,
                 (1, _first(dilation)), groups)
    return out.squeeze(2)


def _first(value):
    return value if isinstance(value, int) else value[0]


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv2d: (N, C_in, H, W) with weight (C_in, C_out / groups, kh, kw) -> (N, C_out, H', W')."""
    stride, padding, output_padding, dilation = map(_pair, (stride, padding, output_padding, dilation))
    n, c_in, h, w = input.shape
    _, c_out_per_group, kh, kw = weight.shape
    if c_in != weight.shape[0]:
        raise ShapeError(at_user_line(
            f"conv_transpose2d: expected input with {weight.shape[0]} channels in dim 1, got shape "
            f"{shape_str(input.shape)}"))
    out_h = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    out_w = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    x = input.reshape(n, groups, c_in // groups, h * w)                                   # (N, G, C_in/G, L)
    wg = weight.reshape(groups, c_in // groups, c_out_per_group * kh * kw)               # (G, C_in/G, C_out/G*k)
    cols = (wg.mT @ x).reshape(n, groups * c_out_per_group * kh * kw, h * w)             # (N, C_out*k, L)
    # fold into the padded output, then crop: output_padding adds rows/cols at the end
    full_h, full_w = out_h + 2 * padding[0], out_w + 2 * padding[1]
    out = Fold.apply(cols, output_size=(full_h, full_w), kernel=(kh, kw), stride=stride, padding=(0, 0),
                     dilation=dilation)
    out = out[:, :, padding[0]:padding[0] + out_h, padding[1]:padding[1] + out_w]
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


class _ConvNd(Module):
    def _init_parameters(self, weight_shape, out_channels, bias, dtype):
        self.weight = Parameter(creation.empty(*weight_shape, dtype=dtype))
        self.bias = Parameter(creation.empty(out_channels, dtype=dtype)) if bias else None
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = weight_shape[1] * math.prod(weight_shape[2:])
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size) and self.padding != 0:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.kernel_size):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W); weight (C_out, C_in / groups, kh, kw)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", dtype=None):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError("in_channels and out_channels must be divisible by groups")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.dilation = _pair(kernel_size), _pair(stride), _pair(dilation)
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        self._init_parameters((out_channels, in_channels // groups) + self.kernel_size, out_channels, bias, dtype)

    def forward(self, input):
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L); weight (C_out, C_in / groups, k)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", dtype=None):
        super().__init__()
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.dilation = (_first(kernel_size),), (_first(stride),), (_first(dilation),)
        self.padding = padding if isinstance(padding, str) else (_first(padding),)
        self._init_parameters((out_channels, in_channels // groups) + self.kernel_size, out_channels, bias, dtype)

    def forward(self, input):
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return conv1d(input, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution; weight (C_in, C_out / groups, kh, kw)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, dtype=None):
        super().__init__()
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding = _pair(kernel_size), _pair(stride), _pair(padding)
        self.output_padding, self.dilation = _pair(output_padding), _pair(dilation)
        self._init_parameters((in_channels, out_channels // groups) + self.kernel_size, out_channels, bias, dtype)

    def forward(self, input):
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                self.groups, self.dilation)
