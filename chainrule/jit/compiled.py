"""``CompiledFunction``: the cache of traces, the guards that pick one, the recompile log.

The first call traces (the function runs eagerly once, so its result is the eager
result), optimizes the graph and generates the replay. Later calls check the
guards of each cached trace and replay the first that holds; when none holds, the
function is traced again and the reason is logged in plain words.
"""
import logging
import time
import warnings
from collections import Counter

from ..tensor import Tensor
from .._errors import user_location
from .codegen import generate
from .errors import TraceError
from .graph import Node, Ref
from .guards import Guards, snapshot_captured_state, mutation_in, captured_names, _safe
from .passes import optimize
from .tracer import Tracer

log = logging.getLogger("chainrule.compile")

REPEATED_RECOMPILES = 4   # warn from this many retraces on


_NO_ARGUMENTS = ("tuple", ("tuple",), ("dict",))


class _Slot:
    """Where tensor input ``index`` sat in the arguments."""
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index

    def __eq__(self, other):
        return isinstance(other, _Slot) and other.index == self.index

    def __hash__(self):
        return hash(("slot", self.index))

    def __repr__(self):
        return f"<tensor {self.index}>"


def flatten(obj, tensors):
    """``obj`` with each tensor replaced by a _Slot (tensors collected in order)."""
    if isinstance(obj, Tensor):
        tensors.append(obj)
        return _Slot(len(tensors) - 1)
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(flatten(x, tensors) for x in obj)
    if isinstance(obj, dict):
        return {k: flatten(v, tensors) for k, v in obj.items()}
    return obj


def _literal_key(structure):
    """A hashable key of the non-tensor arguments (unhashable ones by identity)."""
    if isinstance(structure, (list, tuple)):
        return (type(structure).__name__,) + tuple(_literal_key(x) for x in structure)
    if isinstance(structure, dict):
        return ("dict",) + tuple((k, _literal_key(v)) for k, v in structure.items())
    try:
        hash(structure)
        return structure
    except TypeError:
        return ("id", id(structure))


def _replace_tensors(obj, tracer):
    """The returned object with each tensor replaced by a Ref to its value."""
    if isinstance(obj, Tensor):
        return Ref(tracer.value_of(obj))
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(_replace_tensors(x, tracer) for x in obj)
    if isinstance(obj, dict):
        return {k: _replace_tensors(v, tracer) for k, v in obj.items()}
    return obj


def _rebuild(structure, arrays, position):
    if isinstance(structure, Ref):
        return Tensor._make(arrays[position[structure.id]])
    if isinstance(structure, (list, tuple)):
        return type(structure)(_rebuild(x, arrays, position) for x in structure)
    if isinstance(structure, dict):
        return {k: _rebuild(v, arrays, position) for k, v in structure.items()}
    return structure


class Trace:
    """One cached trace: its guards, graphs (as traced and optimized) and replay."""

    def __init__(self, guards, traced, graph, replay, seconds):
        self.guards = guards
        self.traced = traced        # the graph as recorded
        self.graph = graph          # after the optimization passes
        self.replay = replay
        self.compile_seconds = seconds
        outputs = graph.output_refs()
        self.position = {vid: k for k, vid in enumerate(outputs)}
        structure = graph.output_structure
        self.single = isinstance(structure, Ref)

    def run(self, tensors):
        arrays = self.replay([t._data for t in tensors])
        if self.single:
            return Tensor._make(arrays[0])
        return _rebuild(self.graph.output_structure, arrays, self.position)


class CompiledFunction:
    """A function that traces once per guard set and replays its optimized graph."""

    def __init__(self, fn, *, dynamic=False, check=False, cache_size=8, optimize=True, modules=()):
        self.fn = fn
        self.dynamic = dynamic
        self.check = check
        self.cache_size = cache_size
        self.optimize = optimize
        self.roots = list(modules) or [v for _, get in captured_names(fn) for v in [_safe(get)]
                                       if _is_module(v)]
        self.traces = []
        self.recompiles = []          # the reason of every trace after the first
        self._warned = False
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__wrapped__ = fn

    # ------------------------------------------------------------ what users read

    @property
    def graph(self):
        """The optimized graph of the most recent trace (prints as a listing)."""
        if not self.traces:
            raise RuntimeError(f"chainrule.compile: {self.__name__} has not been called yet, so it "
                               f"has no graph; call it once with example inputs")
        return self.traces[0].graph

    @property
    def traced_graph(self):
        """The graph of the most recent trace as recorded, before the optimization passes."""
        self.graph
        return self.traces[0].traced

    @property
    def compile_seconds(self):
        return self.traces[0].compile_seconds if self.traces else None

    # ------------------------------------------------------------ calling

    def __call__(self, *args, **kwargs):
        if args or kwargs:
            tensors = []
            literals = _literal_key(flatten((args, kwargs), tensors))
        else:
            tensors, literals = [], _NO_ARGUMENTS
        for position, trace in enumerate(self.traces):
            if trace.guards.check(tensors, literals):
                if position:
                    self.traces.insert(0, self.traces.pop(position))
                if self.check:
                    from .check import run_checked
                    return run_checked(self, trace, args, kwargs, tensors)
                return trace.run(tensors)
        reason = self.traces[0].guards.describe_change(tensors, literals) if self.traces else None
        return self._trace(args, kwargs, tensors, literals, reason)

    def _trace(self, args, kwargs, tensors, literals, reason):
        start = time.perf_counter()
        names = self._module_names()
        snapshot = snapshot_captured_state(self.fn, [m for r in self.roots for m in r.modules()])
        tracer = Tracer()
        with tracer:
            for i, t in enumerate(tensors):
                if id(t._data) not in tracer.values:
                    vid = tracer._new_value(t._data)
                    tracer._source(Node("input", args=[i]), vid, t._data)
            result = self.fn(*args, **kwargs)
            output_structure = _replace_tensors(result, tracer)
        traced_seconds = time.perf_counter() - start
        mutation = mutation_in(snapshot, None, names)
        if mutation:
            raise TraceError(
                f"chainrule.compile: the traced call of {self.__name__} {mutation}.\n  at "
                f"{user_location()}\nPython side effects run only while tracing, not on replays, so "
                f"later calls would silently skip them. Return the value from the function and "
                f"update the Python state outside it.")
        graph = tracer.graph
        graph.output_structure = output_structure
        graph.escaping.update(graph.output_refs())
        graph.grads_none_at_entry = {id(var) for var, event, was_none in tracer.grad_events.values()
                                     if was_none and event != "set"}
        guards = Guards(tensors, literals, self.fn, tracer.modules.values(), tracer.grad_events.values(),
                        names)
        optimized, buffers = optimize(graph) if self.optimize else (graph, ())
        replay = generate(optimized, buffers)
        seconds = time.perf_counter() - start
        trace = Trace(guards, graph, optimized, replay, seconds)
        trace.buffers = buffers
        trace.trace_seconds = traced_seconds
        self.traces.insert(0, trace)
        if len(self.traces) > self.cache_size:
            dropped = self.traces.pop()
            warnings.warn(f"chainrule.compile: {self.__name__} holds more than cache_size="
                          f"{self.cache_size} traces; dropped the least recently used one")
            del dropped
        if reason is not None:
            self._log_recompile(reason)
        return result

    def _log_recompile(self, reason):
        self.recompiles.append(reason)
        log.info("chainrule.compile: tracing %s again: %s", self.__name__, reason)
        if len(self.recompiles) >= REPEATED_RECOMPILES and not self._warned:
            self._warned = True
            kinds = Counter(" ".join(r.split()[:3]) for r in self.recompiles)
            what, count = kinds.most_common(1)[0]
            hint = (" Pass dynamic=True to chainrule.compile so one graph serves every batch size."
                    if "shape" in what else "")
            warnings.warn(
                f"chainrule.compile: {self.__name__} was traced again {len(self.recompiles)} times; "
                f"{what} changed {count} of them (last: {self.recompiles[-1]}).{hint}", stacklevel=3)

    def _module_names(self):
        names = {}
        for root in self.roots:
            for path, module in root.named_modules():
                names.setdefault(id(module), f"`{path}` ({type(module).__name__})" if path
                                 else type(module).__name__)
        return names


def _is_module(value):
    from ..nn.module import Module
    return isinstance(value, Module)
