"""Algebraic simplification: operations that return their input unchanged are removed.

``x * 1``, ``1 * x``, ``x / 1``, ``x + 0``, ``0 + x``, ``x - 0``, ``x ** 1``, ``-(-x)``,
a permutation undone by the next one, and a reshape to the shape the value already has
become ``x`` itself; a reshape of a reshape reads the original value directly; the sum of
two gradients of slices that tile a value (``x[..., :k]`` and ``x[..., k:]``, each written
into zeros of x's shape) becomes their concatenation. Only
where the result has x's shape and dtype, and neither is written in place or leaves the
graph (a returned value must not share memory with an input or a parameter).
"""
from ... import backend as B
from ...ops import elementwise, indexing, join, movement
from .util import Ref, is_pure_op, replace_values, value_info, written_values

_IDENTITY_OPERAND = {
    # op class: (positions where an identity constant may stand, the identity value)
    elementwise.Mul: ((0, 1), 1),
    elementwise.Div: ((1,), 1),
    elementwise.Add: ((0, 1), 0),
    elementwise.Sub: ((1,), 0),
    elementwise.Pow: ((1,), 1),
}


def _is_number(value, target, info):
    """A literal equal to ``target``, or a folded constant array filled with it."""
    if isinstance(value, Ref):
        node = info.get(value.id, (None, None, None))[2]
        if node is None or node.kind != "constant":
            return False
        array = node.args[0]
        return array.size > 0 and bool((array == target).all())
    if isinstance(value, bool) or not isinstance(value, (int, float, B.xp.generic)):
        return False
    return value == target


def simplify(graph):
    info = value_info(graph)
    written = written_values(graph)
    replacement = {}

    def source(arg):
        return info.get(arg.id, (None, None, None))[2] if isinstance(arg, Ref) else None

    for node in graph.nodes:
        if not is_pure_op(node):
            continue
        out = node.outputs[0]
        if out in written or out in graph.escaping:
            continue
        alias = _identity_input(node, info, source)
        if alias is not None and alias.id not in written:
            shape, dtype, _ = info[alias.id]
            if shape == node.shapes[0] and dtype == node.dtypes[0]:
                replacement[out] = alias.id
                continue
        if node.fn is elementwise.Add and _join_tiled_slices(node, source):
            continue
        if node.fn is movement.Reshape:
            inner = source(node.args[0])
            if inner is not None and is_pure_op(inner) and inner.fn is movement.Reshape:
                node.args[0] = inner.args[0]      # reshape(reshape(x, a), b) -> reshape(x, b)
    return replace_values(graph, replacement)


def _join_tiled_slices(node, source):
    """Add(zeros with a at [..., :k], zeros with b at [..., k:]) -> cat([a, b], last dim), in place."""
    producers = [source(a) for a in node.args]
    if len(producers) != 2 or not all(p is not None and is_pure_op(p) and p.fn is indexing.IndexBackward
                                      for p in producers):
        return False
    shape = node.shapes[0]
    if any(tuple(p.params["shape"]) != shape for p in producers):
        return False
    bounds = [_last_dim_slice(p.params["index"], shape) for p in producers]
    if None in bounds:
        return False
    (first, first_bounds), (second, second_bounds) = sorted(zip(producers, bounds), key=lambda pb: pb[1])
    if first_bounds[0] != 0 or first_bounds[1] != second_bounds[0] or second_bounds[1] != shape[-1]:
        return False
    node.fn, node.args = join.Cat, [first.args[0], second.args[0]]
    node.params = {"axis": len(shape) - 1, "skip": None}
    return True


def _last_dim_slice(index, shape):
    """(start, stop) when ``index`` is ``[..., start:stop]`` (step 1), else None."""
    if not (isinstance(index, tuple) and len(index) == 2 and index[0] is Ellipsis
            and isinstance(index[1], slice) and index[1].step in (None, 1)):
        return None
    start, stop, _ = index[1].indices(shape[-1])
    return (start, stop) if start < stop else None


def _identity_input(node, info, source):
    """The argument the node returns unchanged, or None."""
    fn, args = node.fn, node.args
    if fn in _IDENTITY_OPERAND and len(args) == 2:
        positions, identity = _IDENTITY_OPERAND[fn]
        for position in positions:
            other = args[1 - position]
            if isinstance(other, Ref) and _is_number(args[position], identity, info):
                return other
    if fn is elementwise.Neg:
        inner = source(args[0])
        if inner is not None and is_pure_op(inner) and inner.fn is fn:
            return inner.args[0]
    if fn is movement.Permute:
        inner = source(args[0])
        if inner is not None and is_pure_op(inner) and inner.fn is movement.Permute:
            composed = tuple(inner.params["dims"][d] for d in node.params["dims"])
            if composed == tuple(range(len(composed))):
                return inner.args[0]
    if fn is movement.Reshape and isinstance(args[0], Ref):
        if info[args[0].id][0] == node.shapes[0]:
            return args[0]
    return None
