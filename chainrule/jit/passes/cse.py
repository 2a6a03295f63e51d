"""Common-subexpression elimination: the same op on the same values is computed once.

Two ops match when they are the same primitive with equal parameters reading the same
values. A write (in-place op, ``.grad`` store, optimizer step) ends every match, since
the values read may hold new data after it.
"""
from ... import backend as B
from .util import Ref, is_pure_op, is_barrier, replace_values, written_values


def _freeze(value):
    """A hashable stand-in for a parameter value (arrays by identity)."""
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, B.xp.ndarray):
        return ("array", id(value))
    hash(value)
    return (type(value).__name__, value)


def eliminate_common_subexpressions(graph):
    written = written_values(graph)
    seen = {}
    replacement = {}
    for node in graph.nodes:
        if is_barrier(node):
            seen.clear()
            continue
        if not is_pure_op(node) or node.outputs[0] in written or node.outputs[0] in graph.escaping:
            continue
        args = [Ref(replacement.get(a.id, a.id)) if isinstance(a, Ref) else a for a in node.args]
        try:
            key = (node.fn, _freeze(args), _freeze(node.params))
        except TypeError:
            continue   # an unhashable parameter: leave the node alone
        first = seen.get(key)
        if first is None:
            seen[key] = node.outputs[0]
        else:
            replacement[node.outputs[0]] = first
    return replace_values(graph, replacement)
