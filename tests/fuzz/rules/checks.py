"""Rules for deliberate differences of checks and errors: empty tensors, error classes, index and
dtype rules, and PyTorch's own failures (see classify.py)."""
import re

from ..classify import line_of, made_an_empty_tensor, read_tensors, op_name, rule
from ..line import GRAD_KINDS


@rule("list-of-lists-index")
def list_of_lists(difference, program):
    line = line_of(difference, program)
    return {op_name(line.op)} if "list-of-lists" in line.flags else set()


@rule("two-ellipses")
def two_ellipses(difference, program):
    line = line_of(difference, program)
    refused = difference.kind == "error-only-chainrule" and "two-ellipses" in line.flags
    return {op_name(line.op)} if refused else set()


@rule("take-along-dim-checks-indices")
def take_along_dim(difference, program):
    line = line_of(difference, program)
    refused = difference.kind == "error-only-chainrule" and op_name(line.op) == "take_along_dim"
    return {"take_along_dim"} if refused and "out of" in difference.ours else set()


@rule("clamp-mixed-bounds")
def clamp_mixed_bounds(difference, program):
    """``clamp(x, min=tensor, max=number)``: PyTorch's argument parser refuses the mix."""
    line = line_of(difference, program)
    refused_by_torch = difference.kind == "error-only-torch" and op_name(line.op) in ("clamp", "clip") \
        and "invalid combination of arguments" in difference.theirs
    return {op_name(line.op)} if refused_by_torch else set()


@rule("pad-any-dims")
def pad_any_dims(difference, program):
    line = line_of(difference, program)
    refused_by_torch = difference.kind == "error-only-torch" and "pad-mode" in line.flags
    return {op_name(line.op)} if refused_by_torch else set()


@rule("python-int-out-of-range")
def python_int_out_of_range(difference, program):
    line = line_of(difference, program)
    if difference.kind != "error-only-chainrule":
        return set()
    refused = difference.ours.startswith("OverflowError") and "Python integer" in difference.ours
    # copy_(number) refuses as fill_ does (PyTorch's copy_ wraps the number, its fill_ refuses too)
    refused_copy = op_name(line.op) == "copy_" and "without overflow" in difference.ours
    return {op_name(line.op)} if refused or refused_copy else set()


@rule("empty-tensor-checked")
def empty_tensor_checked(difference, program):
    """chainrule checks indices, shapes and dtypes of an op on an empty tensor; PyTorch's kernels
    return early, before their checks."""
    line = line_of(difference, program)
    if difference.kind != "error-only-chainrule" or line.kind in GRAD_KINDS:
        return set()
    empty = any(tensor.numel() == 0 for tensor in read_tensors(program, difference.line))
    return {op_name(line.op)} if empty else set()


@rule("pytorch-kernel-fails-on-empty")
def kernel_fails_on_empty(difference, program):
    line = line_of(difference, program)
    failed = difference.kind == "error-only-torch" and "setStorage:" in difference.theirs
    return {op_name(line.op)} if failed else set()


@rule("index-assignment-casts")
def index_assignment_casts(difference, program):
    """``x[index] = tensor`` casts the tensor to x's dtype whatever the index; PyTorch refuses a
    different dtype with index tensors, and checks a one-element value against x's range with a
    mask (and in ``index_put``)."""
    line = line_of(difference, program)
    if difference.kind != "error-only-torch":
        return set()
    refused = ("dtypes match" in difference.theirs or "without overflow" in difference.theirs)
    if refused and op_name(line.op) in ("index_put", "index_put_"):
        return {op_name(line.op)}
    if line.kind != "setitem":
        return set()
    value = line.code.rsplit("=", 1)[1].strip()
    return {op_name(line.op)} if refused and value in line.uses else set()


@rule("check-order-error-class")
def check_order_error_class(difference, program):
    """Both refuse the call; PyTorch reaches a dimension or shape check first (IndexError),
    chainrule a dtype or shape check (RuntimeError, NotImplementedError)."""
    line = line_of(difference, program)
    if difference.kind != "error-class" or not difference.theirs.startswith("IndexError"):
        return set()
    about_dims = "Dimension" in difference.theirs or "dimensionality" in difference.theirs
    about_dtype = "dtype" in difference.ours or "for bool" in difference.ours.lower()
    refused = difference.ours.startswith(("RuntimeError", "ShapeError", "NotImplementedError"))
    return {op_name(line.op)} if refused and (about_dims or about_dtype) else set()


@rule("circular-pad-checks-its-reach")
def circular_pad_reach(difference, program):
    """``pad(x, (2, -1), mode='circular')`` on a dimension of size 2: chainrule refuses a pad larger
    than the cropped size; PyTorch reads memory outside the tensor."""
    line = line_of(difference, program)
    refused = difference.kind == "error-only-chainrule" and op_name(line.op) == "pad" \
        and "circular padding to wrap around" in difference.ours and re.search(r"\(.*-\d", line.code)
    return {"pad"} if refused else set()


@rule("empty-write-unchecked")
def empty_write_unchecked(difference, program):
    """An index write into an empty tensor writes nothing and checks no index in chainrule; PyTorch
    checks in some paths (``index_reduce``, ``index_add`` of a tensor that requires grad) and not in
    others (``index_add``, ``index_copy``, ``index_fill``)."""
    line = line_of(difference, program)
    if difference.kind != "error-only-torch":
        return set()
    if "out of range" not in difference.theirs and "out of DATA bounds" not in difference.theirs:
        return set()
    if line.kind in GRAD_KINDS:   # PyTorch's backward of an index op on an empty tensor
        index_ops = {op_name(step.op) for step in program.lines[:difference.line]
                     if op_name(step.op).startswith(("index_", "scatter"))}
        return index_ops if made_an_empty_tensor(program, difference.line) else set()
    empty = any(tensor.numel() == 0 for tensor in read_tensors(program, difference.line))
    return {op_name(line.op)} if empty else set()


PYTORCH_BUGS = ("INTERNAL ASSERT FAILED", "ZeroTensors are immutable")
KRON_VIEW_BUG = "view size is not compatible with input tensor's size and stride"


@rule("pytorch-internal-assert")
def pytorch_internal_assert(difference, program):
    """PyTorch fails its own internal assertion (``False ** x``), or writes into its own immutable
    zero gradient (backward of ``sgn(std(x))``); chainrule computes."""
    line = line_of(difference, program)
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


@rule("clamp-bound-checked-beside-a-nan-bound")
def clamp_bound_beside_nan(difference, program):
    """``clip(x, min=nan, max=2147483648)`` on float16: chainrule refuses the bound that overflows
    the dtype, as PyTorch does without the NaN bound; with it PyTorch skips the check."""
    line = line_of(difference, program)
    refused = difference.kind == "error-only-chainrule" and "without overflow" in difference.ours \
        and "nan" in line.code
    return {op_name(line.op)} & {"clamp", "clip", "clamp_", "clip_"} if refused else set()


@rule("pytorch-bool-kernel-missing")
def pytorch_bool_kernel_missing(difference, program):
    """``index_reduce`` of a 1-D bool tensor: PyTorch's kernel for that case lacks bool (its 2-D
    kernel has it); chainrule computes 'prod', 'amax' and 'amin' of bools at every shape."""
    line = line_of(difference, program)
    missing = difference.kind == "error-only-torch" and "not implemented for 'Bool'" in difference.theirs
    return {op_name(line.op)} & {"index_reduce", "index_reduce_"} if missing else set()


@rule("empty-product-shape")
def empty_product_shape(difference, program):
    """``addmv(input, mat, vec)`` with ``mat`` of 0 rows: chainrule's result has the product's
    shape (0,), as the broadcast rule says; PyTorch returns ``beta * input`` in input's shape."""
    line = line_of(difference, program)
    if difference.kind != "shape" or op_name(line.op) not in ("addmv", "addmm", "baddbmm", "addbmm"):
        return set()
    empty = any(tensor.numel() == 0 for tensor in read_tensors(program, difference.line))
    return {op_name(line.op)} if empty else set()


@rule("fill-value-checked-at-every-size")
def fill_value_checked_at_every_size(difference, program):
    """``x.fill_(2147483648)`` on float16: chainrule refuses the number the dtype cannot hold, as
    PyTorch does for most tensors; PyTorch's path for a one-element tensor skips the check (inf)."""
    line = line_of(difference, program)
    refused = difference.kind == "error-only-chainrule" and "without overflow" in difference.ours
    return {"fill_"} & {op_name(line.op)} if refused else set()
