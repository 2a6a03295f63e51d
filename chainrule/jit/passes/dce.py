"""Dead-code elimination: drop nodes whose results nothing uses and that change nothing.

Effects (in-place writes, gradient stores, optimizer steps, backward rules), random
draws (dropping one would shift every later random number) and checks on values (an index in
range: eager code would raise there) stay.
"""
from ..graph import EFFECT_KINDS
from .util import Ref


def eliminate_dead_code(graph):
    live = set(graph.output_refs()) | set(graph.escaping)
    kept = []
    for node in reversed(graph.nodes):
        needed = (node.kind in EFFECT_KINDS or node.pinned or getattr(node.fn, "is_random", False)
                  or getattr(node.fn, "is_check", False)
                  or any(v in live for v in node.outputs if v is not None))
        if not needed:
            continue
        kept.append(node)
        live.update(node.refs())
        if node.kind == "fused":
            for _, args in node.fn:
                live.update(a.id for a in args if isinstance(a, Ref))
    graph.nodes = kept[::-1]
    return graph
