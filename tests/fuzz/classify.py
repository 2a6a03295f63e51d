"""Rules that recognise a deliberate difference, one per key of the table in
``docs/differences-from-pytorch.md`` ("Differences the op fuzzer accepts").

A rule looks at a difference and its program and returns the names of the ops it
blames (empty: the rule does not apply). ``known.py`` accepts the difference when
one of them is among the ops the table lists for that key.
"""
import re

import torch

from .compare import KEPT_SAVED_AGREES
from .execute import VERSION_ERROR
from .line import GRAD_KINDS
from .program import namespace, run_line

RULES = {}


def rule(key):
    def register(function):
        RULES[key] = function
        return function
    return register


def op_name(label):
    """The op's own name from a line's label: ".add" -> "add", "F.pad" -> "pad", ".max(dim)" -> "max"."""
    name = label.removeprefix("F.").removeprefix(".")
    if name.endswith(")") and "(" in name and not name.startswith("["):
        name = name[:name.index("(")]
    return name


def _line(difference, program):
    return program.lines[difference.line]


def _ops_with_flag(program, flag, upto=None):
    lines = program.lines if upto is None else program.lines[:upto + 1]
    return {op_name(line.op) for line in lines if flag in line.flags}


@rule("expanded-view-write-requires-grad")
def expanded_view_write(difference, program):
    line = _line(difference, program)
    refused = difference.kind == "error-only-chainrule" and line.kind in ("inplace", "setitem") \
        and "expand()/broadcast_to() view of a tensor that requires grad" in difference.ours
    return {op_name(line.op)} if refused else set()


@rule("expanded-view-advanced-index-write")
def expanded_view_index_write(difference, program):
    line = _line(difference, program)
    refused = difference.kind == "error-only-chainrule" and line.kind in ("inplace", "setitem") \
        and "advanced indexing (index tensors, masks) into an expand()/broadcast_to() view" in difference.ours
    return {op_name(line.op)} if refused else set()


@rule("no-grad-view-base-changed")
def no_grad_view(difference, program):
    line = _line(difference, program)
    later = difference.kind == "error-only-torch" and "created in no_grad mode" in difference.theirs
    made_under_no_grad = any("no-grad" in step.flags and step.kind == "view" for step in program.lines)
    return {op_name(line.op)} if later and made_under_no_grad else set()


# PyTorch's backward refused because a tensor it saved was changed in place, and chainrule's
# backward ran. compare.py has already checked chainrule's gradients against PyTorch's computed
# with every saved tensor copied when saved: only equal ones arrive here as "error-only-torch"
# (different ones are a "stale-gradient", which no rule accepts).


@rule("saved-value-read-as-it-was")
def saved_value_read_as_it_was(difference, program):
    line = _line(difference, program)
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    if VERSION_ERROR not in difference.theirs or KEPT_SAVED_AGREES not in difference.ours:
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line] if step.kind in ("inplace", "setitem")}


@rule("list-of-lists-index")
def list_of_lists(difference, program):
    line = _line(difference, program)
    return {op_name(line.op)} if "list-of-lists" in line.flags else set()


@rule("two-ellipses")
def two_ellipses(difference, program):
    line = _line(difference, program)
    refused = difference.kind == "error-only-chainrule" and "two-ellipses" in line.flags
    return {op_name(line.op)} if refused else set()


FLOOR_DIVIDE_OPS = {"floor_divide", "//", "r//", "//=", "floor_divide_"}


@rule("floor-divide-not-differentiable")
def floor_divide(difference, program):
    line = _line(difference, program)
    earlier = {op_name(step.op) for step in program.lines[:difference.line + 1]} & FLOOR_DIVIDE_OPS
    if difference.bare_kind == "requires-grad":
        return earlier
    if difference.kind == "error-only-torch" and line.kind in GRAD_KINDS and "floor_divide" in difference.theirs:
        return earlier
    # PyTorch saved a result computed from the floor division (it requires grad there) and a
    # later write changed it; in chainrule nothing downstream of // is in the graph
    if difference.kind == "error-only-torch" and line.kind in GRAD_KINDS and VERSION_ERROR in difference.theirs:
        return earlier
    return set()


@rule("take-along-dim-checks-indices")
def take_along_dim(difference, program):
    line = _line(difference, program)
    refused = difference.kind == "error-only-chainrule" and op_name(line.op) == "take_along_dim"
    return {"take_along_dim"} if refused and "out of" in difference.ours else set()


# What PyTorch's backward raises for a src larger than index: its gradient for src has index's
# shape ("ScatterAddBackward0 returned an invalid gradient"), or, for scatter_reduce's mean and
# prod, a broadcasting error inside the formula.
SCATTER_BACKWARD_ERRORS = ("ScatterBackward", "ScatterAddBackward", "ScatterReduceBackward",
                           "must match the size of tensor", "CopySlices returned an invalid gradient")


@rule("scatter-src-larger-differentiable")
def scatter_src_larger(difference, program):
    line = _line(difference, program)
    if difference.kind == "grad-value":   # PyTorch's src gradient for scatter_reduce fills the unused part
        return {op for op in _ops_with_flag(program, "src-larger", upto=difference.line)
                if op.startswith("scatter_reduce")}
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    # (PyTorch may first refuse a changed saved tensor: its reference with saved tensors kept
    # then fails on the larger src, so no gradient of PyTorch's can be compared)
    if not any(error in difference.theirs for error in SCATTER_BACKWARD_ERRORS + (VERSION_ERROR,)):
        return set()
    return _ops_with_flag(program, "src-larger", upto=difference.line)


@rule("number-remainder-differentiable")
def number_remainder(difference, program):
    """``2 % x``: PyTorch's remainder(Scalar, Tensor) has no derivative; chainrule's is -floor(2 / x)."""
    line = _line(difference, program)
    refused_by_torch = difference.kind == "error-only-torch" and line.kind in GRAD_KINDS \
        and "derivative for aten::remainder is not implemented" in difference.theirs
    earlier = {op_name(step.op) for step in program.lines[:difference.line + 1]}
    return {"r%"} & earlier if refused_by_torch else set()


@rule("clamp-mixed-bounds")
def clamp_mixed_bounds(difference, program):
    """``clamp(x, min=tensor, max=number)``: PyTorch's argument parser refuses the mix."""
    line = _line(difference, program)
    refused_by_torch = difference.kind == "error-only-torch" and op_name(line.op) in ("clamp", "clip") \
        and "invalid combination of arguments" in difference.theirs
    return {op_name(line.op)} if refused_by_torch else set()


@rule("pad-any-dims")
def pad_any_dims(difference, program):
    line = _line(difference, program)
    refused_by_torch = difference.kind == "error-only-torch" and "pad-mode" in line.flags
    return {op_name(line.op)} if refused_by_torch else set()


@rule("overlapping-write-from-snapshot")
def overlapping_write(difference, program):
    """PyTorch refuses a write whose source overlaps its target, or (when its check misses the
    overlap: a view of the target as the value of ``x[[0, 1]] = v``) writes in an order that
    shows in the result; chainrule reads the source as it was."""
    line = _line(difference, program)
    if line.kind not in ("inplace", "setitem"):
        return set()
    refused_by_torch = difference.kind == "error-only-torch" \
        and "the written-to tensor refer to a single memory location" in difference.theirs
    order_shows = difference.kind == "value" and _source_overlaps_target(program, difference.line)
    return {op_name(line.op)} if refused_by_torch or order_shows else set()


def _source_overlaps_target(program, index):
    line = program.lines[index]
    tensors = dict(zip(*_read_names(program, index)))
    target = tensors.get(line.target)
    if target is None:
        return False
    memory = target.untyped_storage().data_ptr()
    return any(name != line.target and tensor.untyped_storage().data_ptr() == memory
               for name, tensor in tensors.items())


@rule("python-int-out-of-range")
def python_int_out_of_range(difference, program):
    line = _line(difference, program)
    if difference.kind != "error-only-chainrule":
        return set()
    refused = difference.ours.startswith("OverflowError") and "Python integer" in difference.ours
    # copy_(number) refuses as fill_ does (PyTorch's copy_ wraps the number, its fill_ refuses too)
    refused_copy = op_name(line.op) == "copy_" and "without overflow" in difference.ours
    return {op_name(line.op)} if refused or refused_copy else set()


# The ops whose results have no derivative; chainrule never marks them as requiring grad.
NO_DERIVATIVE = {"unique", "median", "bincount"}


@rule("no-derivative-never-requires-grad")
def no_derivative(difference, program):
    line = _line(difference, program)
    marked = difference.bare_kind == "requires-grad" and difference.theirs.endswith("requires_grad)")
    return {op_name(line.op)} & NO_DERIVATIVE if marked else set()


def _infinite_result_where_torch_has_nan(difference):
    return difference.kind in ("value", "non-finite") and "inf" in difference.ours and "nan" in difference.theirs


@rule("gelu-at-infinity")
def gelu_at_infinity(difference, program):
    line = _line(difference, program)
    return {"gelu"} & {op_name(line.op)} if _infinite_result_where_torch_has_nan(difference) else set()


@rule("var-mean-with-infinity")
def var_mean_with_infinity(difference, program):
    line = _line(difference, program)
    names = {op_name(line.op)} & {"var_mean", "std_mean"}
    return names if _infinite_result_where_torch_has_nan(difference) else set()


@rule("extreme-reduction-without-self")
def extreme_without_self(difference, program):
    """scatter_reduce/index_reduce with amax/amin and include_self=False: the whole gradient goes to
    the sources; PyTorch also shares it with a tying self value."""
    if difference.bare_kind != "value" or not difference.kind.startswith("grad"):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line + 1]
            if op_name(step.op).startswith(("scatter_reduce", "index_reduce"))
            and "include_self=False" in step.code and ("'amax'" in step.code or "'amin'" in step.code)}


@rule("atan2-integer-operand-in-floating-point")
def atan2_integer_operand(difference, program):
    """The gradient of atan2 (or addcdiv) with an integer operand: PyTorch squares the integer in
    its own dtype, which wraps; chainrule computes in floating point."""
    code = "".join(step.code for step in program.lines)
    if difference.kind not in ("grad-value", "stale-gradient") or not re.search(r"lib\.u?int(8|16|32|64)\b", code):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line + 1]} & INTEGER_SQUARING_OPS


INTEGER_SQUARING_OPS = {"atan2", "arctan2", "atan2_", "addcdiv", "addcdiv_"}


# An integer tensor PyTorch marks as requiring grad, e.g. "[1, 2] (int32, requires_grad)".
_INTEGER_REQUIRING_GRAD = re.compile(r"\((u?int\d+|bool), requires_grad\)$")


@rule("integer-tensor-never-requires-grad")
def integer_requires_grad(difference, program):
    line = _line(difference, program)
    marked = difference.bare_kind == "requires-grad" and _INTEGER_REQUIRING_GRAD.search(difference.theirs)
    return {op_name(line.op)} if marked else set()


@rule("gradient-zero-sign")
def gradient_zero_sign(difference, program):
    """Gradients equal but for the sign of a zero: the sign of an exact zero in a gradient follows
    the order of the backward formula's products and sums."""
    line = _line(difference, program)
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
                         "scatter_add_", "index_add", "index_add_"}


@rule("zero-sign-by-summation-order")
def zero_sign_by_order(difference, program):
    line = _line(difference, program)
    return {op_name(line.op)} & ORDER_SIGNED_ZERO_OPS if difference.kind == "signed-zero" else set()


@rule("expanded-view-write-refused")
def expanded_view_write_refused(difference, program):
    line = _line(difference, program)
    refused = difference.kind == "error-only-chainrule" and \
        "more than one element of the written-to tensor refers to a single memory location" in difference.ours
    return {op_name(line.op)} if refused else set()


def _read_tensors(program, index):
    """The tensors line ``index`` reads, as they are just before it runs (in PyTorch)."""
    return _read_names(program, index)[1]


def _read_names(program, index):
    """(names, tensors) that line ``index`` reads, as they are just before it runs (in PyTorch)."""
    space = namespace(torch)
    try:
        for earlier in program.lines[:index]:
            run_line(earlier, space)
    except Exception:
        return [], []
    line = program.lines[index]
    names = sorted(set(line.uses) | ({line.target} if line.target else set()))
    names = [name for name in names if isinstance(space.get(name), torch.Tensor)]
    return names, [space[name] for name in names]


@rule("empty-tensor-checked")
def empty_tensor_checked(difference, program):
    """chainrule checks indices, shapes and dtypes of an op on an empty tensor; PyTorch's kernels
    return early, before their checks."""
    line = _line(difference, program)
    if difference.kind != "error-only-chainrule" or line.kind in GRAD_KINDS:
        return set()
    empty = any(tensor.numel() == 0 for tensor in _read_tensors(program, difference.line))
    return {op_name(line.op)} if empty else set()


@rule("pytorch-kernel-fails-on-empty")
def kernel_fails_on_empty(difference, program):
    line = _line(difference, program)
    failed = difference.kind == "error-only-torch" and "setStorage:" in difference.theirs
    return {op_name(line.op)} if failed else set()


# PyTorch's backward formulas that fail for a bool or integer operand of a float op: they
# subtract bool tensors, or write a float result into the operand's integer dtype.
INTEGER_OPERAND_BACKWARD_ERRORS = ("with a bool tensor is not supported", "on a bool tensor is not supported",
                                   "can't be cast to the desired output type", "without overflow")


@rule("integer-operand-backward")
def integer_operand_backward(difference, program):
    line = _line(difference, program)
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    if not any(error in difference.theirs for error in INTEGER_OPERAND_BACKWARD_ERRORS):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line] if step.kind not in GRAD_KINDS}


@rule("index-assignment-casts")
def index_assignment_casts(difference, program):
    """``x[index] = tensor`` casts the tensor to x's dtype whatever the index; PyTorch refuses a
    different dtype with index tensors, and checks a one-element value against x's range with a
    mask (and in ``index_put``)."""
    line = _line(difference, program)
    if difference.kind != "error-only-torch":
        return set()
    refused = ("dtypes match" in difference.theirs or "without overflow" in difference.theirs)
    if refused and op_name(line.op) in ("index_put", "index_put_"):
        return {op_name(line.op)}
    if line.kind != "setitem":
        return set()
    value = line.code.rsplit("=", 1)[1].strip()
    return {op_name(line.op)} if refused and value in line.uses else set()


@rule("view-of-a-tensor-that-became-part-of-the-graph")
def view_of_tensor_joined_graph(difference, program):
    """``v = x.view(...)``, then ``x -= w`` (w requires grad), then ``v.mul_(2)``: PyTorch calls ``v``
    a leaf that requires grad and refuses; chainrule writes through, as into any view of ``x``."""
    line = _line(difference, program)
    if difference.kind != "error-only-torch" or line.kind not in ("inplace", "setitem"):
        return set()
    if "a leaf Variable that requires grad is being used in an in-place operation" not in difference.theirs:
        return set()
    views = {name for step in program.lines[:difference.line] if step.kind == "view" for name in step.defines}
    return {op_name(line.op)} if line.target in views else set()


@rule("empty-dim-tuple-reduces-all")
def empty_dim_tuple(difference, program):
    """``dim=()`` reduces every dimension, as in ``sum``: PyTorch's logsumexp raises an internal
    shape error, and its var/std backward divides by N - 1 with N = 1 (NaN)."""
    line = _line(difference, program)
    if difference.kind == "error-only-torch" and op_name(line.op) == "logsumexp" and "dim=()" in line.code \
            and "doesn't match the broadcast shape" in difference.theirs:
        return {"logsumexp"}
    if difference.kind in ("grad-value", "grad-non-finite") or (difference.kind == "grad2-value"):
        return {op_name(step.op) for step in program.lines[:difference.line] if "dim=()" in step.code}
    return set()


@rule("check-order-error-class")
def check_order_error_class(difference, program):
    """Both refuse the call; PyTorch reaches a dimension or shape check first (IndexError),
    chainrule a dtype or shape check (RuntimeError, NotImplementedError)."""
    line = _line(difference, program)
    if difference.kind != "error-class" or not difference.theirs.startswith("IndexError"):
        return set()
    about_dims = "Dimension" in difference.theirs or "dimensionality" in difference.theirs
    about_dtype = "dtype" in difference.ours or "for 'Bool'" in difference.ours
    refused = difference.ours.startswith(("RuntimeError", "ShapeError", "NotImplementedError"))
    return {op_name(line.op)} if refused and (about_dims or about_dtype) else set()


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
                           "logaddexp2", "cumprod"}
    if "inf" in difference.ours and "inf" not in difference.theirs:
        blamed |= steps & {"lgamma"}
    return blamed


SUBNORMALS = ("1e-40", "5e-324", "5.960464477539063e-08")   # float32, float64, float16


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
                           "addcdiv_"}


DIVISIONS = {"%", "r%", "remainder", "remainder_", "%=", "fmod", "fmod_", "/", "div", "div_", "/=",
             "divide", "true_divide"}


@rule("division-by-a-subnormal")
def division_by_subnormal(difference, program):
    """``x % 1e-40``: chainrule's results are exact; PyTorch's vectorised float32 kernels flush
    the subnormal divisor to zero or divide first, and give NaN."""
    line = _line(difference, program)
    wrong = difference.kind == "value" \
        and any(number in step.code for step in program.lines if step.kind == "input" for number in SUBNORMALS)
    return {op_name(line.op)} & DIVISIONS if wrong else set()


@rule("searchsorted-compares-values")
def searchsorted_compares_values(difference, program):
    """``bucketize(-5, uint8 boundaries)``: chainrule compares the numbers; PyTorch first converts
    the input to the boundaries' dtype, and -5 wraps to 251."""
    line = _line(difference, program)
    code = "".join(step.code for step in program.lines)
    wrong = difference.kind == "value" and "lib.uint8" in code
    return {op_name(line.op)} & {"bucketize", "searchsorted"} if wrong else set()


@rule("empty-gradient-requires-grad")
def empty_gradient_requires_grad(difference, program):
    """A first-order gradient from ``autograd.grad(create_graph=True)`` that is empty, or whose only
    contribution with history came through an empty tensor: whether it requires grad follows each
    library's graph; the numbers are the same."""
    line = _line(difference, program)
    if difference.kind != "grad-requires-grad":
        return set()
    empty = difference.theirs.lstrip("(").startswith("[]") or _made_an_empty_tensor(program, difference.line)
    return {op_name(line.op)} if empty else set()


def _made_an_empty_tensor(program, index):
    space = namespace(torch)
    try:
        for line in program.lines[:index]:
            run_line(line, space)
    except Exception:
        return False
    return any(isinstance(value, torch.Tensor) and value.numel() == 0 for value in space.values())


@rule("circular-pad-checks-its-reach")
def circular_pad_reach(difference, program):
    """``pad(x, (2, -1), mode='circular')`` on a dimension of size 2: chainrule refuses a pad larger
    than the cropped size; PyTorch reads memory outside the tensor."""
    line = _line(difference, program)
    refused = difference.kind == "error-only-chainrule" and op_name(line.op) == "pad" \
        and "circular padding to wrap around" in difference.ours and re.search(r"\(.*-\d", line.code)
    return {"pad"} if refused else set()


# The node PyTorch names in its version error when ``x.op_(x)`` saved the ``x`` it then changed.
SELF_ARG_NODES = {"mul_": "Mul", "*=": "Mul", "div_": "Div", "/=": "Div", "pow_": "Pow", "**=": "Pow",
                  "addcmul_": "Addcmul", "addcdiv_": "Addcdiv", "%=": "Remainder", "remainder_": "Remainder",
                  "fmod_": "Fmod", "clamp_min_": "ClampMin", "clamp_max_": "ClampMax"}


@rule("inplace-reads-its-target")
def reads_its_target(difference, program):
    line = _line(difference, program)
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    if "modified by an inplace operation" not in difference.theirs:
        return set()
    blamed = set()
    for number, step in enumerate(program.lines[:difference.line + 1]):
        op = op_name(step.op)
        if "self-arg" not in step.flags or op not in SELF_ARG_NODES:
            continue
        # PyTorch names the tensor's node now: the op's own, unless a later write replaced it
        written_again = any(later.target == step.target and later.kind in ("inplace", "setitem")
                            for later in program.lines[number + 1:difference.line + 1])
        named = re.search(rf"output 0 of {SELF_ARG_NODES[op]}\d*,", difference.theirs)   # Remainder1, Fmod1
        if written_again or named:
            blamed.add(op)
    return blamed


@rule("sgn-saves-no-result")
def sgn_saves_no_result(difference, program):
    """PyTorch's sgn saves its result for a complex formula, so a later in-place change of it
    makes backward refuse; chainrule's gradient (zero) is PyTorch's with the saved result kept."""
    line = _line(difference, program)
    refused_by_torch = difference.kind == "error-only-torch" and line.kind in GRAD_KINDS \
        and "output 0 of Sgn," in difference.theirs
    return {"sgn"} & {op_name(step.op) for step in program.lines} if refused_by_torch else set()


# PyTorch's version error for a saved operand that chainrule promoted (an integer or float16
# tensor without a node, e.g. "[torch.LongTensor [1]] is at version 1"): chainrule saved the
# promoted copy.
_SAVED_INTEGER_CHANGED = re.compile(
    r"\[(torch\.(Long|Int|Short|Char|Byte|Bool|Half)Tensor|CPUBoolType) \[[^\]]*\]\] is at version")


@rule("integer-operand-read-as-it-was")
def integer_operand_read_as_it_was(difference, program):
    """``atan2(int_tensor, x)`` then ``int_tensor.zero_()``: chainrule's backward uses the integer
    (or float16) operand as it was at the call (its promoted copy); PyTorch saved it and refuses."""
    line = _line(difference, program)
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    if not _SAVED_INTEGER_CHANGED.search(difference.theirs):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line] if step.kind in ("inplace", "setitem")}


@rule("empty-write-unchecked")
def empty_write_unchecked(difference, program):
    """An index write into an empty tensor writes nothing and checks no index in chainrule; PyTorch
    checks in some paths (``index_reduce``, ``index_add`` of a tensor that requires grad) and not in
    others (``index_add``, ``index_copy``, ``index_fill``)."""
    line = _line(difference, program)
    if difference.kind != "error-only-torch":
        return set()
    if "out of range" not in difference.theirs and "out of DATA bounds" not in difference.theirs:
        return set()
    if line.kind in GRAD_KINDS:   # PyTorch's backward of an index op on an empty tensor
        index_ops = {op_name(step.op) for step in program.lines[:difference.line]
                     if op_name(step.op).startswith(("index_", "scatter"))}
        return index_ops if _made_an_empty_tensor(program, difference.line) else set()
    empty = any(tensor.numel() == 0 for tensor in _read_tensors(program, difference.line))
    return {op_name(line.op)} if empty else set()


PYTORCH_BUGS = ("INTERNAL ASSERT FAILED", "ZeroTensors are immutable")
KRON_VIEW_BUG = "view size is not compatible with input tensor's size and stride"


@rule("pytorch-internal-assert")
def pytorch_internal_assert(difference, program):
    """PyTorch fails its own internal assertion (``False ** x``), or writes into its own immutable
    zero gradient (backward of ``sgn(std(x))``); chainrule computes."""
    line = _line(difference, program)
    failed = difference.kind == "error-only-torch" and any(words in difference.theirs for words in PYTORCH_BUGS)
    # a shape error inside PyTorch's backward of an op whose forward it accepted
    backward_shape = difference.kind == "error-only-torch" and line.kind in GRAD_KINDS \
        and "doesn't match the broadcast shape" in difference.theirs
    if backward_shape:
        return {op_name(step.op) for step in program.lines[:difference.line] if step.kind not in GRAD_KINDS}
    if difference.kind == "error-only-torch" and op_name(line.op) not in ("view", "view_as") \
            and KRON_VIEW_BUG in difference.theirs:
        return {op_name(line.op)}   # PyTorch's kron, isin view a non-contiguous operand and fail
    return {op_name(line.op)} if failed else set()


SHAPE_CHANGES = {"squeeze_", "unsqueeze_", "t_", "transpose_"}


@rule("shape-change-under-no-grad-recorded")
def shape_change_under_no_grad(difference, program):
    """A result in the graph whose shape changes in place under ``no_grad`` (``v.unsqueeze_(0)``):
    chainrule records the shape change, so its gradient reaches the producing op in that op's shape;
    PyTorch's backward raises "returned an invalid gradient" where it cannot sum the gradient back."""
    line = _line(difference, program)
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    if "returned an invalid gradient" not in difference.theirs:
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line]
            if "no-grad" in step.flags or step.code.startswith("with lib.no_grad()")} & SHAPE_CHANGES


@rule("non-finite-order")
def non_finite_order(difference, program):
    """Where both libraries give a non-finite number (inf against NaN, or the other infinity): a sum
    that meets inf - inf, or a gradient formula whose intermediate overflows or underflows."""
    line = _line(difference, program)
    if difference.bare_kind != "non-finite":
        return set()
    if difference.kind.startswith("grad"):
        return {op_name(line.op)}
    return {op_name(line.op)} & ORDER_SIGNED_ZERO_OPS


@rule("norm-without-overflow")
def norm_without_overflow(difference, program):
    """``norm(1e30)`` in float32 is ``1e30``: chainrule scales before squaring; PyTorch's squares
    overflow to inf."""
    line = _line(difference, program)
    wrong = difference.kind == "value" and "inf" in difference.theirs and "inf" not in difference.ours
    return {op_name(line.op)} & {"norm", "vector_norm", "linalg.vector_norm", "linalg.norm"} if wrong else set()


@rule("gelu-tail-accuracy")
def gelu_tail_accuracy(difference, program):
    """``gelu(-4)`` in float32: chainrule's erf is accurate to the last bits in the tail, PyTorch's
    vectorised one to about 1e-3 relative; an op that magnifies relative error (``reciprocal``)
    shows it."""
    if difference.kind != "value":
        return set()
    uses_gelu = any(op_name(step.op) == "gelu" and "approximate='none'" in step.code
                    for step in program.lines[:difference.line])
    return {op_name(program.lines[difference.line].op)} if uses_gelu else set()


@rule("softplus-at-its-threshold")
def softplus_at_threshold(difference, program):
    """At ``beta * x == threshold`` softplus takes the log1p branch in its value and in both of
    chainrule's derivatives; PyTorch's second derivative takes the linear branch there (0)."""
    if difference.kind != "grad2-value":
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line]
            if op_name(step.op) == "softplus" and "threshold=1.0" in step.code}


@rule("refuses-a-changed-saved-operand")
def refuses_changed_saved_operand(difference, program):
    """``y = kron(w, x)`` (or ``tensordot`` of 1-D tensors, ...), then ``x`` changes in place:
    chainrule's backward refuses, as it does whenever a value it saved changed (it saves views of
    its operands, never copies); PyTorch saved a copy there and computes, or (kron) reads the new
    ``x`` and gives a stale gradient silently."""
    line = _line(difference, program)
    refused = difference.kind == "error-only-chainrule" and line.kind in GRAD_KINDS \
        and VERSION_ERROR in difference.ours
    stale_in_torch = difference.kind == "grad-value" and any(   # a write after kron (maybe via a view)
        step.kind in ("inplace", "setitem") and op_name(earlier.op) == "kron"
        for number, earlier in enumerate(program.lines[:difference.line])
        for step in program.lines[number + 1:difference.line])
    if refused:   # any op: chainrule saved a view of the operand, PyTorch (here) a copy or nothing
        return {op_name(step.op) for step in program.lines[:difference.line] if step.kind in ("inplace", "setitem")}
    kron_used = {"kron"} & {op_name(step.op) for step in program.lines[:difference.line]}
    return kron_used if stale_in_torch else set()


@rule("gradient-keeps-a-zero-graph")
def gradient_keeps_a_zero_graph(difference, program):
    """A first-order gradient from ``autograd.grad(create_graph=True)`` requires grad in chainrule
    where PyTorch's does not: a contribution that is zero (through an overwritten region) keeps its
    graph; the values are the same, and the second derivative through it is zero."""
    line = _line(difference, program)
    kept = difference.kind == "grad-requires-grad" and "requires_grad" in difference.ours \
        and "requires_grad" not in difference.theirs
    return {op_name(line.op)} if kept else set()


@rule("multi-output-view-read-as-it-was")
def multi_output_view_read_as_it_was(difference, program):
    """``p = x.split(2)[0]`` (no grad), then ``x.addcdiv_(p, w)``: chainrule's backward uses ``p`` as
    it was at the write; PyTorch refuses (its rule for views made by functions with several views)."""
    line = _line(difference, program)
    refused = difference.kind == "error-only-torch" and line.kind in GRAD_KINDS \
        and "output of a function that returns multiple views" in difference.theirs
    return {op_name(step.op) for step in program.lines[:difference.line]
            if step.kind in ("inplace", "setitem")} if refused else set()


@rule("mode-with-nan")
def mode_with_nan(difference, program):
    """``mode`` of values with NaN: PyTorch's result depends on where the NaN is ([1, nan] gives 1,
    [nan, 1] gives nan); chainrule never returns NaN when another value occurs as often."""
    line = _line(difference, program)
    if difference.kind != "value" or op_name(line.op) != "mode":
        return set()
    has_nan = any(bool(torch.isnan(tensor).any()) for tensor in _read_tensors(program, difference.line)
                  if tensor.is_floating_point())
    return {"mode"} if has_nan else set()


@rule("sign-of-nan")
def sign_of_nan(difference, program):
    """``signbit(nan)``, ``copysign(x, nan)``: the sign bit of a NaN follows how each library made it."""
    line = _line(difference, program)
    if difference.kind not in ("value", "signed-zero") or op_name(line.op) not in ("signbit", "copysign", "copysign_"):
        return set()
    has_nan = any(bool(torch.isnan(tensor).any()) for tensor in _read_tensors(program, difference.line)
                  if tensor.is_floating_point())
    return {op_name(line.op)} if has_nan else set()


@rule("ill-conditioned-remainder")
def ill_conditioned_remainder(difference, program):
    """``1e10 % x`` with a float32 ``x``: a one-ulp difference in ``x`` (within the tolerance of the op
    that made it) changes the remainder completely."""
    line = _line(difference, program)
    huge_dividend = re.search(r"\b\d{9,}\.?\d*|\de\+?(0?[89]|[1-9]\d)\b", line.code)
    wrong = difference.kind == "value" and huge_dividend
    return {op_name(line.op)} & {"%", "r%", "remainder", "remainder_", "%=", "fmod", "fmod_"} if wrong else set()


@rule("size-dependent-gradient-at-nan")
def size_dependent_gradient_at_nan(difference, program):
    """PyTorch's gradients of hardswish and relu6 at NaN depend on the tensor's size (its scalar
    and vectorised kernels differ); chainrule's do not."""
    if difference.bare_kind != "value" or not difference.kind.startswith("grad"):
        return set()
    nan_input = any("nan" in step.code for step in program.lines if step.kind == "input")
    uses = {op_name(step.op) for step in program.lines[:difference.line]}
    return {"hardswish", "relu6"} & uses if nan_input else set()


@rule("clamp-bound-checked-beside-a-nan-bound")
def clamp_bound_beside_nan(difference, program):
    """``clip(x, min=nan, max=2147483648)`` on float16: chainrule refuses the bound that overflows
    the dtype, as PyTorch does without the NaN bound; with it PyTorch skips the check."""
    line = _line(difference, program)
    refused = difference.kind == "error-only-chainrule" and "without overflow" in difference.ours \
        and "nan" in line.code
    return {op_name(line.op)} & {"clamp", "clip", "clamp_", "clip_"} if refused else set()


@rule("pytorch-bool-kernel-missing")
def pytorch_bool_kernel_missing(difference, program):
    """``index_reduce`` of a 1-D bool tensor: PyTorch's kernel for that case lacks bool (its 2-D
    kernel has it); chainrule computes 'prod', 'amax' and 'amin' of bools at every shape."""
    line = _line(difference, program)
    missing = difference.kind == "error-only-torch" and "not implemented for 'Bool'" in difference.theirs
    return {op_name(line.op)} & {"index_reduce", "index_reduce_"} if missing else set()


@rule("second-derivative-at-a-kink")
def second_derivative_at_a_kink(difference, program):
    """``atan2(x, x)`` at the origin, ``norm(x)`` at 0: the first derivative is 0 there by
    convention in both libraries; chainrule's second derivative is 0 too, PyTorch's NaN."""
    if difference.kind != "grad2-value" or difference.theirs.count("nan") <= difference.ours.count("nan"):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line]} & KINKS


KINKS = {"atan2", "arctan2", "norm", "vector_norm", "linalg.vector_norm", "linalg.norm"}


@rule("empty-product-shape")
def empty_product_shape(difference, program):
    """``addmv(input, mat, vec)`` with ``mat`` of 0 rows: chainrule's result has the product's
    shape (0,), as the broadcast rule says; PyTorch returns ``beta * input`` in input's shape."""
    line = _line(difference, program)
    if difference.kind != "shape" or op_name(line.op) not in ("addmv", "addmm", "baddbmm", "addbmm"):
        return set()
    empty = any(tensor.numel() == 0 for tensor in _read_tensors(program, difference.line))
    return {op_name(line.op)} if empty else set()


@rule("fill-of-an-expanded-view")
def fill_of_expanded_view(difference, program):
    """``broadcast_to(x, ...).fill_(tensor(2))``: every element gets the same value, so chainrule
    writes it; PyTorch's check refuses any write into memory that several elements share."""
    line = _line(difference, program)
    refused = difference.kind == "error-only-torch" and op_name(line.op) == "fill_" \
        and "more than one element of the written-to tensor refers to a single memory location" in difference.theirs
    return {"fill_"} if refused else set()


@rule("empty-contribution-is-zero")
def empty_contribution_is_zero(difference, program):
    """A gradient whose only contribution through an op comes through an empty tensor: chainrule's
    is zero; PyTorch's double backward multiplies that zero sum by an infinite factor (NaN)."""
    if not difference.kind.startswith("grad") or difference.bare_kind != "value":
        return set()
    if difference.theirs.count("nan") <= difference.ours.count("nan"):
        return set()
    line = _line(difference, program)
    return {op_name(line.op)} if _made_an_empty_tensor(program, difference.line) else set()


# Ops singular at 0 (or that amplify a difference in their divisor by the quotient): a value that
# differs between the libraries within tolerance, next to 0, gives results far apart.
AMPLIFYING_OPS = {"**", "pow", "pow_", "**=", "r**", "reciprocal", "reciprocal_", "/", "r/", "div", "div_", "/=",
                  "divide", "true_divide", "%", "r%", "remainder", "remainder_", "%=", "fmod", "fmod_", "log",
                  "log2", "log10", "log_", "log2_", "log10_", "rsqrt", "rsqrt_", "//", "r//", "//=",
                  "floor_divide", "floor_divide_", "logical_and", "logical_or", "logical_xor", "logical_not",
                  "addcdiv", "addcdiv_"}
NEAR_ZERO = {torch.float16: 1e-3, torch.float32: 1e-6, torch.float64: 1e-12}
QUOTIENT_ROUNDING_OPS = {"%", "r%", "remainder", "remainder_", "%=", "fmod", "fmod_", "//", "r//", "//=",
                         "floor_divide", "floor_divide_"}


@rule("amplified-rounding")
def amplified_rounding(difference, program):
    """``v ** -1`` where ``v = logaddexp2(-1, -1)`` is 0 in chainrule and -1e-8 in PyTorch (equal
    within tolerance), ``x % gelu(x)`` (the quotient multiplies the divisor's last-bit difference):
    an op singular at 0, or a remainder, applied to a computed value."""
    line = _line(difference, program)
    if difference.bare_kind not in ("value", "non-finite") or op_name(line.op) not in AMPLIFYING_OPS:
        return set()
    computed = {name for step in program.lines[:difference.line] if step.kind != "input" for name in step.defines}
    computed |= {step.target for step in program.lines[:difference.line] if step.target}
    names, tensors = _read_names(program, difference.line)
    scale = _input_scale(program, difference.line)
    for name, tensor in zip(names, tensors):
        if name not in computed or not tensor.is_floating_point():
            continue
        if op_name(line.op) in QUOTIENT_ROUNDING_OPS:   # the quotient's last bit decides the result
            return {op_name(line.op)}
        # near 0 in absolute terms, or next to the rounding of the largest input (1e300 - 1e300)
        tiny = max(NEAR_ZERO.get(tensor.dtype, 1e-6), 8 * torch.finfo(tensor.dtype).eps * scale)
        if bool((tensor.abs() <= tiny).any()):
            return {op_name(line.op)}
    return set()


def _input_scale(program, index):
    """The largest finite magnitude among the program's inputs (as PyTorch holds them)."""
    space = namespace(torch)
    try:
        for line in program.lines[:index]:
            if line.kind == "input":
                run_line(line, space)
    except Exception:
        return 0.0
    finite = [value[torch.isfinite(value)].abs().max().item() for value in space.values()
              if isinstance(value, torch.Tensor) and value.is_floating_point() and bool(torch.isfinite(value).any())]
    return max(finite, default=0.0)


@rule("second-derivative-at-nan")
def second_derivative_at_nan(difference, program):
    """At a NaN input (or a NaN made on the way), PyTorch's double-backward formulas multiply a
    0/1 mask into the NaN (NaN); chainrule's select their branch, as its first derivatives do
    (``elu``'s second derivative at NaN is that of its positive branch)."""
    if difference.kind != "grad2-value" or difference.theirs.count("nan") <= difference.ours.count("nan"):
        return set()
    line = _line(difference, program)
    return {op_name(line.op)} if _made_a_nan(program, difference.line) else set()


def _made_a_nan(program, index):
    space = namespace(torch)
    try:
        for line in program.lines[:index]:
            run_line(line, space)
    except Exception:
        return False
    return any(isinstance(value, torch.Tensor) and value.is_floating_point() and bool(torch.isnan(value).any())
               for value in space.values())


MAYBE_COPY_OPS = {"reshape", "reshape_as", "contiguous", "flatten", "unflatten", "ravel"}


@rule("reshape-may-copy")
def reshape_may_copy(difference, program):
    """``reshape``, ``contiguous``, ``flatten`` return a view or a copy depending on the memory
    layout of their input, which the two libraries choose differently for some results (PyTorch's
    ``nonzero`` is column-major, its ``triu`` keeps a permuted layout)."""
    line = _line(difference, program)
    return {op_name(line.op)} & MAYBE_COPY_OPS if difference.kind == "aliasing" else set()


@rule("unique-with-nan")
def unique_with_nan(difference, program):
    """``unique(x, dim=0)`` of values with NaN: PyTorch's sort-and-compare leaves equal values apart
    when a NaN sorts between them ([1e8, nan, 1e8]); chainrule's result holds each value once."""
    line = _line(difference, program)
    if op_name(line.op) != "unique" or difference.bare_kind not in ("shape", "value"):
        return set()
    has_nan = any(bool(torch.isnan(tensor).any()) for tensor in _read_tensors(program, difference.line)
                  if tensor.is_floating_point())
    return {"unique"} if has_nan else set()
