"""``cumsum`` and ``cumprod``: running sums and products along one dim.

As in PyTorch, ``dtype=`` sets the dtype they accumulate in, integer and bool inputs accumulate
in int64, and a running sum starts from +0.0. cumprod's gradient is exact at zeros (a zero
cuts the product of what follows, so the gradient is built from exclusive products).
"""
from .. import backend as B
from ..function import Function
from ..tensor import Tensor, tracer
from .._dims import wrap_dim
from .elementwise import where
from .reduce import _differentiable_dtype

xp = B.xp


def _reverse_cumsum(t, axis):
    """out_i = sum_{j >= i} t_j along ``axis``."""
    from .movement import flip
    return flip(cumsum(flip(t, [axis]), axis), [axis])


class Cumsum(Function):
    def forward(ctx, a, axis):
        ctx.axis = axis
        out = xp.cumsum(a, axis=axis, dtype=a.dtype)  # NumPy would widen small ints
        if out.dtype.kind == "f":  # PyTorch's running sum starts at +0: -0.0 sums to 0.0
            out += 0.0
        return out

    def backward(ctx, g):
        return _reverse_cumsum(g, ctx.axis)


def _cumulative_input(input, dim, dtype, op):
    axis = wrap_dim(dim, input._data.ndim, op)
    if dtype is not None:
        _differentiable_dtype(input, dtype, op)
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.to(B.int64)
    return input, axis


def _copy(input):
    from .movement import Clone   # movement needs this module
    return Clone.apply(input)


def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim``; integers and bools accumulate as int64."""
    input, axis = _cumulative_input(input, dim, dtype, "cumsum")
    if input._data.ndim == 0:
        return _copy(input)
    return Cumsum.apply(input, axis=axis)


class Cumprod(Function):
    def forward(ctx, a, axis):
        ctx.axis = axis
        out = xp.cumprod(a, axis=axis, dtype=a.dtype)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):  # grad_i = sum_{j >= i} g_j prod_{k <= j, k != i} a_k
        a, out = ctx.saved_tensors
        if a.shape[ctx.axis] == 1:  # the identity: g, also at inf (as PyTorch)
            return g
        zero = a._data == 0
        if tracer[0] is None and not xp.isfinite(a._data).all():
            return _cumprod_grad_by_recurrence(g, a, ctx.axis)   # inf / inf would be nan
        if tracer[0] is None and not zero.any():   # compiled: the rule that handles zeros, rerun whole
            return _reverse_cumsum(g * out, ctx.axis) / a
        return _cumprod_grad_at_zeros(g, a, out, ctx.axis, zero)


def _cumprod_grad_at_zeros(g, a, out, axis, zero):
    """Cumprod's gradient without dividing by zero.

    Where a_i != 0 the usual formula reverse_cumsum(g * out)_i / a_i holds. At the first
    and second zero of a line, the product skips a_i: the same sum over the cumprod of a
    with a_i set to 1. Past the second zero every product holds two zeros: 0. Each
    expression equals the gradient near the point, so first and second derivatives are exact.
    """
    nonzero = Tensor._make(~zero)
    grad = where(nonzero, _reverse_cumsum(g * out, axis) / where(nonzero, a, 1.0), 0.0)
    rank = xp.cumsum(zero, axis=axis)  # how many zeros up to and including each position
    for r in (1, 2):
        at = zero & (rank == r)
        if at.any():
            mask = Tensor._make(at)
            skipped = cumprod(where(mask, 1.0, a), axis)
            grad = grad + where(mask, _reverse_cumsum(g * skipped, axis), 0.0)
    return grad


def _cumprod_grad_by_recurrence(g, a, axis):
    """Cumprod's gradient without any division (for infinite or NaN elements):
    grad_i = (a_0 ... a_{i-1}) * S_i with S_i = g_i + a_{i+1} S_{i+1}, a scan along ``axis``
    (one step per position: slow for long axes, used only when an element is not finite)."""
    from .join import stack
    n = a.shape[axis]
    a_at = [a.select(axis, i) for i in range(n)]
    g_at = [g.select(axis, i) for i in range(n)]
    before = [None] * n                      # the product of the elements before i
    before[0] = Tensor._make(xp.ones_like(a_at[0]._data))
    for i in range(1, n):
        before[i] = before[i - 1] * a_at[i - 1]
    after = [None] * n                       # S_i
    after[n - 1] = g_at[n - 1]
    for i in range(n - 2, -1, -1):
        after[i] = g_at[i] + a_at[i + 1] * after[i + 1]
    return stack([before[i] * after[i] for i in range(n)], axis)


def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim``; integers and bools accumulate as int64."""
    input, axis = _cumulative_input(input, dim, dtype, "cumprod")
    if input._data.ndim == 0:
        return _copy(input)
    return Cumprod.apply(input, axis=axis)
