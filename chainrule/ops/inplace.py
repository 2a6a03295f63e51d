"""In-place ops (``add_``, ``x[idx] = v``, ...) and the version counters that keep them safe.

An in-place op computes its result out of place, writes it into the target's
memory and, when recording, moves the target to the new node of the graph.
Every write bumps the version counter shared by a tensor and its views; a node
that saved the old values then refuses to run backward (see ``Node._unpack``).
"""
import numbers

from .. import backend as B
from .. import views
from ..grad_mode import _state as _grad_state
from ..function import Function, tracer as _tracer
from ..tensor import Tensor
from .._errors import at_user_line, shape_str
from . import compare, elementwise, unary
from .promotion import result_type, number_as, half_with_a_wide_number, check_scalar_fits

xp = B.xp


def _check_target(target, op, value_requires_grad=False):
    if not _grad_state["enabled"]:
        return
    if target.grad_fn is None and target._rg and target._base is None:
        raise RuntimeError(at_user_line(
            f"{op}: a leaf Variable that requires grad (shape {shape_str(target.shape)}) is being "
            f"used in an in-place operation. Wrap parameter updates in `with chainrule.no_grad():`, "
            f"or use an out-of-place op."))
    views.check_view_target(target, op, value_requires_grad)


def _check_memory(target, op):
    """Refuse a write into memory that one element cannot own alone (an expanded view)."""
    data = target._data
    if data.flags.writeable:
        return
    if not views.has_internal_overlap(data):
        if views.writable(data).flags.writeable:
            return   # a broadcast_to() view whose elements do not overlap: the base's own memory
        raise RuntimeError(at_user_line(
            f"{op}: the tensor's memory is read-only (shape {shape_str(target.shape)}; it was made "
            f"from a read-only NumPy array). Use .clone() to get a tensor you can change."))
    if op not in _FILLS:
        raise views.overlap_error(op)
    if _grad_state["enabled"] and target._rg:
        raise RuntimeError(at_user_line(
            f"{op}: writing into an expand()/broadcast_to() view of a tensor that requires grad "
            f"is not supported by chainrule's autograd; write into a clone() of it, or into the "
            f"tensor it expands."))


# In-place ops that may write into an expanded view: each writes a value that does not depend on
# the other elements sharing a memory location (tril_/triu_ see inplace_variants._triangle_).
_FILLS = ("fill_", "zero_", "tril_", "triu_")


def _snapshot(target):
    """A stand-in for ``target`` before the write: same graph position, its own copy of the data."""
    old = Tensor._make(target._data.copy(), target._rg, target.grad_fn, target._output_nr)
    old._accumulator = target._accumulator
    if _tracer[0] is not None:
        _tracer[0].copied(old, target)
    return old


def _any_requires_grad(values):
    return any(isinstance(v, Tensor) and v._rg for v in values)


def commit(target, op, name, *args, **kwargs):
    """Compute ``op(target, *args, **kwargs)`` out of place and store it in ``target``'s memory.

    When the graph is recorded the result is computed from a copy of the old
    values (the op may save them for backward); the target, its root (if it is a
    view) and every live view then take the history of the write (``views.py``).
    """
    value_requires_grad = _any_requires_grad(args) or _any_requires_grad(kwargs.values())
    _check_target(target, name, value_requires_grad)
    _check_memory(target, name)
    recording = _grad_state["enabled"]
    if recording and (target._rg or value_requires_grad):
        source = _snapshot(target)
        args = [source if a is target else a for a in args]  # x.mul_(x) reads the old x twice
    else:
        source = target
    result = op(source, *args, **kwargs)
    if result._data.dtype != target._data.dtype:
        _check_cast(result.dtype, target, name)
        result = result.to(target.dtype)   # int64 into uint8 wraps, as in PyTorch
    if result._data.shape != target._data.shape:
        raise RuntimeError(at_user_line(
            f"{name}: output with shape {shape_str(target.shape)} doesn't match the broadcast "
            f"shape {shape_str(result.shape)}"))
    views.writable(target._data)[...] = result._data
    target._vbox[0] += 1
    if _tracer[0] is not None:
        _tracer[0].assigned(target, result)
    if recording and result._rg:
        _saved_result_is_target(result, target)
        _take_history(target, result)
    return target


def _saved_result_is_target(result, target):
    """The node of an in-place op that saved its own result (``reciprocal_``, ``exp_``,
    ``sigmoid_``) saved what is now ``target``: tie that saved value to ``target``'s version
    counter, so that a later write into ``target`` makes backward refuse, as in PyTorch, where
    the result *is* the target. (The saved array is a copy of the value written, so without this
    backward would silently use the old value.)"""
    node = result.grad_fn
    entries = node._saved_entries if node is not None else None
    if not entries:
        return
    node._saved_entries = [
        (kind, value, target._vbox, target._vbox[0]) if kind == "output" and vbox is result._vbox
        else (kind, value, vbox, version)
        for kind, value, vbox, version in entries]


def _check_cast(result_dtype, target, name):
    """PyTorch's rule for storing an in-place result: any cast within a category or to a
    higher one (bool < integer < floating) is allowed; float into an integer, or a number
    into bool, is refused."""
    if result_dtype.category > target.dtype.category:
        raise RuntimeError(at_user_line(
            f"{name}: result type {result_dtype} can't be cast to the desired output type "
            f"{target.dtype} (in-place ops keep the tensor's dtype); use the out-of-place op, "
            f"or convert the tensor first (e.g. x = x.to({result_dtype}))"))


def _take_history(target, result):
    """``target`` now holds ``result``: give it (and its root and views) that history."""
    target.grad_fn = result.grad_fn
    target._output_nr = result._output_nr
    target._rg = True
    if target._base is not None:
        views.write_through_view(target, result)
    else:
        views.rebase_views(target)


def _write_directly(target, ufunc, other, name):
    """The no-graph path (optimizer updates): one NumPy ufunc writing into target's memory.

    Returns False when the graph must be recorded and the general path has to run.
    """
    root = target._base
    if _grad_state["enabled"] and (target._rg or (isinstance(other, Tensor) and other._rg) or
                                   (root is not None and root._rg)):
        return False
    if target._data.dtype.char == "e" and half_with_a_wide_number(target, other):   # float16: computed
        return False                                                                   # in float32, as PyTorch
    _check_memory(target, name)
    operand = other._data if isinstance(other, Tensor) else other
    if _tracer[0] is not None:
        _tracer[0].sees(target)   # a tensor made in the call is recorded as it was before
    mixed = isinstance(other, Tensor) and other._data.dtype != target._data.dtype
    if mixed or target._data.dtype.kind != "f":
        _check_cast(result_type(target, other), target, name)   # NumPy's same_kind is not PyTorch's rule
    out = target._data if target._data.flags.writeable else views.writable(target._data)
    try:
        ufunc(target._data, operand, out=out, casting="unsafe")
    except OverflowError:   # deliberate: PyTorch wraps such a number silently
        raise OverflowError(at_user_line(
            f"{name}: Python integer {operand} out of bounds for {target.dtype} (shape "
            f"{shape_str(target.shape)}); chainrule refuses rather than wrap it. Pass a number in "
            f"the dtype's range, or convert the tensor first (x = x.long())")) from None
    except ValueError:
        raise RuntimeError(at_user_line(
            f"{name}: output with shape {shape_str(target.shape)} doesn't match the broadcast "
            f"shape of the operands {shape_str(target.shape)} and "
            f"{shape_str(other.shape) if isinstance(other, Tensor) else '()'}")) from None
    target._vbox[0] += 1
    if _tracer[0] is not None:
        _tracer[0].wrote_in_place(target, ufunc, other)
    return True


def _times_alpha(input, other, alpha):
    """``alpha * other`` for the direct path, or None where only the general path computes it
    in PyTorch's dtype (an int32 tensor times alpha would wrap before the float32 result)."""
    if alpha == 1:
        return other
    if input._data.dtype == xp.bool_ or (isinstance(other, Tensor) and other._data.dtype != input._data.dtype):
        return None   # (bools: alpha is a truth value in PyTorch's bool result, not a factor)
    if not isinstance(other, Tensor) and input._data.dtype.kind == "f":
        return elementwise._scaled_number(other, alpha, B.from_numpy_dtype(input._data.dtype))
    return other * alpha


def add_(input, other, *, alpha=1):
    scaled = _times_alpha(input, other, alpha)
    if scaled is not None and _write_directly(input, xp.add, scaled, "add_"):
        return input
    return commit(input, elementwise.add, "add_", other, alpha=alpha)


def sub_(input, other, *, alpha=1):
    refused = elementwise._is_bool(input) or elementwise._is_bool(other)  # sub raises PyTorch's error
    if type(alpha) is int and alpha == 0 and not refused:   # PyTorch adds other * -alpha: an int -0 is +0
        return add_(input, other, alpha=0)
    scaled = _times_alpha(input, other, alpha)
    if scaled is not None and not refused and _write_directly(input, xp.subtract, scaled, "sub_"):
        return input
    return commit(input, elementwise.sub, "sub_", other, alpha=alpha)


def mul_(input, other):
    if _write_directly(input, xp.multiply, other, "mul_"):
        return input
    return commit(input, elementwise.mul, "mul_", other)


def div_(input, other, *, rounding_mode=None):
    if rounding_mode is None and input._data.dtype.kind == "f" and _write_directly(
            input, xp.true_divide, other, "div_"):
        return input
    return commit(input, elementwise.div, "div_", other, rounding_mode=rounding_mode)


def pow_(input, exponent):
    return commit(input, elementwise.pow, "pow_", exponent)


def clamp_(input, min=None, max=None):
    return commit(input, unary.clamp, "clamp_", min, max)


class Replace(Function):
    """``value`` broadcast to ``x``'s shape (fill_, copy_). The old values of ``x`` are gone:
    its gradient is a constant zero, as PyTorch's, so a create_graph gradient that only
    passes through here does not require grad."""

    def forward(ctx, x, value):
        ctx.shape, ctx.dtype = x.shape, x.dtype
        out = xp.empty(x.shape, dtype=x.dtype)
        out[...] = value
        return out

    def backward(ctx, g):
        return Tensor._make(xp.zeros(ctx.shape, dtype=ctx.dtype)), g


def _replace_all(x, value, name):
    """``value`` broadcast to ``x``'s shape and dtype; the gradient to ``x`` is zero."""
    if isinstance(value, Tensor):
        _check_source_shape(value, x, name)
        value = value.to(x.dtype)
    elif x._data.dtype.kind != "f":
        value = Tensor._make(number_as(value, x._data.dtype, name))
    return Replace.apply(x, value)


def _check_source_shape(value, x, name):
    if name == "fill_" and value._data.ndim:
        raise RuntimeError(at_user_line(
            f"fill_ only supports a 0-dimension value tensor, but got one of shape "
            f"{shape_str(value.shape)}; use copy_ to copy a tensor, or pass value.item()"))
    try:
        fits = xp.broadcast_shapes(value._data.shape, x._data.shape) == x._data.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(at_user_line(
            f"{name}: the source of shape {shape_str(value.shape)} cannot be broadcast to the "
            f"tensor's shape {shape_str(x.shape)}; reshape the source, or index the part of the "
            f"tensor it should go to"))


def copy_(input, src):
    """Copy ``src`` (broadcast to this shape) into this tensor; differentiable w.r.t. ``src``."""
    return commit(input, _replace_all, "copy_", src, "copy_")


def fill_(input, value):
    """Set every element to ``value`` (a number or a 0-d tensor)."""
    # (beyond float16's range only: the check stays off an optimizer's zero_() and fill_(1))
    if isinstance(value, (int, float)) and abs(value) > 65504 and input._data.dtype.kind == "f":
        check_scalar_fits(value, B.from_numpy_dtype(input._data.dtype), "fill_", "value")   # 1e10 in float16
    return commit(input, _replace_all, "fill_", value, "fill_")


def zero_(input):
    return fill_(input, 0)


def setitem_(input, index, value):
    """``input[index] = value``: differentiable w.r.t. both the kept part and ``value``."""
    from .indexing import put_values, parse_index
    if index is False:   # PyTorch writes nothing (no version bump, no history), but checks a number
        if isinstance(value, numbers.Number) and input._data.dtype.kind in "biu":
            number_as(value, input._data.dtype, "setitem")
        return input
    if _grad_state["enabled"] and input._rg:
        parse_index(index, input._data.shape)   # PyTorch reports a bad index before a leaf's rules
    if _is_expanded(input):
        return _setitem_expanded(input, index, value)
    return commit(input, put_values, "setitem", index, value)


def _is_expanded(t):
    return not t._data.flags.writeable and views.has_internal_overlap(t._data)


def _setitem_expanded(input, index, value, name="setitem"):
    """``x[index] = value`` for an expanded view ``x``: allowed where the indexed part owns its
    memory (``x[0] = v`` on ``y.expand(2, 3)``), as in PyTorch."""
    from .indexing import parse_index, _fit_value, _indexed_shape
    steps, advanced = parse_index(index, input._data.shape)
    if advanced:   # PyTorch deprecates it (the last of several writes to one location would win)
        raise RuntimeError(at_user_line(
            f"{name}: advanced indexing (index tensors, masks) into an expand()/broadcast_to() "
            f"view of shape {shape_str(input.shape)} is not supported: clone() the tensor first"))
    # (a trailing ellipsis keeps an all-integer index a view, not a copy)
    region = input._data[steps[0] if Ellipsis in steps[0] else steps[0] + (Ellipsis,)]
    if views.has_internal_overlap(region):
        raise views.overlap_error("setitem")
    if _grad_state["enabled"] and (input._rg or (isinstance(value, Tensor) and value._rg)):
        raise RuntimeError(at_user_line(
            "setitem: writing into an expand()/broadcast_to() view of a tensor that requires grad "
            "is not supported by chainrule's autograd; write into a clone() of it, or into the "
            "tensor it expands."))
    value = _fit_value(value, _indexed_shape(input._data.shape, steps[0]), input.dtype)
    views.writable(region)[...] = value._data if isinstance(value, Tensor) else value
    input._vbox[0] += 1
    return input


def _unary_inplace(name, fn):
    """``x.<name>_()``: the out-of-place op ``fn`` written back into ``x``."""
    def method(input):
        return commit(input, fn, f"{name}_")
    method.__name__ = f"{name}_"
    method.__doc__ = f"In-place ``{name}``."
    return method


exp_ = _unary_inplace("exp", unary.exp)
log_ = _unary_inplace("log", unary.log)
sqrt_ = _unary_inplace("sqrt", unary.sqrt)
abs_ = _unary_inplace("abs", unary.abs)
neg_ = _unary_inplace("neg", elementwise.neg)
relu_ = _unary_inplace("relu", unary.relu)
sigmoid_ = _unary_inplace("sigmoid", unary.sigmoid)
tanh_ = _unary_inplace("tanh", unary.tanh)
sin_ = _unary_inplace("sin", unary.sin)
cos_ = _unary_inplace("cos", unary.cos)
floor_ = _unary_inplace("floor", unary.floor)
ceil_ = _unary_inplace("ceil", unary.ceil)
round_ = _unary_inplace("round", unary.round)
trunc_ = _unary_inplace("trunc", unary.trunc)
reciprocal_ = _unary_inplace("reciprocal", unary.reciprocal)
square_ = _unary_inplace("square", unary.square)


def bitwise_and_(input, other):
    return commit(input, compare.bitwise_and, "bitwise_and_", other)


def bitwise_or_(input, other):
    return commit(input, compare.bitwise_or, "bitwise_or_", other)


def bitwise_xor_(input, other):
    return commit(input, compare.bitwise_xor, "bitwise_xor_", other)


def masked_fill_(input, mask, value):
    from .indexing import masked_fill
    return commit(input, masked_fill, "masked_fill_", mask, value)


def index_put_(input, indices, values, accumulate=False):
    """``input[indices] = values`` (``accumulate=True`` adds instead of writing)."""
    from .indexing import check_put_dtype, check_put_shape, index_put, index_add_values
    check_put_dtype(input, values, "index_put_")
    check_put_shape(input, indices, values, "index_put_")
    if _is_expanded(input):
        return _setitem_expanded(input, tuple(indices), values, "index_put_")
    if accumulate:  # repeated indices add up
        return commit(input, index_add_values, "index_put_", indices, values)
    return commit(input, index_put, "index_put_", indices, values)


def scatter_(input, dim, index, src=None, value=None, *, reduce=None):
    from .indexing import scatter
    return commit(input, scatter, "scatter_", dim, index, src, value, reduce=reduce)


def scatter_add_(input, dim, index, src):
    from .indexing import scatter_add
    return commit(input, scatter_add, "scatter_add_", dim, index, src)


def index_add_(input, dim, index, source, *, alpha=1):
    from .indexing import index_add
    return commit(input, index_add, "index_add_", dim, index, source, alpha=alpha)


def index_copy_(input, dim, index, source):
    from .indexing import index_copy
    return commit(input, index_copy, "index_copy_", dim, index, source)


def index_fill_(input, dim, index, value):
    from .indexing import index_fill
    return commit(input, index_fill, "index_fill_", dim, index, value)


__all__ = ["add_", "sub_", "mul_", "div_", "pow_", "clamp_", "copy_", "fill_", "zero_", "exp_", "log_",
           "sqrt_", "abs_", "neg_", "relu_", "sigmoid_", "tanh_", "sin_", "cos_", "floor_", "ceil_",
           "round_", "trunc_", "reciprocal_", "square_", "masked_fill_", "index_put_", "scatter_",
           "scatter_add_", "index_add_", "index_copy_", "index_fill_", "bitwise_and_", "bitwise_or_",
           "bitwise_xor_"]
TENSOR_METHODS = __all__
