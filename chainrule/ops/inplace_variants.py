"""More in-place methods: the arithmetic and triangle ops through ``commit``, and the
methods that change a tensor's own shape (``squeeze_``, ``unsqueeze_``, ``t_``, ``transpose_``).

A shape change writes no memory: the tensor becomes a view of itself in the new
shape, and, when recording, its ``grad_fn`` becomes that view's node, whose input
is the tensor as it was. The version counter is bumped as for any in-place op,
so a node that saved the tensor before the change refuses to run backward.
"""
import contextlib

from .. import backend as B
from .. import views
from ..grad_mode import _state as _grad_state, enable_grad
from .._errors import at_user_line, shape_str
from ..tensor import Tensor
from .inplace import commit
from . import elementwise, unary, pad, reduce, movement, scatter_reduce as _scatter_reduce
from .indexing import masked_fill


# ---------------------------------------------------------------- values (through commit)

def addcmul_(input, tensor1, tensor2, *, value=1):
    return commit(input, elementwise.addcmul, "addcmul_", tensor1, tensor2, value=value)


def addcdiv_(input, tensor1, tensor2, *, value=1):
    return commit(input, elementwise.addcdiv, "addcdiv_", tensor1, tensor2, value=value)


def lerp_(input, end, weight):
    return commit(input, elementwise.lerp, "lerp_", end, weight)


def floor_divide_(input, other):
    return commit(input, elementwise.floor_divide, "floor_divide_", other)


def remainder_(input, other):
    return commit(input, elementwise.remainder, "remainder_", other)


def fmod_(input, other):
    return commit(input, elementwise.fmod, "fmod_", other)


def clamp_min_(input, min):
    return commit(input, unary.clamp_min, "clamp_min_", min)


def clamp_max_(input, max):
    return commit(input, unary.clamp_max, "clamp_max_", max)


def tril_(input, diagonal=0):
    return _triangle_(input, pad.tril, "tril_", diagonal)


def triu_(input, diagonal=0):
    return _triangle_(input, pad.triu, "triu_", diagonal)


def _triangle_(input, triangle, name, diagonal):
    if not views.has_internal_overlap(input._data):
        return commit(input, triangle, name, diagonal)
    # An expand()ed view: PyTorch zeroes the elements outside the triangle in place, so a memory
    # location that several elements share ends up zero when any of them is outside.
    kept = triangle(Tensor._make(B.xp.ones(input._data.shape, dtype=bool)), diagonal)._data
    for dim, (stride, size) in enumerate(zip(input._data.strides, input._data.shape)):
        if stride == 0 and size > 1:
            kept = kept.all(axis=dim, keepdims=True)
    return commit(input, masked_fill, name, Tensor._make(~kept), 0)


def cumsum_(input, dim, *, dtype=None):
    """In-place running sum along ``dim`` (the tensor keeps its dtype)."""
    if dtype is not None and input.dtype != dtype:
        raise RuntimeError(at_user_line(
            f"cumsum_: Bad in-place call: input tensor dtype {input.dtype} and output tensor "
            f"dtype {dtype} should match; drop dtype= or use the out-of-place cumsum"))
    if input._data.dtype == B.xp.bool_:
        return _bool_cumsum_(input, dim)
    return commit(input, reduce.cumsum, "cumsum_", dim)


def _bool_cumsum_(input, dim):
    """PyTorch runs cumsum_ in the tensor's own dtype and has no bool kernel: a 0-d or empty
    bool tensor (nothing to add, so a copy) passes; any other raises its NotImplementedError."""
    if input._data.ndim and input._data.size:
        raise NotImplementedError(at_user_line(
            f"cumsum_: \"cumsum_out_cpu\" not implemented for 'Bool' (tensor of shape "
            f"{shape_str(input.shape)}): a running sum of bools needs a number dtype, e.g. "
            f"x = x.long().cumsum({dim})"))
    return commit(input, lambda t, d: reduce.cumsum(t, d).to(t.dtype), "cumsum_", dim)


def scatter_reduce_(input, dim, index, src, reduce, *, include_self=True):
    return commit(input, _scatter_reduce.scatter_reduce, "scatter_reduce_", dim, index, src, reduce,
                  include_self=include_self)


def index_reduce_(input, dim, index, source, reduce, *, include_self=True):
    return commit(input, _scatter_reduce.index_reduce, "index_reduce_", dim, index, source, reduce,
                  include_self=include_self)


def masked_scatter_(input, mask, source):
    return commit(input, _scatter_reduce.masked_scatter, "masked_scatter_", mask, source)


# ---------------------------------------------------------------- shape (metadata only)

def _restride(target, view_op, name, *args):
    """Make ``target`` the view ``view_op(target, *args)`` of its own memory."""
    recording = _grad_state["enabled"] and target._rg
    if recording and target.grad_fn is None and target._base is None:
        raise RuntimeError(at_user_line(
            f"{name}: a leaf Variable that requires grad (shape {shape_str(target.shape)}) is being "
            f"used in an in-place operation. Use the out-of-place {name[:-1]}, or wrap the change "
            f"in `with chainrule.no_grad():`."))
    views.check_view_target(target, name)
    # Under no_grad a result in the graph still gets the shape change recorded, so the gradient
    # reaches its node in the shape the node produced (PyTorch's engine reshapes it there).
    shape_change_in_graph = not recording and target._rg and target.grad_fn is not None \
        and target._base is None
    recording = recording or shape_change_in_graph
    source = target
    if recording:   # the tensor as it was: the same memory, at its old place in the graph
        source = Tensor._make(target._data, True, target.grad_fn, target._output_nr)
        source._vbox = target._vbox
    with enable_grad() if shape_change_in_graph else contextlib.nullcontext():
        result = view_op(source, *args)
    if target._base is None and target._views:
        _keep_views_of_the_old_shape(target, result)
    target._data = result._data
    target._vbox[0] += 1
    if recording:
        target.grad_fn = result.grad_fn
        target._output_nr = result._output_nr
    if target._base is not None and result._view_chain:
        # a view keeps the chain that rebuilds it from its root, now with this shape change
        target._view_chain = target._view_chain + result._view_chain[-1:]
        if not recording and target._rg and not target._made_without_grad:
            views.refresh(target)
    return target


def _keep_views_of_the_old_shape(root, result):
    """The live views of ``root`` were made from its old shape: their chains start with the
    step back from the new shape to it (a permutation undone, or a reshape)."""
    old_shape = root._data.shape
    if result._data.shape == old_shape and not result._view_chain:
        return
    step = result._view_chain[-1] if result._view_chain else None
    if step is not None and step[0] is movement.Permute:
        dims = step[1]["dims"]
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d] = i
        back = (movement.Permute, {"dims": tuple(inverse)})
    else:
        back = (movement.Reshape, {"shape": old_shape})
    for view in root._views.alive():
        view._view_chain = (back,) + view._view_chain


def squeeze_(input, dim=None):
    """Remove dimensions of size 1 from this tensor's shape (only ``dim``, if given)."""
    return _restride(input, movement.squeeze, "squeeze_", dim)


def unsqueeze_(input, dim):
    """Insert a dimension of size 1 into this tensor's shape at ``dim``."""
    return _restride(input, movement.unsqueeze, "unsqueeze_", dim)


def transpose_(input, dim0, dim1):
    """Swap dimensions ``dim0`` and ``dim1`` of this tensor."""
    return _restride(input, movement.transpose, "transpose_", dim0, dim1)


def t_(input):
    """Transpose this tensor of at most 2 dimensions."""
    if input._data.ndim > 2:
        raise RuntimeError(at_user_line(
            f"t_() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D (shape "
            f"{shape_str(input.shape)}); use .transpose_(dim0, dim1)"))
    return _restride(input, movement.t, "t_")


__all__ = ["addcmul_", "addcdiv_", "lerp_", "floor_divide_", "remainder_", "fmod_", "clamp_min_",
           "clamp_max_", "tril_", "triu_", "cumsum_", "scatter_reduce_", "index_reduce_",
           "masked_scatter_", "squeeze_", "unsqueeze_", "transpose_", "t_"]
TENSOR_METHODS = __all__
