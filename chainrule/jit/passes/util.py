"""What the passes share: copying a graph, value facts, rewriting references."""
import copy

from ..graph import Graph, Node, Ref, same_kind


def copy_graph(graph):
    """A copy whose nodes can be changed without touching ``graph`` (arrays are shared)."""
    new = Graph()
    new.value_count = graph.value_count
    new.output_structure = graph.output_structure
    new.escaping = set(graph.escaping)
    new.grads_none_at_entry = set(graph.grads_none_at_entry)
    mapping = {}
    for node in graph.nodes:
        twin = copy.copy(node)
        twin.args, twin.params, twin.outputs = list(node.args), dict(node.params), list(node.outputs)
        mapping[id(node)] = twin
        new.nodes.append(twin)
    for twin in new.nodes:
        if twin.kind == "backward":
            twin.target = mapping[id(twin.target)]
    return new


def value_info(graph):
    """value id -> (shape, dtype, producing node)."""
    info = {}
    for node in graph.nodes:
        for v, shape, dtype in zip(node.outputs, node.shapes, node.dtypes):
            if v is not None:
                info[v] = (shape, dtype, node)
    return info


def written_values(graph):
    """Values some node writes in place."""
    return {n.args[0].id for n in graph.nodes if n.kind in ("inplace", "assign") and isinstance(n.args[0], Ref)}


def use_counts(graph):
    counts = {}
    for node in graph.nodes:
        for v in node.refs():
            counts[v] = counts.get(v, 0) + 1
    for v in graph.output_refs():
        counts[v] = counts.get(v, 0) + 1
    return counts


def replace_values(graph, replacement):
    """Point every reference to value a at ``replacement[a]`` instead."""
    if not replacement:
        return graph

    def resolve(v):
        while v in replacement:
            v = replacement[v]
        return v

    def swap(arg):
        return Ref(resolve(arg.id)) if isinstance(arg, Ref) else arg

    for node in graph.nodes:
        node.args = [_swap_structure(a, swap) for a in node.args]
        node.params = {k: _swap_structure(v, swap) for k, v in node.params.items()}
        if node.kind == "fused":
            node.fn = [(ufunc, [swap(a) for a in args]) for ufunc, args in node.fn]
    graph.output_structure = _swap_structure(graph.output_structure, swap)
    graph.escaping = {resolve(v) for v in graph.escaping}
    return graph


def _swap_structure(structure, swap):
    if isinstance(structure, Ref):
        return swap(structure)
    if isinstance(structure, (list, tuple)):
        return same_kind(structure, [_swap_structure(x, swap) for x in structure])
    if isinstance(structure, dict):
        return {k: _swap_structure(v, swap) for k, v in structure.items()}
    return structure


def is_pure_op(node):
    """An op whose output depends only on its arguments (no random draw, no saved context needed)."""
    return node.kind == "op" and not node.pinned and not getattr(node.fn, "is_random", False)


def is_barrier(node):
    """A node after which a value may hold different data (writes, whole Python calls)."""
    return node.kind in ("inplace", "assign", "call", "custom")


__all__ = ["Graph", "Node", "Ref", "copy_graph", "value_info", "written_values", "use_counts",
           "replace_values", "is_pure_op", "is_barrier"]
