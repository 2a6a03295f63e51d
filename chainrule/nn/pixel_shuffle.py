"""``PixelShuffle``/``PixelUnshuffle``: trade channels for resolution (sub-pixel convolution,
Shi et al., 2016). (*, C r^2, H, W) <-> (*, C, H r, W r)."""
from .._errors import at_user_line, shape_str, ShapeError
from .module import Module


def pixel_shuffle(input, upscale_factor):
    r = int(upscale_factor)
    if input.ndim < 3 or input.shape[-3] % (r * r):
        raise ShapeError(at_user_line(
            f"pixel_shuffle: expected an input of at least 3 dims whose channel dim (-3) is divisible by "
            f"upscale_factor**2 = {r * r}, got shape {shape_str(input.shape)}"))
    *batch, channels, height, width = input.shape
    c = channels // (r * r)
    x = input.reshape(*batch, c, r, r, height, width)                       # (*, C, r, r, H, W)
    n = len(batch)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)                  # (*, C, H, r, W, r)
    return x.reshape(*batch, c, height * r, width * r)


def pixel_unshuffle(input, downscale_factor):
    r = int(downscale_factor)
    if input.ndim < 3 or input.shape[-2] % r or input.shape[-1] % r:
        raise ShapeError(at_user_line(
            f"pixel_unshuffle: expected an input of at least 3 dims whose height and width are divisible by "
            f"downscale_factor = {r}, got shape {shape_str(input.shape)}"))
    *batch, channels, height, width = input.shape
    x = input.reshape(*batch, channels, height // r, r, width // r, r)     # (*, C, H/r, r, W/r, r)
    n = len(batch)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)                  # (*, C, r, r, H/r, W/r)
    return x.reshape(*batch, channels * r * r, height // r, width // r)


class PixelShuffle(Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
