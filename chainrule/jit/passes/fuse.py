"""Fusion of elementwise chains: ``tanh(a * b + c)`` as three NumPy calls into one buffer.

A kernel whose result has one use, by the next elementwise kernel of the same shape and
dtype, is merged into it: the chain's steps run back to back, each writing into the
chain's buffer (``out=``), so no step allocates a temporary and the intermediate values
never exist as separate arrays. Nothing that writes memory may sit between two steps.
"""
from ..codegen import CHAIN
from ..graph import EFFECT_KINDS, Node
from .kernels import is_elementwise
from .util import Ref, use_counts, written_values


def fuse_elementwise(graph):
    uses = use_counts(graph)
    written = written_values(graph)
    chains = {}      # value id -> the fused node (or chain-able kernel) that produces it
    result = []
    for node in graph.nodes:
        if node.kind in EFFECT_KINDS:
            chains.clear()          # never fuse across a write
            result.append(node)
            continue
        if not is_elementwise(node):
            result.append(node)
            continue
        head = _chain_input(node, chains, uses, written, graph)
        if head is None:
            fused = Node("fused", fn=[(node.fn, list(node.args))], args=node.refs(), outputs=list(node.outputs),
                         shapes=list(node.shapes), dtypes=list(node.dtypes), site=node.site)
            fused.origin = [node.origin]
            result.append(fused)
            chains[node.outputs[0]] = fused
            continue
        ref = head.outputs[0]
        steps = [CHAIN if isinstance(a, Ref) and a.id == ref else a for a in node.args]
        head.fn.append((node.fn, steps))
        head.origin.append(node.origin)
        head.outputs = list(node.outputs)
        result.remove(head)         # the chain runs where its last step stood
        result.append(head)
        del chains[ref]
        chains[node.outputs[0]] = head
    # a chain of one step is just the kernel again
    graph.nodes = [_unwrap(n) for n in result]
    for node in graph.nodes:
        if node.kind == "fused":
            node.args = [Ref(v) for v in dict.fromkeys(
                a.id for _, args in node.fn for a in args if isinstance(a, Ref))]
            node.label = "fused[" + ", ".join(getattr(o, "__name__", "?") for o in node.origin) + "]"
    return graph


def _chain_input(node, chains, uses, written, graph):
    """The open chain this node can extend (it reads the chain's value once, same shape)."""
    for a in node.args:
        if isinstance(a, Ref) and a.id in chains:
            head = chains[a.id]
            if (uses.get(a.id) == 1 and a.id not in written and a.id not in graph.escaping
                    and head.shapes[0] == node.shapes[0] and head.dtypes[0] == node.dtypes[0]
                    and sum(1 for b in node.args if isinstance(b, Ref) and b.id == a.id) == 1):
                return head
    return None


def _unwrap(node):
    if node.kind != "fused" or len(node.fn) > 1:
        return node
    fn, args = node.fn[0]
    kernel = Node("kernel", fn=fn, args=args, outputs=node.outputs, shapes=node.shapes,
                  dtypes=node.dtypes, site=node.site)
    kernel.origin = node.origin[0]
    return kernel
