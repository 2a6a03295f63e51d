"""What a compiled function reads from outside its arguments, and how each kind of value is guarded.

``captured_names`` lists the closure variables and globals its code reads (and the object of
a bound method); ``guard_of`` chooses a guard for each value: numbers, strings and lists or
dicts of them by value, NumPy arrays by contents, lists, dicts, sets and deques of other
things by the identity of their items, other objects by identity (the attributes the call
reads of them are guarded as reads: see reads.py).
"""
import collections
import copy
import dis
import math
import types

import numpy

_MISSING = object()
_SCALARS = (bool, int, float, complex, str, bytes, type(None), numpy.generic)   # numpy.float32(0.5) too


def is_plain_value(value):
    """Numbers, strings, None, and tuples, lists and dicts of them: values a trace may depend on."""
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, (tuple, list)):
        return all(is_plain_value(v) for v in value)
    if isinstance(value, dict):
        return all(is_plain_value(k) and is_plain_value(v) for k, v in value.items())
    return False


def same_plain(a, b):
    """Plain values equal as a trace sees them: by type and value, with -0.0 apart from 0.0
    (1 / x differs), nan equal to nan, and a dict's key order counting (its iteration order)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (a != a and b != b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_plain(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_plain(a[k], b[k]) for k in a)
    try:
        return bool(a == b) or (a != a and b != b)
    except Exception:
        return False


def captured_names(fn):
    """(name, getter) for the closure variables and globals a function's code reads, and the
    object a bound method belongs to (as ``self``)."""
    found = []
    if getattr(fn, "__self__", None) is not None and not isinstance(fn.__self__, types.ModuleType):
        found.append(("self", _BoundObject(fn.__self__)))
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return found
    for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
        found.append((name, _ClosureVariable(cell)))
    scope = fn.__globals__
    for name in _global_reads(code):
        if name in scope:
            found.append((name, _GlobalVariable(scope, name)))
    return found


def _global_reads(code):
    """The global names a code object (and the comprehensions and lambdas inside it) reads.

    Not ``co_names``: it lists attribute names too, and ``opt.step()`` must not tie the
    trace to a global that happens to be called ``step``."""
    names = []
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME") and instruction.argval not in names:
            names.append(instruction.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names += [name for name in _global_reads(const) if name not in names]
    return names


class _ClosureVariable:
    """Reads one closure cell; ``expression`` writes the read inline in the generated check."""

    def __init__(self, cell):
        self.cell = cell

    def __call__(self):
        return self.cell.cell_contents

    def expression(self, key, namespace):
        namespace[key] = self.cell
        return f"{key}.cell_contents"


class _GlobalVariable:
    """Reads one global of the function's module (None once it is deleted)."""

    def __init__(self, scope, name):
        self.scope, self.name = scope, name

    def __call__(self):
        return self.scope.get(self.name)

    def expression(self, key, namespace):
        namespace[key] = self.scope
        return f"{key}.get({self.name!r})"


class _BoundObject:
    """The object of a bound method: it cannot change, but its attributes can."""

    def __init__(self, value):
        self.value = value

    def __call__(self):
        return self.value

    def expression(self, key, namespace):
        namespace[key] = self.value
        return key


def _safe(getter):
    try:
        return getter()
    except ValueError:   # an empty closure cell
        return None


class _Identity:
    """A captured object (a tensor, a module, a function), guarded by identity."""

    def __init__(self, value):
        self.value = value

    def same_as(self, other):
        """The same guard (for comparing two traces)."""
        return type(other) is type(self) and other.value is self.value


class _ArrayContents(_Identity):
    """A captured NumPy array: the graph may hold its values as a constant, so they are guarded too."""

    def __init__(self, value):
        super().__init__(value)
        self.contents = value.copy()

    def changed(self, current):
        return current is not self.value or not numpy.array_equal(current, self.contents)

    def same_as(self, other):
        return super().same_as(other) and numpy.array_equal(self.contents, other.contents)


class _Items(_Identity):
    """A captured list or dict of objects (tensors, modules): guarded by the identity of its items."""

    def __init__(self, value):
        super().__init__(value)
        self.items = _copy(value)

    def changed(self, current):
        return current is not self.value or not _same_items(current, self.items)

    def same_as(self, other):
        return super().same_as(other) and _same_items(self.items, other.items)


class _Attributes(_Identity):
    """A captured object (a config, the ``self`` of a method): guarded by identity, by the
    plain values among its attributes, which the trace may have read, and by which tensor
    each tensor attribute holds."""

    def __init__(self, value):
        super().__init__(value)
        self.attributes = plain_attributes(value)
        self.tensors = tensor_attributes(value)
        self.names = frozenset(vars(value))   # hasattr and getattr with a default see new attributes

    def changed(self, current):
        if current is not self.value:
            return True
        d = current.__dict__
        return (any(not same_plain(d.get(k, _MISSING), v) for k, v in self.attributes.items())
                or any(d.get(k) is not t for k, t in self.tensors.items()) or d.keys() != self.names)

    def first_change(self, current):
        d = current.__dict__
        rebound = [(k, _Described("a tensor"), _Described("another object"))
                   for k, t in self.tensors.items() if d.get(k) is not t]
        changed = [(k, v, d.get(k)) for k, v in self.attributes.items() if not same_plain(d.get(k, _MISSING), v)]
        added = [(k, _Described("no attribute"), d[k]) for k in d.keys() - self.names]
        removed = [(k, _Described("an attribute"), _Described("none")) for k in self.names - d.keys()]
        return (changed + rebound + added + removed)[0]

    def same_as(self, other):
        return (super().same_as(other) and self.attributes == other.attributes
                and self.tensors.keys() == other.tensors.keys()
                and all(t is other.tensors[k] for k, t in self.tensors.items()))


class _Described:
    """Shown in a message as its text, without quotes."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


# Objects guarded by identity alone: what their attributes hold is guarded elsewhere (modules,
# tensors) or is not state a trace reads (functions, classes, Python modules).
_IDENTITY_ONLY = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def _is_module_or_tensor(value):
    from ..nn.module import Module
    from ..tensor import Tensor
    return isinstance(value, (Module, Tensor))


def guard_of(value, stateful=()):
    """How a captured value is guarded. ``stateful``: ids of objects whose methods the replay
    calls whole (optimizers, schedulers); their attributes change on every call, by design."""
    if is_plain_value(value):
        return copy.deepcopy(value)    # a list or dict may change in place later
    if isinstance(value, numpy.ndarray):
        return _ArrayContents(value)
    if isinstance(value, (list, dict, set, frozenset, collections.deque)):
        return _Items(value)
    # any other object by identity: what the call reads of its attributes, it reads in code the
    # read guards follow (reads.py), which also guard the whole object where code uses it whole
    return _Identity(value)


def _steps_its_own_state(value):
    """Optimizers and schedulers: their step() is replayed whole and reads their state afresh, so
    their attributes (``state``, ``last_epoch``) change between calls by design, stepped or not."""
    from ..optim.optimizer import Optimizer
    from ..optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
    return isinstance(value, (Optimizer, LRScheduler, ReduceLROnPlateau))


def has_plain_attributes(value):
    return isinstance(getattr(value, "__dict__", None), dict) and any(
        is_plain_value(v) and not k.startswith("__") for k, v in value.__dict__.items())


def _differs(old, current):
    if isinstance(old, (_ArrayContents, _Items, _Attributes)):
        return old.changed(current)
    if isinstance(old, _Identity):
        return current is not old.value
    return not same_plain(old, current)


def forward_hooks(module):
    """The module's forward pre-hooks and hooks, in order (a trace ran exactly these)."""
    return (tuple((module._forward_pre_hooks or {}).values()), tuple((module._forward_hooks or {}).values()))


def object_attributes(module):
    """How each attribute of a module that is not a plain value is guarded: a tensor, a submodule
    or a function by identity; a list, tuple or dict (``Sequential``'s layers) by its items."""
    guarded = {}
    for key, value in module.__dict__.items():
        if key.startswith("__") or key in ("_forward_hooks", "_forward_pre_hooks") or is_plain_value(value):
            continue
        guarded[key] = _Items(value) if isinstance(value, (list, tuple, dict)) else value
    return guarded


def object_changed(guard, current):
    """Whether a module attribute no longer passes its guard from ``object_attributes``."""
    return guard.changed(current) if isinstance(guard, _Items) else current is not guard


def tensor_attributes(obj):
    """The attributes of ``obj`` that hold tensors (parameters, buffers, cached tensors)."""
    from ..tensor import Tensor
    attributes = getattr(obj, "__dict__", None)
    if not isinstance(attributes, dict):
        return {}
    return {k: v for k, v in attributes.items() if isinstance(v, Tensor)}


def plain_attributes(module):
    """A module's attributes that are plain values (``training``, ``p``, ``eps``, ...)."""
    return {k: copy.deepcopy(v) for k, v in module.__dict__.items() if is_plain_value(v) and not k.startswith("__")}


def _same_items(a, b):
    """Equal by identity of the items (comparing tensors by value would need their data)."""
    if isinstance(a, dict):
        return list(a) == list(b) and all(a[k] is b[k] for k in a)   # in order: iterating it sees the order
    if isinstance(a, set):
        return a == b
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _copy(container):
    return dict(container) if isinstance(container, dict) else type(container)(container)
