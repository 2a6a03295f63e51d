"""Views and their history: how a view is rebuilt from its base, and kept current.

A view shares its base's memory and version counter. Every view remembers
its *root* (the tensor that owns the memory, ``_base``) and the chain of view
ops that leads from the root to it (``_view_chain``: ``(Function class,
params)`` pairs). The root keeps weak references to its live views.

That is enough for PyTorch's two rules about views and in-place writes:

- When the root's history changes in place (``b.mul_(3)``, ``b[0] = 5``),
  every live view is *rebased*: its ``grad_fn`` becomes the view chain replayed
  on the root's new history, so a view taken earlier never backpropagates
  through the values it had before the write.
- When a view is written in place (``b[:, 0].mul_(2)``), the root's new
  history is ``ViewWrite(root before, written values)``: the gradient of the
  root flows to the written values inside the view and past the write
  elsewhere (PyTorch's ``CopySlices``); then all views are rebased.
"""
import weakref

from . import backend as B
from ._errors import at_user_line, shape_str
from .function import Function, Node
from .grad_mode import _state as _grad_state
from .tensor import Tensor

xp = B.xp


class _ViewList(list):
    """Weak references to a root's views; dead ones are dropped as the list grows."""
    __slots__ = ("limit",)

    def __init__(self):
        super().__init__()
        self.limit = 16

    def add(self, view):
        self.append(weakref.ref(view))
        if len(self) >= self.limit:
            self[:] = [ref for ref in self if ref() is not None]
            self.limit = max(16, 2 * len(self))

    def alive(self):
        return [v for v in (ref() for ref in self) if v is not None]


def register(base, view, cls, params):
    """Record that ``view`` is ``cls.apply(base, **params)``: its root, chain and version counter."""
    view._vbox = base._vbox
    root = base._base
    if root is None:
        root, chain = base, ()
    else:
        chain = base._view_chain
    view._base = root
    view._view_chain = chain + ((cls, params),)
    if not _grad_state["enabled"] or base._made_without_grad:
        view._made_without_grad = True
        if base._rg:   # PyTorch: a leaf of its own that requires grad, as its base does
            view._rg = True
    if base._multi_output is not None:
        view._multi_output = base._multi_output
    views = root._views
    if views is None:
        views = root._views = _ViewList()
    views.add(view)


def mark_multi_output(pieces, op):
    """Mark the outputs of ``op`` (split, chunk, unbind): PyTorch refuses an in-place op on
    them, or on views of them, while grad is involved (its one node for all the outputs cannot
    be rebased for one), and chainrule refuses the same, so code moves between the two."""
    for piece in pieces:
        piece._multi_output = op
    return pieces


def replay(t, chain):
    """The view chain applied to the Tensor ``t`` (recorded in the graph when grad mode is on)."""
    for cls, params in chain:
        t = cls.apply(t, **params)
    return t


def replay_array(array, chain):
    """The view chain applied to a backend array (each op's ``forward``, nothing recorded)."""
    for cls, params in chain:
        array = cls.forward(cls(), array, **params)
    return array


def writable(array):
    """``array`` itself, or a writable alias of a read-only broadcast view (stride-0 dims)
    whose memory belongs to a writable array."""
    if array.flags.writeable:
        return array
    owner = array
    while not owner.flags.writeable:
        parent = owner.base
        if parent is not None and not isinstance(parent, xp.ndarray):
            parent = getattr(parent, "base", None)   # as_strided's DummyArray keeps the array
        if not isinstance(parent, xp.ndarray):
            break
        owner = parent
    if not owner.flags.writeable:
        return array  # truly read-only memory: the write raises NumPy's error
    interface = dict(array.__array_interface__)
    interface["data"] = (interface["data"][0], False)  # (address, read-only flag)
    return xp.asarray(_ArrayInterface(interface, owner))


class _ArrayInterface:
    """Memory described by an ``__array_interface__``, kept alive through ``base``."""

    def __init__(self, interface, base):
        self.__array_interface__ = interface
        self.base = base


def has_internal_overlap(array):
    """True when two elements of ``array`` share one memory location (an expanded dim); an empty
    array has no elements to share one (PyTorch writes into an empty expanded view)."""
    return array.size > 0 and any(stride == 0 and size > 1 for stride, size in zip(array.strides, array.shape))


def overlap_error(op):
    return RuntimeError(at_user_line(
        f"{op}: unsupported operation: more than one element of the written-to tensor refers to "
        f"a single memory location (it is an expand()/broadcast_to() view). Please clone() the "
        f"tensor before performing the operation."))


def rebase_views(root):
    """Point every live view of ``root`` at ``root``'s current history."""
    views = root._views
    if not views:
        return
    for view in views.alive():
        if view._made_without_grad:
            view.grad_fn, view._output_nr, view._rg = _MadeWithoutGrad(), 0, True
            continue
        fresh = replay(root, view._view_chain)
        view.grad_fn, view._output_nr, view._rg = fresh.grad_fn, fresh._output_nr, fresh._rg


def refresh(view):
    """The history of ``view`` after its chain changed without grad mode (a shape change under
    no_grad): the new chain replayed on its root, as PyTorch regenerates it."""
    enabled = _grad_state["enabled"]
    _grad_state["enabled"] = True
    try:
        fresh = replay(view._base, view._view_chain)
    finally:
        _grad_state["enabled"] = enabled
    view.grad_fn, view._output_nr, view._rg = fresh.grad_fn, fresh._output_nr, fresh._rg


def write_through_view(view, result):
    """After ``view``'s memory got ``result``'s values, give its root the history of that write."""
    root = view._base
    before = Tensor._make(root._data, root._rg, root.grad_fn, root._output_nr)
    before._accumulator = root._accumulator
    after = ViewWrite.apply(before, result, chain=view._view_chain, written=root._data)
    root.grad_fn, root._output_nr, root._rg = after.grad_fn, 0, True
    rebase_views(root)


def check_view_target(target, op, value_requires_grad=False):
    """PyTorch's refusals for an in-place write into a view while grad mode is on."""
    root = target._base
    if root is None or not _grad_state["enabled"]:
        return
    # an integer view never joins the graph, so writing a value that requires grad into it is fine
    joins_graph = root._rg or (value_requires_grad and target._data.dtype.kind in "fc")
    if target._multi_output is not None and joins_graph:
        raise RuntimeError(at_user_line(
            f"{op}: a view made by {target._multi_output}() (shape {shape_str(target.shape)}) is "
            f"being modified inplace. This view is the output of a function that returns multiple "
            f"views. Such functions do not allow the output views to be modified inplace: use an "
            f"out-of-place op (v = v + 1), or clone() the piece first."))
    if root.grad_fn is None and root._rg:
        raise RuntimeError(at_user_line(
            f"{op}: a view of a leaf Variable that requires grad is being used in an in-place "
            f"operation (view shape {shape_str(target.shape)}, leaf shape {shape_str(root.shape)}). "
            f"Wrap the update in `with chainrule.no_grad():`, or write into a clone: "
            f"x = leaf.clone(); x[...] = ..."))
    if target._made_without_grad and root._rg:
        raise RuntimeError(at_user_line(
            f"{op}: a view was created in no_grad mode and is being modified inplace with grad "
            f"mode enabled. Create the view and change it both inside no_grad (if the change "
            f"should not be tracked) or both outside it."))


class ViewWrite(Function):
    """The root after writing ``value`` into one of its views (the memory is already written).

    Gradients: the root before the write gets ``g`` with the view's region
    zeroed (those values were overwritten); ``value`` gets ``g`` seen through
    the view.
    """

    def name(self):
        return "CopySlices"  # PyTorch's name for this node

    def forward(ctx, before, value, chain, written):
        ctx.chain, ctx.like = chain, written
        return written

    def backward(ctx, g):
        needs = ctx.needs_input_grad
        grad_before = ZeroRegion.apply(g, chain=ctx.chain, like=ctx.like) if needs[0] else None
        grad_value = replay(g, ctx.chain) if needs[1] else None
        return grad_before, grad_value


class ZeroRegion(Function):
    """``g`` with the view ``chain``'s region set to zero (a linear map, its own adjoint)."""

    def forward(ctx, g, chain, like):
        ctx.chain, ctx.like = chain, like
        out = xp.empty_like(like)  # the root's memory layout, so the chain gives the same views
        out[...] = g
        writable(replay_array(out, chain))[...] = 0
        return out

    def backward(ctx, gg):
        return ZeroRegion.apply(gg, chain=ctx.chain, like=ctx.like)


class _MadeWithoutGrad(Node):
    """The history of a view made under no_grad whose base then changed with grad mode on."""

    def name(self):
        return "ViewMadeWithoutGradBackward0"

    def backward(self, g):
        raise RuntimeError(at_user_line(
            "A view was created in no_grad mode and its base or another view of its base has been "
            "modified inplace with grad mode enabled. Given that this use case is ambiguous and "
            "error-prone, it is forbidden. Move both the view and the in-place change inside "
            "no_grad (if the change should not be tracked) or both outside it."))
