"""Recording one eager call of a function as a ``Graph``.

The function runs normally, eagerly, once. While it runs, every primitive reports
through the one hook in ``Function.apply``; the work chainrule does outside ops
reports through the ``tensor.tracer`` slot: gradient accumulation, in-place
writes, ``.grad`` reads and writes, optimizer and scheduler steps (kept whole),
and every read of tensor values into Python (which stops the trace).

Values are found by the identity of their backend array, so a new Tensor around a
known array (``.detach()``, ``.data``, a saved output) is the same value. A tensor
that existed before the trace is an ``external`` value, read again on every
replay. An array made during the trace outside ops that looks into a known value's
memory (a reshaped index, a broadcast mask) is re-made as that view of it on each
replay (``traced_view``); any other is a ``constant``.

Backward rules run as ops too, so the backward pass is recorded op by op. A rule
that computes part of its gradient in raw NumPy (a mask, a fused formula) makes
arrays no op produced; the tracer then drops what it recorded for that rule and
keeps one ``backward`` node that reruns the rule itself at replay.
"""
import builtins
import sys

from .. import backend as B
from ..function import apply_hooks, Function
from ..tensor import Tensor, tracer as _slot
from .._errors import called_from_library, user_location
from ..ops.array_op import ArrayOp
from ..ops.indexing import BasicIndex, Index
from ..ops.movement import Clone
from .errors import TraceError
from .graph import Graph, Node, Ref
from .traced_view import ViewOf, find_window


class _BackwardFrame:
    __slots__ = ("start", "first_value", "first_birth", "raw")

    def __init__(self, start, first_value, first_birth):
        self.start = start
        self.first_value = first_value
        self.first_birth = first_birth   # tensors born from here on were made by this rule
        self.raw = False


class Tracer:
    """Records a Graph while a function runs eagerly (use as a context manager)."""

    def __init__(self, record_values=False):
        self.graph = Graph()
        self.recorded = {} if record_values else None   # value id -> a copy, made when it was made
        self.values = {}          # id(array) -> value id
        self.arrays = []          # the arrays of the values, in order
        self.keep = []            # arrays and tensors the ids refer to, kept alive for the trace
        self.born = {}            # id(tensor) -> birth number, for tensors created during the trace
        self.frames = []          # open backward rules
        self.suspended = 0        # > 0 inside a call replayed whole (optimizer.step)
        self.forward_nodes = {}   # id(graph node of autograd) -> the op Node that made it
        self.grad_events = {}     # id(var) -> (var, first event, grad was None then)
        self.modules = {}         # id(module) -> module, every module that ran
        self.ran_backward = False # a backward pass (backward() or autograd.grad) ran in the call
        self.sized_by_values = {} # value id -> the op that made it, whose output size depends on values
        self.hooks = []           # the forward hooks running now, innermost last (hooks.HookCall)
        self.hook_calls = []      # every hook call of the trace, to settle at its end
        self.observer = None      # the ReadObserver of the call, if any (reads.py)
        self.outside = {}         # id(tensor) -> tensor: tensors from before the call that it read

    @property
    def recording(self):
        return self.suspended == 0

    # ------------------------------------------------------------ on and off

    def __enter__(self):
        if _slot[0] is not None:
            raise TraceError("chainrule.compile: a compiled function was called while another one "
                             "was being traced; compile the outer function only")
        self._saved_make, self._saved_init = Tensor.__dict__["_make"], Tensor.__init__
        self._saved_print = builtins.print
        tracer = self
        make = self._saved_make.__func__

        def stamped_make(cls, array, requires_grad=False, grad_fn=None, output_nr=0):
            t = make(cls, array, requires_grad, grad_fn, output_nr)
            tracer.born[id(t)] = len(tracer.born)
            tracer.keep.append(t)
            return t

        init = self._saved_init

        def stamped_init(t, *args, **kwargs):
            init(t, *args, **kwargs)
            tracer.born[id(t)] = len(tracer.born)
            tracer.keep.append(t)

        Tensor._make = classmethod(stamped_make)
        Tensor.__init__ = stamped_init
        self._saved_size_readers = {name: Tensor.__dict__[name] for name in _SIZE_READERS}
        for name, reader in self._saved_size_readers.items():
            setattr(Tensor, name, _checked_size_reader(reader, self))
        builtins.print = self._print
        apply_hooks.append(self._on_op)
        from ..nn import module
        self._module_tracking = module.track_module_calls(True)
        module.module_call_hooks.append(self._on_module)
        _slot[0] = self
        return self

    def __exit__(self, *exc):
        _slot[0] = None
        from ..nn import module
        module.module_call_hooks.remove(self._on_module)
        module.track_module_calls(self._module_tracking)
        apply_hooks.remove(self._on_op)
        builtins.print = self._saved_print
        Tensor._make = self._saved_make
        Tensor.__init__ = self._saved_init
        for name, reader in self._saved_size_readers.items():
            setattr(Tensor, name, reader)
        return False

    # ------------------------------------------------------------ values

    def _new_value(self, array):
        vid = self.graph.new_value()
        self.values[id(array)] = vid
        self.keep.append(array)
        self.arrays.append(array)
        if self.recorded is not None:
            self.recorded[vid] = array.copy()
        return vid

    def value_of(self, tensor):
        """The value id of a tensor, adding an ``external`` or ``constant`` source if it is new."""
        array = tensor._data
        vid = self.values.get(id(array))
        birth = self.born.get(id(tensor))
        if birth is None and id(tensor) not in self.outside:   # a tensor from before the call
            self.outside[id(tensor)] = tensor
        if vid is not None:
            return vid
        if birth is not None:
            vid = self._view_value(array)
            if vid is not None:
                return vid
            if self.frames and birth >= self.frames[-1].first_birth:
                self.frames[-1].raw = True   # made by the running backward rule outside ops
            # a copy: the call may write into the tensor after this read (zeros(...).scatter_(...))
            node = Node("constant", args=[array.copy()], site=user_location())
        else:
            node = Node("external", target=tensor)
        vid = self._new_value(array)
        self._source(node, vid, array)
        return vid

    def _grad_value(self, var, grad):
        """The value of ``var``'s gradient tensor ``grad`` (a ``grad_of`` source if it predates the trace)."""
        vid = self.values.get(id(grad._data))
        if vid is None:
            vid = self._new_value(grad._data)
            self._source(Node("grad_of", target=var), vid, grad._data)
        return vid

    def _source(self, node, vid, array):
        node.outputs, node.shapes, node.dtypes = [vid], [array.shape], [array.dtype]
        self.graph.add(node)

    def _view_value(self, array):
        """The value of ``array`` as a ``ViewOf`` node if it looks into a known value, else None."""
        window = find_window(array, reversed(self.arrays))
        if window is None:
            return None
        source, params = window
        remade = ViewOf().forward(source, **params)
        if (remade.__array_interface__["data"][0], remade.shape, remade.strides) != \
                (array.__array_interface__["data"][0], array.shape, array.strides):
            return None
        vid = self._new_value(array)
        self.graph.add(Node("op", ViewOf, [Ref(self.values[id(source)])], params, [vid], [array.shape],
                            [array.dtype], site=user_location()))
        return vid

    def _arg(self, x):
        """A Ref for a tensor, or for an array some node made or looks into (an index passed as a
        parameter, also inside an index tuple); other arguments as they are."""
        if isinstance(x, Tensor):
            return Ref(self.value_of(x))
        if isinstance(x, B.xp.ndarray):
            vid = self.values.get(id(x))
            if vid is None:
                vid = self._view_value(x)
            return x if vid is None else Ref(vid)
        if type(x) in (tuple, list):
            return type(x)(self._arg(item) for item in x)
        return x

    # ------------------------------------------------------------ ops

    def _on_op(self, cls, inputs, params, result):
        if self.suspended:
            return
        raw_params = params
        args = [self._arg(x) for x in inputs]
        params = {k: self._arg(v) for k, v in params.items()}
        array = result._data
        node = Node("op", cls, args, params, [None], [array.shape], [array.dtype], site=user_location())
        sized = [v for v in node.refs() if v in self.sized_by_values]
        if sized and cls not in (BasicIndex, Index):   # x[mask][0] keeps the size open; x[mask].mean() does not
            self._computes_on_sized(cls, self.sized_by_values[sized[0]])
        vid = node.outputs[0] = self._new_value(array)
        self.graph.add(node)
        if sized or _sized_by_values(cls, raw_params, params):
            self.sized_by_values[vid] = self.sized_by_values[sized[0]] if sized else cls.__name__
        if result.grad_fn is not None:
            self.forward_nodes[id(result.grad_fn)] = node
            self.keep.append(result.grad_fn)

    def size_read(self, tensor, caller):
        """Code at frame ``caller`` reads a tensor's size (.shape, len): not allowed in user code
        when the size depends on values."""
        if not self.sized_by_values or self.suspended:
            return
        maker = self.sized_by_values.get(self.values.get(id(tensor._data)))
        if maker is None or called_from_library(caller):
            return
        raise TraceError(
            f"chainrule.compile: reading the size of a tensor whose size depends on values (made by "
            f"{maker}: a boolean mask index, masked_select, nonzero, where(condition)).\n  at "
            f"{user_location()}\nA compiled graph would reuse the size seen now on every later call. Count "
            f"with tensor ops (mask.sum()), or return the tensor and read its size outside.")

    def _computes_on_sized(self, cls, maker):
        raise TraceError(
            f"chainrule.compile: {cls.__name__} computes on a tensor whose size depends on values "
            f"(made by {maker}: a boolean mask index, masked_select, nonzero, where(condition)).\n"
            f"  at {user_location()}\nA compiled graph has fixed shapes, so a later call with a "
            f"different count would be computed wrongly. Keep the shape fixed (masked sums: "
            f"chainrule.where(mask, x, 0).sum() / mask.sum()), or return the masked tensor and "
            f"compute on it outside the compiled function.")

    def _on_module(self, module):
        self.modules[id(module)] = module

    # ------------------------------------------------------------ backward

    def backward(self, node, slots, call_backward):
        """Run one backward rule, recording its ops, or one ``backward`` node if it computes raw."""
        if self.suspended:
            return call_backward(node, slots)
        if id(node) not in self.forward_nodes:
            raise TraceError(
                f"chainrule.compile: backward() reaches {node.name()}, made before the compiled function "
                f"was called, so a replay would differentiate the traced call's graph again.\n  at "
                f"{user_location()}\nCompute the loss inside the compiled function (compile the whole "
                f"training step), or call backward() outside it.")
        self.ran_backward = True
        frame = _BackwardFrame(len(self.graph.nodes), self.graph.value_count, len(self.born))
        self.frames.append(frame)
        received = []
        rule = node.backward

        def spy(*grad_outputs):
            received.extend(grad_outputs)
            return rule(*grad_outputs)

        node.backward = spy
        try:
            grads = call_backward(node, slots)
        finally:
            del node.backward
            self.frames.pop()
        forward = self.forward_nodes.get(id(node))
        custom = forward is not None and forward.kind == "custom"   # it may keep tensors on ctx: rerun it
        raw = custom or frame.raw or any(g is not None and id(g._data) not in self.values for g in grads)
        if raw:
            self._keep_rule_whole(node, frame, received, grads)
        return grads

    def _keep_rule_whole(self, node, frame, received, grads):
        forward = self.forward_nodes[id(node)]   # recorded: backward() checked it
        self._forget_since(frame)
        forward.pinned = True
        args = [Ref(self.value_of(g)) for g in received]
        outputs, shapes, dtypes = [], [], []
        for g in grads:
            if g is None:
                outputs.append(None)
                shapes.append(None)
                dtypes.append(None)
            else:
                outputs.append(self._new_value(g._data))
                shapes.append(g._data.shape)
                dtypes.append(g._data.dtype)
        backward = Node("backward", type(node), args, outputs=outputs, shapes=shapes, dtypes=dtypes,
                        site=forward.site, target=forward)
        backward.params = {"needs_input_grad": tuple(node.needs_input_grad)}
        self.graph.add(backward)

    # ------------------------------------------------------------ custom autograd.Function

    def begin_custom(self):
        frame = _BackwardFrame(len(self.graph.nodes), self.graph.value_count, len(self.born))
        self.frames.append(frame)
        return frame

    def end_custom(self, frame, cls, ctx, args, kwargs, outputs):
        """Replace what the custom forward recorded with one node that reruns it whole."""
        self.frames.remove(frame)
        self._forget_since(frame)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        node = Node("custom", cls, [self._arg(a) for a in args], dict(kwargs), site=user_location())
        for out in outputs:
            if isinstance(out, Tensor):
                node.outputs.append(self._new_value(out._data))
                node.shapes.append(out._data.shape)
                node.dtypes.append(out._data.dtype)
            else:
                node.outputs.append(None)
                node.shapes.append(None)
                node.dtypes.append(None)
        node.target = ctx
        self.graph.add(node)
        self.forward_nodes[id(ctx)] = node
        self.keep.append(ctx)

    def _forget_since(self, frame):
        del self.graph.nodes[frame.start:]
        for key in [k for k, v in self.values.items() if v >= frame.first_value]:
            del self.values[key]
        for v in [v for v in self.sized_by_values if v >= frame.first_value]:
            del self.sized_by_values[v]
        # the numbers are given again: a rule that makes more or fewer values inside (its path
        # depends on values) leaves the numbering after it the same, which check=True relies on
        self.graph.value_count = frame.first_value

    # ------------------------------------------------------------ gradients

    def _first_grad_event(self, var, event):
        if id(var) not in self.grad_events:
            self.grad_events[id(var)] = (var, event, var._grad is None)
            self.keep.append(var)

    def accumulated(self, var, grad, old, create_graph):
        """AccumulateGrad ran: ``var._grad`` is now a copy of grad, ``old + grad``, or old (added into)."""
        if self.suspended:
            return
        if id(var) not in self.grad_events:
            self.grad_events[id(var)] = (var, "accumulate", old is None)
            self.keep.append(var)
        site = user_location()
        if create_graph and old is not None:
            # the sum old + grad is made by the engine, outside ops: a replay would store grad alone
            raise TraceError(
                f"chainrule.compile: backward(create_graph=True) adds into a .grad that already holds a "
                f"value (shape {tuple(old.shape)}).\n  at {site}\nA replay would store the new gradient "
                f"without the old one. Clear the gradients (optimizer.zero_grad() or p.grad = None) inside "
                f"the compiled function before this backward, or use chainrule.autograd.grad.")
        if old is None and not create_graph:
            array = var._grad._data
            vid = self._new_value(array)
            self.graph.add(Node("accumulate", args=[Ref(self.value_of(grad))], outputs=[vid],
                                shapes=[array.shape], dtypes=[array.dtype], site=site, target=var))
        elif old is None or create_graph or old._rg:
            self.graph.add(Node("set_grad", args=[Ref(self.value_of(var._grad))], site=site, target=var))
        else:
            target = Ref(self._grad_value(var, old))
            self.graph.add(Node("inplace", B.xp.add, [target, Ref(self.value_of(grad))],
                                params={"casting": "unsafe"}, site=site, target=var))

    def grad_read(self, var):
        if self.suspended:
            return
        self._first_grad_event(var, "read")
        if var._grad is not None:
            self._grad_value(var, var._grad)

    def grad_set(self, var, value):
        if self.suspended:
            return
        self._first_grad_event(var, "set")
        arg = None if value is None else Ref(self.value_of(value))
        self.graph.add(Node("set_grad", args=[arg], site=user_location(), target=var))

    # ------------------------------------------------------------ in-place writes

    def copied(self, copy, source):
        """``copy`` was made from ``source`` outside ops (the snapshot before an in-place op)."""
        if self.suspended:
            return
        vid = self._new_value(copy._data)
        self.graph.add(Node("op", Clone, [Ref(self.value_of(source))], outputs=[vid],
                            shapes=[copy._data.shape], dtypes=[copy._data.dtype], site=user_location()))

    def assigned(self, target, result):
        if self.suspended:
            return
        self.graph.add(Node("assign", args=[Ref(self.value_of(target)), Ref(self.value_of(result))],
                            site=user_location(), target=target))

    def sees(self, tensor):
        """Library code is about to use ``tensor``'s array raw (an index passed as an op parameter,
        a target written in place): make it a known value now, an input, an external read afresh on
        each replay, or a constant as it is before the write."""
        if not self.suspended:
            self.value_of(tensor)

    def wrote_in_place(self, target, ufunc, other):
        if self.suspended:
            return
        self.graph.add(Node("inplace", ufunc, [Ref(self.value_of(target)), self._arg(other)],
                            site=user_location(), target=target))

    # ------------------------------------------------------------ Python side

    def value_escapes(self, tensor, what):
        """A tensor's values are read into Python: the graph cannot follow them."""
        if self.suspended:
            return
        if self.hooks:    # fine in a hook that a replay calls again (hooks.py)
            self.hooks[-1].read_values = self.hooks[-1].read_values or what
            return
        advice = next((text for start, text in _ADVICE if what.startswith(start)), _DEFAULT_ADVICE)
        raise TraceError(
            f"chainrule.compile: {what} needs a tensor's values in Python while tracing (tensor of "
            f"shape {tuple(tensor.shape)}).\n  at {user_location()}\nA compiled graph replays tensor "
            f"ops only, so the value seen now would be reused on every later call. {advice}")

    def call_opaque(self, method, *args):
        """Run ``method(*args)`` now and record it to be called again, whole, on every replay."""
        owner = getattr(method, "__self__", None)
        name = (f"{type(owner).__name__}.{method.__name__}" if owner is not None
                else getattr(method, "__qualname__", repr(method)))
        for a in args:
            if isinstance(a, Tensor):
                raise TraceError(
                    f"chainrule.compile: {name}() receives a tensor ({tuple(a.shape)}) while tracing; its "
                    f"value would be frozen into the graph.\n  at {user_location()}\nCall it outside the "
                    f"compiled function (for example after it returns the metric).")
            if callable(a):
                raise TraceError(
                    f"chainrule.compile: {name}(closure) re-evaluates Python code that the graph cannot "
                    f"replay.\n  at {user_location()}\nCompute the loss and call backward() inside the "
                    f"compiled function, then call step() without a closure.")
        node = Node("call", method, list(args), site=user_location())
        node.label = name
        self.graph.add(node)
        self.suspended += 1
        try:
            return method(*args)
        finally:
            self.suspended -= 1

    def run_hook(self, hook, module, args, *output):
        """A module's forward hook (with ``output``) or pre-hook runs now (see hooks.py)."""
        if self.suspended:
            return hook(module, args, *output)
        from .hooks import run_hook
        return run_hook(self, hook, module, args, *output)

    def _print(self, *args, **kwargs):
        """``print`` while tracing: printed now, and recorded to print the new values on each replay."""
        if not self.suspended:
            looks = [_TensorLook(a) if isinstance(a, Tensor) else None for a in args]
            recorded = [Ref(self.value_of(a)) if isinstance(a, Tensor) else a for a in args]
            node = Node("call", _replay_print(self._saved_print, looks), recorded, params=dict(kwargs),
                        site=user_location())
            node.label = "print"
            self.graph.add(node)
        self.suspended += 1
        try:
            self._saved_print(*args, **kwargs)
        finally:
            self.suspended -= 1


class _TensorLook:
    """How a printed tensor showed its autograd state (``grad_fn=<MulBackward0>``), to print it alike."""

    def __init__(self, tensor):
        self.grad_fn_name = tensor.grad_fn.name() if tensor.grad_fn is not None else None
        self.requires_grad = tensor._rg

    def name(self):
        return self.grad_fn_name

    def dress(self, array):
        shown = Tensor._make(array)
        shown._rg = self.requires_grad
        shown.grad_fn = self if self.grad_fn_name is not None else None
        return shown


def _replay_print(print_function, looks):
    """``print`` of a replay: tensors' arrays shown as the traced call showed the tensors."""
    def print_again(*args, **kwargs):
        shown = [look.dress(a) if look is not None else a for a, look in zip(args, looks)]
        print_function(*shown, **kwargs)
    print_again.__qualname__ = "print"
    print_again.python_effect = True
    return print_again


_DEFAULT_ADVICE = "Return the tensor and read its value outside the compiled function."
_ADVICE = [
    ("using a tensor as a Python bool",
     "Write the choice with tensor ops (chainrule.where(condition, a, b)), or make the decision "
     "outside the compiled function and call one compiled function per branch."),
    ("formatting a tensor",
     "print(tensor) itself is replayed with the new values: pass the tensor to print as its own "
     "argument, or return it and format it outside."),
    ("indexing with a 0-d integer tensor",
     "A 0-d index acts as a Python int. Index with a 1-element tensor and drop the dimension "
     "(x[i.reshape(1)].squeeze(0)), or use index_select or gather."),
    ("using a tensor as a Python index",
     "Index with the tensor itself (x[index_tensor], gather, index_select) instead of a Python int."),
    ("a data transform",
     "Apply transforms to the samples in the Dataset or DataLoader, before the compiled step."),
    ("assigning .data",
     "Write into the tensor in place instead: with chainrule.no_grad(): tensor.copy_(value)."),
]


# Tensor attributes that read a size; while tracing they ask the tracer first (Tracer.size_read).
_SIZE_READERS = ("shape", "size", "numel", "nelement", "__len__")


def _checked_size_reader(reader, tracer):
    """``reader`` (a method or property of Tensor) that first lets ``tracer`` see the read."""
    if isinstance(reader, property):
        def read_shape(tensor):
            tracer.size_read(tensor, sys._getframe(1))
            return reader.fget(tensor)
        return property(read_shape)

    def read(tensor, *args, **kwargs):
        tracer.size_read(tensor, sys._getframe(1))
        return reader(tensor, *args, **kwargs)
    return read


def is_random_op(fn):
    return isinstance(fn, type) and issubclass(fn, Function) and getattr(fn, "is_random", False)


def _sized_by_values(cls, raw_params, params):
    """Whether an op's output size depends on its inputs' values: an index by a traced boolean
    mask, or a function marked ``sized_by_values`` (nonzero)."""
    if cls is ArrayOp:
        return getattr(raw_params.get("fn"), "sized_by_values", False)
    if cls is Index:
        return any(isinstance(raw, B.xp.ndarray) and raw.dtype == bool and raw.ndim > 0 and isinstance(ref, Ref)
                   for raw, ref in zip(raw_params["index"], params["index"]))
    return False
