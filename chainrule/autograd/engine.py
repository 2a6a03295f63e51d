"""The backward pass: an iterative walk of the graph in reverse topological order.

``backward`` accumulates gradients into the leaves' ``.grad``; ``grad`` returns
the gradients of chosen inputs instead. Both share ``run_backward``:

1. an iterative depth-first search from the roots lists every reachable node in
   post-order; reversed, that is an order in which a node runs only after every
   node that sends it a gradient (no recursion, so any depth works);
2. each node's incoming gradients are summed in a buffer; when its turn comes,
   its tensor hooks run, then its ``backward``, and the results are summed back
   over broadcast dimensions and added to the buffers of the nodes it points to;
3. unless ``retain_graph``, each node frees its saved values once it has run.
"""
from .. import backend as B
from ..grad_mode import _state as _grad_state
from ..tensor import Tensor, gradient_edge
from ..function import Node, profiler as _profiler, tracer as _tracer
from .._errors import at_user_line, shape_str
from ..ops.reduce import sum_to_shape
from ..ops.movement import Clone
from .anomaly import _state as _anomaly, check_backward


class AccumulateGrad(Node):
    """The node at a leaf: adds the arriving gradient into ``variable.grad``."""

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "AccumulateGrad"

    def accumulate(self, grad, create_graph):
        var = self.variable
        if grad._data.shape != var._data.shape and grad._data.size == var._data.size:
            grad = grad.reshape(var._data.shape)   # the leaf's shape changed in place under no_grad
        if var._hooks:
            for hook in list(var._hooks.values()):
                replaced = hook(grad)
                if replaced is not None:
                    grad = replaced
        old = var._grad
        self._accumulate(var, grad, old, create_graph)
        if _tracer[0] is not None:
            _tracer[0].accumulated(var, grad, old, create_graph)

    @staticmethod
    def _accumulate(var, grad, old, create_graph):
        if old is None:
            # Own the buffer: the same gradient array may also flow to another leaf. It takes the
            # variable's memory layout (a weight's gradient often arrives transposed), so that the
            # optimizer's elementwise passes over param, grad and state run contiguously.
            var._grad = grad if create_graph else Tensor._make(_copy_like(grad._data, var._data))
        elif create_graph or old._rg:
            var._grad = old + grad
        else:
            B.xp.add(old._data, grad._data, out=old._data, casting="unsafe")
            old._vbox[0] += 1


def _copy_like(source, like):
    if source.shape != like.shape:
        return B.xp.array(source, copy=True)
    target = B.xp.empty_like(like, dtype=source.dtype)
    B.xp.copyto(target, source)
    return target


def _topological_order(roots):
    """Nodes reachable from ``roots``, each after every node that feeds it a gradient."""
    order, visited = [], set()
    for root in roots:
        if root in visited:
            continue
        visited.add(root)
        stack = [(root, iter(root._next))]
        while stack:
            node, edges = stack[-1]
            for edge in edges:
                if edge is not None and edge[0] not in visited:
                    visited.add(edge[0])
                    stack.append((edge[0], iter(edge[0]._next)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _needed_nodes(order, targets):
    """Nodes that lie on a path to one of the ``targets`` (those are all that must run)."""
    needed = set()
    for node in reversed(order):  # children before parents
        if node in targets or any(e is not None and e[0] in needed for e in node._next):
            needed.add(node)
    return needed


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None, accumulate=True):
    """Propagate ``grad_outputs`` from ``outputs``; return the grads of ``inputs`` if given."""
    roots, buffers = [], {}
    for out, g in zip(outputs, grad_outputs):
        edge = gradient_edge(out)
        node, nr = edge
        slots = buffers.setdefault(node, {})
        slots[nr] = g if nr not in slots else slots[nr] + g
        roots.append(node)
    order = _topological_order(roots)

    captured = {}
    targets = None
    if inputs is not None:
        targets = {}
        for i, t in enumerate(inputs):
            edge = gradient_edge(t)
            targets.setdefault(edge[0], []).append((edge[1], i))
        needed = _needed_nodes(order, targets)
        order = [node for node in order if node in needed]

    previous_mode = _grad_state["enabled"]
    _grad_state["enabled"] = create_graph
    try:
        for node in order:
            slots = buffers.pop(node, None)
            if not slots:
                continue  # no gradient reached this node
            if node._hooks or node._retained:
                _run_tensor_hooks(node, slots)
            if targets is not None and node in targets:
                for nr, index in targets[node]:
                    captured[index] = slots.get(nr)
            if type(node) is AccumulateGrad:
                if accumulate:
                    node.accumulate(slots[0], create_graph)
                continue
            if node._kept_indices is not None:
                node.check_kept_indices()   # an index it reads changed in place: refuse
            if _tracer[0] is not None:
                grads = _tracer[0].backward(node, slots, _call_backward)
            elif _profiler[0] is not None:
                grads = _profiler[0].timed_backward(node, lambda: _call_backward(node, slots))
            elif _anomaly["enabled"]:
                grads = _checked_backward(node, slots)
            elif node._output_meta is None and node._pre_hooks is None and node._post_hooks is None:
                grads = node.backward(slots[0])  # the common case: one output, no node hooks
                if type(grads) is not tuple:
                    grads = (grads,)
            else:
                grads = _call_backward(node, slots)
            for edge, g, shape in zip(node._next, grads, node._input_shapes):
                if edge is None or g is None:
                    continue
                if g._data.shape != shape:
                    g = sum_to_shape(g, shape)  # undo broadcasting
                child, nr = edge
                child_slots = buffers.get(child)
                if child_slots is None:
                    buffers[child] = {nr: g}
                elif nr in child_slots:
                    child_slots[nr] = child_slots[nr] + g
                else:
                    child_slots[nr] = g
            if not retain_graph:
                node._release()
    finally:
        _grad_state["enabled"] = previous_mode
    return captured


def _run_tensor_hooks(node, slots):
    if node._hooks:
        for nr, hooks in node._hooks.items():
            if nr in slots:
                for hook in list(hooks.values()):
                    replaced = hook(slots[nr])
                    if replaced is not None:
                        slots[nr] = replaced
    if node._retained:
        for nr, ref in node._retained.items():
            t = ref()
            if t is not None and nr in slots:
                g = slots[nr]
                t._grad = g if g._rg else Clone.apply(g)   # an op: a compiled graph recomputes it


def _checked_backward(node, slots):
    """Anomaly mode: the node's backward with its ops attributed to it, then its gradients checked."""
    _anomaly["node"] = node
    try:
        grads = _call_backward(node, slots)
    finally:
        _anomaly["node"] = None
    check_backward(node, slots, grads)
    return grads


def _call_backward(node, slots):
    if node._output_meta is not None:  # multi-output node: missing output grads are zeros
        grad_outputs = node._fill_missing([slots.get(i) for i in range(len(node._output_meta))])
    else:
        grad_outputs = [slots[0]]
    if node._pre_hooks:
        for hook in list(node._pre_hooks.values()):
            replaced = hook(tuple(grad_outputs))
            if replaced is not None:
                grad_outputs = list(replaced)
    grads = node.backward(*grad_outputs)
    if type(grads) is not tuple:
        grads = (grads,)
    if node._post_hooks:
        for hook in list(node._post_hooks.values()):
            replaced = hook(grads, tuple(grad_outputs))
            if replaced is not None:
                grads = tuple(replaced)
    return grads


def _as_tensor_list(value):
    if value is None:
        return None
    if isinstance(value, Tensor):
        return [value]
    return list(value)


def _make_grad_outputs(outputs, grad_outputs, caller):
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(at_user_line(
            f"{caller}: got {len(grad_outputs)} gradients for {len(outputs)} outputs; "
            f"pass one gradient per output"))
    result = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out._rg:
            raise RuntimeError(at_user_line(
                f"element {i} of tensors does not require grad and does not have a grad_fn: "
                f"nothing it was computed from has requires_grad=True (was it computed under "
                f"no_grad(), or from .detach()ed tensors?)"))
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(at_user_line(
                    f"grad can be implicitly created only for scalar outputs: {caller} was called "
                    f"on a tensor of shape {shape_str(out.shape)}. Reduce it first (loss.sum() or "
                    f"loss.mean()), or pass gradient= a tensor of shape {shape_str(out.shape)}"))
            g = Tensor._make(B.xp.ones(out._data.shape, dtype=out._data.dtype))
        elif not isinstance(g, Tensor):
            g = Tensor._make(B.xp.asarray(g, dtype=out._data.dtype))
        elif g._data.shape != out._data.shape:
            raise RuntimeError(at_user_line(
                f"{caller}: gradient has shape {shape_str(g.shape)} but the output has shape "
                f"{shape_str(out.shape)}; they must match"))
        result.append(g)
    return result


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (``chainrule.autograd.backward``)."""
    outputs = _as_tensor_list(tensors)
    grad_list = _as_tensor_list(grad_tensors)
    grads = _make_grad_outputs(outputs, grad_list, "backward()")
    if retain_graph is None:
        retain_graph = create_graph
    input_list = _as_tensor_list(inputs)
    if input_list is not None:
        _check_inputs(input_list, "backward(inputs=...)")
    run_backward(outputs, grads, retain_graph, create_graph, inputs=input_list, accumulate=True)


def _check_inputs(inputs, caller):
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t._rg:
            raise RuntimeError(at_user_line(
                f"{caller}: input {i} does not require grad; every input must be a tensor "
                f"with requires_grad=True that the outputs were computed from"))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching any ``.grad``."""
    output_list = _as_tensor_list(outputs)
    input_list = _as_tensor_list(inputs)
    _check_inputs(input_list, "autograd.grad")
    grads = _make_grad_outputs(output_list, _as_tensor_list(grad_outputs), "autograd.grad")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    captured = run_backward(output_list, grads, retain_graph, create_graph,
                            inputs=input_list, accumulate=False)
    result = []
    for i, t in enumerate(input_list):
        g = captured.get(i)
        if g is None:
            if not allow_unused:
                raise RuntimeError(at_user_line(
                    f"autograd.grad: input {i} (shape {shape_str(t.shape)}) was not used to compute "
                    f"the outputs, so it has no gradient. Pass allow_unused=True to get None for it."))
            if materialize_grads:
                g = Tensor._make(B.xp.zeros(t._data.shape, dtype=t._data.dtype))
        result.append(g)
    return tuple(result)
