"""A library-neutral record of a value at one moment: tensors become (shape, dtype,
requires_grad, a copy of the numbers); tuples, None and Python numbers stay as they are.
Values are observed as soon as a line has run, since a later in-place op may change them."""
from dataclasses import dataclass

import chainrule
import numpy as np
import torch

FLOAT_ORDER = ("float16", "float32", "float64")   # least precise first


@dataclass(frozen=True)
class Seen:
    shape: tuple
    dtype: str
    requires_grad: bool
    array: np.ndarray


@dataclass(frozen=True)
class Unreadable:
    error: str


def dtype_name(dtype):
    return str(dtype).rsplit(".", 1)[-1]


def observe(value):
    if isinstance(value, (torch.Tensor, chainrule.Tensor)):
        try:
            array = np.array(_readable(value).numpy(), copy=True)
            return Seen(tuple(value.shape), dtype_name(value.dtype), bool(value.requires_grad), array)
        except Exception as error:   # e.g. a view PyTorch has invalidated
            return Unreadable(f"{type(error).__name__}: {error}")
    if isinstance(value, (tuple, list)):
        return tuple(observe(v) for v in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return f"<{type(value).__name__}>"


def _readable(value):
    """The tensor's numbers; PyTorch's ZeroTensor (an all-zero gradient it never materialises)
    becomes an ordinary zero tensor."""
    value = value.detach()
    if isinstance(value, torch.Tensor) and value._is_zerotensor():
        return torch.zeros(value.shape, dtype=value.dtype)
    return value


def weakest_float(values):
    """The least precise floating dtype among ``values`` (PyTorch tensors), or None."""
    found = [dtype_name(v.dtype) for v in values if isinstance(v, torch.Tensor) and v.is_floating_point()]
    return min(found, key=FLOAT_ORDER.index) if found else None


def magnitude(value):
    """The largest finite absolute value in a PyTorch tensor (0 for non-float ones)."""
    if not isinstance(value, torch.Tensor) or not value.is_floating_point() or value.numel() == 0:
        return 0.0
    data = value.detach()
    finite = data[torch.isfinite(data)]
    return float(finite.abs().max()) if finite.numel() else 0.0


def describe(seen):
    if isinstance(seen, Seen):
        text = np.array2string(seen.array, precision=6, separator=", ", threshold=20)
        grad = ", requires_grad" if seen.requires_grad else ""
        return f"{text} ({seen.dtype}{grad})"
    if isinstance(seen, tuple):
        return "(" + ", ".join(describe(v) for v in seen) + ")"
    if isinstance(seen, Unreadable):
        return f"unreadable ({seen.error[:120]})"
    return repr(seen)
