"""Turning a Graph into one flat Python function of arrays (the replay).

Each node becomes one line, for instance ``v7 = f3(v2, v5, dim=p3_dim)`` (an op's
forward on arrays) or ``v9 = k4(v7, v8, out=b1)`` (a NumPy call into a planned
buffer). Nothing of autograd runs: no Tensors, no graph nodes, no hooks; only the
arrays, plus the few Python objects the effects touch (``.grad``, optimizer steps).
The source is kept as ``replay.source`` for reading.
"""
import math

from .. import backend as B
from ..function import _resolve_saved
from ..tensor import Tensor
from ..grad_mode import _state as _grad_state
from ..autograd.engine import _copy_like
from .graph import Ref, walk_refs

xp = B.xp


class CHAIN:
    """In a fused chain's steps: the running buffer (the previous step's result)."""


def _rule_runner(ctx, needs_input_grad):
    """Call a primitive's own backward on arrays, with what its forward saved in this replay."""
    array_rule = getattr(type(ctx), "backward_arrays", None)
    if array_rule is not None:      # the op offers its backward on arrays: call it directly
        return lambda *grads: array_rule(ctx, *grads)
    flags = [True if need else None for need in needs_input_grad]
    make = Tensor._make

    def run(*grads):
        saved = ctx._saved
        ctx._saved_entries = [_resolve_saved(v, (), ()) for v in saved] if saved else None
        ctx._released = False
        ctx._next = flags
        previous = _grad_state["enabled"]
        _grad_state["enabled"] = False      # as the engine runs a rule without create_graph
        try:
            result = ctx.backward(*[make(g) for g in grads])
        finally:
            _grad_state["enabled"] = previous
        if type(result) is not tuple:
            result = (result,)
        return tuple(None if r is None else r._data for r in result)
    return run


def _custom_runner(traced_ctx, fn_class, kwargs):
    """Rerun a user Function's forward on Tensors around the arrays; return the outputs' arrays."""
    from ..autograd.function import BackwardCFunction
    from ..grad_mode import no_grad
    ctx = BackwardCFunction(fn_class)
    ctx._needs = traced_ctx._needs
    ctx._input_shapes = getattr(traced_ctx, "_input_shapes", None)
    ctx._output_meta = traced_ctx._output_meta
    make = Tensor._make

    def run(*args):
        tensors = [make(a) if isinstance(a, xp.ndarray) else a for a in args]
        with no_grad():
            outputs = fn_class.forward(ctx, *tensors, **kwargs)
        if not isinstance(outputs, tuple):
            outputs = (outputs,)
        return tuple(o._data if isinstance(o, Tensor) else None for o in outputs)
    run.context = ctx
    return run


def _set_grad(var, array):
    var._grad = None if array is None else Tensor._make(array)


def _accumulate(var, array):
    grad = _copy_like(array, var._data)
    var._grad = Tensor._make(grad)
    return grad


def _adopt(var, array):
    """``_accumulate`` for a fresh array nothing else reads: it becomes the ``.grad`` itself
    when it has the parameter's shape and layout (as the copy would)."""
    like = var._data
    if array.shape != like.shape or array.strides != like.strides or array.dtype != like.dtype:
        return _accumulate(var, array)
    var._grad = Tensor._make(array)
    return array


def generate(graph, buffers=(), record=None):
    """Compile ``graph`` to ``replay(inputs, tensors) -> tuple of output arrays`` (``inputs``: the
    input tensors' arrays; ``tensors``: the tensors, whose ``.grad`` a node with ``params["input"]``
    reads or stores).

    With ``record`` (a function of value id and array), the replay also hands over a copy of
    every value it makes, as it makes it (``compile(check=True)`` compares them with eager).
    """
    namespace = {"_asarray": xp.asarray, "_set_grad": _set_grad, "_accumulate": _accumulate, "_adopt": _adopt,
                 "_record": record}
    written = _written_values(graph)
    contexts = {}    # node index -> the forward context a backward node reruns the rule of
    lines = ["def replay(inputs, tensors=()):"]
    for b, (shape, dtype) in enumerate(buffers):
        namespace[f"b{b}"] = xp.empty(shape, dtype)

    def name(arg, i, slot, dtype=None):
        if isinstance(arg, Ref):
            return f"v{arg.id}"
        if arg is CHAIN:
            return "chain"
        if type(arg) in (tuple, list) and any(True for _ in walk_refs(arg)):   # an index tuple with a traced array
            items = [name(item, i, f"{slot}_{k}") for k, item in enumerate(arg)]
            if type(arg) is list:
                return "[" + ", ".join(items) + "]"
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        key = f"a{i}_{slot}"
        namespace[key] = _as_scalar_of(arg, dtype) if dtype is not None else arg
        return key

    def owner(node, i):
        """The tensor whose .grad the node reads or stores: an input of this call, or a fixed one."""
        if "input" in node.params:
            return f"tensors[{node.params['input']}]"
        namespace[f"t{i}"] = node.target
        return f"t{i}"

    def call_args(node, i):
        parts = [name(a, i, j) for j, a in enumerate(node.args)]
        for key, value in node.params.items():
            parts.append(f"{key}={name(value, i, key)}")
        return ", ".join(parts)

    for i, node in enumerate(graph.nodes):
        kind = node.kind
        out = f"v{node.outputs[0]}" if node.outputs and node.outputs[0] is not None else None
        if kind == "input":
            lines.append(f"    {out} = inputs[{node.args[0]}]")
        elif kind == "external":
            namespace[f"t{i}"] = node.target
            lines.append(f"    {out} = t{i}._data")
        elif kind == "grad_of":
            lines.append(f"    {out} = {owner(node, i)}._grad._data")
        elif kind == "constant":
            namespace[f"c{i}"] = node.args[0]
            # written in place, or handed out (returned, a .grad): each call gets its own copy
            copy = ".copy()" if node.outputs[0] in written or node.outputs[0] in graph.escaping else ""
            lines.append(f"    {out} = c{i}{copy}")
        elif kind == "op":
            ctx = contexts[i] = node.fn()
            namespace[f"f{i}"] = ctx.forward
            line = f"f{i}({call_args(node, i)})"
            if node.shapes[0] == ():
                line = f"_asarray({line})"
            lines.append(f"    {out} = {line}")
        elif kind == "kernel":
            namespace[f"k{i}"] = node.fn
            if node.target is not None and hasattr(node.fn, "emit"):   # written inline, not called
                arguments = [name(a, i, j, node.dtypes[0]) for j, a in enumerate(node.args)]
                lines.extend("    " + line for line in node.fn.emit(out, arguments, f"b{node.target}", namespace, f"k{i}"))
            elif node.target is not None:
                arguments = ", ".join(name(a, i, j, node.dtypes[0]) for j, a in enumerate(node.args))
                lines.append(f"    {out} = k{i}({arguments}, out=b{node.target})")
            else:   # a fresh array (NumPy gives a scalar for 0-d results)
                lines.append(f"    {out} = _asarray(k{i}({call_args(node, i)}))")
        elif kind == "fused":
            lines.extend(_fused_lines(node, i, out, namespace, name))
        elif kind == "custom":
            runner = namespace[f"f{i}"] = _custom_runner(node.target, node.fn, node.params)
            contexts[i] = runner.context
            outs = ", ".join(f"v{v}" if v is not None else "_" for v in node.outputs)
            arguments = ", ".join(name(a, i, j) for j, a in enumerate(node.args))
            lines.append(f"    {outs}, = f{i}({arguments})")
        elif kind == "backward":
            namespace[f"r{i}"] = None   # filled below, once the forward's context exists
            outs = ", ".join(f"v{v}" if v is not None else "_" for v in node.outputs)
            grads = ", ".join(name(a, i, j) for j, a in enumerate(node.args))
            lines.append(f"    {outs}, = r{i}({grads})")
        elif kind == "accumulate":
            store = "_adopt" if node.params.get("adopt") else "_accumulate"
            lines.append(f"    {out} = {store}({owner(node, i)}, {name(node.args[0], i, 0)})")
        elif kind == "set_grad":
            lines.append(f"    _set_grad({owner(node, i)}, {name(node.args[0], i, 0)})")
        elif kind == "inplace":
            namespace[f"u{i}"] = node.fn
            target, operand = name(node.args[0], i, 0), name(node.args[1], i, 1)
            casting = node.params.get("casting", "same_kind")
            option = "" if casting == "same_kind" else f", casting={casting!r}"   # same_kind: NumPy's default
            lines.append(f"    u{i}({target}, {operand}, out={target}{option})")
        elif kind == "assign":
            lines.append(f"    {name(node.args[0], i, 0)}[...] = {name(node.args[1], i, 1)}")
        elif kind == "call":
            if record is not None and getattr(node.fn, "python_effect", False):
                continue   # check=True: the eager run that follows does it
            namespace[f"m{i}"] = node.fn
            namespace[f"kw{i}"] = dict(node.params)
            arguments = "".join(f"{name(a, i, j)}, " for j, a in enumerate(node.args))
            lines.append(f"    m{i}({arguments}**kw{i})")
        else:
            raise AssertionError(f"unknown node kind {kind}")
        if record is not None:
            lines.extend(f"    _record({v}, v{v}.copy())" for v in node.outputs if v is not None)
    returned = ", ".join(f"v{v}" for v in graph.output_refs())
    lines.append(f"    return ({returned}{',' if returned else ''})")
    source = "\n".join(lines) + "\n"
    _bind_backward_rules(graph, namespace, contexts)
    exec(compile(source, "<chainrule.compile replay>", "exec"), namespace)
    replay = namespace["replay"]
    replay.source = source
    return replay


def _bind_backward_rules(graph, namespace, contexts):
    """A ``backward`` node reruns the rule of the very context its forward line uses."""
    index = {id(node): i for i, node in enumerate(graph.nodes)}
    for i, node in enumerate(graph.nodes):
        if node.kind == "backward":
            ctx = contexts[index[id(node.target)]]
            namespace[f"r{i}"] = _rule_runner(ctx, node.params["needs_input_grad"])


def _fused_lines(node, i, out, namespace, name):
    """A fused chain: each step a NumPy call writing into the chain's buffer."""
    lines = []
    buffer = f"b{node.target}" if node.target is not None else None
    for s, (ufunc, args) in enumerate(node.fn):
        namespace[f"k{i}_{s}"] = ufunc
        rendered = ", ".join(name(a, i, f"{s}_{j}", node.dtypes[0]) for j, a in enumerate(args))
        target = buffer if buffer is not None else ("chain" if s else None)
        if target is None:
            lines.append(f"    chain = _asarray(k{i}_{s}({rendered}))")
        else:
            lines.append(f"    chain = k{i}_{s}({rendered}, out={target})")
    lines.append(f"    {out} = chain")
    return lines


def _as_scalar_of(value, dtype):
    """A Python number as a NumPy scalar of the output's float dtype: NumPy would convert it to
    that dtype anyway (a Python number is weakly typed), and a NumPy scalar skips that work on
    every call. Anything else, or a number the dtype cannot hold, stays as it is."""
    if dtype.kind != "f" or isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    try:
        with xp.errstate(over="ignore"):
            converted = dtype.type(value)
    except OverflowError:
        return value
    return converted if xp.isfinite(converted) or not math.isfinite(value) else value


def _written_values(graph):
    """Values that some node writes in place (a constant among them is copied on each replay)."""
    written = set()
    for node in graph.nodes:
        if node.kind in ("inplace", "assign") and isinstance(node.args[0], Ref):
            written.add(node.args[0].id)
    return written
