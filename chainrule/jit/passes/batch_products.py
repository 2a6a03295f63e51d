"""A sum of matrix products becomes one product: sum_k A_k^T B_k = [A_1; ...; A_K]^T [B_1; ...; B_K].

A recurrent layer's backward gives its recurrent weight one gradient term per time step,
``h_t^T g_t``, and autograd adds the terms up as they come: K small products and K - 1
additions. Stacking the factors row-wise makes one large product, which BLAS runs several
times faster than the K small ones, and the additions go. The sum is reassociated, so the
result differs from eager code by float round-off (as a BLAS call differs from a loop).
"""
from ...ops import elementwise, join, linalg
from ..graph import Node
from .util import Ref, is_pure_op, value_info

MIN_TERMS = 3


def batch_summed_products(graph):
    info = value_info(graph)
    uses = _use_counts(graph)
    replaced = {}        # index of the root Add -> the nodes that compute the sum instead
    taken = set()        # value ids of Adds already folded into a larger sum
    for index in range(len(graph.nodes) - 1, -1, -1):
        node = graph.nodes[index]
        if not _is_plain_add(node, info) or node.outputs[0] in taken:
            continue
        terms, adds = [], []
        _collect(node.outputs[0], info, uses, terms, adds, root=True)
        products = [info[t][2] for t in terms]
        if len(terms) < MIN_TERMS or not all(_is_transposed_product(p, info, uses) for p in products):
            continue
        taken.update(adds)
        replaced[index] = _one_product(graph, node, products, info)
    if replaced:
        nodes = []
        for index, node in enumerate(graph.nodes):
            nodes.extend(replaced.get(index, [node]))
        graph.nodes = nodes
    return graph


def _use_counts(graph):
    uses = {}
    for node in graph.nodes:
        reads = node.refs()
        for v in reads:
            uses[v] = uses.get(v, 0) + 1
    for v in list(graph.output_refs()) + list(graph.escaping):
        uses[v] = uses.get(v, 0) + 1
    return uses


def _is_plain_add(node, info):
    """``a + b`` of two values with the output's shape and dtype (no broadcasting, no scalar)."""
    if not is_pure_op(node) or node.fn is not elementwise.Add or len(node.args) != 2 or node.params:
        return False
    return all(isinstance(a, Ref) and info[a.id][:2] == (node.shapes[0], node.dtypes[0]) for a in node.args)


def _collect(value, info, uses, terms, adds, root=False):
    """The terms of the sum that ``value`` is the root of (Adds used once are opened up)."""
    node = info[value][2]
    if _is_plain_add(node, info) and (root or uses.get(value, 0) == 1):
        adds.append(value)
        for arg in node.args:
            _collect(arg.id, info, uses, terms, adds)
    else:
        terms.append(value)


def _is_transposed_product(node, info, uses):
    """``A^T B`` of two 2-D values, its result read only by the sum."""
    if not is_pure_op(node) or node.fn is not linalg.MatMul or uses.get(node.outputs[0], 0) != 1:
        return False
    if not node.params.get("ta", False) or node.params.get("tb", False):
        return False
    return all(isinstance(a, Ref) and len(info[a.id][0]) == 2 for a in node.args[:2])


def _one_product(graph, root, products, info):
    """[Cat of the A's, Cat of the B's, one MatMul writing the root's value]."""
    nodes = []
    stacked = []
    for position in (0, 1):
        parts = [p.args[position] for p in products]
        rows = sum(info[a.id][0][0] for a in parts)
        shape = (rows, info[parts[0].id][0][1])
        value = graph.new_value()
        nodes.append(Node("op", join.Cat, parts, params={"axis": 0, "skip": None}, outputs=[value],
                          shapes=[shape], dtypes=[root.dtypes[0]], site=root.site))
        stacked.append(Ref(value))
    nodes.append(Node("op", linalg.MatMul, stacked, params={"ta": True}, outputs=list(root.outputs),
                      shapes=list(root.shapes), dtypes=list(root.dtypes), site=root.site))
    nodes[-1].label = f"matmul (sum of {len(products)} products)"
    return nodes
