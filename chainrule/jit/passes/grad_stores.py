"""Dead gradient stores: a ``.grad`` written and then replaced before anything reads it.

A training step written by hand stores each gradient (``accumulate``), reads it back
as ``p.grad`` for the update, and sets ``p.grad = None``. Nothing outside the graph
ever sees that stored gradient, so the store (a copy into a new tensor) is dropped
and the update reads the gradient value directly; the ``p.grad = None`` that follows,
on a gradient the guards know was None, then changes nothing and goes too. A whole-Python call (an optimizer
step reads every ``.grad``) between the store and its replacement keeps the store.
"""
from .util import replace_values, written_values


def drop_dead_grad_stores(graph):
    written = written_values(graph)
    open_stores = {}     # id(var) -> index of its pending accumulate node
    dead = set()
    replacement = {}
    for i, node in enumerate(graph.nodes):
        if node.kind == "call":
            open_stores.clear()        # it may read any .grad
        elif node.kind == "grad_of":
            open_stores.pop(id(node.target), None)
        elif node.kind == "accumulate":
            open_stores[id(node.target)] = i
        elif node.kind == "set_grad":
            store = open_stores.pop(id(node.target), None)
            if store is not None:
                accumulate = graph.nodes[store]
                source, value = accumulate.args[0].id, accumulate.outputs[0]
                if source not in written and value not in written and value not in graph.escaping:
                    dead.add(store)
                    replacement[value] = source
    graph.nodes = [n for i, n in enumerate(graph.nodes) if i not in dead]
    graph.nodes = _without_redundant_clears(graph)
    return replace_values(graph, replacement)


def _without_redundant_clears(graph):
    """Drop ``p.grad = None`` where p.grad is already None (guarded at entry, nothing stored since)."""
    none = set(graph.grads_none_at_entry)
    kept = []
    for node in graph.nodes:
        if node.kind == "call":
            none.clear()
        elif node.kind in ("accumulate", "grad_of"):
            none.discard(_owner_key(node))
        elif node.kind == "set_grad":
            if node.args[0] is None:
                if _owner_key(node) in none:
                    continue
                none.add(_owner_key(node))
            else:
                none.discard(_owner_key(node))
        kept.append(node)
    return kept


def _owner_key(node):
    """Whose gradient a node touches, as ``graph.grads_none_at_entry`` names it: ("input", k) for
    the k-th input of the call, else the tensor's id."""
    return ("input", node.params["input"]) if "input" in node.params else id(node.target)
