"""``CompiledFunction``: the cache of traces, the guards that pick one, the recompile log.

The first call traces (the function runs eagerly once, so its result is the eager
result), optimizes the graph and generates the replay. Later calls check the
guards of each cached trace and replay the first that holds; when none holds, the
function is traced again and the reason is logged in plain words.
"""
import logging
import random
import time
import types
import warnings
from collections import Counter, OrderedDict

import numpy

from ..tensor import Tensor, tracer as _tracing
from .._errors import user_location
from .codegen import generate
from .dynamic import NotDynamic, batch_change, instantiate, smallest_batch, symbolic_template
from .errors import TraceError
from .graph import Node, Ref, same_kind, walk_refs
from .captured import _IDENTITY_ONLY, _safe, captured_names, is_plain_value, plain_attributes, same_plain
from .guards import Guards, Reason
from .side_effects import (hyperparameter_change, mutation_in, rebound_tensors, snapshot_captured_state,
                           snapshot_hyperparameters, snapshot_tensor_attributes)
from .passes import optimize
from .argument_effects import apply_effects, argument_effects, snapshot_arguments
from .hooks import settle_hooks
from .reads import ReadObserver
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
    if isinstance(obj, (list, tuple)):
        return same_kind(obj, [flatten(x, tensors) for x in obj])
    if isinstance(obj, dict):
        return {k: flatten(v, tensors) for k, v in obj.items()}
    return obj


def _literal_key(structure):
    """A hashable key of the non-tensor arguments: plain values by type and value, NumPy
    arrays by contents, other objects by identity and the plain values of their attributes
    (a config object whose ``lr`` changed is a new key)."""
    if isinstance(structure, (list, tuple)):
        return (type(structure).__name__,) + tuple(_literal_key(x) for x in structure)
    if isinstance(structure, dict):
        return ("dict",) + tuple((k, _literal_key(v)) for k, v in structure.items())
    if isinstance(structure, _Slot):
        return structure
    if isinstance(structure, numpy.ndarray):
        return ("array", _Same(structure), structure.shape, structure.dtype.str, structure.tobytes())
    if isinstance(getattr(structure, "__dict__", None), dict) and not isinstance(structure, _IDENTITY_ONLY):
        return ("object", _Same(structure), tuple(sorted(plain_attributes(structure).items())))
    try:
        hash(structure)
    except TypeError:
        return ("object", _Same(structure))
    return _Literal(structure)


class _Same:
    """An argument compared by identity (held, so that its id is not reused)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return isinstance(other, _Same) and other.value is self.value

    def __hash__(self):
        return id(self.value)

    def __repr__(self):
        return f"<{type(self.value).__name__} object>"


class _Literal:
    """A hashable argument compared by type and value: ``2``, ``2.0`` and ``True`` trace apart."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return isinstance(other, _Literal) and same_plain(other.value, self.value)   # -0.0 is not 0.0

    def __hash__(self):
        return hash(self.value)

    def __repr__(self):
        return repr(self.value)


def _replace_tensors(obj, tracer):
    """The returned object with each tensor replaced by a Ref to its value."""
    if isinstance(obj, Tensor):
        return Ref(tracer.value_of(obj))
    if isinstance(obj, (list, tuple)):
        return same_kind(obj, [_replace_tensors(x, tracer) for x in obj])
    if isinstance(obj, dict):
        return {k: _replace_tensors(v, tracer) for k, v in obj.items()}
    return obj


def _rebuild(structure, outputs):
    """The returned object with each Ref replaced by the next output tensor (``outputs``: an iterator)."""
    if isinstance(structure, Ref):
        return next(outputs)
    if isinstance(structure, (list, tuple)):
        return same_kind(structure, [_rebuild(x, outputs) for x in structure])
    if isinstance(structure, dict):
        return {k: _rebuild(v, outputs) for k, v in structure.items()}
    return structure


def _returned_tensors(result):
    """The tensors of the returned object, in the order of its Refs (graph.output_refs)."""
    if isinstance(result, Tensor):
        yield result
    elif isinstance(result, (list, tuple)):
        for item in result:
            yield from _returned_tensors(item)
    elif isinstance(result, dict):
        for item in result.values():
            yield from _returned_tensors(item)


def _with_note(reason, note):
    """``reason`` (a guards.Reason) with ``note`` appended, keeping its subject."""
    noted = Reason(reason + note)
    noted.subject = getattr(reason, "subject", "")
    return noted


def _modules_in(structure):
    """The modules among the arguments (also inside lists, tuples and dicts)."""
    if _is_module(structure):
        yield structure
    elif isinstance(structure, (list, tuple)):
        for item in structure:
            yield from _modules_in(item)
    elif isinstance(structure, dict):
        for item in structure.values():
            yield from _modules_in(item)


def _replay_python_effects(graph, tracer, snapshot, rebound):
    """Add the call nodes that redo, on each replay, the Python effects a replay can redo:
    ``train()``/``eval()`` and tensor attributes bound to new values. Returns, for the modules
    whose mode the call switched, the mode they had when it began (what the guards check)."""
    entry_modes = {}
    for module, before in snapshot[1]:
        if before.get("training") != module.__dict__.get("training"):
            node = graph.add(Node("call", _set_training, [module, module.training], site=user_location()))
            node.label = "train" if module.training else "eval"
            entry_modes[id(module)] = before.get("training")
    for obj, key, tensor in rebound:
        value = tracer.value_of(tensor)
        node = graph.add(Node("call", _bind_attribute, [obj, key, Ref(value)], site=user_location()))
        node.label = "setattr"
        graph.escaping.add(value)
    return entry_modes


def _set_training(module, mode):
    """``module.training = mode``, as the traced call left it (one module; its children have their own)."""
    module.training = mode


def _bind_attribute(obj, key, array):
    """``obj.key = tensor``, as the traced call bound it (``weight_norm``'s recomputed weight)."""
    setattr(obj, key, Tensor._make(array))


class Trace:
    """One cached trace: its guards, graphs (as traced and optimized) and replay."""

    needs_graph = False    # True: the call's output needs an autograd graph, so it runs eagerly

    def __init__(self, guards, traced, built, seconds, returned=(), inputs=(), outside=(), effects=()):
        self.guards = guards
        self.traced = traced        # the graph as recorded
        self.graph, self.buffers, self.replay = built   # after the optimization passes
        self.compile_seconds = seconds
        # the graph returns the function's result, then the tensors the effects on its arguments store
        self.effects = list(effects)
        self.structure = traced.output_structure[0] if self.effects else traced.output_structure
        self.returned_count = sum(1 for _ in walk_refs(self.structure))
        self.single = isinstance(self.structure, Ref)
        # ``returned``: the tensors the traced call returned, in output order. Where it returned a
        # tensor it was given, or one from before the call (a parameter), each replay returns that
        # same object, as eager code does; a tensor returned twice is the same object twice
        self.returned_inputs, self.returned_outside, self.repeated = {}, {}, {}
        # a returned `.grad` is whichever tensor the owner's `.grad` holds after the replay
        owners = {id(t._grad): t for t in list(outside.values()) + list(inputs) if getattr(t, "_grad", None) is not None}
        self.returned_grads = {}
        for k, tensor in enumerate(returned):
            earlier = next((j for j in range(k) if returned[j] is tensor), None)
            i = next((i for i, t in enumerate(inputs) if t is tensor), None)
            if id(tensor) in owners:
                self.returned_grads[k] = owners[id(tensor)]
            elif earlier is not None:
                self.repeated[k] = earlier
            elif i is not None:
                self.returned_inputs[k] = i
            elif id(tensor) in outside:
                self.returned_outside[k] = tensor
        self.plain = not (self.returned_inputs or self.returned_outside or self.repeated or self.effects
                          or self.returned_grads)

    def select(self, tensors):
        """Make the replay for these inputs current (one replay here; one per batch size when dynamic)."""

    def run(self, tensors, args=(), kwargs=None):
        arrays = self.replay([t._data for t in tensors], tensors)
        if self.single and self.plain:
            return Tensor._make(arrays[0])
        outputs = [Tensor._make(array) for array in arrays]
        if not self.plain:
            for k, i in self.returned_inputs.items():
                outputs[k] = tensors[i]
            for k, tensor in self.returned_outside.items():
                outputs[k] = tensor
            for k, earlier in self.repeated.items():
                outputs[k] = outputs[earlier]
            for k, owner in self.returned_grads.items():
                outputs[k] = owner.grad
        if self.effects:
            apply_effects(self.effects, args, kwargs or {}, tensors, iter(outputs[self.returned_count:]))
        if self.single:
            return outputs[0]
        return _rebuild(self.structure, iter(outputs))


class DynamicTrace(Trace):
    """One trace for every batch size: a graph with the symbol B, filled in per size on demand."""

    def __init__(self, guards, template, first, size_first, second, size_second, build, cache_size):
        self.guards = guards
        self.template = template     # the graph with B in it (see dynamic.py)
        self.build = build
        self.cache_size = max(cache_size, 2)
        self.batch_input = guards.symbolic[0]
        self.compile_seconds = second.compile_seconds
        self.single, self.plain, self.effects = second.single, second.plain, second.effects
        self.structure, self.returned_count = second.structure, second.returned_count
        self.returned_inputs, self.returned_outside, self.repeated = (second.returned_inputs, second.returned_outside,
                                                                     second.repeated)
        self.returned_grads = second.returned_grads
        self.sizes = OrderedDict()   # batch size -> (traced graph, optimized graph, buffers, replay)
        for size, trace in ((size_first, first), (size_second, second)):
            self.sizes[size] = (trace.traced, trace.graph, trace.buffers, trace.replay)
        self.size = None
        self.confirmed = False
        self._use(size_second)

    def _use(self, size):
        if size != self.size:
            if size not in self.sizes:
                traced = instantiate(self.template, size)
                self.sizes[size] = (traced,) + self.build(traced)
                log.debug("chainrule.compile: filled in the dynamic graph for batch size %d", size)
                if len(self.sizes) > self.cache_size:
                    self.sizes.popitem(last=False)
            self.sizes.move_to_end(size)
            self.traced, self.graph, self.buffers, self.replay = self.sizes[size]
            self.recording_replay = None
            self.size = size

    def unconfirmed(self, tensors):
        """True until a call at a third batch size has confirmed the template (see _confirm_dynamic)."""
        return not self.confirmed and tensors[self.batch_input]._data.shape[0] not in self.sizes

    def confirm(self, size, trace):
        self.confirmed = True
        self.sizes[size] = (trace.traced, trace.graph, trace.buffers, trace.replay)

    def select(self, tensors):
        self._use(tensors[self.batch_input]._data.shape[0])

    def run(self, tensors, args=(), kwargs=None):
        self._use(tensors[self.batch_input]._data.shape[0])
        return Trace.run(self, tensors, args, kwargs)


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
        self._told_eager = False
        self._not_dynamic = None      # why dynamic=True could not make the batch size symbolic
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
    def symbolic_graph(self):
        """With ``dynamic=True``, once the batch size is a symbol: the graph with ``B`` in it."""
        self.graph
        return getattr(self.traces[0], "template", None)

    @property
    def compile_seconds(self):
        return self.traces[0].compile_seconds if self.traces else None

    # ------------------------------------------------------------ calling

    def __call__(self, *args, **kwargs):
        if _tracing[0] is not None:   # called inside another compiled function: traced as part of it
            return self.fn(*args, **kwargs)
        if args or kwargs:
            tensors = []
            literals = _literal_key(flatten((args, kwargs), tensors))
        else:
            tensors, literals = [], _NO_ARGUMENTS
        for position, trace in enumerate(self.traces):
            if trace.guards.check(tensors, literals):
                if position:
                    self.traces.insert(0, self.traces.pop(position))
                if trace.needs_graph:
                    return self.fn(*args, **kwargs)
                if isinstance(trace, DynamicTrace) and trace.unconfirmed(tensors):
                    return self._confirm_dynamic(trace, args, kwargs, tensors, literals)
                if self.check:
                    from .check import run_checked
                    trace.select(tensors)
                    return run_checked(self, trace, args, kwargs, tensors)
                return trace.run(tensors, args, kwargs)
        return self._trace(args, kwargs, tensors, literals, self._miss_reason(tensors, literals))

    def _confirm_dynamic(self, dynamic, args, kwargs, tensors, literals):
        """The first call at a third batch size is traced, and its graph compared with the template
        filled in at that size: two sizes can fit a wrong form (B//2 at 16 and 15 looks like B-8).
        When they agree the template is trusted from then on; else one trace per batch size."""
        size = tensors[dynamic.batch_input]._data.shape[0]
        self.traces.remove(dynamic)
        result = self._trace(args, kwargs, tensors, literals, None)
        trace = self.traces[0]
        try:
            symbolic_template(instantiate(dynamic.template, size), size, trace.traced, size)
        except NotDynamic as err:
            self._not_dynamic = str(err)
            self._log_recompile(_with_note(Reason(f"batch size {size}"), f": the graph with the symbol B does "
                                           f"not fit a trace at this size ({err}); one trace per batch size"))
            return result
        self.traces[0] = dynamic
        dynamic.confirm(size, trace)
        return result

    def _miss_reason(self, tensors, literals):
        """Why no cached trace fits, in words: said against the trace whose inputs still match
        (its guard that failed is the news; one whose other arguments match too, first), else
        against the most recent one."""
        if not self.traces:
            return None
        reasons = [trace.guards.describe_change(tensors, literals) for trace in self.traces]
        same_inputs = [r for r in reasons if not r.startswith(("input ", "number of tensor inputs"))]
        same_arguments = [r for r in same_inputs if not r.startswith("non-tensor arguments")]
        return (same_arguments or same_inputs or reasons)[0]

    def _trace(self, args, kwargs, tensors, literals, reason):
        start = time.perf_counter()
        names = self._module_names()
        roots = self.roots + [m for m in _modules_in((args, kwargs)) if all(m is not r for r in self.roots)]
        snapshot = snapshot_captured_state(self.fn, [m for r in roots for m in r.modules()])
        tensors_before = snapshot_tensor_attributes(snapshot)
        hyperparameters = snapshot_hyperparameters(self.fn)
        random_before = _global_random_states()
        arguments_before = snapshot_arguments(args, kwargs) if args or kwargs else ()
        tracer = Tracer()
        with tracer:
            for i, t in enumerate(tensors):
                if id(t._data) not in tracer.values:
                    vid = tracer._new_value(t._data)
                    tracer._source(Node("input", args=[i]), vid, t._data)
            roots = [(obj, f"argument {type(obj).__name__}") for obj in _objects_in((args, kwargs))]
            bound = getattr(self.fn, "__self__", None)
            if bound is not None and not isinstance(bound, types.ModuleType):
                roots.append((bound, "self"))
            with ReadObserver(tracer, roots, [self.fn]) as observer:
                result = self.fn(*args, **kwargs)
            output_structure = _replace_tensors(result, tracer)
            effects = argument_effects(arguments_before, tracer, tensors, self.__name__)
            if effects:
                output_structure = (output_structure, [effect.value for effect in effects])
        traced_seconds = time.perf_counter() - start
        if _global_random_states() != random_before:
            raise TraceError(
                f"chainrule.compile: the traced call of {self.__name__} drew numbers from NumPy's or "
                f"Python's global random generator (numpy.random, random).\n  called at "
                f"{user_location()}\nA replay would reuse the numbers drawn now on every call. Draw "
                f"them with chainrule (chainrule.rand, randn, randint, randperm, nn.Dropout), whose "
                f"draws are ops that a replay repeats, or draw them outside and pass them in.")
        stateful = {id(node.fn.__self__) for node in tracer.graph.nodes
                    if node.kind == "call" and getattr(node.fn, "__self__", None) is not None}
        rebound = self._refuse_side_effects(tracer, snapshot, tensors_before, hyperparameters, names, stateful)
        graph = tracer.graph
        graph.output_structure = output_structure
        graph.escaping.update(graph.output_refs())
        entry_modes = _replay_python_effects(graph, tracer, snapshot, rebound)
        settle_hooks(tracer, graph, observer.reads)
        positions = {id(t): i for i, t in enumerate(tensors)}
        for node in graph.nodes:   # an input's gradient: each replay uses the tensor it is given
            if node.kind in ("accumulate", "set_grad", "grad_of") and id(node.target) in positions:
                node.params["input"] = positions[id(node.target)]
        graph.grads_none_at_entry = {("input", positions[id(var)]) if id(var) in positions else id(var)
                                     for var, event, was_none in tracer.grad_events.values()
                                     if was_none and event != "set"}
        modules = dict(tracer.modules)
        bound = getattr(self.fn, "__self__", None)
        if _is_module(bound):          # compile(model.forward): the model's own attributes too
            modules.setdefault(id(bound), bound)
        for root in self.roots:        # submodules whose attributes are read but which are not called too
            for module in root.modules():
                modules.setdefault(id(module), module)
        externals = [node.target for node in graph.nodes if node.kind == "external"]
        # a gradient of a tensor made during the call (x.detach().requires_grad_()) starts fresh each call
        grad_events = [event for event in tracer.grad_events.values() if id(event[0]) not in tracer.born]
        grad_events = [(("input", positions[id(var)]) if id(var) in positions else var, event, was_none)
                       for var, event, was_none in grad_events]
        guards = Guards(tensors, literals, self.fn, modules.values(), grad_events, names, stateful, externals,
                        rebound={(id(obj), key) for obj, key, _ in rebound}, entry_modes=entry_modes,
                        reads=observer.reads.values(), outside=tracer.outside.values(),
                        optimizers=_optimizers(graph, self.fn, observer.reads.values(), _objects_in((args, kwargs))))
        needs_graph = not tracer.ran_backward and _carries_graph(result)
        if needs_graph:
            self._tell_eager()
        trace = Trace(guards, graph, (graph, (), None) if needs_graph else self._build(graph), 0.0,
                      list(_returned_tensors(result)), tensors, tracer.outside, effects)
        trace.needs_graph = needs_graph
        trace.compile_seconds = time.perf_counter() - start
        trace.trace_seconds = traced_seconds
        self.traces.insert(0, trace)
        if self.dynamic and reason is not None and not needs_graph:
            reason = _with_note(reason, self._make_dynamic(trace))
        if len(self.traces) > self.cache_size:
            self.traces.pop()
            warnings.warn(f"chainrule.compile: {self.__name__} holds more than cache_size="
                          f"{self.cache_size} traces; dropped the least recently used one")
        if reason is not None:
            self._log_recompile(reason)
        return result

    def _refuse_side_effects(self, tracer, snapshot, tensors_before, hyperparameters, names, stateful):
        """Raise TraceError for Python state the traced call changed that a replay could not change
        again; return the tensor attributes it bound to new values (bound again on each replay)."""
        scheduled = {id(node.fn.__self__.optimizer) for node in tracer.graph.nodes
                     if node.kind == "call" and hasattr(getattr(node.fn, "__self__", None), "optimizer")}
        mutation = mutation_in(snapshot, names, stateful)
        rebound, rebinding = rebound_tensors(tensors_before, tracer.values, names)
        hyperparameter = hyperparameter_change(hyperparameters, scheduled)
        advice = "Return the value from the function and update the Python state outside it."
        if rebinding and not mutation:
            mutation, advice = rebinding
        if hyperparameter and not mutation:
            mutation, advice = hyperparameter, ("Set it outside the compiled function, or call a learning-rate "
                                                "scheduler's step() inside it (replayed whole).")
        if mutation:
            raise TraceError(
                f"chainrule.compile: the traced call of {self.__name__} {mutation}.\n  called at "
                f"{user_location()}\nPython side effects run only while tracing, not on replays, so "
                f"later calls would silently skip them. {advice}")
        return rebound

    def _tell_eager(self):
        if not self._told_eager:
            self._told_eager = True
            log.info("chainrule.compile: %s runs eagerly: its output needs an autograd graph (it requires "
                     "grad and no backward pass ran inside), which a replay does not build; call backward() "
                     "inside the compiled function (compile the whole training step), or call it under "
                     "no_grad() for inference", self.__name__)

    def _build(self, graph):
        """(optimized graph, buffers, replay) for a traced graph."""
        optimized, buffers = optimize(graph) if self.optimize else (graph, ())
        return optimized, buffers, generate(optimized, buffers)

    def _make_dynamic(self, trace):
        """Merge ``trace`` with an earlier one that differs only in the batch size, if one does.

        Returns the words for the recompile log.
        """
        if self._not_dynamic:
            return " (one trace per batch size, see the first recompile)"
        for earlier in self.traces[1:]:
            if isinstance(earlier, DynamicTrace):
                continue
            batch = batch_change(earlier.guards, trace.guards)
            if batch is None:
                continue
            indices, size_earlier, size_now = batch
            try:
                template = symbolic_template(earlier.traced, size_earlier, trace.traced, size_now)
            except NotDynamic as err:
                self._not_dynamic = str(err)
                return f" (dynamic=True, but the graph depends on the batch size beyond shapes: {err})"
            trace.guards.make_batch_symbolic(indices, smallest_batch(template, size_earlier, size_now))
            merged = DynamicTrace(trace.guards, template, earlier, size_earlier, trace, size_now,
                                  self._build, self.cache_size)
            self.traces.remove(earlier)
            self.traces[0] = merged
            inputs = ", ".join(str(i) for i in indices)
            return f"; dim 0 of input {inputs} is now the symbol B, one graph serves every batch size"
        return ""

    def _log_recompile(self, reason):
        self.recompiles.append(reason)
        log.info("chainrule.compile: tracing %s again: %s", self.__name__, reason)
        if len(self.recompiles) >= REPEATED_RECOMPILES and not self._warned:
            self._warned = True
            kinds = Counter(getattr(r, "subject", "") or r for r in self.recompiles)
            what, count = kinds.most_common(1)[0]
            hint = (" Pass dynamic=True to chainrule.compile so one graph serves every batch size."
                    if what.startswith("input ") and what.endswith(" shape") and not self.dynamic else "")
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


def _optimizers(graph, fn, reads, arguments):
    """The optimizers a trace used: stepped (also through a scheduler), captured, read or passed in."""
    from ..optim.optimizer import Optimizer
    found = [getattr(node.fn, "__self__", None) for node in graph.nodes if node.kind == "call"]
    found += [vars(owner).get("optimizer") for owner in found if isinstance(getattr(owner, "__dict__", None), dict)]
    found += [_safe(get) for _, get in captured_names(fn)] + [read.value for read in reads] + list(arguments)
    unique = {id(opt): opt for opt in found if isinstance(opt, Optimizer)}
    return list(unique.values())


def _objects_in(structure):
    """The objects among the arguments that their guard holds by identity (not tensors, numbers,
    strings, or the lists, tuples and dicts around them, which are guarded by their items)."""
    if isinstance(structure, (list, tuple)):
        return [obj for item in structure for obj in _objects_in(item)]
    if isinstance(structure, dict):
        return [obj for item in structure.values() for obj in _objects_in(item)]
    if isinstance(structure, Tensor) or is_plain_value(structure):
        return []
    return [structure]


def _carries_graph(result):
    """Whether the returned object holds a tensor that requires grad (one with an autograd graph)."""
    if isinstance(result, Tensor):
        return result._rg
    if isinstance(result, (list, tuple)):
        return any(_carries_graph(x) for x in result)
    if isinstance(result, dict):
        return any(_carries_graph(x) for x in result.values())
    return False


def _global_random_states():
    """NumPy's and Python's global generator states, to notice draws made while tracing."""
    kind, keys, position, *_ = numpy.random.get_state()
    return keys.tobytes(), position, random.getstate()


def _is_module(value):
    from ..nn.module import Module
    return isinstance(value, Module)
