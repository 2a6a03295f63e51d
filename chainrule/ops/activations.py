"""Activation functions: relu and its relatives, elu, softplus, silu, gelu, mish, the hard ones.

The activations PyTorch refuses on integers (elu, gelu, silu, ...) raise
NotImplementedError here too. A gradient that a kink switches on and off is
*selected* (``where``), never multiplied by a 0/1 mask: an infinite upstream
gradient gives 0 where the slope is 0, as in PyTorch (inf * 0 would be nan).
Gradients at NaN inputs follow PyTorch's comparisons: relu, hardtanh, elu and
hardswish pass the gradient at NaN, hardsigmoid blocks it. These functions are
re-exported by ``unary``, the op family that registers them.
"""
import math

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line
from .array_op import array_op
from .elementwise import where, keeping_ties
from .promotion import check_scalar_fits
from .select import select
from .special import erf_array
from .unary import exp, tanh, sigmoid, erf, abs, clamp_array, _float_only, _no_bool, _sigmoid_array

xp = B.xp

_ONE_OVER_SQRT_2 = 1.0 / math.sqrt(2.0)
_ONE_OVER_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


# ---------------------------------------------------------------- gradient gates

class GatedGradient(Function):
    """``g`` where ``keep(x, *bounds)`` holds, else ``g * slope`` (0 when ``slope`` is None).

    The gradient of an activation whose slope is piecewise constant (relu, hardtanh,
    leaky_relu, hardsigmoid), as PyTorch's ``threshold_backward`` computes it. Linear in
    ``g``; piecewise constant in ``x``, so its gradient there is zero, but the result stays
    connected to ``x``: second derivatives come out as zeros (as in PyTorch), not None.
    """

    def forward(ctx, g, x, keep, bounds, slope):
        ctx.keep, ctx.bounds, ctx.slope = keep, bounds, slope
        ctx.save_for_backward(x)
        blocked = 0 if slope is None else g * g.dtype.type(slope)
        return select(keep(x, *bounds), g, blocked)

    def backward(ctx, gg):
        need_g, need_x = ctx.needs_input_grad
        x = ctx.saved_value(0)
        grad_g = grad_x = None
        if need_g:
            grad_g = GatedGradient.apply(gg, x, keep=ctx.keep, bounds=ctx.bounds, slope=ctx.slope)
        if need_x:
            grad_x = Tensor._make(xp.zeros_like(x._data))
        return grad_g, grad_x


def _gate(g, x, keep, *bounds, slope=None):
    return GatedGradient.apply(g, x, keep=keep, bounds=bounds, slope=slope)


def _above_zero_or_nan(out):       # relu: blocked where the output is <= 0
    return ~(out <= 0)


def _inside_or_nan(x, low, high):  # hardtanh: blocked at and beyond the bounds
    return ~((x <= low) | (x >= high))


def _positive(x):                  # leaky_relu: the slope where x <= 0 (NaN included)
    return x > 0


def _strictly_between(x, low, high):  # hardsigmoid: blocked at and beyond -3, 3 (and at NaN)
    return (x > low) & (x < high)


def _at_most(x, bound):
    return x <= bound


def _below(x, bound):
    return x < bound


def _above(x, bound):
    return x > bound


class PositiveMask(Function):
    """1 where the input is positive, else 0, in its dtype; no gradient. ReLU's gradient is a
    ``GatedGradient`` now; this stays because chainrule.compile's kernel table names it."""

    def forward(ctx, a):
        return (a > 0).astype(a.dtype)

    def backward(ctx, g):
        return None


# ---------------------------------------------------------------- primitives

class ReLU(Function):
    def forward(ctx, a):
        out = keeping_ties(xp.maximum, a, 0)  # relu(-0.0) is -0.0, as in PyTorch
        ctx.save_for_backward(out)  # PyTorch saves the result: changing it in place breaks backward
        return out

    def backward(ctx, g):  # g where the output is positive (0 at x = 0; g at NaN)
        (out,) = ctx.saved_tensors
        return _gate(g, out, _above_zero_or_nan)


class LeakyReLU(Function):
    def forward(ctx, a, slope):
        ctx.save_for_backward(a)
        ctx.slope = slope
        return xp.where(a > 0, a, a * slope)

    def backward(ctx, g):  # g for x > 0, g * slope otherwise (NaN included)
        (a,) = ctx.saved_tensors
        return _gate(g, a, _positive, slope=ctx.slope)


class ELU(Function):
    def forward(ctx, a, alpha):
        ctx.save_for_backward(a)
        ctx.alpha = alpha
        negative_part = alpha * xp.expm1(keeping_ties(xp.minimum, a, 0))  # elu(-0.0) is -0.0
        return select(a > 0, a, negative_part)

    def backward(ctx, g):  # alpha e^x for x <= 0, else 1 (NaN included)
        (a,) = ctx.saved_tensors
        negative = array_op(_at_most, a, bound=0)
        return where(negative, g * (exp(_nonpositive_part(a)) * ctx.alpha), g)


def _nonpositive_part(a):
    """min(a, 0) with gradient 1 where a < 0 (keeps exp() finite for large positive a)."""
    return where(array_op(_below, a, bound=0), a, 0.0)


class Softplus(Function):
    def forward(ctx, a, beta, threshold):
        ctx.save_for_backward(a)
        ctx.beta, ctx.threshold = beta, threshold
        scaled = a * beta
        soft = (xp.maximum(scaled, 0) + xp.log1p(xp.exp(-xp.abs(scaled)))) / beta
        return xp.where(scaled > threshold, a, soft)

    def backward(ctx, g):  # sigmoid(beta x), or 1 above the threshold
        (a,) = ctx.saved_tensors
        scaled = a * ctx.beta
        linear = array_op(_above, scaled, bound=ctx.threshold)
        return where(linear, g, g * sigmoid(scaled))


class SiLU(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * _sigmoid_array(a)

    def backward(ctx, g):  # s (1 + x (1 - s)), s = sigmoid(x)
        (a,) = ctx.saved_tensors
        s = sigmoid(a)
        return g * (s * (1 + a * (1 - s)))


class Mish(Function):
    """x tanh(softplus(x)); one op, so that its gradient is one finite factor times g."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * xp.tanh(xp.logaddexp(0, a))

    def backward(ctx, g):  # tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2), sp = softplus(x)
        (a,) = ctx.saved_tensors
        t = tanh(softplus(a))
        return g * (t + a * sigmoid(a) * (1 - t * t))


class GELU(Function):
    """x Phi(x), Phi the standard normal CDF; or its tanh approximation."""

    def forward(ctx, a, tanh_approximation):
        ctx.save_for_backward(a)
        ctx.tanh_approximation = tanh_approximation
        if tanh_approximation:  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            inner = (a + 0.044715 * a * a * a) * _SQRT_2_OVER_PI
            return 0.5 * a * (1 + xp.tanh(inner))
        return 0.5 * a * (1 + erf_array(a * _ONE_OVER_SQRT_2))

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        if ctx.tanh_approximation:
            t = tanh((a + 0.044715 * a * a * a) * _SQRT_2_OVER_PI)
            d_inner = (1 + 0.134145 * a * a) * _SQRT_2_OVER_PI
            return g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * d_inner)
        cdf = 0.5 * (1 + erf(a * _ONE_OVER_SQRT_2))  # Phi(x) + x phi(x)
        pdf = exp(-0.5 * a * a) * _ONE_OVER_SQRT_2PI
        return g * (cdf + a * pdf)


class Hardtanh(Function):
    """Clamp with PyTorch's activation gradient: g strictly inside (low, high) and at NaN."""

    def forward(ctx, a, low, high):
        ctx.save_for_backward(a)
        ctx.low, ctx.high = low, high
        return clamp_array(a, low, high).astype(a.dtype, copy=False)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return _gate(g, a, _inside_or_nan, ctx.low, ctx.high)


class Hardsigmoid(Function):
    """relu6(x + 3) / 6; the gradient g / 6 strictly between -3 and 3, else 0 (NaN too)."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.minimum(xp.maximum(a + 3, 0), 6) / 6

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return HardsigmoidBackward.apply(g, a)


# PyTorch scales by 1/6 rounded to float32, in float64 too
_ONE_SIXTH = float(xp.float32(1.0 / 6.0))


class HardsigmoidBackward(Function):
    """Hardsigmoid's gradient, g / 6 strictly between -3 and 3. PyTorch has no derivative of it,
    so a second derivative raises here too."""

    def forward(ctx, g, x):
        return select(_strictly_between(x, -3, 3), g * g.dtype.type(_ONE_SIXTH), 0)

    def backward(ctx, gg):
        raise RuntimeError(at_user_line(
            "derivative for hardsigmoid_backward is not implemented: hardsigmoid has no second "
            "derivative in PyTorch, and chainrule follows it. Use relu6(x + 3) / 6, which has one."))


class Hardswish(Function):
    """x relu6(x + 3) / 6; the gradient is 0 up to -3, x / 3 + 1/2 below 3, and 1 from 3 on
    (and at NaN), PyTorch's choices at the kinks."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        wide = a.astype(xp.float32) if a.dtype == xp.float16 else a   # a * 6 overflows float16
        return (wide * xp.minimum(xp.maximum(wide + 3, 0), 6) / 6).astype(a.dtype, copy=False)

    def backward(ctx, g):
        return HardswishGradient.apply(g, ctx.saved_value(0))


class HardswishGradient(Function):
    """``g`` times hardswish's slope at ``a``: 0 up to -3, a / 3 + 1/2 below 3, 1 from 3 on (and
    at NaN). Its own derivative in ``a`` is g / 3 between -3 and 3 and 0 elsewhere, selected, so
    an infinite ``g`` outside gives 0, as in PyTorch."""

    def forward(ctx, g, a):
        ctx.save_for_backward(g, a)
        middle = xp.where(a < 3, g * (a / 3 + 0.5), g)
        return xp.where(a <= -3, xp.zeros((), g.dtype), middle).astype(g.dtype, copy=False)

    def backward(ctx, gg):
        need_g, need_a = ctx.needs_input_grad
        g, a = ctx.saved_value(0), ctx.saved_value(1)
        grad_g = HardswishGradient.apply(gg, a) if need_g else None
        grad_a = None
        if need_a:
            inside = Tensor._make((a._data > -3) & (a._data < 3))
            grad_a = where(inside, gg * g / 3, 0.0)
        return grad_g, grad_a


# ---------------------------------------------------------------- public functions

def _is_half(input):
    """float16 activations run in float32 and round once, as PyTorch's CPU kernels do (a formula
    of several float16 roundings cancels or underflows: gelu(-4), logsigmoid(46))."""
    return input._data.dtype == xp.float16


def _in_place(fn, input, name, **options):
    """``F.<activation>(x, inplace=True)``: computed out of place, then written into x."""
    from .inplace import commit
    return commit(input, fn, name, **options)


def relu(input, inplace=False):
    """max(x, 0); the gradient at 0 is 0."""
    if inplace:
        return _in_place(relu, input, "relu_")
    if input._data.dtype == xp.bool_:
        raise RuntimeError(at_user_line("relu: Boolean inputs not supported for relu; "
                                        "convert first, e.g. relu(x.float())"))
    return ReLU.apply(input)


def relu6(input, inplace=False):
    """min(max(x, 0), 6) (hardtanh(x, 0, 6))."""
    if inplace:
        return _in_place(relu6, input, "relu6_")
    return hardtanh(input, 0.0, 6.0)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    if inplace:
        return _in_place(leaky_relu, input, "leaky_relu_", negative_slope=negative_slope)
    _float_only(input, "leaky_relu")
    return LeakyReLU.apply(input, slope=negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha (exp(x) - 1) otherwise."""
    if inplace:
        return _in_place(elu, input, "elu_", alpha=alpha)
    _float_only(input, "elu")
    if _is_half(input):
        return elu(input.float(), alpha).half()
    return ELU.apply(input, alpha=alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalizing constants of Klambauer et al. (2017)."""
    if inplace:
        return _in_place(selu, input, "selu_")
    _float_only(input, "selu")
    if _is_half(input):
        return selu(input.float()).half()
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1))."""
    if inplace:
        return _in_place(celu, input, "celu_", alpha=alpha)
    _float_only(input, "celu")
    if _is_half(input):
        return celu(input.float(), alpha).half()
    # the positive part is x itself (x / alpha * alpha rounds, and a subnormal x underflows)
    return where(input > 0, input, elu(input / alpha, 1.0) * alpha)


def gelu(input, approximate="none"):
    """x * Phi(x); ``approximate='tanh'`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate not in ("none", "tanh"):
        raise ValueError(at_user_line(
            f"gelu: approximate must be 'none' or 'tanh', got '{approximate}'"))
    _float_only(input, "gelu")
    if _is_half(input):   # 1 + erf(x) cancels in float16
        return GELU.apply(input.float(), tanh_approximation=approximate == "tanh").half()
    return GELU.apply(input, tanh_approximation=approximate == "tanh")


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    if inplace:
        return _in_place(silu, input, "silu_")
    _float_only(input, "silu")
    if _is_half(input):
        return silu(input.float()).half()
    return SiLU.apply(input)


swish = silu


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    if inplace:
        return _in_place(mish, input, "mish_")
    _float_only(input, "mish")
    if _is_half(input):
        return mish(input.float()).half()
    return Mish.apply(input)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    _float_only(input, "softplus")
    if _is_half(input):
        return softplus(input.float(), beta, threshold).half()
    return Softplus.apply(input, beta=beta, threshold=threshold)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x| (0 - softplus: +0 for large x)."""
    _float_only(input, "logsigmoid")
    if _is_half(input):   # -1e-20 rounds to -0.0 in float16, where 0 - 0 would be +0.0
        return logsigmoid(input.float()).half()
    return 0.0 - softplus(-input)


def softsign(input):
    """x / (|x| + 1); for integers |x| + 1 is computed (and wraps) in their dtype, as in
    PyTorch, before the true division. Bool is refused by abs."""
    return input / (abs(input) + 1)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Clamp to [min_val, max_val]; gradient 1 strictly inside, as in PyTorch."""
    if inplace:
        return _in_place(hardtanh, input, "hardtanh_", min_val=min_val, max_val=max_val)
    if min_val > max_val:
        raise ValueError(at_user_line(
            f"hardtanh: min_val cannot be greater than max_val (got {min_val} > {max_val})"))
    _no_bool(input, "hardtanh")
    if input._data.dtype.kind in "iu":   # limits take the integer dtype first: -0.5 becomes 0
        min_val, max_val = _truncated(min_val), _truncated(max_val)
    if input._data.dtype.kind == "u" and (min_val < 0 or max_val < 0):
        raise RuntimeError(at_user_line(
            f"cannot do hardtanh on an unsigned type with negative limits ({input.dtype} input, "
            f"min_val={min_val}, max_val={max_val}); use limits >= 0 or convert first: x.int()"))
    dtype = B.from_numpy_dtype(input._data.dtype)
    check_scalar_fits(min_val, dtype, "hardtanh", "min_val")
    check_scalar_fits(max_val, dtype, "hardtanh", "max_val")
    return Hardtanh.apply(input, low=min_val, high=max_val)


def _truncated(limit):
    """A limit as PyTorch converts it to an integer dtype: toward zero (inf and NaN stay)."""
    return int(limit) if isinstance(limit, float) and math.isfinite(limit) else limit


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    if inplace:
        return _in_place(hardsigmoid, input, "hardsigmoid_")
    _float_only(input, "hardsigmoid")
    return Hardsigmoid.apply(input)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    if inplace:
        return _in_place(hardswish, input, "hardswish_")
    _float_only(input, "hardswish")
    return Hardswish.apply(input)


__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
           "softplus", "logsigmoid", "softsign", "hardtanh", "hardsigmoid", "hardswish"]
