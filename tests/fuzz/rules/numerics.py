"""Rules for deliberate differences of numbers: zero signs, non-finite results, subnormal inputs,
exact derivatives where PyTorch's formulas give NaN, amplified rounding (see classify.py)."""
import re

import numpy as np
import torch

from ..classify import (SUBNORMALS, input_scale, line_of, made_a_nan, made_an_empty_tensor, read_names,
                        read_tensors, op_name, rule, space_before, tensors_before)


def _infinite_result_where_torch_has_nan(difference):
    return difference.kind in ("value", "non-finite") and "inf" in difference.ours and "nan" in difference.theirs


@rule("gelu-at-infinity")
def gelu_at_infinity(difference, program):
    line = line_of(difference, program)
    return {"gelu"} & {op_name(line.op)} if _infinite_result_where_torch_has_nan(difference) else set()


@rule("var-mean-with-infinity")
def var_mean_with_infinity(difference, program):
    line = line_of(difference, program)
    names = {op_name(line.op)} & {"var_mean", "std_mean"}
    return names if _infinite_result_where_torch_has_nan(difference) else set()


@rule("gradient-zero-sign")
def gradient_zero_sign(difference, program):
    """Gradients equal but for the sign of a zero: the sign of an exact zero in a gradient follows
    the order of the backward formula's products and sums."""
    line = line_of(difference, program)
    return {op_name(line.op)} if difference.kind in ("grad-signed-zero", "grad2-signed-zero") else set()


# Ops whose results are sums of products, extremes among tied values, or roundings: the sign of
# an exact zero result follows the order of the additions, which tied zero wins, or the sign of
# an input that equals zero within tolerance (a tiny number of either sign).
ORDER_SIGNED_ZERO_OPS = {"matmul", "@", "mm", "bmm", "mv", "dot", "vdot", "inner", "tensordot", "einsum",
                         "cross", "addmm", "addbmm", "baddbmm", "addmv", "linear", "chain_matmul",
                         "amax", "amin", "max", "min", "median", "nanmedian", "kthvalue", "topk", "sort",
                         "cummax", "cummin", "msort", "logaddexp", "logaddexp2", "matrix_power", "aminmax",
                         "clamp", "clip", "clamp_", "clip_", "clamp_min", "clamp_max", "clamp_min_", "clamp_max_",
                         "maximum", "minimum", "fmax", "fmin", "floor_divide", "//", "r//", "//=", "floor_divide_",
                         "floor", "ceil", "trunc", "round", "floor_", "ceil_", "trunc_", "round_",
                         "scatter_reduce", "scatter_reduce_", "index_reduce", "index_reduce_", "scatter_add",
                         "scatter_add_", "index_add", "index_add_", "pow", "pow_", "**", "**=", "r**",
                         "sum", "mean", "nansum", "nanmean", "std_mean", "var_mean", "unique", "unique_consecutive"}


@rule("zero-sign-by-summation-order")
def zero_sign_by_order(difference, program):
    line = line_of(difference, program)
    return {op_name(line.op)} & ORDER_SIGNED_ZERO_OPS if difference.kind == "signed-zero" else set()


@rule("empty-dim-tuple-reduces-all")
def empty_dim_tuple(difference, program):
    """``dim=()`` reduces every dimension, as in ``sum``: PyTorch's logsumexp raises an internal
    shape error, and its var/std backward divides by N - 1 with N = 1 (NaN)."""
    line = line_of(difference, program)
    if difference.kind == "error-only-torch" and op_name(line.op) == "logsumexp" and "dim=()" in line.code \
            and "doesn't match the broadcast shape" in difference.theirs:
        return {"logsumexp"}
    if difference.kind in ("grad-value", "grad-non-finite") or (difference.kind == "grad2-value"):
        return {op_name(step.op) for step in program.lines[:difference.line] if "dim=()" in step.code}
    return set()


@rule("exact-derivative-at-a-singular-point")
def exact_derivative(difference, program):
    """prod over a single factor that is infinite (derivative 1), the second derivative of 0 ** x
    (0), lgamma's at a pole (inf): PyTorch's formulas give NaN or a huge finite number."""
    if difference.bare_kind != "value" or not difference.kind.startswith("grad"):
        return set()
    steps = {op_name(step.op) for step in program.lines[:difference.line]}
    blamed = set()
    if difference.theirs.count("nan") > difference.ours.count("nan"):
        blamed |= steps & {"prod", "pow", "**", "r**", "copysign", "mish", "selu", "elu", "celu", "logaddexp",
                           "logaddexp2", "cumprod", "gelu", "float_power"}
    if difference.ours.count("inf") > difference.theirs.count("inf"):
        blamed |= steps & {"lgamma"}
    return blamed


@rule("gradient-at-a-subnormal-input")
def gradient_at_subnormal(difference, program):
    """Backward formulas square or divide subnormal inputs, which underflow to 0: where the exact
    gradient is finite the result (0, inf or NaN) follows the formula's order in both libraries."""
    gradient = difference.kind == "stale-gradient" or (difference.bare_kind == "value" and difference.kind.startswith("grad"))
    if not gradient:
        return set()
    if not any(number in step.code for step in program.lines if step.kind == "input" for number in SUBNORMALS):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line]} & SUBNORMAL_UNDERFLOW_OPS


SUBNORMAL_UNDERFLOW_OPS = {"atan2", "arctan2", "atan2_", "hypot", "hypot_", "/", "r/", "div", "div_", "/=",
                           "divide", "true_divide", "log", "log2", "log10", "log1p", "log_", "log2_", "log10_",
                           "log1p_", "reciprocal", "reciprocal_", "sqrt", "sqrt_", "rsqrt", "rsqrt_", "addcdiv",
                           "addcdiv_", "prod"}


DIVISIONS = {"%", "r%", "remainder", "remainder_", "%=", "fmod", "fmod_", "/", "div", "div_", "/=",
             "divide", "true_divide"}


@rule("division-by-a-subnormal")
def division_by_subnormal(difference, program):
    """``x % 1e-40``: chainrule's results are exact; PyTorch's vectorised float32 kernels flush
    the subnormal divisor to zero or divide first, and give NaN."""
    line = line_of(difference, program)
    wrong = difference.kind == "value" \
        and any(number in step.code for step in program.lines if step.kind == "input" for number in SUBNORMALS)
    return {op_name(line.op)} & DIVISIONS if wrong else set()


@rule("searchsorted-compares-values")
def searchsorted_compares_values(difference, program):
    """``bucketize(-5, uint8 boundaries)``: chainrule compares the numbers; PyTorch first converts
    the input to the boundaries' dtype, and -5 wraps to 251."""
    line = line_of(difference, program)
    code = "".join(step.code for step in program.lines)
    wrong = difference.kind == "value" and "lib.uint8" in code
    return {op_name(line.op)} & {"bucketize", "searchsorted"} if wrong else set()


@rule("non-finite-order")
def non_finite_order(difference, program):
    """Where both libraries give a non-finite number (inf against NaN, or the other infinity): a sum
    that meets inf - inf, or a gradient formula whose intermediate overflows or underflows."""
    line = line_of(difference, program)
    if difference.bare_kind != "non-finite":
        return set()
    if difference.kind.startswith("grad"):
        return {op_name(line.op)}
    return {op_name(line.op)} & ORDER_SIGNED_ZERO_OPS


@rule("norm-without-overflow")
def norm_without_overflow(difference, program):
    """``norm(1e30)`` in float32 is ``1e30``: chainrule scales before squaring; PyTorch's squares
    overflow to inf."""
    line = line_of(difference, program)
    wrong = difference.kind == "value" and "inf" in difference.theirs and "inf" not in difference.ours
    return {op_name(line.op)} & {"norm", "vector_norm", "linalg.vector_norm", "linalg.norm"} if wrong else set()


@rule("gelu-tail-accuracy")
def gelu_tail_accuracy(difference, program):
    """``gelu(-4)`` in float32: chainrule's erf is accurate to the last bits in the tail, PyTorch's
    vectorised one to about 1e-3 relative; an op that magnifies relative error (``reciprocal``)
    shows it."""
    if difference.kind != "value":
        return set()
    uses_gelu = any(op_name(step.op) == "gelu" for step in program.lines[:difference.line])
    return {op_name(program.lines[difference.line].op)} if uses_gelu else set()


@rule("softplus-at-its-threshold")
def softplus_at_threshold(difference, program):
    """At ``beta * x == threshold`` softplus takes the log1p branch in its value and in both of
    chainrule's derivatives; PyTorch's second derivative takes the linear branch there (0)."""
    if difference.kind != "grad2-value":
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line]
            if op_name(step.op) == "softplus" and "threshold=1.0" in step.code}


@rule("mode-with-nan")
def mode_with_nan(difference, program):
    """``mode`` of values with NaN: PyTorch's result depends on where the NaN is ([1, nan] gives 1,
    [nan, 1] gives nan); chainrule never returns NaN when another value occurs as often."""
    line = line_of(difference, program)
    if difference.kind != "value" or op_name(line.op) != "mode":
        return set()
    has_nan = any(bool(torch.isnan(tensor).any()) for tensor in read_tensors(program, difference.line)
                  if tensor.is_floating_point())
    return {"mode"} if has_nan else set()


@rule("sign-of-nan")
def sign_of_nan(difference, program):
    """``signbit(nan)``, ``copysign(x, nan)``: the sign bit of a NaN follows how each library made it."""
    line = line_of(difference, program)
    if difference.kind not in ("value", "signed-zero", "non-finite") or \
            op_name(line.op) not in ("signbit", "copysign", "copysign_"):
        return set()
    has_nan = any(bool(torch.isnan(tensor).any()) for tensor in read_tensors(program, difference.line)
                  if tensor.is_floating_point())
    return {op_name(line.op)} if has_nan else set()


@rule("ill-conditioned-remainder")
def ill_conditioned_remainder(difference, program):
    """``1e10 % x`` with a float32 ``x``: a one-ulp difference in ``x`` (within the tolerance of the op
    that made it) changes the remainder completely."""
    line = line_of(difference, program)
    huge_dividend = re.search(r"\b\d{9,}\.?\d*|\de\+?(0?[89]|[1-9]\d)\b", line.code)
    wrong = difference.kind == "value" and huge_dividend
    return {op_name(line.op)} & {"%", "r%", "remainder", "remainder_", "%=", "fmod", "fmod_"} if wrong else set()


@rule("size-dependent-gradient-at-nan")
def size_dependent_gradient_at_nan(difference, program):
    """PyTorch's gradients of hardswish and relu6 at NaN depend on the tensor's size (its scalar
    and vectorised kernels differ); chainrule's do not."""
    gradient = difference.kind == "stale-gradient" or (difference.bare_kind == "value"
                                                        and difference.kind.startswith("grad"))
    if not gradient:
        return set()
    nan_input = any("nan" in step.code for step in program.lines if step.kind == "input") \
        or made_a_nan(program, difference.line)
    uses = {op_name(step.op) for step in program.lines[:difference.line]}
    return {"hardswish", "relu6"} & uses if nan_input else set()


@rule("second-derivative-at-a-kink")
def second_derivative_at_a_kink(difference, program):
    """``atan2(x, x)`` at the origin, ``norm(x)`` at 0: the first derivative is 0 there by
    convention in both libraries; chainrule's second derivative is 0 too, PyTorch's NaN."""
    if difference.kind != "grad2-value" or difference.theirs.count("nan") <= difference.ours.count("nan"):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line]} & KINKS


KINKS = {"atan2", "arctan2", "norm", "vector_norm", "linalg.vector_norm", "linalg.norm"}


@rule("empty-contribution-is-zero")
def empty_contribution_is_zero(difference, program):
    """A gradient whose only contribution through an op comes through an empty tensor: chainrule's
    is zero; PyTorch's double backward multiplies that zero sum by an infinite factor (NaN)."""
    if not difference.kind.startswith("grad") or difference.bare_kind != "value":
        return set()
    if difference.theirs.count("nan") <= difference.ours.count("nan"):
        return set()
    line = line_of(difference, program)
    return {op_name(line.op)} if made_an_empty_tensor(program, difference.line) else set()


# Ops singular at 0 (or that amplify a difference in their divisor by the quotient): a value that
# differs between the libraries within tolerance, next to 0, gives results far apart.
AMPLIFYING_OPS = {"**", "pow", "pow_", "**=", "r**", "reciprocal", "reciprocal_", "/", "r/", "div", "div_", "/=",
                  "divide", "true_divide", "%", "r%", "remainder", "remainder_", "%=", "fmod", "fmod_", "log",
                  "log2", "log10", "log_", "log2_", "log10_", "rsqrt", "rsqrt_", "//", "r//", "//=",
                  "floor_divide", "floor_divide_", "logical_and", "logical_or", "logical_xor", "logical_not",
                  "addcdiv", "addcdiv_", "ge", "greater_equal", ">=", "gt", "greater", ">", "le", "less_equal", "<=",
                  "lt", "less", "<", "eq", "==", "ne", "not_equal", "!=", "sign", "sgn", "signbit", "heaviside",
                  "[bool]="}
NEAR_ZERO = {torch.float16: 1e-3, torch.float32: 1e-6, torch.float64: 1e-12}
QUOTIENT_ROUNDING_OPS = {"%", "r%", "remainder", "remainder_", "%=", "fmod", "fmod_", "//", "r//", "//=",
                         "floor_divide", "floor_divide_"}


@rule("amplified-rounding")
def amplified_rounding(difference, program):
    """``v ** -1`` where ``v = logaddexp2(-1, -1)`` is 0 in chainrule and -1e-8 in PyTorch (equal
    within tolerance), ``x % gelu(x)`` (the quotient multiplies the divisor's last-bit difference):
    an op singular at 0, or a remainder, applied to a computed value."""
    line = line_of(difference, program)
    if difference.bare_kind not in ("value", "non-finite") or op_name(line.op) not in AMPLIFYING_OPS:
        return set()
    computed = {name for step in program.lines[:difference.line] if step.kind != "input" for name in step.defines}
    computed |= {step.target for step in program.lines[:difference.line] if step.target}
    names, tensors = read_names(program, difference.line)
    scale = input_scale(program, difference.line)
    for name, tensor in zip(names, tensors):
        if name not in computed or not tensor.is_floating_point():
            continue
        if op_name(line.op) in QUOTIENT_ROUNDING_OPS:   # the quotient's last bit decides the result
            return {op_name(line.op)}
        # near 0 in absolute terms, or next to the rounding of the largest input (1e300 - 1e300)
        tiny = max(NEAR_ZERO.get(tensor.dtype, 1e-6), 8 * torch.finfo(tensor.dtype).eps * scale)
        if bool((tensor.abs() <= tiny).any()):
            return {op_name(line.op)}
    if op_name(line.op) in COMPARISONS and len(tensors) == 2 and any(name in computed for name in names):
        a, b = (t.double() for t in tensors)   # nearly equal within the rounding of the inputs' scale
        try:
            close = (a - b).abs() <= 8 * torch.finfo(tensors[0].dtype).eps * max(scale, 1.0)
        except RuntimeError:   # shapes that do not broadcast
            return set()
        return {op_name(line.op)} if bool(close.any()) else set()
    return set()


COMPARISONS = {"ge", "greater_equal", ">=", "gt", "greater", ">", "le", "less_equal", "<=", "lt", "less", "<",
               "eq", "==", "ne", "not_equal", "!="}


@rule("second-derivative-at-nan")
def second_derivative_at_nan(difference, program):
    """At a NaN input (or a NaN made on the way), PyTorch's double-backward formulas multiply a
    0/1 mask into the NaN (NaN); chainrule's select their branch, as its first derivatives do
    (``elu``'s second derivative at NaN is that of its positive branch)."""
    if difference.kind != "grad2-value" or difference.theirs.count("nan") <= difference.ours.count("nan"):
        return set()
    line = line_of(difference, program)
    return {op_name(line.op)} if made_a_nan(program, difference.line) else set()


@rule("unique-with-nan")
def unique_with_nan(difference, program):
    """``unique(x, dim=0)`` of values with NaN: PyTorch's sort-and-compare leaves equal values apart
    when a NaN sorts between them ([1e8, nan, 1e8]); chainrule's result holds each value once."""
    line = line_of(difference, program)
    if op_name(line.op) != "unique" or difference.bare_kind not in ("shape", "value"):
        return set()
    has_nan = any(bool(torch.isnan(tensor).any()) for tensor in read_tensors(program, difference.line)
                  if tensor.is_floating_point())
    return {"unique"} if has_nan else set()


@rule("xlogy-gradient-with-a-nan-number")
def xlogy_gradient_with_nan_number(difference, program):
    """``xlogy(x, nan)`` with the number NaN: its derivative in x is log(nan), NaN, at every x;
    PyTorch's formula gives 0 where x is 0."""
    if difference.bare_kind != "value" or not difference.kind.startswith("grad"):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line]
            if op_name(step.op) in ("xlogy", "xlogy_") and ", nan)" in step.code}


@rule("ignored-product-gradient")
def ignored_product_gradient(difference, program):
    """``addmm(x, m1, m2, alpha=0)`` ignores the product, and gives its operands a zero gradient;
    PyTorch multiplies their gradient by alpha = 0, and an infinite upstream gradient makes NaN."""
    if difference.bare_kind != "value" or not difference.kind.startswith("grad"):
        return set()
    if difference.theirs.count("nan") <= difference.ours.count("nan"):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line]
            if op_name(step.op) in ("addmm", "addmv", "addbmm") and "alpha=0" in step.code}


@rule("products-of-zero-and-infinity")
def products_of_zero_and_infinity(difference, program):
    """``cumprod([1, 0, inf])``, ``prod`` of a 0 and an inf (or a NaN): the gradient holds 0 * inf,
    NaN in chainrule (its products are computed as written); PyTorch's formula for zeros gives 0 or 1."""
    if difference.bare_kind != "value" or not difference.kind.startswith("grad"):
        return set()
    products = {"cumprod", "prod"} & {op_name(step.op) for step in program.lines[:difference.line]}
    if not products:
        return set()
    tensors = [t for t in tensors_before(program, difference.line) if t.is_floating_point()]
    both = any(bool((t == 0).any()) for t in tensors) and any(bool((~torch.isfinite(t)).any()) for t in tensors)
    return products if both else set()


# ops whose gradient is exactly 0 somewhere: a piecewise-constant slope, or a region overwritten in place
ZERO_SLOPE_OPS = {"sgn", "sign", "round", "floor", "ceil", "trunc", "round_", "floor_", "ceil_", "trunc_",
                  "[()]=", "[basic]=", "[int]=", "[...]=", "fill_", "zero_", "copy_", "index_fill", "index_fill_",
                  "masked_fill", "masked_fill_"}


@rule("zero-gradient-times-infinity")
def zero_gradient_times_infinity(difference, program):
    """``sgn(asin(x))`` at x = 1: sgn's gradient is 0 and asin's slope is inf. PyTorch's zero is a
    "zero tensor" that stays 0 through later products; chainrule's is a number, and 0 * inf is NaN."""
    if difference.bare_kind != "value" or not difference.kind.startswith("grad"):
        return set()
    if difference.ours.count("nan") <= difference.theirs.count("nan"):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line]} & ZERO_SLOPE_OPS


@rule("cross-product-rounding")
def cross_product_rounding(difference, program):
    """``cross(x, x)`` with 1e8 and 1e30 in float32: chainrule's a*b - b*a is exactly 0; PyTorch's
    fused multiply-add keeps the rounding error of one product (~1e38 * 2**-24)."""
    line = line_of(difference, program)
    large = input_scale(program, difference.line) >= 1e8
    return {op_name(line.op)} & {"cross", "linalg.cross"} if difference.kind == "value" and large else set()


CASTS = {"type", "to", "long", "int", "short", "char", "byte", "bool", "half", "float", "double", "type_as"}


@rule("out-of-range-float-to-integer-cast")
def out_of_range_cast(difference, program):
    """A float outside an integer dtype's range converted to it (``(-1.1e12).type(uint8)``): the
    conversion is undefined in C, and PyTorch's result depends on its kernel (1 for one element,
    0 in a vectorised loop); chainrule's follows NumPy."""
    line = line_of(difference, program)
    if difference.kind != "value" or op_name(line.op) not in CASTS:
        return set()
    match = re.search(r"\((u?int\d+)", difference.theirs)
    if match is None:
        return set()
    info = np.iinfo(match.group(1))
    out_of_range = any(bool(((t < info.min) | (t > info.max)).any()) for t in read_tensors(program, difference.line)
                       if t.is_floating_point())
    return {op_name(line.op)} if out_of_range else set()


@rule("second-derivative-of-huge-inputs")
def second_derivative_of_huge_inputs(difference, program):
    """Second derivatives at inputs of 1e17 and more in float64: their terms reach 1e100 and cancel,
    so results of 1e85 differ in their leading digits between the two formulas."""
    if difference.kind != "grad2-value" or input_scale(program, difference.line) < 1e15:
        return set()
    huge_result = any(int(exponent) >= 30 for exponent in re.findall(r"e\+(\d+)", difference.theirs))
    return {op_name(line_of(difference, program).op)} if huge_result else set()


@rule("overflow-near-the-largest-number")
def overflow_near_the_largest_number(difference, program):
    """A gradient near the dtype's largest number (2e38 in float32): PyTorch's formula overflows an
    intermediate product to inf where chainrule's order of the same products does not (or back)."""
    if difference.bare_kind != "value" or not difference.kind.startswith("grad"):
        return set()
    if "inf" not in difference.theirs + difference.ours:
        return set()
    near = any(int(exponent) >= 37 for exponent in re.findall(r"e\+(\d+)", difference.theirs + difference.ours))
    return {op_name(line_of(difference, program).op)} if near else set()


@rule("isin-of-large-integers")
def isin_of_large_integers(difference, program):
    """``isin(int64 values beyond 2**24, float32 elements)``: PyTorch's sorting path (for larger
    inputs) reports 9007199254740988 as in [1.0, ...]; chainrule compares the numbers."""
    line = line_of(difference, program)
    if difference.kind != "value" or op_name(line.op) != "isin":
        return set()
    large = any(not t.is_floating_point() and t.numel() and bool((t.abs() > 2 ** 24).any())
                for t in read_tensors(program, difference.line))
    return {"isin"} if large else set()


@rule("lgamma-at-a-negative-integer")
def lgamma_at_a_negative_integer(difference, program):
    """lgamma's derivatives at a negative integer (every float beyond 2**53 is an integer: -1e300)
    are undefined: chainrule's are inf or NaN, PyTorch's formula returns a finite number."""
    if difference.bare_kind != "value" or not difference.kind.startswith("grad"):
        return set()
    uses = {op_name(step.op) for step in program.lines[:difference.line]} & {"lgamma", "lgamma_", "digamma"}
    poles = any(bool(((t < 0) & (t == torch.floor(t))).any()) for t in tensors_before(program, difference.line)
                if t.is_floating_point())
    return uses if poles else set()


@rule("product-overflow-order")
def product_overflow_order(difference, program):
    """``matrix_power([[1e30, 0], [1, 1]], 3)`` in float32: its squares overflow, so whether a 0 meets
    an inf (NaN) follows the order of the products: (M @ M) @ M or M @ (M @ M)."""
    line = line_of(difference, program)
    if difference.kind != "value" or op_name(line.op) not in ORDER_SIGNED_ZERO_OPS:
        return set()
    scale = input_scale(program, difference.line)
    return {op_name(line.op)} if scale * scale > 3.4e38 else set()


SINGULAR_AT_ZERO = {"hypot", "sqrt", "rsqrt", "norm", "vector_norm", "linalg.vector_norm", "atan2", "arctan2", "/",
                    "div", "reciprocal", "log", "log2", "log10", "pow", "**"}


@rule("gradient-at-a-rounded-singular-point")
def gradient_at_rounded_singular_point(difference, program):
    """``hypot(nansum(x), x)`` where the sum cancels 1e300 against -1e300: chainrule's sum is 0 and
    hypot's gradient at the origin is NaN; PyTorch's sum is a few units, and its gradient finite."""
    if difference.bare_kind not in ("value", "non-finite") or not difference.kind.startswith("grad"):
        return set()
    singular = {op_name(step.op) for step in program.lines[:difference.line]} & SINGULAR_AT_ZERO
    if not singular:
        return set()
    scale = input_scale(program, difference.line)
    computed = {name for step in program.lines[:difference.line] if step.kind != "input" for name in step.defines}
    space = space_before(program, difference.line)
    if space is None or scale < 1e15:
        return set()
    near = any(isinstance(space.get(name), torch.Tensor) and space[name].is_floating_point()
               and bool((space[name].abs() <= 8 * torch.finfo(space[name].dtype).eps * scale).any())
               for name in computed)
    return singular if near else set()
