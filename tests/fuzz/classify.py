"""Rules that recognise a deliberate difference, one per key of the table in
``docs/differences-from-pytorch.md`` ("Differences the op fuzzer accepts").

A rule looks at a difference and its program and returns the names of the ops it
blames (empty: the rule does not apply). ``known.py`` accepts the difference when
one of them is among the ops the table lists for that key.
"""
import re

from .line import GRAD_KINDS

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
                           "must match the size of tensor")


@rule("scatter-src-larger-differentiable")
def scatter_src_larger(difference, program):
    line = _line(difference, program)
    if difference.kind == "grad-value":   # PyTorch's src gradient for scatter_reduce fills the unused part
        return {op for op in _ops_with_flag(program, "src-larger", upto=difference.line)
                if op.startswith("scatter_reduce")}
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    if not any(error in difference.theirs for error in SCATTER_BACKWARD_ERRORS):
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
    line = _line(difference, program)
    refused_by_torch = difference.kind == "error-only-torch" and line.kind in ("inplace", "setitem") \
        and "the written-to tensor refer to a single memory location" in difference.theirs
    return {op_name(line.op)} if refused_by_torch else set()


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
NO_DERIVATIVE = {"unique", "median"}


@rule("no-derivative-never-requires-grad")
def no_derivative(difference, program):
    line = _line(difference, program)
    marked = difference.bare_kind == "requires-grad" and difference.theirs.endswith("requires_grad)")
    return {op_name(line.op)} & NO_DERIVATIVE if marked else set()


def _infinite_result_where_torch_has_nan(difference):
    return difference.kind == "value" and "inf" in difference.ours and "nan" in difference.theirs


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
    if difference.kind != "grad-value" or not re.search(r"lib\.u?int(8|16|32|64)\b", code):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line + 1]} & INTEGER_SQUARING_OPS


INTEGER_SQUARING_OPS = {"atan2", "arctan2", "atan2_", "addcdiv", "addcdiv_"}


# An integer tensor PyTorch marks as requiring grad, e.g. "[1, 2] (int32, requires_grad)".
_INTEGER_REQUIRING_GRAD = re.compile(r"\((u?int\d+|bool), requires_grad\)$")


@rule("integer-tensor-never-requires-grad")
def integer_requires_grad(difference, program):
    line = _line(difference, program)
    marked = difference.bare_kind == "requires-grad" and line.kind in ("inplace", "setitem") \
        and _INTEGER_REQUIRING_GRAD.search(difference.theirs)
    return {op_name(line.op)} if marked else set()


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

