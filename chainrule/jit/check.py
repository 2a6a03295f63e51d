"""``compile(fn, check=True)``: every call runs compiled and eager side by side.

The compiled replay runs first, keeping a copy of every value it makes; then the state
it changed (parameters, buffers, gradients, optimizer and scheduler state, the random
generator, the inputs) is put back, and the function runs eagerly under a fresh trace
that numbers its values the same way. The first value, in execution order, whose
compiled and eager copies differ is reported with its node and the user's line. The
call returns the eager result, so a checked run trains exactly as eager code does.
"""
import copy

from .. import backend as B
from .codegen import generate
from .errors import CompileCheckError
from .graph import Node

RTOL, ATOL = 1e-5, 1e-6


def run_checked(compiled, trace, args, kwargs, tensors):
    state = _snapshot(trace.traced, tensors)
    made = {}
    if getattr(trace, "recording_replay", None) is None:
        trace.recording_replay = generate(trace.graph, trace.buffers, record=made.__setitem__)
    namespace_record = trace.recording_replay.__globals__
    namespace_record["_record"] = made.__setitem__
    try:
        trace.recording_replay([t._data for t in tensors], tensors)
        replay_error = None
    except Exception as error:   # a value check: eager code, run next from the same state, raises it too
        replay_error = error
    _restore(state)
    from .tracer import Tracer
    tracer = Tracer(record_values=True)
    with tracer:
        for i, t in enumerate(tensors):
            if id(t._data) not in tracer.values:
                vid = tracer._new_value(t._data)
                tracer._source(Node("input", args=[i]), vid, t._data)
        result = compiled.fn(*args, **kwargs)
    if replay_error is not None:
        raise CompileCheckError(
            f"chainrule.compile(check=True): {compiled.__name__}: the compiled replay raised "
            f"{type(replay_error).__name__}: {replay_error}\nbut eager code did not. Please report it.") from replay_error
    _compare(trace.traced, made, tracer.recorded, compiled.__name__)
    return result


def _compare(graph, compiled_values, eager_values, name):
    xp = B.xp
    for node in graph.nodes:
        if node.kind in ("external", "grad_of"):
            continue   # state both runs start from; eager meets it first maybe after an in-place write
        for v in node.outputs:
            if v is None or v not in compiled_values or v not in eager_values:
                continue
            ours, theirs = compiled_values[v], eager_values[v]
            if ours.shape != theirs.shape:
                raise CompileCheckError(_report(name, node, f"shape {ours.shape} compiled vs {theirs.shape} eager"))
            if ours.dtype.kind in "fc":
                same = xp.allclose(ours, theirs, rtol=RTOL, atol=ATOL, equal_nan=True)
            else:
                same = xp.array_equal(ours, theirs)
            if not same:
                difference = xp.abs(ours.astype(xp.float64) - theirs.astype(xp.float64))
                raise CompileCheckError(_report(
                    name, node, f"largest difference {float(xp.nanmax(difference)):.3g} "
                                f"(at {int(xp.nanargmax(difference))} of {ours.size} elements)"))


def _report(name, node, detail):
    return (f"chainrule.compile(check=True): {name}: the compiled graph and eager code differ first "
            f"at\n  {node.describe()}\n  {detail}\nThe line above made the first value that differs. "
            f"If it depends on Python state the guards do not cover, compute it with tensor ops or "
            f"outside the compiled function; otherwise please report it with this listing.")


def _snapshot(graph, tensors):
    # a read-only input (an expanded view) cannot have been written
    arrays = [(t, t._data.copy()) for t in tensors if t._data.flags.writeable]
    grads, owners, modes = [], [], []
    for node in graph.nodes:
        if node.kind == "external":
            arrays.append((node.target, node.target._data.copy()))
        if node.kind in ("accumulate", "set_grad", "grad_of") or (node.kind == "inplace" and node.target is not None
                                                                  and node.kind != "external"):
            # an input's gradient: the tensor of this call, not the traced one
            var = tensors[node.params["input"]] if "input" in node.params else node.target
            if var is not None and hasattr(var, "_grad"):
                grad = var._grad
                grads.append((var, grad, None if grad is None else grad._data.copy()))
        if node.kind == "call" and hasattr(getattr(node.fn, "__self__", None), "state_dict"):
            owner = node.fn.__self__
            owners.append((owner, copy.deepcopy(owner.state_dict())))
        if node.kind == "call" and node.label in ("train", "eval"):   # the mode the replay switched
            modes.append((node.args[0], node.args[0].training))
    return arrays, grads, owners, modes, B.default_generator.get_state()


def _restore(state):
    arrays, grads, owners, modes, random_state = state
    for module, training in reversed(modes):
        module.training = training
    for tensor, saved in arrays:
        tensor._data[...] = saved
    for var, grad, saved in reversed(grads):
        var._grad = grad
        if grad is not None:
            grad._data[...] = saved
    for owner, saved in owners:
        owner.load_state_dict(saved)
    B.default_generator.set_state(random_state)
