"""Pooling over windows taken with im2col: max, average, adaptive (1-D and 2-D)."""
from .. import backend as B
from ..tensor import Tensor
from .._errors import at_user_line, shape_str, ShapeError
from ..ops.array_op import array_op
from ..ops.conv import Unfold, out_size, _pair
from .module import Module

xp = B.xp


def _windows(input, kernel, stride, padding, dilation, fill):
    """(N, C, H, W) -> (N * C, kh * kw, L) windows, padding with ``fill``; and (out_h, out_w)."""
    n, c, h, w = input.shape
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise RuntimeError(at_user_line(
            f"pad should be at most half of effective kernel size, but got pad={padding} and kernel_size={kernel}"))
    x = input.reshape(n * c, 1, h, w)
    if (padding[0] or padding[1]) and fill != 0.0:
        from ..ops.pad import pad
        x = pad(x, (padding[1], padding[1], padding[0], padding[0]), value=fill)
        padding = (0, 0)
        h, w = x.shape[2:]
    oh = out_size(h, kernel[0], stride[0], padding[0], dilation[0])
    ow = out_size(w, kernel[1], stride[1], padding[1], dilation[1])
    if oh <= 0 or ow <= 0:
        raise ShapeError(at_user_line(
            f"pooling: input of spatial size {tuple(input.shape[2:])} is too small for kernel {kernel}"))
    if stride == kernel and padding == (0, 0) and dilation == (1, 1):
        return _tiles(x, kernel, oh, ow), oh, ow
    cols = Unfold.apply(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
    return cols, oh, ow


def _tiles(x, kernel, oh, ow):
    """Non-overlapping windows by reshaping (the usual 2x2, stride-2 pooling): the same
    (NC, kh * kw, L) layout as im2col, from views and one copy instead of a window gather."""
    kh, kw = kernel
    nc = x.shape[0]
    x = x[:, 0, :oh * kh, :ow * kw]                                  # floor mode drops the ragged edge
    x = x.reshape(nc, oh, kh, ow, kw).permute(0, 2, 4, 1, 3)        # (NC, kh, kw, oh, ow)
    return x.reshape(nc, kh * kw, oh * ow)


def _check_rank(input, ndim, op):
    if input.ndim != ndim:
        raise ShapeError(at_user_line(
            f"{op}: expected a {ndim}-D input, got shape {shape_str(input.shape)}"))


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over each window; with ``return_indices``, the flat H * W position of each maximum."""
    _check_rank(input, 4, "max_pool2d")
    if ceil_mode:
        raise NotImplementedError("max_pool2d: ceil_mode=True is not supported yet")
    kernel = _pair(kernel_size)
    stride = _pair(stride) if stride is not None else kernel
    padding, dilation = _pair(padding), _pair(dilation)
    n, c, h, w = input.shape
    cols, oh, ow = _windows(input, kernel, stride, padding, dilation, -float("inf"))  # (NC, k, L)
    values, arg = cols.max(dim=1)                                                     # (NC, L)
    out = values.reshape(n, c, oh, ow)
    if not return_indices:
        return out
    places = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation, shape=(n, c, oh, ow), width=w)
    return out, array_op(_input_positions, arg, **places)


def _input_positions(arg, kernel, stride, padding, dilation, shape, width):
    """Flat input positions (row * width + column) of the window offsets ``arg`` (NC, L)."""
    n, c, oh, ow = shape
    ki, kj = arg // kernel[1], arg % kernel[1]
    rows = (xp.arange(oh)[:, None] * stride[0]).reshape(1, -1, 1).repeat(ow, 2).reshape(1, -1)
    cols_pos = (xp.arange(ow)[None, :] * stride[1]).repeat(oh, 0).reshape(1, -1)
    y = rows + ki * dilation[0] - padding[0]
    x = cols_pos + kj * dilation[1] - padding[1]
    return (y * width + x).reshape(n, c, oh, ow).astype(xp.int64)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over each window (zero padding counts, as in PyTorch's default)."""
    _check_rank(input, 4, "avg_pool2d")
    if ceil_mode:
        raise NotImplementedError("avg_pool2d: ceil_mode=True is not supported yet")
    kernel = _pair(kernel_size)
    stride = _pair(stride) if stride is not None else kernel
    padding = _pair(padding)
    n, c = input.shape[:2]
    cols, oh, ow = _windows(input, kernel, stride, padding, (1, 1), 0.0)
    if divisor_override:
        out = cols.sum(1) / divisor_override
    elif count_include_pad or padding == (0, 0):
        out = cols.mean(1)
    else:
        ones = Tensor._make(xp.ones((1, 1) + tuple(input.shape[2:]), dtype=input._data.dtype))
        counts, _, _ = _windows(ones, kernel, stride, padding, (1, 1), 0.0)
        out = cols.sum(1) / counts.sum(1)
    return out.reshape(n, c, oh, ow)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    _check_rank(input, 3, "max_pool1d")
    result = max_pool2d(input.unsqueeze(2), (1, _first(kernel_size)), (1, _first(stride or kernel_size)),
                        (0, _first(padding)), (1, _first(dilation)), ceil_mode, return_indices)
    if return_indices:
        return result[0].squeeze(2), result[1].squeeze(2)
    return result.squeeze(2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    _check_rank(input, 3, "avg_pool1d")
    return avg_pool2d(input.unsqueeze(2), (1, _first(kernel_size)), (1, _first(stride or kernel_size)),
                      (0, _first(padding)), ceil_mode, count_include_pad).squeeze(2)


def _first(value):
    return value if isinstance(value, int) else value[0]


def _adaptive_bounds(size, out):
    """PyTorch's adaptive windows: [floor(i * size / out), ceil((i + 1) * size / out))."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _adaptive(input, output_size, reduce):
    _check_rank(input, 4, "adaptive pooling")
    h, w = input.shape[2:]
    oh, ow = _pair(output_size) if output_size is not None else (h, w)
    oh, ow = oh or h, ow or w
    if h % oh == 0 and w % ow == 0:  # equal windows: one im2col pass
        kernel = (h // oh, w // ow)
        n, c = input.shape[:2]
        cols, _, _ = _windows(input, kernel, kernel, (0, 0), (1, 1), 0.0)
        return reduce(cols, 1).reshape(n, c, oh, ow)
    from ..ops.join import stack
    rows = []
    for top, bottom in _adaptive_bounds(h, oh):   # uneven windows: one reduction per output cell
        cells = [reduce(input[:, :, top:bottom, left:right].flatten(2), 2)
                 for left, right in _adaptive_bounds(w, ow)]
        rows.append(stack(cells, -1))
    return stack(rows, -2)


def adaptive_avg_pool2d(input, output_size):
    return _adaptive(input, output_size, lambda t, dim: t.mean(dim))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    if return_indices:
        raise NotImplementedError("adaptive_max_pool2d: return_indices=True is not supported yet")
    return _adaptive(input, output_size, lambda t, dim: t.amax(dim))


class _Pool(Module):
    def __init__(self, kernel_size, stride=None, padding=0, **options):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride if stride is not None else kernel_size, padding
        self.__dict__.update(options)   # attributes, as in PyTorch: setting one changes the layer
        self._shown_options = tuple(options)

    def extra_repr(self):
        extra = "".join(f", {k}={getattr(self, k)}" for k in self._shown_options)
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}{extra}"


class MaxPool2d(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__(kernel_size, stride, padding, dilation=dilation, ceil_mode=ceil_mode)
        self.return_indices = return_indices

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)


class MaxPool1d(MaxPool2d):
    def forward(self, input):
        return max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)


class AvgPool2d(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


class AvgPool1d(AvgPool2d):
    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


class AdaptiveAvgPool2d(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(AdaptiveAvgPool2d):
    def forward(self, input):
        return adaptive_max_pool2d(input, self.output_size)
