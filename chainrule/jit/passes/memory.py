"""Memory planning: every kernel's ``out=`` buffer is allocated once and reused by lifetime.

A value's lifetime runs from the node that makes it to its last reader. Nodes that are
not kernels (ops, backward rules) may return a view of an input, so their inputs stay
alive as long as their output does (an alias group). A backward rule reads what its
forward saved, so the forward's inputs and output live until the rule has run. When
every member of a group is dead, its buffer returns to a pool keyed by shape and dtype,
and the next kernel asking for that shape takes it. Values that leave the replay
(returned, stored as ``.grad``) or are written in place get no planned buffer; a gradient
that only its ``.grad`` store reads is made in a fresh array, which becomes the ``.grad``.
"""
from .kernels import is_elementwise
from .util import Ref


def plan_memory(graph):
    """(graph, buffers): kernel and fused nodes get ``target`` = a buffer index."""
    nodes = graph.nodes
    last_use, group = _lifetimes(graph)
    escaping = set(graph.escaping)
    for node in nodes:
        if node.kind == "set_grad" and isinstance(node.args[0], Ref):
            escaping.add(node.args[0].id)
        if node.kind in ("inplace", "assign") and isinstance(node.args[0], Ref):
            escaping.add(node.args[0].id)
    adopted = _fresh_gradients(graph)
    escaping |= set(adopted)
    escaping = {v for v in group if group[v] & escaping} | escaping

    buffers, pool = [], {}
    dying_at = {}
    for v, i in last_use.items():
        dying_at.setdefault(i, []).append(v)
    held = {}                                # value id -> buffer index
    for i, node in enumerate(nodes):
        if node.kind in ("kernel", "fused") and node.outputs[0] not in escaping:
            key = (node.shapes[0], node.dtypes[0])
            index = _take(pool, key, node, held, i, last_use, group, buffers)
            if index is None:
                index = len(buffers)
                buffers.append(key)
            node.target = index
            held[node.outputs[0]] = index
        elif node.kind in ("kernel", "fused"):
            node.target = None
        for v in dying_at.get(i, ()):
            _release(v, held, pool, buffers, group, last_use, i)
    for store in adopted.values():
        store.params["adopt"] = True
    return graph, buffers


def _fresh_gradients(graph):
    """value -> its ``accumulate`` node, for gradients that a kernel makes and only the store reads.

    Such a value gets a fresh array instead of a planned buffer, and the store takes that
    array as the new ``.grad`` instead of copying it: nothing else can see or change it."""
    readers, producer = {}, {}
    for node in graph.nodes:
        for v in _reads(node):
            readers.setdefault(v, []).append(node)
        for v in node.outputs:
            if v is not None:
                producer[v] = node
    returned = set(graph.output_refs())
    found = {}
    for node in graph.nodes:
        if node.kind != "accumulate" or not isinstance(node.args[0], Ref):
            continue
        v = node.args[0].id
        if v not in returned and readers[v] == [node] and producer.get(v) is not None \
                and producer[v].kind in ("kernel", "fused"):
            found[v] = node
    return found


def _take(pool, key, node, held, i, last_use, group, buffers):
    """A free buffer of this shape, or (one elementwise call) that of an input dying here."""
    free = pool.get(key)
    if free:
        return free.pop()
    if not is_elementwise(node):    # a matmul or a multi-step chain must not overwrite its inputs
        return None
    for a in node.args:
        if isinstance(a, Ref) and a.id in held and buffers[held[a.id]] == key and all(
                last_use.get(m, -1) <= i for m in group.get(a.id, {a.id})):
            return held.pop(a.id)   # exact overlap: the call reads each element before writing it
    return None


def _release(value, held, pool, buffers, group, last_use, i):
    """Return the value's buffer to the pool once every alias of it is dead."""
    for member in group.get(value, {value}):
        if last_use.get(member, -1) > i:
            return
    for member in group.get(value, {value}):
        index = held.pop(member, None)
        if index is not None:
            pool.setdefault(buffers[index], []).append(index)


def _lifetimes(graph):
    """last_use: value -> index of its last reader; group: value -> its alias group."""
    last_use = {}
    group = {}
    for i, node in enumerate(graph.nodes):
        for v in node.outputs:
            if v is not None:
                last_use.setdefault(v, i)
        for v in _reads(node):
            last_use[v] = i
        if node.kind == "backward":   # the forward's saved inputs and output live until here
            forward = node.target
            for v in _reads(forward) + [o for o in forward.outputs if o is not None]:
                last_use[v] = max(last_use.get(v, i), i)
        if node.kind in ("op", "backward", "custom"):   # the output may be a view of any input
            members = set(_reads(node)) | {o for o in node.outputs if o is not None}
            merged = set()
            for m in members:
                merged |= group.get(m, {m})
            for m in merged:
                group[m] = merged
    end = len(graph.nodes)
    for v in graph.output_refs():
        last_use[v] = end
    # an alias group lives as long as its longest-lived member
    for v, members in group.items():
        last = max(last_use.get(m, -1) for m in members)
        for m in members:
            last_use[m] = max(last_use.get(m, -1), last)
    return last_use, group


def _reads(node):
    refs = node.refs()
    if node.kind == "fused":
        refs += [a.id for _, args in node.fn for a in args if isinstance(a, Ref)]
    return refs
