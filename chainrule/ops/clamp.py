"""``clamp`` (``clip``, ``clamp_min``, ``clamp_max``) with number or tensor bounds.

The gradient is selected (``where``), not multiplied by a 0/1 mask, so an infinite upstream
gradient gives 0 outside the bounds; at a bound the gradient passes, as in PyTorch.
"""

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line
from .promotion import result_type, cast_to, check_scalar_fits, _as_python_scalar
from .array_op import array_op
from .elementwise import where, keeping_ties

xp = B.xp


class Clamp(Function):
    """Clamp to number bounds; the gradient passes where low <= x <= high."""

    def forward(ctx, a, low, high):
        ctx.save_for_backward(a)
        ctx.low, ctx.high = low, high
        return clamp_array(a, low, high)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return where(array_op(_inside, a, low=ctx.low, high=ctx.high), g, 0.0)


def clamp_array(a, low, high):
    """max(a, low), then min(., high), as PyTorch computes them: ``a`` stays where it is not
    beyond a bound (a -0.0 clamped at 0 stays -0.0; NaN stays NaN); low > high gives high."""
    out = a
    if low is not None:
        out = keeping_ties(xp.maximum, out, low)
    if high is not None:
        out = keeping_ties(xp.minimum, out, high)
    return out


def _inside(a, low, high):
    if low is None:
        return a <= high
    if high is None:
        return a >= low
    return (a >= low) & (a <= high)


class ClampTensor(Function):
    """Clamp to tensor bounds, with PyTorch's gradients: input where low <= x <= high,
    ``min`` where x < min < max, ``max`` where x > max or max < min."""

    def forward(ctx, a, low, high):
        ctx.save_for_backward(a, low, high)
        return clamp_array(a, low, high)

    def backward(ctx, g):
        a, low, high = ctx.saved_tensors
        need_a, need_low, need_high = ctx.needs_input_grad
        grad_a = grad_low = grad_high = None
        if need_a:
            grad_a = where(array_op(_inside, a, low, high), g, 0.0)
        if need_low:
            grad_low = where(array_op(_takes_min, a, low, high), g, 0.0)
        if need_high:
            grad_high = where(array_op(_takes_max, a, low, high), g, 0.0)
        return grad_a, grad_low, grad_high


def _takes_min(x, low, high):
    return x < low if high is None else (x < low) & (low < high)


def _takes_max(x, low, high):
    return x > high if low is None else (x > high) | (high < low)


def clamp(input, min=None, max=None):
    """Limit values to [min, max] (bounds may be numbers or tensors; min > max gives max).

    The gradient passes where min <= x <= max. The result dtype follows type promotion
    over the input and the bounds (an int tensor clamped to 0.5 is float).
    """
    if min is None and max is None:
        raise RuntimeError(at_user_line(
            "clamp: at least one of 'min' or 'max' must not be None"))
    numbers_only = not isinstance(min, Tensor) and not isinstance(max, Tensor)
    if input._data.dtype.kind == "b" and numbers_only and result_type(input, min, max) is B.bool_:
        bound = "min" if min is not None else "max"
        raise NotImplementedError(at_user_line(
            f'clamp: "clamp_{bound}_scalar_cpu" not implemented for \'Bool\' (a bool tensor with '
            f'{bound}={min if min is not None else max}); convert first: x.int().clamp(...)'))
    min, max = _as_python_scalar(min), _as_python_scalar(max)
    one_of_each = min is not None and max is not None and isinstance(min, Tensor) != isinstance(max, Tensor)
    if one_of_each and (_is_0d(min) or _is_0d(max)):   # a number and a 0-d tensor: PyTorch's
        min, max = _number_of(min), _number_of(max)      # overload for two numbers
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        target = result_type(input, min, max)
        if target is B.bool_ and isinstance(min, Tensor) and isinstance(max, Tensor):
            raise NotImplementedError(at_user_line(
                "clamp: \"clamp_cpu\" not implemented for 'Bool' (a bool tensor between two bool tensor "
                "bounds); convert first: x.int().clamp(min.int(), max.int())"))
        return ClampTensor.apply(cast_to(input, target), _bound(min, target), _bound(max, target))
    if input._data.dtype.kind != "f" or type(min) not in _NUMBERS or type(max) not in _NUMBERS:
        input = cast_to(input, result_type(input, min, max))
    target = B.from_numpy_dtype(input._data.dtype)
    low, high = _number_bound(min, target, "min"), _number_bound(max, target, "max")
    return Clamp.apply(input, low=low, high=high)


_NUMBERS = (float, int, type(None))


def _is_0d(bound):
    """A 0-d bound without history (one that requires grad stays a tensor: it gets a gradient)."""
    return isinstance(bound, Tensor) and bound._data.ndim == 0 and not bound.requires_grad


def _number_of(bound):
    return bound.item() if _is_0d(bound) else bound


def _number_bound(value, target, name):
    """A number bound in the result dtype: refused if it overflows it, as PyTorch does (a
    negative bound of an unsigned tensor wraps: uint8 clamp(min=-1) is clamp(min=255))."""
    if value is None:
        return None
    check_scalar_fits(value, target, "clamp", name)
    return cast_to(value, target)


def _bound(value, target):
    return None if value is None else cast_to(value, target)


clip = clamp


def clamp_min(input, min):
    """max(x, min)."""
    return clamp(input, min=min)


def clamp_max(input, max):
    """min(x, max)."""
    return clamp(input, max=max)
