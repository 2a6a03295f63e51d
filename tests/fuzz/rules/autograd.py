"""Rules for deliberate differences of autograd, views and in-place writes (see classify.py)."""
import re

from ..classify import line_of, made_an_empty_tensor, ops_with_flag, read_names, op_name, rule, space_before
from ..compare import KEPT_SAVED_AGREES
from ..execute import VERSION_ERROR
from ..line import GRAD_KINDS


@rule("expanded-view-write-requires-grad")
def expanded_view_write(difference, program):
    line = line_of(difference, program)
    refused = difference.kind == "error-only-chainrule" and line.kind in ("inplace", "setitem") \
        and "expand()/broadcast_to() view of a tensor that requires grad" in difference.ours
    return {op_name(line.op)} if refused else set()


@rule("expanded-view-advanced-index-write")
def expanded_view_index_write(difference, program):
    line = line_of(difference, program)
    refused = difference.kind == "error-only-chainrule" and line.kind in ("inplace", "setitem") \
        and "advanced indexing (index tensors, masks) into an expand()/broadcast_to() view" in difference.ours
    return {op_name(line.op)} if refused else set()


@rule("no-grad-view-base-changed")
def no_grad_view(difference, program):
    line = line_of(difference, program)
    later = difference.kind == "error-only-torch" and "created in no_grad mode" in difference.theirs
    made_under_no_grad = any("no-grad" in step.flags and step.kind == "view" for step in program.lines)
    return {op_name(line.op)} if later and made_under_no_grad else set()


# PyTorch's backward refused because a tensor it saved was changed in place, and chainrule's
# backward ran. compare.py has already checked chainrule's gradients against PyTorch's computed
# with every saved tensor copied when saved: only equal ones arrive here as "error-only-torch"
# (different ones are a "stale-gradient", which no rule accepts).
@rule("saved-value-read-as-it-was")
def saved_value_read_as_it_was(difference, program):
    line = line_of(difference, program)
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    if VERSION_ERROR not in difference.theirs or KEPT_SAVED_AGREES not in difference.ours:
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line] if step.kind in ("inplace", "setitem")}


FLOOR_DIVIDE_OPS = {"floor_divide", "//", "r//", "//=", "floor_divide_"}


@rule("floor-divide-not-differentiable")
def floor_divide(difference, program):
    line = line_of(difference, program)
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


# What PyTorch's backward raises for a src larger than index: its gradient for src has index's
# shape ("ScatterAddBackward0 returned an invalid gradient"), or, for scatter_reduce's mean and
# prod, a broadcasting error inside the formula.
SCATTER_BACKWARD_ERRORS = ("ScatterBackward", "ScatterAddBackward", "ScatterReduceBackward",
                           "must match the size of tensor", "CopySlices returned an invalid gradient")


@rule("scatter-src-larger-differentiable")
def scatter_src_larger(difference, program):
    line = line_of(difference, program)
    if difference.kind == "grad-value":   # PyTorch's src gradient for scatter_reduce fills the unused part
        return {op for op in ops_with_flag(program, "src-larger", upto=difference.line)
                if op.startswith("scatter_reduce")}
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    # (PyTorch may first refuse a changed saved tensor: its reference with saved tensors kept
    # then fails on the larger src, so no gradient of PyTorch's can be compared)
    if not any(error in difference.theirs for error in SCATTER_BACKWARD_ERRORS + (VERSION_ERROR,)):
        return set()
    return ops_with_flag(program, "src-larger", upto=difference.line)


@rule("number-remainder-differentiable")
def number_remainder(difference, program):
    """``2 % x``: PyTorch's remainder(Scalar, Tensor) has no derivative; chainrule's is -floor(2 / x)."""
    line = line_of(difference, program)
    refused_by_torch = difference.kind == "error-only-torch" and line.kind in GRAD_KINDS \
        and ("derivative for aten::remainder is not implemented" in difference.theirs
             or VERSION_ERROR in difference.theirs)   # (then its reference fails on the remainder)
    earlier = {op_name(step.op) for step in program.lines[:difference.line + 1]}
    return {"r%"} & earlier if refused_by_torch else set()


@rule("overlapping-write-from-snapshot")
def overlapping_write(difference, program):
    """PyTorch refuses a write whose source overlaps its target, or (when its check misses the
    overlap: a view of the target as the value of ``x[[0, 1]] = v``) writes in an order that
    shows in the result; chainrule reads the source as it was."""
    line = line_of(difference, program)
    if line.kind not in ("inplace", "setitem"):
        return set()
    refused_by_torch = difference.kind == "error-only-torch" \
        and "the written-to tensor refer to a single memory location" in difference.theirs
    order_shows = difference.kind in ("value", "non-finite") and _source_overlaps_target(program, difference.line)
    return {op_name(line.op)} if refused_by_torch or order_shows else set()


def _source_overlaps_target(program, index):
    line = program.lines[index]
    tensors = dict(zip(*read_names(program, index)))
    target = tensors.get(line.target)
    if target is None:
        return False
    memory = target.untyped_storage().data_ptr()
    return any(name != line.target and tensor.untyped_storage().data_ptr() == memory
               for name, tensor in tensors.items())


# The ops whose results have no derivative; chainrule never marks them as requiring grad.
NO_DERIVATIVE = {"unique", "median", "bincount"}


@rule("no-derivative-never-requires-grad")
def no_derivative(difference, program):
    line = line_of(difference, program)
    marked = difference.bare_kind == "requires-grad" and difference.theirs.endswith("requires_grad)")
    return {op_name(line.op)} & NO_DERIVATIVE if marked else set()


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


INTEGER_SQUARING_OPS = {"atan2", "arctan2", "atan2_", "addcdiv", "addcdiv_", "addcmul", "addcmul_", "lerp", "lerp_",
                        "pow", "**", "pow_", "**="}


# An integer tensor PyTorch marks as requiring grad, e.g. "[1, 2] (int32, requires_grad)".
_INTEGER_REQUIRING_GRAD = re.compile(r"\((u?int\d+|bool), requires_grad\)$")


@rule("integer-tensor-never-requires-grad")
def integer_requires_grad(difference, program):
    line = line_of(difference, program)
    marked = difference.bare_kind == "requires-grad" and _INTEGER_REQUIRING_GRAD.search(difference.theirs)
    return {op_name(line.op)} if marked else set()


@rule("expanded-view-write-refused")
def expanded_view_write_refused(difference, program):
    line = line_of(difference, program)
    # (error-class: both refuse, PyTorch names a bad index first, chainrule the expanded view)
    refused = difference.kind in ("error-only-chainrule", "error-class") and \
        "more than one element of the written-to tensor refers to a single memory location" in difference.ours
    return {op_name(line.op)} if refused else set()


# PyTorch's backward formulas that fail for a bool or integer operand of a float op: they
# subtract bool tensors, or write a float result into the operand's integer dtype.
INTEGER_OPERAND_BACKWARD_ERRORS = ("with a bool tensor is not supported", "on a bool tensor is not supported",
                                   "can't be cast to the desired output type", "without overflow")


@rule("integer-operand-backward")
def integer_operand_backward(difference, program):
    line = line_of(difference, program)
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    if not any(error in difference.theirs for error in INTEGER_OPERAND_BACKWARD_ERRORS):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line] if step.kind not in GRAD_KINDS}


@rule("view-of-a-tensor-that-became-part-of-the-graph")
def view_of_tensor_joined_graph(difference, program):
    """``v = x.view(...)``, then ``x -= w`` (w requires grad), then ``v.mul_(2)``: PyTorch calls ``v``
    a leaf that requires grad and refuses; chainrule writes through, as into any view of ``x``."""
    line = line_of(difference, program)
    if difference.kind != "error-only-torch" or line.kind not in ("inplace", "setitem"):
        return set()
    if "a leaf Variable that requires grad is being used in an in-place operation" not in difference.theirs:
        return set()
    views = {name for step in program.lines[:difference.line] if step.kind == "view" for name in step.defines}
    return {op_name(line.op)} if line.target in views else set()


@rule("empty-gradient-requires-grad")
def empty_gradient_requires_grad(difference, program):
    """A first-order gradient from ``autograd.grad(create_graph=True)`` that is empty, or whose only
    contribution with history came through an empty tensor: whether it requires grad follows each
    library's graph; the numbers are the same."""
    line = line_of(difference, program)
    if difference.bare_kind != "requires-grad":
        return set()
    if difference.kind != "grad-requires-grad":   # an empty tensor written by a value that requires grad
        return {op_name(line.op)} if difference.theirs.lstrip("(").startswith("[]") else set()
    empty = difference.theirs.lstrip("(").startswith("[]") or made_an_empty_tensor(program, difference.line)
    return {op_name(line.op)} if empty else set()


# The node PyTorch names in its version error when ``x.op_(x)`` saved the ``x`` it then changed.
SELF_ARG_NODES = {"mul_": "Mul", "*=": "Mul", "div_": "Div", "/=": "Div", "pow_": "Pow", "**=": "Pow",
                  "addcmul_": "Addcmul", "addcdiv_": "Addcdiv", "%=": "Remainder", "remainder_": "Remainder",
                  "fmod_": "Fmod", "clamp_min_": "ClampMin", "clamp_max_": "ClampMax"}


@rule("inplace-reads-its-target")
def reads_its_target(difference, program):
    line = line_of(difference, program)
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
    line = line_of(difference, program)
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
    line = line_of(difference, program)
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    if not _SAVED_INTEGER_CHANGED.search(difference.theirs):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line] if step.kind in ("inplace", "setitem")}


SHAPE_CHANGES = {"squeeze_", "unsqueeze_", "t_", "transpose_"}


@rule("shape-change-under-no-grad-recorded")
def shape_change_under_no_grad(difference, program):
    """A result in the graph whose shape changes in place under ``no_grad`` (``v.unsqueeze_(0)``):
    chainrule records the shape change, so its gradient reaches the producing op in that op's shape;
    PyTorch's backward raises "returned an invalid gradient" where it cannot sum the gradient back."""
    line = line_of(difference, program)
    if difference.kind in ("grad-value", "grad-shape"):   # PyTorch passes the gradient on in the changed
        # layout (t_), or gives a leaf its gradient in the shape it had
        return {op_name(step.op) for step in program.lines[:difference.line]
                if "no-grad" in step.flags or step.code.startswith("with lib.no_grad()")} & SHAPE_CHANGES
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS:
        return set()
    if "returned an invalid gradient" not in difference.theirs:
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line]
            if "no-grad" in step.flags or step.code.startswith("with lib.no_grad()")} & SHAPE_CHANGES


@rule("refuses-a-changed-saved-operand")
def refuses_changed_saved_operand(difference, program):
    """``y = kron(w, x)`` (or ``tensordot`` of 1-D tensors, ...), then ``x`` changes in place:
    chainrule's backward refuses, as it does whenever a value it saved changed (it saves views of
    its operands, never copies); PyTorch saved a copy there and computes, or (kron) reads the new
    ``x`` and gives a stale gradient silently."""
    line = line_of(difference, program)
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
    line = line_of(difference, program)
    kept = difference.kind == "grad-requires-grad" and "requires_grad" in difference.ours \
        and "requires_grad" not in difference.theirs
    return {op_name(line.op)} if kept else set()


@rule("multi-output-view-read-as-it-was")
def multi_output_view_read_as_it_was(difference, program):
    """``p = x.split(2)[0]`` (no grad), then ``x.addcdiv_(p, w)``: chainrule's backward uses ``p`` as
    it was at the write; PyTorch refuses (its rule for views made by functions with several views)."""
    line = line_of(difference, program)
    refused = difference.kind == "error-only-torch" \
        and "output of a function that returns multiple views" in difference.theirs
    if refused and line.kind in GRAD_KINDS:
        return {op_name(step.op) for step in program.lines[:difference.line] if step.kind in ("inplace", "setitem")}
    if refused and line.kind in ("inplace", "setitem"):   # a piece of an integer tensor: never in the graph
        names, tensors = read_names(program, difference.line)
        target = dict(zip(names, tensors)).get(line.target)
        return {op_name(line.op)} if target is not None and not target.is_floating_point() else set()
    return set()


@rule("fill-of-an-expanded-view")
def fill_of_expanded_view(difference, program):
    """``broadcast_to(x, ...).fill_(tensor(2))``, ``.triu_()``: every element sharing a memory location
    gets the same value (a location is zeroed when any of its elements is outside the triangle),
    so chainrule writes it; PyTorch's check refuses a write into memory that elements share."""
    line = line_of(difference, program)
    refused = difference.kind == "error-only-torch" and op_name(line.op) in ("fill_", "tril_", "triu_") \
        and "more than one element of the written-to tensor refers to a single memory location" in difference.theirs
    return {"fill_"} if refused else set()


MAYBE_COPY_OPS = {"reshape", "reshape_as", "contiguous", "flatten", "unflatten", "ravel"}


@rule("reshape-may-copy")
def reshape_may_copy(difference, program):
    """``reshape``, ``contiguous``, ``flatten`` return a view or a copy depending on the memory
    layout of their input, which the two libraries choose differently for some results (PyTorch's
    ``nonzero`` is column-major, its ``triu`` keeps a permuted layout)."""
    line = line_of(difference, program)
    return {op_name(line.op)} & MAYBE_COPY_OPS if difference.kind == "aliasing" else set()


@rule("empty-inputs-backward")
def empty_inputs_backward(difference, program):
    """Every input that requires grad is empty: chainrule's backward gives empty gradients; PyTorch
    may first refuse a saved tensor changed in place (an empty one: nothing it held changed)."""
    line = line_of(difference, program)
    if difference.kind != "error-only-torch" or line.kind not in GRAD_KINDS or VERSION_ERROR not in difference.theirs:
        return set()
    space = space_before(program, difference.line)
    if space is None:
        return set()
    leaves = [space[name] for step in program.lines if step.kind == "input" for name in step.defines
              if getattr(space.get(name), "requires_grad", False)]
    if not leaves or any(leaf.numel() for leaf in leaves):
        return set()
    return {op_name(step.op) for step in program.lines[:difference.line] if step.kind in ("inplace", "setitem")}


ZERO_DERIVATIVE_OPS = {"round", "round_", "floor", "floor_", "ceil", "ceil_", "trunc", "trunc_", "sign", "sign_",
                       "sgn", "fix", "fix_"}


@rule("zero-path-gradient-is-constant")
def zero_path_gradient_is_constant(difference, program):
    """A first-order gradient whose only path through the program passes an op of derivative 0
    (``round_``) and then another op (``repeat_interleave``): chainrule's is a constant, PyTorch's
    keeps the second op's graph. The values are equal; differentiating it again gives zeros in
    PyTorch and "does not require grad" in chainrule (``allow_unused=True``: None)."""
    line = line_of(difference, program)
    constant = difference.kind == "grad-requires-grad" and "requires_grad" in difference.theirs \
        and "requires_grad" not in difference.ours
    steps = {op_name(step.op) for step in program.lines[:difference.line]}
    return {op_name(line.op)} if constant and steps & ZERO_DERIVATIVE_OPS else set()
