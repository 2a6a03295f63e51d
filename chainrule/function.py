"""The one contract for a differentiable op, and the one place the graph is recorded.

A primitive subclasses ``Function`` and writes two methods::

    class Mul(Function):
        def forward(ctx, a, b):          # backend arrays in, an array out
            ctx.save_for_backward(a, b)
            return a * b

        def backward(ctx, g):            # Tensors in, one gradient per input out
            a, b = ctx.saved_tensors
            return g * b, g * a

``backward`` is written with chainrule ops, so it is itself differentiable
(gradients of gradients). The engine sums a gradient over broadcast dimensions
back to its input's shape, so ``backward`` may return broadcast-shaped grads.

``Mul.apply(x, y)`` runs ``forward`` on the arrays and, when grad mode is on
and an input requires grad, makes the ``Mul`` instance the output's
``grad_fn``: the instance *is* the graph node and the ``ctx``. ``apply`` is
also the single hook point for tracing and numeric checks (``apply_hooks``).

Users extend chainrule with ``chainrule.autograd.Function`` (PyTorch's API:
forward receives Tensors). It runs on this same engine through a node class
derived from this one; only the calling convention of ``forward`` differs.
"""
from . import backend as B
from .grad_mode import _state as _grad_state
from .tensor import Tensor, gradient_edge, tracer
from ._errors import at_user_line, shape_str, ShapeError

# Callables run after every op's forward: hook(function_class, inputs, params, output).
apply_hooks = []
# The active chainrule.diag.profile(), read by the engine; while one runs, Function.apply is
# replaced by a timed version (so an unprofiled op pays nothing).
profiler = [None]

_ndarray = B.ndarray


class Node:
    """A node of the backward graph: edges to the inputs' nodes, saved values, hooks."""

    # Set by _record(); the defaults describe a node that was never recorded.
    _next = ()
    _saved = None
    _saved_entries = None
    _released = False
    _hooks = None
    _retained = None
    _output_meta = None  # [(shape, dtype)] per output, for nodes with several outputs
    _pre_hooks = None    # node hooks (rare): dicts created by register_prehook / register_hook
    _post_hooks = None
    _kept_indices = None  # [(shape, version box, version)] of index tensors kept as params

    # ---------------------------------------------------------------- names

    def name(self):
        return f"{type(self).__name__}Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        return tuple(edge if edge is not None else (None, 0) for edge in self._next)

    @property
    def metadata(self):
        return self.__dict__.setdefault("_metadata", {})

    # ---------------------------------------------------------------- saving

    def save_for_backward(self, *values):
        """Keep arrays (or Tensors, for custom Functions) for ``backward``."""
        self._saved = values

    @property
    def saved_tensors(self):
        """The saved values as Tensors, still connected to the graph for double backward."""
        if self._released:
            raise RuntimeError(at_user_line(
                f"Trying to backward through the graph a second time (or directly access saved "
                f"tensors after they have already been freed): {self.name()} freed its saved "
                f"values after the first backward(). Pass retain_graph=True to the first "
                f"backward() (or autograd.grad) if you need to backward through it again."))
        entries = self._saved_entries
        if entries is None:
            return ()
        return [self._unpack(entry) for entry in entries]

    def saved_value(self, i):
        """Saved value ``i`` alone: a backward that needs only some of its saved values reads
        them one by one, so a value changed in place after saving fails only if it is read."""
        if self._released:
            self.saved_tensors  # raises the "backward a second time" error
        return self._unpack(self._saved_entries[i])

    def keep_index(self, index):
        """Note the version of ``index``, an integer or bool Tensor whose array this node keeps as a param
        (topk's, gather's positions). PyTorch saves such an index for backward; a later in-place
        change of it would send the gradient to the wrong positions, so ``check_kept_indices``
        refuses then, as PyTorch's version check does."""
        entry = (index._data.shape, index._vbox, index._vbox[0])
        self._kept_indices = (self._kept_indices or []) + [entry]

    def check_kept_indices(self):
        for shape, vbox, version in self._kept_indices or ():
            if vbox[0] != version:
                raise RuntimeError(at_user_line(
                    f"one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: the index tensor of shape {shape_str(shape)} that "
                    f"{self.name()} reads is at version {vbox[0]}; expected version {version} "
                    f"instead. Change a .clone() of the indices, not the indices themselves."))

    def _unpack(self, entry):
        kind, value, vbox, version = entry
        if vbox is not None and vbox[0] != version:
            raise RuntimeError(at_user_line(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: a tensor of shape {shape_str(value.shape if kind != 'output' else value[0].shape)} "
                f"saved by {self.name()} is at version {vbox[0]}; expected version {version} "
                f"instead. Use an out-of-place op (x = x * 2 instead of x.mul_(2)) or .clone() "
                f"the tensor before changing it."))
        if kind == "input":
            return value
        if kind == "output":  # rebuilt on demand: a node never holds its own output (no cycle)
            array, output_nr = value
            t = Tensor._make(array, True, self, output_nr)
            t._vbox = vbox
            return t
        if isinstance(value, (_ndarray, B.xp.generic)):
            return Tensor._make(B.xp.asarray(value))
        return value  # a Python number stays a number (a "wrapped scalar" for promotion)

    # ---------------------------------------------------------------- recording

    def _record(self, inputs, outputs):
        """Connect this node to its inputs' nodes and resolve what forward saved."""
        edges, shapes = [], []
        for x in inputs:
            if isinstance(x, Tensor):
                shapes.append(x._data.shape)
                if not x._rg:
                    edges.append(None)
                elif x.grad_fn is not None:
                    edges.append((x.grad_fn, x._output_nr))
                else:
                    edges.append(gradient_edge(x))
            else:
                shapes.append(None)
                edges.append(None)
        self._next = edges
        self._input_shapes = shapes
        saved = self._saved
        if saved:
            self._saved_entries = [_resolve_saved(value, inputs, outputs) for value in saved]
            self._saved = None

    @property
    def needs_input_grad(self):
        """One bool per input: does a gradient for it flow anywhere?"""
        return [edge is not None for edge in self._next]

    def _release(self):
        """Free saved values after backward (unless retain_graph)."""
        if self._saved_entries is not None:
            self._saved_entries = None
            self._released = True

    def _fill_missing(self, grads):
        """Zeros for the outputs of a multi-output node that received no gradient."""
        return [g if g is not None else Tensor._make(B.xp.zeros(shape, dtype))
                for g, (shape, dtype) in zip(grads, self._output_meta)]

    # ---------------------------------------------------------------- hooks

    def _register_tensor_hook(self, output_nr, hook):
        from .autograd.hooks import RemovableHandle
        if self._hooks is None:
            self._hooks = {}
        return RemovableHandle(self._hooks.setdefault(output_nr, {}), hook)

    def _retain_grad_of(self, output_nr, tensor_ref):
        if self._retained is None:
            self._retained = {}
        self._retained[output_nr] = tensor_ref

    def register_hook(self, hook):
        """Node hook ``hook(grad_inputs, grad_outputs)`` after this node's backward."""
        from .autograd.hooks import RemovableHandle
        if self._post_hooks is None:
            self._post_hooks = {}
        return RemovableHandle(self._post_hooks, hook)

    def register_prehook(self, hook):
        """Node pre-hook ``hook(grad_outputs)``; a returned tuple replaces the grads."""
        from .autograd.hooks import RemovableHandle
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return RemovableHandle(self._pre_hooks, hook)


def _resolve_saved(value, inputs, outputs):
    """An entry (kind, value, version box, version) for one saved array or Tensor."""
    if value is None:
        return _NOTHING_SAVED
    if isinstance(value, Tensor):
        value = value._data
    for x in inputs:
        if isinstance(x, Tensor) and value is x._data:
            box = x._vbox
            return ("input", x, box, box[0])
    for i, out in enumerate(outputs):
        if isinstance(out, Tensor) and value is out._data:
            box = out._vbox
            return ("output", (value, i), box, box[0])
    return ("constant", value, None, None)


_NOTHING_SAVED = ("constant", None, None, None)


class Function(Node):
    """Base class of chainrule's primitive ops (see the module docstring)."""

    is_view = False  # the output shares memory (and version counter) with input 0

    @classmethod
    def apply(cls, *inputs, **params):
        ctx = cls()
        # One pass over the inputs: their arrays, and whether any of them requires grad.
        arrays = []
        record = False
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x._data)
                if x._rg:
                    record = True
            else:
                arrays.append(x)
        try:
            out = ctx.forward(*arrays, **params)
        except (ValueError, IndexError) as err:
            raise _op_error(cls, inputs, err) from None
        if type(out) is not _ndarray:  # NumPy returns scalars from 0-d computations
            converted = B.xp.asarray(out)
            if ctx._saved:
                ctx._saved = tuple(converted if s is out else s for s in ctx._saved)
            out = converted
        if record and _grad_state["enabled"] and out.dtype.kind == "f":
            result = Tensor._make(out, True, ctx, 0)
            ctx._record(inputs, (result,))
        else:
            record = False
            result = Tensor._make(out)
        if cls.is_view:  # the output shares memory, version counter and history with input 0
            _views.register(inputs[0], result, cls, params)
        if apply_hooks:
            for hook in apply_hooks:
                hook(cls, inputs, params, result)
        return result


def _op_error(cls, inputs, err):
    """Re-raise a backend error with the op's name, the input shapes and the user's line."""
    op = cls.__name__.lower()
    shapes = ", ".join(shape_str(x.shape) if isinstance(x, Tensor) else repr(x) for x in inputs)
    message = str(err)
    if "broadcast" in message:
        tensors = [x for x in inputs if isinstance(x, Tensor)]
        return ShapeError(at_user_line(
            f"{op}: shapes {' and '.join(shape_str(t.shape) for t in tensors)} cannot be "
            f"broadcast together (sizes must match or be 1 in every trailing dimension). "
            f"Reshape or unsqueeze one operand so they line up."))
    kind = IndexError if isinstance(err, IndexError) else ShapeError
    return kind(at_user_line(f"{op} on inputs {shapes}: {message}"))


from . import views as _views  # noqa: E402  (views subclasses Function)
