"""What a trace assumed, checked again before each replay, and said in words when it changed.

A trace is valid for the inputs' shapes, dtypes and ``requires_grad``, the grad mode,
the Python values it read (the function's arguments that are not tensors, the numbers
and strings in its closure and globals, the plain attributes of every module that ran,
``training`` among them), and whether each gradient it touched first was None.
``Guards.describe_change`` names the first of these that differs, for the recompile log.
"""
import copy
import dis
import types

import numpy

from ..grad_mode import is_grad_enabled, _state as _grad_state
from .._errors import shape_str

_MISSING = object()
_SCALARS = (bool, int, float, complex, str, bytes, type(None))


def is_plain_value(value):
    """Numbers, strings, None, and tuples, lists and dicts of them: values a trace may depend on."""
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, (tuple, list)):
        return all(is_plain_value(v) for v in value)
    if isinstance(value, dict):
        return all(is_plain_value(k) and is_plain_value(v) for k, v in value.items())
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


class Guards:
    """The assumptions of one trace."""

    def __init__(self, inputs, literals, fn, modules, grad_events, module_names, stateful=(), externals=()):
        self.inputs = input_signature(inputs)
        self.literals = literals
        self.grad_mode = is_grad_enabled()
        self.captured = [(name, getter, guard_of(_safe(getter), stateful)) for name, getter in captured_names(fn)]
        self.modules = [(m, sorted(plain_attributes(m).items())) for m in modules]
        self.module_names = module_names
        self.grads = [(var, was_none) for var, event, was_none in grad_events if event != "set"]
        # tensors that existed before the call (parameters, captured tensors): their shape, dtype
        # and requires_grad are constants of the graph, though their values are read afresh
        self.externals = [(t, t._data.shape, t._data.dtype, t._rg) for t in externals]
        self.symbolic = ()   # inputs whose dim 0 is the batch size B (set for dynamic=True)
        self._check = None

    def make_batch_symbolic(self, indices):
        """Accept any batch size B >= 2 in dim 0 of these inputs (the same B in all of them)."""
        self.symbolic = tuple(indices)
        self._check = None

    def check(self, inputs, literals):
        """True when this trace is valid for a call with these inputs (generated code, fast)."""
        if self._check is None:
            self._check = self._generate_check()
        return self._check(inputs, literals)

    def _generate_check(self):
        """One Python function testing every guard in turn, its constants bound by name."""
        namespace = {"_grad_state": _grad_state, "_literals": self.literals, "_missing": _MISSING,
                     "_layout": memory_layout}
        lines = ["def check(inputs, literals):",
                 "    if literals != _literals or len(inputs) != %d:" % len(self.inputs),
                 "        return False",
                 f"    if _grad_state['enabled'] is not {self.grad_mode}:",
                 "        return False"]
        if self.symbolic:
            lines += [f"    B = inputs[{self.symbolic[0]}]._data.shape[0]",
                      "    if B < 2:",
                      "        return False"]
        for i, (shape, dtype, requires_grad, layout, alias) in enumerate(self.inputs):
            namespace[f"_dtype{i}"] = dtype
            if i in self.symbolic:   # the same rank, the same trailing dims, B in dim 0
                same_shape = f"len(a.shape) != {len(shape)} or a.shape[1:] != {shape[1:]!r} or a.shape[0] != B"
            else:
                same_shape = f"a.shape != {shape!r}"
            same_layout = ("not a.flags.c_contiguous" if layout == ROW_MAJOR
                           else f"_layout(a) != {layout!r}")    # a view of the input may need its layout
            lines += [f"    a = inputs[{i}]._data",
                      f"    if {same_shape} or a.dtype != _dtype{i} or inputs[{i}]._rg is not {requires_grad}:",
                      "        return False",
                      f"    if {same_layout}:",
                      "        return False"]
            if alias != i:
                lines += [f"    if a is not inputs[{alias}]._data:", "        return False"]
        if len(self.inputs) > 1:
            unique = len({alias for *_, alias in self.inputs})
            lines += [f"    if len({{id(t._data) for t in inputs}}) != {unique}:", "        return False"]
        for k, (name, getter, value) in enumerate(self.captured):
            namespace[f"_value{k}"] = value
            read = getter.expression(f"_scope{k}", namespace)
            if isinstance(value, _Items) and isinstance(value.value, list) and len(value.items) <= 64:   # inline
                namespace[f"_list{k}"] = value.value
                same = [f"{read} is _list{k}", f"len(_list{k}) == {len(value.items)}"]
                for j, item in enumerate(value.items):
                    namespace[f"_item{k}_{j}"] = item
                    same.append(f"_list{k}[{j}] is _item{k}_{j}")
                lines += [f"    if not ({' and '.join(same)}):", "        return False"]
            elif isinstance(value, (_ArrayContents, _Items, _Attributes)):
                lines += [f"    if _value{k}.changed({read}):", "        return False"]
            elif isinstance(value, _Identity):
                namespace[f"_value{k}"] = value.value
                lines += [f"    if {read} is not _value{k}:", "        return False"]
            else:
                lines += [f"    v = {read}",
                          f"    if type(v) is not type(_value{k}) or v != _value{k}:", "        return False"]
        for m, (module, attributes) in enumerate(self.modules):
            namespace[f"_module{m}"] = module
            lines.append(f"    d = _module{m}.__dict__")
            for key, value in attributes:
                namespace[f"_attr{m}_{key}"] = value
                lines += [f"    if d.get({key!r}, _missing) != _attr{m}_{key}:", "        return False"]
        for e, (tensor, shape, dtype, requires_grad) in enumerate(self.externals):
            namespace[f"_ext{e}"], namespace[f"_extdtype{e}"] = tensor, dtype
            lines += [f"    a = _ext{e}._data",
                      f"    if a.shape != {shape!r} or a.dtype != _extdtype{e} or _ext{e}._rg is not {requires_grad}:",
                      "        return False"]
        for g, (var, was_none) in enumerate(self.grads):
            namespace[f"_var{g}"] = var
            lines += [f"    if (_var{g}._grad is None) is not {was_none}:", "        return False"]
        lines.append("    return True")
        exec(compile("\n".join(lines) + "\n", "<chainrule.compile guards>", "exec"), namespace)
        return namespace["check"]

    def _name_of_external(self, tensor):
        return _external_name(tensor, self.captured, self.modules, self.module_names)

    def describe_change(self, inputs, literals):
        """The first assumption that no longer holds, in plain words."""
        now = input_signature(inputs)
        if len(now) != len(self.inputs):
            return f"number of tensor inputs {len(self.inputs)} -> {len(now)}"
        batch = now[self.symbolic[0]][0][:1] if self.symbolic else ()
        for i, (old, new) in enumerate(zip(self.inputs, now)):
            if i in self.symbolic and len(old[0]) == len(new[0]) and batch and batch[0] >= 2:
                old = (batch + old[0][1:],) + old[1:]    # any batch size B >= 2 fits
            for label, a, b in zip(("shape", "dtype", "requires_grad", "memory layout", "shares memory with input"),
                                   old, new):
                if a != b:
                    if label == "shape":
                        a, b = shape_str(a), shape_str(b)
                    return f"input {i} {label} {a} -> {b}"
        if self.literals != literals:
            return f"non-tensor arguments {self.literals!r} -> {literals!r}"
        if self.grad_mode != is_grad_enabled():
            return f"grad mode {'on' if self.grad_mode else 'off'} -> {'on' if is_grad_enabled() else 'off'}"
        for name, getter, value in self.captured:
            current = _safe(getter)
            if _differs(value, current):
                if isinstance(value, _ArrayContents) and current is value.value:
                    return f"captured NumPy array `{name}` changed in place"
                if isinstance(value, _Items) and current is value.value:
                    return f"captured {type(current).__name__} `{name}` changed in place"
                if isinstance(value, _Attributes) and current is value.value:
                    key, before, after = value.first_change(current)
                    return f"captured `{name}` attribute {key} {before!r} -> {after!r}"
                if isinstance(value, _Identity):
                    return f"captured `{name}` is now a different {type(current).__name__} object"
                return f"captured `{name}` {value!r} -> {current!r}"
        for module, attributes in self.modules:
            for key, value in attributes:
                if module.__dict__.get(key) != value:
                    return (f"module {self.module_names.get(id(module), type(module).__name__)} "
                            f"{key} {value!r} -> {module.__dict__.get(key)!r}")
        for tensor, *before in self.externals:
            now = (tensor._data.shape, tensor._data.dtype, tensor._rg)
            for label, a, b in zip(("shape", "dtype", "requires_grad"), before, now):
                if a != b:
                    if label == "shape":
                        a, b = shape_str(a), shape_str(b)
                    return f"{self._name_of_external(tensor)} {label} {a} -> {b}"
        for var, was_none in self.grads:
            if (var._grad is None) != was_none:
                state = lambda none: "None" if none else "set"
                return f"a gradient (shape {shape_str(var.shape)}) was {state(was_none)}, now {state(not was_none)}"
        return "no guard changed"


def _external_name(tensor, captured, modules, module_names):
    """How the recompile log names a tensor the function read: a captured name, or a module's
    parameter or buffer."""
    for name, _, guard in captured:
        if getattr(guard, "value", None) is tensor:
            return f"captured tensor `{name}`"
    for module, _ in modules:
        for key, value in module.__dict__.items():
            if value is tensor:
                return f"{key} of module {module_names.get(id(module), type(module).__name__)}"
    return f"a tensor the function reads (shape {shape_str(tensor.shape)})"


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
    """A captured object (a config, the ``self`` of a method): guarded by identity and by the
    plain values among its attributes, which the trace may have read."""

    def __init__(self, value):
        super().__init__(value)
        self.attributes = plain_attributes(value)

    def changed(self, current):
        if current is not self.value:
            return True
        d = current.__dict__
        return any(d.get(k, _MISSING) != v for k, v in self.attributes.items())

    def first_change(self, current):
        d = current.__dict__
        return next((k, v, d.get(k)) for k, v in self.attributes.items() if d.get(k, _MISSING) != v)

    def same_as(self, other):
        return super().same_as(other) and self.attributes == other.attributes


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
    if isinstance(value, (list, dict)):
        return _Items(value)
    if (isinstance(value, _IDENTITY_ONLY) or _is_module_or_tensor(value) or id(value) in stateful
            or not plain_attributes_of(value)):
        return _Identity(value)
    return _Attributes(value)


def plain_attributes_of(value):
    return isinstance(getattr(value, "__dict__", None), dict) and any(
        is_plain_value(v) and not k.startswith("__") for k, v in value.__dict__.items())


def _differs(old, current):
    if isinstance(old, (_ArrayContents, _Items, _Attributes)):
        return old.changed(current)
    if isinstance(old, _Identity):
        return current is not old.value
    return type(old) is not type(current) or old != current


ROW_MAJOR = "row-major"


def memory_layout(array):
    """'row-major' (C-contiguous), or the strides of any other layout: ``view`` and in-place
    writes through views behave differently on them, so a trace holds for one layout."""
    return ROW_MAJOR if array.flags.c_contiguous else f"strides {array.strides}"


def input_signature(inputs):
    """Per tensor input: shape, dtype, requires_grad, memory layout, and the first input sharing its array."""
    first = {}
    signature = []
    for i, t in enumerate(inputs):
        alias = first.setdefault(id(t._data), i)
        signature.append((t._data.shape, t._data.dtype, t._rg, memory_layout(t._data), alias))
    return signature


def plain_attributes(module):
    """A module's attributes that are plain values (``training``, ``p``, ``eps``, ...)."""
    return {k: copy.deepcopy(v) for k, v in module.__dict__.items() if is_plain_value(v) and not k.startswith("__")}


def snapshot_captured_state(fn, modules):
    """What a trace must not change: captured containers and bindings, module attributes."""
    state = []
    for name, getter in captured_names(fn):
        value = _safe(getter)
        if isinstance(value, (list, dict, set)):
            state.append((name, getter, value, _copy(value)))
        elif not isinstance(value, (types.ModuleType, types.FunctionType, type)):
            watched = plain_attributes_of(value) and not _is_module_or_tensor(value)   # modules: below
            attributes = plain_attributes(value) if watched else None
            state.append((name, getter, value, attributes))
    return state, [(m, plain_attributes(m)) for m in modules]


def _same_items(a, b):
    """Equal by identity of the items (comparing tensors by value would need their data)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(a[k] is b[k] for k in a)
    if isinstance(a, set):
        return a == b
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _copy(container):
    return dict(container) if isinstance(container, dict) else type(container)(container)


def mutation_in(snapshot, module_names, stateful=()):
    """A description of the first captured Python state the traced call changed, or None.
    ``stateful``: ids of objects whose methods the replay calls whole (their changes replay)."""
    state, module_state = snapshot
    for name, getter, value, before in state:
        current = _safe(getter)
        if current is not value:
            return f"rebinds the captured variable `{name}`"
        if isinstance(value, (list, dict, set)):
            if not _same_items(_copy(current), before):
                return f"changes the captured {type(value).__name__} `{name}` ({len(before)} -> {len(current)} items)"
        elif before is not None and id(value) not in stateful:
            after = plain_attributes(value)
            for key in before.keys() | after.keys():
                if before.get(key, _MISSING) != after.get(key, _MISSING):
                    return (f"changes the attribute {key} of the captured {type(value).__name__} `{name}` "
                            f"({before.get(key)!r} -> {after.get(key)!r})")
    for module, before in module_state:
        after = plain_attributes(module)
        for key in set(before) | set(after):
            if key != "training" and before.get(key) != after.get(key):
                name = module_names.get(id(module), type(module).__name__)
                return f"changes the attribute {key} of module {name} ({before.get(key)!r} -> {after.get(key)!r})"
    return None
