"""``dynamic=True``: one graph for every batch size, found by comparing two traces.

The tracer sees numbers, not symbols: a graph traced at batch size 32 holds ``32``
in its shapes, ``(32, 784)`` in a reshape, ``1/32`` in the backward of a mean. So a
dynamic function is traced at two batch sizes, and the two graphs are compared node
by node. Where they agree, a value is a constant; where they differ, it must be a
simple function of the batch size ``B`` seen in both (``k*B``, ``B+k`` for integers,
``c*B`` or ``c/B`` for floats), and it becomes a symbol. The graph with symbols is
the template: for any new batch size it is filled in, optimized and turned into a
replay, without running the Python function again. When the graphs differ in any
other way (their structure, a constant array), the function depends on the batch
size beyond shapes and keeps one trace per size, and the log says why.
"""
import numbers

import numpy

from ..tensor import Tensor
from .graph import Graph, Node, Ref


class NotDynamic(Exception):
    """The two traces differ in a way no batch-size symbol explains (the message says where)."""


class Sym:
    """A value that depends on the batch size B: ``k*B``, ``B+k``, ``c*B`` or ``c/B``."""

    __slots__ = ("form", "k", "type")

    def __init__(self, form, k, value_type):
        self.form, self.k, self.type = form, k, value_type

    def at(self, size):
        if self.form == "mul":
            value = self.k * size
        elif self.form == "add":
            value = size + self.k
        else:
            value = self.k / size
        return self.type(value)

    def __repr__(self):
        if self.form == "mul":
            return "B" if self.k == 1 else f"{self.k}*B"
        if self.form == "add":
            return f"B{self.k:+d}"
        return f"{self.k}/B"


class Filled:
    """A constant array of one repeated value whose shape depends on B (``ones(B)``)."""

    __slots__ = ("value", "shape", "dtype")

    def __init__(self, value, shape, dtype):
        self.value, self.shape, self.dtype = value, shape, dtype

    def at(self, size):
        return numpy.full(fill_in(self.shape, size), self.value, self.dtype)

    def __repr__(self):
        return f"full({self.shape!r}, {self.value!r})"


def _filled(array):
    return isinstance(array, numpy.ndarray) and array.size > 0 and bool((array == array.flat[0]).all())


def _relate_number(a, b, size_a, size_b, where):
    """The Sym that gives ``a`` at ``size_a`` and ``b`` at ``size_b`` (or NotDynamic)."""
    if isinstance(a, numbers.Integral):
        if a % size_a == 0 and b % size_b == 0 and a // size_a == b // size_b:
            return Sym("mul", int(a // size_a), type(a))
        if a - size_a == b - size_b:
            return Sym("add", int(a - size_a), type(a))
    else:
        for form, k_a, k_b in (("mul", a / size_a, b / size_b), ("div", a * size_a, b * size_b)):
            if numpy.isclose(k_a, k_b, rtol=1e-9, atol=0):
                nearest = round(k_a)
                return Sym(form, nearest if abs(k_a - nearest) < 1e-9 else k_a, type(a))
    raise NotDynamic(f"{where}: {a!r} at batch size {size_a} but {b!r} at {size_b}")


def relate(a, b, size_a, size_b, where):
    """The template value for ``a`` (traced at ``size_a``) and ``b`` (at ``size_b``)."""
    if isinstance(a, Ref) or isinstance(b, Ref):
        if a == b:
            return a
        raise NotDynamic(f"{where}: reads a different value")
    if isinstance(a, numpy.ndarray) or isinstance(b, numpy.ndarray):
        if (isinstance(a, numpy.ndarray) and isinstance(b, numpy.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and numpy.array_equal(a, b)):
            return a
        if _filled(a) and _filled(b) and a.dtype == b.dtype and a.flat[0] == b.flat[0]:
            return Filled(a.flat[0], relate(a.shape, b.shape, size_a, size_b, where), a.dtype)
        raise NotDynamic(f"{where}: a constant array differs between batch sizes")
    if isinstance(a, (list, tuple)) and type(a) is type(b):
        if len(a) != len(b):
            raise NotDynamic(f"{where}: {a!r} at batch size {size_a} but {b!r} at {size_b}")
        return type(a)(relate(x, y, size_a, size_b, where) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            raise NotDynamic(f"{where}: different parameters")
        return {k: relate(a[k], b[k], size_a, size_b, where) for k in a}
    if a is b:
        return a
    if isinstance(a, numbers.Number) and not isinstance(a, bool) and type(a) is type(b):
        return a if a == b else _relate_number(a, b, size_a, size_b, where)
    try:
        if type(a) is type(b) and bool(a == b):
            return a
    except Exception:   # an object whose == is not a truth value
        pass
    raise NotDynamic(f"{where}: {a!r} at batch size {size_a} but {b!r} at {size_b}")


def symbolic_template(first, size_a, second, size_b):
    """The graph with batch-size symbols that both traced graphs are instances of."""
    if len(first.nodes) != len(second.nodes):
        raise NotDynamic(f"the graphs have {len(first.nodes)} and {len(second.nodes)} nodes")
    if first.output_refs() != second.output_refs() or first.grads_none_at_entry != second.grads_none_at_entry:
        raise NotDynamic("the function returns different values")
    template = Graph()
    template.value_count = first.value_count
    template.output_structure = first.output_structure
    template.escaping = set(first.escaping)
    template.grads_none_at_entry = set(first.grads_none_at_entry)
    position = {id(node): i for i, node in enumerate(first.nodes)}
    for i, (a, b) in enumerate(zip(first.nodes, second.nodes)):
        where = f"node {i} ({a.name()}, {a.site or 'no user line'})"
        if a.kind != b.kind or a.name() != b.name() or a.outputs != b.outputs or a.dtypes != b.dtypes:
            raise NotDynamic(f"{where}: a different operation at batch size {size_b}")
        if a.kind == "custom":
            raise NotDynamic(f"{where}: a custom autograd.Function keeps the shapes it was traced at")
        if a.kind == "call" and a.fn is not b.fn and a.fn != b.fn:
            raise NotDynamic(f"{where}: calls a different function")
        node = Node(a.kind, fn=a.fn, args=relate(a.args, b.args, size_a, size_b, where),
                    params=relate(a.params, b.params, size_a, size_b, where), outputs=list(a.outputs),
                    shapes=relate(a.shapes, b.shapes, size_a, size_b, where), dtypes=list(a.dtypes),
                    site=a.site, target=a.target)
        if a.kind == "backward":
            node.target = template.nodes[position[id(a.target)]]
        elif a.target is not b.target and a.kind not in ("inplace", "assign") and "input" not in a.params:
            # an in-place write goes to the value its first argument names (compared above); its
            # target may be a tensor each call makes afresh (the .grad that clip_grad_norm_ scales);
            # a gradient of input k (params["input"], compared above) is each call's input's
            raise NotDynamic(f"{where}: works on a different tensor")
        node.pinned, node.label = a.pinned, a.label
        template.nodes.append(node)
    return template


def fill_in(value, size):
    """``value`` with every Sym replaced by its number at batch size ``size``."""
    if isinstance(value, (Sym, Filled)):
        return value.at(size)
    if isinstance(value, (list, tuple)) and not isinstance(value, Ref):
        return type(value)(fill_in(x, size) for x in value)
    if isinstance(value, dict):
        return {k: fill_in(v, size) for k, v in value.items()}
    return value


def instantiate(template, size):
    """The concrete graph of ``template`` at batch size ``size``."""
    graph = Graph()
    graph.value_count = template.value_count
    graph.output_structure = template.output_structure
    graph.escaping = set(template.escaping)
    graph.grads_none_at_entry = set(template.grads_none_at_entry)
    twins = {}
    for node in template.nodes:
        twin = Node(node.kind, fn=node.fn, args=fill_in(node.args, size), params=fill_in(node.params, size),
                    outputs=list(node.outputs), shapes=fill_in(node.shapes, size), dtypes=list(node.dtypes),
                    site=node.site, target=twins[id(node.target)] if node.kind == "backward" else node.target)
        twin.pinned, twin.label = node.pinned, node.label
        twins[id(node)] = twin
        graph.nodes.append(twin)
    return graph


def batch_change(old, new):
    """(inputs, old size, new size) when two traces' guards differ only in a batch dimension.

    The batch dimension is dim 0 of the inputs whose dim 0 changed, all from the same
    size to the same size (both at least 2: sizes 0 and 1 keep traces of their own, as
    a graph may treat them specially). Everything else the guards check must be equal.
    """
    if (len(old.inputs) != len(new.inputs) or old.literals != new.literals or old.grad_mode != new.grad_mode
            or old.default_dtype is not new.default_dtype
            or not _same_captured(old.captured, new.captured) or not _same_modules(old.modules, new.modules)
            or not _same_modules(old.module_objects, new.module_objects)
            or [hooks for _, hooks in old.module_hooks] != [hooks for _, hooks in new.module_hooks]
            or [(_grad_key(v), none) for v, none in old.grads] != [(_grad_key(v), none) for v, none in new.grads]):
        return None
    indices, sizes = [], set()
    for i, (a, b) in enumerate(zip(old.inputs, new.inputs)):
        (shape_a, *rest_a), (shape_b, *rest_b) = a, b
        if rest_a != rest_b or len(shape_a) != len(shape_b) or shape_a[1:] != shape_b[1:]:
            return None
        if shape_a and shape_a[0] != shape_b[0]:
            indices.append(i)
            sizes.add((shape_a[0], shape_b[0]))
    if len(sizes) != 1:
        return None
    (size_old, size_new), = sizes
    if min(size_old, size_new) < 2:
        return None
    return indices, size_old, size_new


def _same_captured(old, new):
    if [name for name, *_ in old] != [name for name, *_ in new]:
        return False
    for (_, _, a), (_, _, b) in zip(old, new):
        if hasattr(a, "same_as"):    # guarded by identity (and contents, items or attributes)
            same = a.same_as(b)
        else:
            same = type(a) is type(b) and a == b
        if not same:
            return False
    return True


def _grad_key(var):
    """A gradient guard's tensor: ("input", k) as it is, any other tensor by identity."""
    return var if isinstance(var, tuple) else id(var)


def _same_modules(old, new):
    """The same modules with equal attributes (objects: the same ones, containers: the same items)."""
    return len(old) == len(new) and all(
        ma is mb and len(attrs_a) == len(attrs_b)
        and all(ka == kb and _same_guard(va, vb) for (ka, va), (kb, vb) in zip(attrs_a, attrs_b))
        for (ma, attrs_a), (mb, attrs_b) in zip(old, new))


def _same_guard(a, b):
    if a is b:
        return True
    if hasattr(a, "same_as"):
        return type(a) is type(b) and a.same_as(b)
    return not isinstance(a, Tensor) and type(a) is type(b) and bool(a == b)


def smallest_batch(template, size_a, size_b):
    """The smallest batch size the template serves: 2, or the smaller traced size when a slice
    cuts the batch to a fixed length (``x[:4]`` is 4 rows at B = 16 and 8, but 3 at B = 3)."""
    from ..ops.indexing import BasicIndex
    shapes = {}
    for node in template.nodes:
        for v, shape in zip(node.outputs, node.shapes):
            if v is not None:
                shapes[v] = shape
    for node in template.nodes:
        if node.kind != "op" or node.fn is not BasicIndex or not node.args or not isinstance(node.args[0], Ref):
            continue
        source = shapes.get(node.args[0].id)
        if source and isinstance(source[0], Sym) and node.shapes[0] and not isinstance(node.shapes[0][0], Sym):
            return min(size_a, size_b)
    return 2
