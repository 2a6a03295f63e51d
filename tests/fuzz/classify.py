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
SELF_ARG_NODES = {"mul_": "Mul", "*=": "Mul", "div_": "Div", "/=": "Div", "pow_": "Pow", "**=": "Pow"}


@rule("inplace-reads-its-target")
def reads_its_target(difference, program):
    line = _line(difference, program)
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    if "modified by an inplace operation" not in difference.theirs:
        return set()
    return {op for op in _ops_with_flag(program, "self-arg")
            if f"output 0 of {SELF_ARG_NODES.get(op, '?')}," in difference.theirs}


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


@rule("scatter-src-larger-differentiable")
def scatter_src_larger(difference, program):
    line = _line(difference, program)
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    if "ScatterBackward" not in difference.theirs:
        return set()
    return _ops_with_flag(program, "src-larger", upto=difference.line)


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
    refused = difference.kind == "error-only-chainrule" and difference.ours.startswith("OverflowError") \
        and "Python integer" in difference.ours
    return {op_name(line.op)} if refused else set()


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
