"""Forward hooks and pre-hooks met while tracing: called again on every replay, or recorded.

Most hooks only look: they store an activation (``acts.append(output.detach())``), count
calls, print. A replay of ops alone would skip them, so such a hook is recorded as one
``call`` node that calls it again on every replay with the replay's tensors (its tensor
ops and reads of Python state then run afresh each time, ``.item()`` included). Other hooks
compute what the graph goes on to use (``weight_norm``'s pre-hook computes the weight, a hook
that returns a value replaces the output); those stay recorded as their ops, and may then
neither read tensor values into Python nor change Python state.

Which of the two a hook is shows only when the whole call is recorded: ``settle_hooks``
decides, once the trace is complete, from whether anything after the hook uses what it made.
"""
from .. import backend as B
from ..tensor import Tensor
from .._errors import user_location
from .errors import TraceError
from .graph import Node, Ref, walk_refs

# what a hook may record and still be called again whole: nothing that writes into graph values or gradients
_GRAPH_WRITES = frozenset({"inplace", "assign", "accumulate", "set_grad", "backward", "custom"})


class HookCall:
    """One call of a hook while tracing: what it recorded, read and changed."""

    def __init__(self, hook, module):
        self.hook, self.module = hook, module
        self.name = getattr(hook, "__qualname__", type(hook).__name__)
        self.read_values = None     # the first read of tensor values into Python, in words
        self.reads = {}             # the Python state it read (reads.Read by key)
        self.nodes = []             # the nodes it recorded
        self.node = None            # the call node that calls it again
        self.arguments = ()
        self.mutation = None        # the Python state it changed, in words


def run_hook(tracer, hook, module, args, *output):
    from .side_effects import mutation_in, snapshot_captured_state
    call = HookCall(hook, module)
    start = len(tracer.graph.nodes)
    before = snapshot_captured_state(hook, ())
    tracer.hooks.append(call)
    try:
        result = hook(module, args, *output)
    finally:
        tracer.hooks.pop()
    call.nodes = tracer.graph.nodes[start:]
    call.mutation = mutation_in(before, {})
    if result is None and not any(node.kind in _GRAPH_WRITES for node in call.nodes):
        call.arguments = [_argument(tracer, a) for a in (args, *output)]
        call.node = Node("call", _replay_hook(hook), [module] + call.arguments, site=user_location())
        call.node.label = f"hook {call.name}"
        tracer.graph.add(call.node)
        tracer.hook_calls.append(call)
    else:
        _keep_recorded(tracer, call, "returns a value that replaces the module's "
                       + ("output" if output else "inputs") if result is not None else "writes into tensors")
    return result


def settle_hooks(tracer, graph, reads):
    """Each looking hook of the trace is called again whole when nothing after it uses what it
    made, else kept as its recorded ops. Its reads of Python state become guards only then."""
    for call in reversed(tracer.hook_calls):     # outer hooks before the hooks they ran
        position = next((k for k, node in enumerate(graph.nodes) if node is call.node), None)
        if position is None:
            continue                             # inside an outer hook called again whole
        made = {v for node in call.nodes for v in node.outputs if v is not None}
        later = {v for node in graph.nodes[position + 1:] for v in node.refs()}
        used = made & (later | set(graph.output_refs()) | graph.escaping) or any(n.pinned for n in call.nodes)
        if used:
            del graph.nodes[position]
            _keep_recorded(tracer, call, "computes values the graph uses after it", reads)
            continue
        recorded = {id(node) for node in call.nodes}
        graph.nodes = [node for node in graph.nodes if id(node) not in recorded]
        graph.escaping.update(ref.id for ref in walk_refs(call.arguments))   # the hook may keep them


def _keep_recorded(tracer, call, why, reads=None):
    """The hook stays in the graph as its ops: it may not depend on values or change Python state."""
    what = call.read_values and f"uses {call.read_values}" or call.mutation
    if what:
        raise TraceError(
            f"chainrule.compile: the forward hook {call.name} of {type(call.module).__name__} {why}, and "
            f"also {what}.\n  at {user_location()}\nA hook that changes the graph is recorded as its ops, so "
            f"its Python effects would run only while tracing. Return None from hooks that store or count "
            f"(they are called again on every replay), and keep hooks that change values free of Python "
            f"effects.")
    if reads is None:
        reads = tracer.hooks[-1].reads if tracer.hooks else (tracer.observer.reads if tracer.observer else {})
    for key, read in call.reads.items():
        reads.setdefault(key, read)


def _argument(tracer, x):
    """A hook's argument for the call node: tensors as Refs (also inside tuples and lists)."""
    if isinstance(x, Tensor):
        return Ref(tracer.value_of(x))
    if type(x) in (tuple, list):
        return type(x)(_argument(tracer, item) for item in x)
    return x


def _replay_hook(hook):
    """The hook as a replay calls it: the replay's arrays handed over as tensors."""
    def call_hook(module, *arguments):
        hook(module, *(_as_tensors(a) for a in arguments))
    call_hook.__qualname__ = getattr(hook, "__qualname__", "hook")
    call_hook.python_effect = True    # check=True: run in the eager run only
    return call_hook


def _as_tensors(x):
    if isinstance(x, B.xp.ndarray):
        return Tensor._make(x)
    if type(x) in (tuple, list):
        return type(x)(_as_tensors(item) for item in x)
    return x
