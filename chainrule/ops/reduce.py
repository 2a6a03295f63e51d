"""Reductions: sum, mean, var/std, prod and norms; this family also registers the order
statistics (max/min, median, mode, ...: ``order_stats.py``) and cumsum/cumprod (``cumulative.py``).

``dim`` follows PyTorch: an int, a sequence of ints, or None for all dims (an
empty sequence also means all dims); negative dims count from the end; a 0-d
tensor takes dim 0 or -1; ``keepdim=True`` keeps reduced dims as size 1 (see
``reduce_dims.py``). Each primitive is one backend call forward; its backward
is written with chainrule ops, so gradients of gradients work. ``dtype=``
sets the dtype the reduction accumulates in and returns, as in PyTorch.
"""
import builtins
import math
import warnings

from .. import backend as B
from ..function import Function
from ..grad_mode import _state as _grad_state
from ..tensor import tracer
from .._errors import at_user_line, shape_str
from .._dims import wrap_dim
from .elementwise import cast, where
from .array_op import array_op
from .reduce_dims import (reduce_axes, _keepdim_shape, _drop, _out_shape, _count,  # noqa: F401
                          _expand_back, _require_float)
from .order_stats import (MaxResult, MinResult, AminmaxResult, MedianResult, ModeResult,  # noqa: F401
                          amax, amin, argmax, argmin, max, min, aminmax, median, mode, extreme)

xp = B.xp


# ---------------------------------------------------------------- sum and mean

class Sum(Function):
    def forward(ctx, a, axes, keepdim, np_dtype):
        ctx.shape, ctx.axes, ctx.dtype = a.shape, axes, a.dtype
        return a.sum(axis=axes, keepdims=keepdim, dtype=np_dtype)

    def backward(ctx, g):  # (reduced shape) -> (input shape): every input element gets g
        if g._data.dtype != ctx.dtype:  # sum(dtype=...) computed in another float dtype
            g = cast(g, B.from_numpy_dtype(ctx.dtype))
        return _expand_back(g, ctx.shape, ctx.axes)


class SumToShape(Function):
    """Sum a broadcast result back to ``shape`` (the inverse of broadcasting)."""

    def forward(ctx, a, shape):
        ctx.shape = a.shape
        lead = a.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and a.shape[lead + i] != 1)
        out = a.sum(axis=axes, keepdims=True) if axes else a
        return out.reshape(shape)

    def backward(ctx, g):
        from .movement import expand
        return expand(g, ctx.shape)


def sum_to_shape(x, shape):
    shape = tuple(shape)
    if x._data.shape == shape:
        return x
    return SumToShape.apply(x, shape=shape)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all dims by default); integers and bools sum as int64."""
    axes = reduce_axes(dim, input._data.ndim, "sum")
    if dtype is not None:
        _differentiable_dtype(input, dtype, "sum")
        np_dtype = B.to_dtype(dtype).np
    elif input._data.dtype.kind in "biu":
        np_dtype = xp.int64
    else:
        np_dtype = None
    return Sum.apply(input, axes=axes, keepdim=keepdim, np_dtype=np_dtype)


def _differentiable_dtype(input, dtype, op):
    """An input that requires grad cannot reduce into an integer ``dtype=`` (PyTorch refuses)."""
    dtype = B.to_dtype(dtype)
    if dtype.category != 2 and input._rg and _grad_state["enabled"]:
        raise RuntimeError(at_user_line(
            f"{op}(): Autograd not support dtype: {dtype.name}. The input requires grad and an "
            f"integer result has no gradient; detach first (x.detach().{op}(..., dtype=...)) or "
            f"keep a floating dtype."))


class Mean(Function):
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes = a.shape, axes
        count = _count(a.shape, axes)
        if count == 0:  # the mean of nothing is nan, as in PyTorch (and without NumPy's warning)
            return xp.full(_out_shape(a.shape, axes, keepdim), xp.nan, dtype=a.dtype)
        return a.sum(axis=axes, keepdims=keepdim) / a.dtype.type(count)

    def backward(ctx, g):  # every input element gets g / count
        count = _count(ctx.shape, ctx.axes)
        return _expand_back(g * (1.0 / count) if count else g, ctx.shape, ctx.axes)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Arithmetic mean over ``dim``; needs a floating input (or ``dtype``), as in PyTorch."""
    if dtype is not None and B.to_dtype(dtype).category != 2:
        raise RuntimeError(at_user_line(
            f"mean(): could not infer output dtype. Optional dtype must be either a floating "
            f"point or complex dtype. Got: {B.to_dtype(dtype).name.capitalize()}. Pass "
            f"dtype=chainrule.float32 (or float64)"))
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(at_user_line(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {B.from_numpy_dtype(input._data.dtype).name.capitalize()}. "
            f"Convert first: x.float().mean(), or pass dtype=chainrule.float32"))
    axes = reduce_axes(dim, input._data.ndim, "mean")
    return Mean.apply(input, axes=axes, keepdim=keepdim)


# ---------------------------------------------------------------- variance

class Var(Function):
    """sum((x - mean)^2) / max(0, n - correction) over ``axes``.

    The gradient 2 (x - mean) / (n - correction) follows PyTorch also without degrees of
    freedom (n <= correction): over all elements (``whole``, no dim given) it is inf * g, or
    nan * g where x equals the mean; over given dims, 2 / (n - correction) is inf at 0 and a
    negative number below.
    """

    def forward(ctx, a, axes, keepdim, correction, whole):
        n = _count(a.shape, axes)
        ctx.shape, ctx.axes, ctx.whole = a.shape, axes, whole
        ctx.dof, ctx.divisor = n - correction, builtins.max(0, n - correction)
        ctx.save_for_backward(a)
        if n == 0:
            return xp.full(_out_shape(a.shape, axes, keepdim), xp.nan, dtype=a.dtype)
        centered = a - a.mean(axis=axes, keepdims=True)
        squares = xp.sum(centered * centered, axis=axes, keepdims=keepdim)
        if ctx.divisor:
            return squares / a.dtype.type(ctx.divisor)
        with xp.errstate(divide="ignore", invalid="ignore"):  # inf or nan, as in PyTorch
            return squares / a.dtype.type(0)

    def backward(ctx, g):  # 2 (x - mean) / (n - correction) * g
        (a,) = ctx.saved_tensors
        centered_mean = mean(a, ctx.axes, keepdim=True)
        if g._data.ndim and g._data.ndim != len(ctx.shape):
            g = g.reshape(_keepdim_shape(ctx.shape, ctx.axes))
        if ctx.dof <= 0 and ctx.whole:  # inf where x differs from the mean (or is NaN), else nan
            at_mean = array_op(xp.equal, a, centered_mean)
            return g * where(at_mean, math.nan, math.inf).to(g.dtype)
        scale = 2.0 / ctx.dof if ctx.dof else math.inf
        return (a - centered_mean) * (g * scale)


class StdFromVar(Function):
    """sqrt of a variance; the gradient g / (2 std) is taken as 0 where std is 0 (as PyTorch)."""

    def forward(ctx, v):
        out = xp.sqrt(v)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        zero = out == 0
        return where(zero, 0.0, g / (2 * where(zero, 1.0, out)))


def _variance(input, dim, unbiased, keepdim, correction, op):
    if isinstance(dim, bool):  # PyTorch's var(input, unbiased) overload
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(at_user_line(
            f"{op}(): pass either unbiased= or correction=, not both "
            f"(unbiased=True is correction=1, unbiased=False is correction=0)"))
    if correction is None:
        correction = 0 if unbiased is False else 1
    if input._data.dtype.kind != "f":
        raise RuntimeError(at_user_line(
            f"{op}(): std and var only support floating point and complex dtypes, got "
            f"{B.from_numpy_dtype(input._data.dtype).name}. Convert first: x.float().{op}()"))
    axes = reduce_axes(dim, input._data.ndim, op)
    if _count(input._data.shape, axes) - correction <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0: correction={correction} is not less "
                      f"than the number of reduced elements, so the result is inf or nan", stacklevel=3)
    whole = dim is None or input._data.ndim == 0
    if input._data.dtype != xp.float64:  # PyTorch accumulates in float64: no overflow of x^2
        input = cast(input, B.float64)
    return Var.apply(input, axes=axes, keepdim=keepdim, correction=correction, whole=whole)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim``: sum((x - mean)^2) / (n - correction); ``correction`` is 1 by
    default (Bessel), ``unbiased=False`` means correction=0."""
    return _variance(input, dim, unbiased, keepdim, correction, "var").to(input.dtype)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: the square root of ``var`` (zero gradient where it is 0)."""
    return StdFromVar.apply(_variance(input, dim, unbiased, keepdim, correction, "std")).to(input.dtype)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim``."""
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, _plain_dim(dim), keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim``."""
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, _plain_dim(dim), keepdim)


def _plain_dim(dim):
    return None if isinstance(dim, bool) else dim


# ---------------------------------------------------------------- products

class Prod(Function):
    def forward(ctx, a, axis, keepdim):
        ctx.axis, ctx.keepdim = axis, keepdim
        out = xp.prod(a, axis=axis, keepdims=keepdim, dtype=a.dtype)  # NumPy would widen small ints
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):  # d prod / d x_i = the product of the other entries
        a, out = ctx.saved_tensors
        if ctx.axis is not None and not ctx.keepdim:
            g, out = g.unsqueeze(ctx.axis), out.unsqueeze(ctx.axis)
        if a._data.ndim == 0:
            return g   # the product of a 0-d tensor is itself: gradient 1 (out / a is nan at inf), as PyTorch   # compiled: the zero-safe ops, for any values
            return g * (out / a)   # this order, as PyTorch: the quotient overflows less
        # With zeros, no division: exclusive products from both sides.
        if ctx.axis is None:
            return g * _exclusive_product(a.reshape(-1), 0).reshape(a.shape)
        return g * _exclusive_product(a, ctx.axis)


def _exclusive_product(a, dim):
    """For each position, the product of all other entries along ``dim``."""
    from .movement import flip
    from .pad import pad
    n = a.shape[dim]
    shift = [0, 0] * (a.ndim - 1 - dim) + [1, 0]  # one 1 in front along dim
    before = pad(cumprod(a, dim), shift, value=1.0).narrow(dim, 0, n)
    after = flip(pad(cumprod(flip(a, [dim]), dim), shift, value=1.0).narrow(dim, 0, n), [dim])
    return before * after


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over one ``dim`` (or all elements); the gradient is right also at zeros."""
    if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
        raise TypeError(at_user_line(
            f"prod(): dim must be one int, got {dim!r}; reduce one dim at a time "
            f"(x.prod(0).prod(0)) or flatten first"))
    if dtype is not None:
        _differentiable_dtype(input, dtype, "prod")
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.to(B.int64)
    axis = None if dim is None else wrap_dim(dim, input._data.ndim, "prod")
    if input._data.ndim == 0:
        axis = None
    return Prod.apply(input, axis=axis, keepdim=keepdim)


# ---------------------------------------------------------------- norms

class TwoNorm(Function):
    """sqrt(sum x^2); the gradient x / norm is taken as 0 where the norm is 0 (as PyTorch)."""

    def forward(ctx, a, axes, keepdim):
        out = _one_element_norm(a, axes, keepdim)
        if out is None:
            wide = _norm_accumulator(a)
            out = xp.sqrt(xp.sum(wide * wide, axis=axes, keepdims=keepdim)).astype(a.dtype, copy=False)
        ctx.keepdim_shape = _keepdim_shape(a.shape, axes)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):
        a, out = ctx.saved_tensors
        g, out = g.reshape(ctx.keepdim_shape), out.reshape(ctx.keepdim_shape)
        zero = out == 0
        return where(zero, 0.0, g * a / where(zero, 1.0, out))


def _one_element_norm(a, axes, keepdim):
    """|x| where each norm has one element (PyTorch's too: no square to overflow or underflow)."""
    if _count(a.shape, axes) != 1 or a.size == 0:
        return None
    return xp.abs(a).reshape(_out_shape(a.shape, axes, keepdim))


def _norm_accumulator(a):
    """float16 accumulates in float32, as PyTorch's norm does; other dtypes in their own."""
    return a.astype(xp.float32) if a.dtype == xp.float16 else a


class PNorm(Function):
    """(sum |x|^p)^(1/p); the gradient sign(x) |x|^(p-1) g / norm^(p-1) is taken as 0 where
    the norm is 0, and (for p < 1) where x is 0, as PyTorch does."""

    def forward(ctx, a, axes, keepdim, p):
        out = _one_element_norm(a, axes, keepdim)
        if out is None:
            with xp.errstate(divide="ignore"):  # 0 ** negative p is inf, and the norm 0
                out = xp.sum(xp.abs(_norm_accumulator(a)) ** p, axis=axes, keepdims=keepdim) ** (1.0 / p)
            out = out.astype(a.dtype, copy=False)
        ctx.p, ctx.keepdim_shape = p, _keepdim_shape(a.shape, axes)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):
        a, out = ctx.saved_tensors
        p = ctx.p
        g, out = g.reshape(ctx.keepdim_shape), out.reshape(ctx.keepdim_shape)
        zero_norm = out == 0
        scale = where(zero_norm, 0.0, g / where(zero_norm, 1.0, out) ** (p - 1))
        if p < 1:
            zero = a == 0
            slope = a.sign() * where(zero, 0.0, where(zero, 1.0, a.abs()) ** (p - 1))
        elif p < 2:
            slope = a.sign() * a.abs() ** (p - 1)
        else:
            slope = a * a.abs() ** (p - 2)
        return slope * scale


class CountNonzero(Function):
    """The p=0 "norm": how many entries are nonzero. It has no gradient (None, as PyTorch)."""

    def forward(ctx, a, axes, keepdim):
        return (a != 0).sum(axis=axes, keepdims=keepdim).astype(a.dtype)

    def backward(ctx, g):
        return None


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over ``dim`` (all elements by default): (sum |x|^p)^(1/p).

    ``p`` may be 'fro' (the 2-norm, over at most two dims), any number, inf (max |x|,
    ties share the gradient) or -inf (min |x|). 'nuc' needs an SVD and is not supported.
    """
    if dtype is not None:
        input = input.to(dtype)
    _require_float(input, "norm", "x.float().norm()")
    if input._data.dtype == xp.float16:   # in float32 and rounded once, as PyTorch: x / norm * g overflows
        return norm(input.float(), p, dim, keepdim).half()
    if not isinstance(p, (str, int, float)):
        raise TypeError(at_user_line(
            f"norm(): p must be a number or 'fro', got {p!r}; pass the dims as norm(dim={p!r})"))
    if isinstance(p, str):
        if p != "fro":
            raise RuntimeError(at_user_line(
                f"norm(): p='{p}' is not supported; use a number, inf, -inf or 'fro'"))
        if dim is not None and not isinstance(dim, int) and len(dim) > 2:
            raise RuntimeError(at_user_line(
                f"norm(): the 'fro' norm reduces at most 2 dims, got dim={dim}; use p=2 for more"))
        p = 2
    axes = reduce_axes(dim, input._data.ndim, "norm")
    if p == 2:
        return TwoNorm.apply(input, axes=axes, keepdim=keepdim)
    if p == 1:
        return sum(input.abs(), dim, keepdim)
    if p == 0:
        return CountNonzero.apply(input, axes=axes, keepdim=keepdim)
    if math.isinf(p):
        if input._data.size == 0 and (axes is None or any(input._data.shape[a] == 0 for a in axes)):
            raise RuntimeError(at_user_line(
                f"norm(): cannot compute the {p} norm over an empty dimension (input shape "
                f"{shape_str(input._data.shape)}) because the operation has no identity"))
        # NaN entries tie with a NaN norm; their gradient is sign(NaN) = 0, as in PyTorch
        return extreme(input.abs(), dim, keepdim, p > 0, "norm", nan_ties=True)
    return PNorm.apply(input, axes=axes, keepdim=keepdim, p=p)


# cumsum and cumprod are their own file (it uses sum above); this family registers them.
from .cumulative import cumsum, cumprod  # noqa: E402,F401

__all__ = ["sum", "mean", "sum_to_shape", "var", "std", "var_mean", "std_mean", "prod", "cumsum",
           "cumprod", "amax", "amin", "argmax", "argmin", "max", "min", "aminmax", "median", "mode",
           "norm"]
TENSOR_METHODS = ["sum", "mean", "sum_to_shape", "var", "std", "prod", "cumsum", "cumprod",
                  "amax", "amin", "argmax", "argmin", "max", "min", "aminmax", "median", "mode",
                  "norm"]
