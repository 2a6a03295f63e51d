"""The traced graph: a flat, ordered list of nodes over numbered values.

A value is one backend array: a function input, a tensor that existed before the
trace (a parameter, a buffer, a captured tensor), a constant, or the output of a
node. A node reads values through ``Ref``s (anything else in its arguments is a
plain Python literal) and writes its outputs as new values. Order matters: nodes
with side effects (in-place writes, gradient bookkeeping, optimizer steps, random
draws) run exactly where the traced code ran them.

Node kinds:

=============  ==============================================================
``input``      argument ``index`` of the compiled function's flattened tensors
``external``   ``tensor._data`` of a tensor that existed before the trace
``grad_of``    ``tensor._grad._data`` (a gradient that existed before the trace)
``constant``   an array made during the trace outside ops (held by value)
``op``         a primitive's ``forward`` (``fn``) on its arguments
``kernel``     a NumPy call with ``out=``, set by the memory-planning pass
``fused``      a chain of elementwise NumPy calls that share one buffer
``custom``     a user ``autograd.Function``'s forward, rerun whole (it may work on raw arrays)
``backward``   a primitive's own ``backward``, for rules that compute outside ops
``accumulate`` store a copy of a gradient as ``tensor.grad`` (the first one)
``set_grad``   ``tensor.grad = value`` (or None)
``inplace``    ``ufunc(target, operand, out=target)`` (``add_``, ``p -= ...``)
``assign``     ``target[...] = source`` (the general in-place write)
``call``       a Python call replayed as a whole (``optimizer.step()``, ``print``)
=============  ==============================================================
"""
from .._errors import shape_str

# Kinds whose effect is more than their output value: never removed, merged or moved.
EFFECT_KINDS = frozenset({"backward", "custom", "accumulate", "set_grad", "inplace", "assign", "call"})
SOURCE_KINDS = frozenset({"input", "external", "grad_of", "constant"})


class Ref:
    """A reference to value ``id`` in a node's arguments (anything else there is a literal)."""

    __slots__ = ("id",)

    def __init__(self, value_id):
        self.id = value_id

    def __repr__(self):
        return f"%{self.id}"

    def __eq__(self, other):
        return isinstance(other, Ref) and other.id == self.id

    def __hash__(self):
        return hash(("ref", self.id))


class Node:
    """One step of the graph (see the module docstring for the kinds)."""

    __slots__ = ("kind", "fn", "args", "params", "outputs", "shapes", "dtypes", "site", "target",
                 "pinned", "origin", "label")

    def __init__(self, kind, fn=None, args=(), params=None, outputs=(), shapes=(), dtypes=(),
                 site="", target=None):
        self.kind = kind
        self.fn = fn                    # op: the Function class; kernel/inplace: the ufunc; call: the callable
        self.args = list(args)          # Refs and literals
        self.params = params or {}      # op keyword parameters
        self.outputs = list(outputs)    # value ids written by this node (None: an output not produced)
        self.shapes = list(shapes)
        self.dtypes = list(dtypes)
        self.site = site                # the user's file:line that created it
        self.target = target            # the tensor an external/grad node reads or an effect writes
        self.pinned = False             # its forward context is needed by a later `backward` node
        self.origin = None              # for kernel/fused nodes: the op node(s) they replace
        self.label = None               # a readable name for the listing (fused chains, calls)

    def refs(self):
        """Value ids this node reads: Refs in its arguments and parameters (in index tuples too)."""
        found = [r.id for r in walk_refs(self.args)]
        if self.params:
            found += [r.id for r in walk_refs(self.params)]
        return found

    def name(self):
        if self.label:
            return self.label
        if self.kind in ("op", "backward", "custom"):
            name = self.fn.__name__
            return name if self.kind == "op" else f"{name}.backward"
        if self.kind in ("kernel", "inplace"):
            return getattr(self.fn, "__name__", repr(self.fn))
        return self.kind

    def describe(self, index=None):
        """One line: outputs = op(args)  shape dtype  site."""
        outs = ", ".join(f"%{v}" if v is not None else "_" for v in self.outputs) or "_"
        args = ", ".join(_short(a) for a in self.args)
        params = ", ".join(f"{k}={_short(v)}" for k, v in self.params.items())
        call = f"{self.name()}({args}{', ' if args and params else ''}{params})"
        shapes = ", ".join(shape_str(s) for s in self.shapes if s is not None)
        dtypes = ", ".join(sorted({str(d) for d in self.dtypes if d is not None}))
        where = f"  {self.site}" if self.site else ""
        return f"{outs} = {call}  {shapes} {dtypes}{where}".rstrip()


def _short(value):
    """A compact rendering of an argument for the listing."""
    if isinstance(value, Ref):
        return repr(value)
    if type(value) is tuple and any(True for _ in walk_refs(value)):
        return "(" + ", ".join(_short(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    text = " ".join(repr(value).split())   # one line, even for a 2-D array
    return text if len(text) <= 40 else text[:37] + "..."


class Graph:
    """Nodes in execution order, the values they make, and which values the function returns."""

    def __init__(self):
        self.nodes = []
        self.value_count = 0
        self.output_structure = None   # the returned object with tensors replaced by Refs
        self.escaping = set()          # values that leave the graph (returned, stored as .grad)
        self.grads_none_at_entry = set()   # id(var) (or ("input", k)) of gradients the guards check are None

    def new_value(self):
        self.value_count += 1
        return self.value_count - 1

    def add(self, node):
        self.nodes.append(node)
        return node

    def output_refs(self):
        return [r.id for r in walk_refs(self.output_structure)]

    def __str__(self):
        lines = [node.describe() for node in self.nodes]
        returned = ", ".join(f"%{v}" for v in self.output_refs())
        lines.append(f"return ({returned})")
        return "\n".join(lines)

    def __repr__(self):
        ops = sum(1 for n in self.nodes if n.kind not in SOURCE_KINDS)
        return f"<chainrule.compile graph: {ops} nodes, {len(self.nodes) - ops} inputs and constants>"

    def to_dot(self):
        """The graph in Graphviz DOT: one box per node, one arrow per value it reads."""
        producer = {}
        lines = ["digraph compiled {", '  rankdir=TB; node [shape=box, fontname="Helvetica", fontsize=10];']
        for i, node in enumerate(self.nodes):
            shapes = " ".join(shape_str(s) for s in node.shapes if s is not None)
            style = ', style=filled, fillcolor="#dde8f5"' if node.kind in SOURCE_KINDS else ""
            if node.kind in EFFECT_KINDS:
                style = ', style=filled, fillcolor="#f5e6cc"'
            label = f"{node.name()}\\n{shapes}".replace('"', "'")
            lines.append(f'  n{i} [label="{label}"{style}];')
            for ref in node.refs():
                if ref in producer:
                    lines.append(f"  n{producer[ref]} -> n{i};")
            for v in node.outputs:
                if v is not None:
                    producer[v] = i
        lines.append("}")
        return "\n".join(lines) + "\n"

    def draw(self, path):
        """Write the graph picture (DOT always; SVG/PNG/PDF through Graphviz ``dot``)."""
        from ..diag.graph import write_dot
        return write_dot(self.to_dot(), path, "graph.draw")


def same_kind(sequence, items):
    """``items`` as a list, tuple or named tuple like ``sequence`` (``max(dim)`` returns a named tuple)."""
    if hasattr(sequence, "_fields"):
        return type(sequence)(*items)
    return type(sequence)(items)


def walk_refs(structure):
    """Every Ref in a nested structure of lists, tuples and dicts."""
    if isinstance(structure, Ref):
        yield structure
    elif isinstance(structure, (list, tuple)):
        for item in structure:
            yield from walk_refs(item)
    elif isinstance(structure, dict):
        for item in structure.values():
            yield from walk_refs(item)
