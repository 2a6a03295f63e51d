"""Padding layers: ``ZeroPad2d``, ``ConstantPad1d``, ``ReflectionPad2d``, ``ReplicationPad3d``,
``CircularPad1d``, ... Each pads the last 1, 2 or 3 dims by ``padding`` (an int for every side,
or PyTorch's (left, right, top, bottom, front, back) tuple) with ``F.pad``'s mode."""
import numbers

from .._errors import at_user_line, shape_str, ShapeError
from . import functional as F
from .module import Module


class _PadNd(Module):
    mode = "constant"
    dims = 1

    def __init__(self, padding, value=0.0):
        super().__init__()
        if isinstance(padding, numbers.Integral):
            padding = (int(padding),) * (2 * self.dims)
        padding = tuple(padding)
        if len(padding) != 2 * self.dims:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of {2 * self.dims} ints, "
                             f"got {padding}")
        self.padding, self.value = padding, value

    def forward(self, input):
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise ShapeError(at_user_line(
                f"{type(self).__name__}: expected a {self.dims + 1}-D (unbatched) or {self.dims + 2}-D (batched) "
                f"input, got shape {shape_str(input.shape)}"))
        if self.mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}" + (f", value={self.value}" if self.mode == "constant" else "")


def _layer(name, mode, dims, zero=False):
    """A padding layer class; ``zero``: ZeroPad, which takes no value (it pads with 0)."""
    body = {"mode": mode, "dims": dims, "__doc__": f"Pads the last {dims} dim(s) in {mode} mode (``F.pad``)."}
    if zero:
        body["__init__"] = lambda self, padding: _PadNd.__init__(self, padding, 0.0)
    return type(name, (_PadNd,), body)


ZeroPad1d, ZeroPad2d, ZeroPad3d = (_layer(f"ZeroPad{d}d", "constant", d, zero=True) for d in (1, 2, 3))
ConstantPad1d, ConstantPad2d, ConstantPad3d = (_layer(f"ConstantPad{d}d", "constant", d) for d in (1, 2, 3))
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = (_layer(f"ReflectionPad{d}d", "reflect", d) for d in (1, 2, 3))
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = (_layer(f"ReplicationPad{d}d", "replicate", d)
                                                        for d in (1, 2, 3))
CircularPad1d, CircularPad2d, CircularPad3d = (_layer(f"CircularPad{d}d", "circular", d) for d in (1, 2, 3))
