"""What a trace assumed, checked again before each replay, and said in words when it changed.

A trace is valid for the inputs' shapes, dtypes, ``requires_grad`` and memory layout, the
grad mode, the default dtype, the Python values it read (the function's arguments that are
not tensors, what it captured: see ``captured.py``, the plain attributes of every module that
ran, ``training`` among them), the shape, dtype and ``requires_grad`` of the tensors it read from outside, and
whether each gradient it touched first was None. ``Guards.describe_change`` names the first
of these that differs, for the recompile log.
"""
from .. import backend as B
from ..grad_mode import is_grad_enabled, _state as _grad_state
from .._errors import shape_str
from .captured import (_MISSING, _ArrayContents, _Attributes, _ClosureVariable, _GlobalVariable, _Identity, _Items,
                       _differs, _safe, _same_items, captured_names, forward_hooks, guard_of, object_attributes, object_changed,
                       plain_attributes, same_plain)
from .reads import CellRoot, GlobalRoot


class Guards:
    """The assumptions of one trace."""

    def __init__(self, inputs, literals, fn, modules, grad_events, module_names, stateful=(), externals=(),
                 rebound=(), entry_modes=None, reads=(), outside=(), optimizers=()):
        self.inputs = input_signature(inputs)
        self.literals = literals
        self.grad_mode = is_grad_enabled()
        self.default_dtype = B.get_default_dtype()   # cr.zeros(3), the result of int / int
        self.captured = [(name, getter, guard_of(_safe(getter), stateful)) for name, getter in captured_names(fn)]
        # the modules' plain attributes as the call found them (entry_modes: the training flag of
        # the modules the call switched with train() or eval(), which each replay switches again)
        entry_modes = entry_modes or {}
        self.modules = [(m, sorted(dict(plain_attributes(m), **({"training": entry_modes[id(m)]}
                                                                 if id(m) in entry_modes else {})).items()))
                        for m in modules]
        # which tensor, submodule or function each module attribute holds (a parameter rebound
        # between calls is a new tensor, model.fc = nn.Linear(...) a new module), and the items of
        # its lists and dicts; ``rebound``: (id(module), name) the traced call binds anew, and so each replay
        self.module_hooks = [(m, forward_hooks(m)) for m in modules]
        self.module_objects = [(m, [(k, guard) for k, guard in sorted(object_attributes(m).items(),
                                                                       key=lambda item: item[0])
                                    if (id(m), k) not in rebound])
                               for m in modules]
        self.module_names = module_names
        # (tensor or ("input", k), was None): the gradients the call touched first, as it found them
        self.grads = [(var, was_none) for var, event, was_none in grad_events if event != "set"]
        # tensors that existed before the call (parameters, captured tensors): their shape, dtype
        # and requires_grad are constants of the graph, though their values are read afresh
        self.externals = [(t, t._data.shape, t._data.dtype, t._rg, memory_layout(t._data)) for t in externals]
        # what the call read from Python state below the function itself (reads.py), less what
        # the captured guards above hold already
        self.reads = [read for read in reads if not _captured_already(read, self.captured)]
        # tensors from before the call that it read (captured, parameters), other than the inputs:
        # which of them and of the inputs share memory is built into the graph (`x = c` traces as
        # one value), so it must stay as it was
        held = _tensors_held(self.captured, self.reads, modules)
        self.outside = [t for t in outside if id(t) in held or all(t is not x for x in inputs)]
        self.sharing = memory_sharing(list(inputs) + self.outside)
        # each optimizer's parameter lists, by identity: zero_grad() and step() are replayed for the
        # parameters they had (after add_param_group, the new ones need a new trace)
        self.optimizers = [(opt, [(group["params"], list(group["params"])) for group in opt.param_groups])
                           for opt in optimizers]
        self.symbolic = ()   # inputs whose dim 0 is the batch size B (set for dynamic=True)
        self.min_batch = 2
        self._check = None

    def make_batch_symbolic(self, indices, min_batch=2):
        """Accept any batch size B >= min_batch in dim 0 of these inputs (the same B in all of them)."""
        self.symbolic = tuple(indices)
        self.min_batch = max(2, min_batch)
        self._check = None

    def check(self, inputs, literals):
        """True when this trace is valid for a call with these inputs (generated code, fast)."""
        if self._check is None:
            self._check = self._generate_check()
        return self._check(inputs, literals)

    def _generate_check(self):
        """One Python function testing every guard in turn, its constants bound by name."""
        namespace = {"_grad_state": _grad_state, "_literals": self.literals, "_missing": _MISSING,
                     "_layout": memory_layout, "_default_dtype": B.get_default_dtype, "_forward_hooks": forward_hooks,
                     "_traced_default_dtype": self.default_dtype}
        lines = ["def check(inputs, literals):",
                 "    if literals != _literals or len(inputs) != %d:" % len(self.inputs),
                 "        return False",
                 f"    if _grad_state['enabled'] is not {self.grad_mode}:",
                 "        return False",
                 "    if _default_dtype() is not _traced_default_dtype:",
                 "        return False"]
        if self.symbolic:
            lines += [f"    B = inputs[{self.symbolic[0]}]._data.shape[0]",
                      f"    if B < {self.min_batch}:",
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
        if self.outside:
            lines += self._sharing_lines(namespace)
        for k, (name, getter, value) in enumerate(self.captured):
            namespace[f"_value{k}"] = value
            read = getter.expression(f"_scope{k}", namespace)
            if _inline_list(value):
                lines += _same_list_lines(value, read, f"_list{k}", namespace)
            elif isinstance(value, (_ArrayContents, _Items, _Attributes)):
                lines += [f"    if _value{k}.changed({read}):", "        return False"]
            elif isinstance(value, _Identity):
                namespace[f"_value{k}"] = value.value
                lines += [f"    if {read} is not _value{k}:", "        return False"]
            else:
                lines += [f"    v = {read}"] + _same_value_lines("v", value, f"_value{k}", namespace)
        for m, (module, attributes) in enumerate(self.modules):
            namespace[f"_module{m}"] = module
            lines.append(f"    d = _module{m}.__dict__")
            for key, value in attributes:
                namespace[f"_attr{m}_{key}"] = value
                lines += [f"    if d.get({key!r}, _missing) != _attr{m}_{key}:", "        return False"]
            hooks = self.module_hooks[m][1]
            if hooks == ((), ()):   # the usual case, inline: still no hooks
                lines += [f"    if _module{m}._forward_hooks or _module{m}._forward_pre_hooks:", "        return False"]
            else:
                namespace[f"_hooks{m}"] = hooks
                lines += [f"    if _forward_hooks(_module{m}) != _hooks{m}:", "        return False"]
            for j, (key, guard) in enumerate(self.module_objects[m][1]):
                namespace[f"_object{m}_{j}"] = guard
                if _inline_list(guard):   # a Sequential's layers
                    lines += _same_list_lines(guard, f"d.get({key!r})", f"_list{m}_{j}", namespace)
                elif isinstance(guard, _Items):
                    lines += [f"    if _object{m}_{j}.changed(d.get({key!r})):", "        return False"]
                else:
                    lines += [f"    if d.get({key!r}) is not _object{m}_{j}:", "        return False"]
        for r, read in enumerate(self.reads):
            lines += _read_lines(read, r, namespace)
        for o, (optimizer, groups) in enumerate(self.optimizers):
            namespace[f"_optimizer{o}"] = optimizer
            lines += [f"    groups = _optimizer{o}.param_groups",
                      f"    if len(groups) != {len(groups)}:", "        return False"]
            for g, (params, _) in enumerate(groups):
                guard = _Items(params)
                if _inline_list(guard):
                    lines += _same_list_lines(guard, f"groups[{g}]['params']", f"_params{o}_{g}", namespace)
                else:
                    namespace[f"_params{o}_{g}"] = guard
                    lines += [f"    if _params{o}_{g}.changed(groups[{g}]['params']):", "        return False"]
        for e, (tensor, shape, dtype, requires_grad, layout) in enumerate(self.externals):
            namespace[f"_ext{e}"], namespace[f"_extdtype{e}"] = tensor, dtype
            # the layout too: a view of it (ViewOf) takes the same window of its memory
            same_layout = "a.flags.c_contiguous" if layout == ROW_MAJOR else f"_layout(a) == {layout!r}"
            lines += [f"    a = _ext{e}._data",
                      f"    if (a.shape != {shape!r} or a.dtype != _extdtype{e} or _ext{e}._rg is not {requires_grad}"
                      f" or not {same_layout}):",
                      "        return False"]
        for g, (var, was_none) in enumerate(self.grads):
            if isinstance(var, tuple):   # ("input", k): the gradient of the k-th input tensor
                tensor = f"inputs[{var[1]}]"
            else:
                namespace[f"_var{g}"] = var
                tensor = f"_var{g}"
            lines += [f"    if ({tensor}._grad is None) is not {was_none}:", "        return False"]
        lines.append("    return True")
        self.source = "\n".join(lines) + "\n"    # for reading what is checked
        exec(compile(self.source, "<chainrule.compile guards>", "exec"), namespace)
        return namespace["check"]

    def _sharing_lines(self, namespace):
        """Generated lines: the inputs and outside tensors share memory as they did (by the array
        that owns each one's memory)."""
        lines = []
        reads = [f"inputs[{i}]._data" for i in range(len(self.inputs))]
        for o, tensor in enumerate(self.outside):
            namespace[f"_outside{o}"] = tensor
            reads.append(f"_outside{o}._data")
        for j, read in enumerate(reads):
            lines += [f"    a = {read}", f"    r{j} = id(a if a.base is None else a.base)"]
        owners = ", ".join(f"r{j}" for j in range(len(reads)))
        lines += [f"    if len({{{owners}}}) != {len(set(self.sharing))}:", "        return False"]
        for j, first in enumerate(self.sharing):
            if first != j:
                lines += [f"    if r{j} != r{first}:", "        return False"]
        return lines

    def _name_of_external(self, tensor):
        return _external_name(tensor, self.captured, self.modules, self.module_names)

    def _module_name(self, module):
        return self.module_names.get(id(module), type(module).__name__)

    def describe_change(self, inputs, literals):
        """The first assumption that no longer holds, in plain words."""
        now = input_signature(inputs)
        if len(now) != len(self.inputs):
            return _reason("number of tensor inputs", f"{len(self.inputs)} -> {len(now)}")
        batch = now[self.symbolic[0]][0][:1] if self.symbolic else ()
        if batch and 2 <= batch[0] < self.min_batch:
            return _reason(f"input {self.symbolic[0]} batch size",
                           f"{batch[0]} is below {self.min_batch}, the smallest the graph serves (a slice cuts "
                           f"the batch to a fixed length)")
        for i, (old, new) in enumerate(zip(self.inputs, now)):
            if i in self.symbolic and len(old[0]) == len(new[0]) and batch and batch[0] >= self.min_batch:
                old = (batch + old[0][1:],) + old[1:]    # any batch size B >= min_batch fits
            for label, a, b in zip(("shape", "dtype", "requires_grad", "memory layout", "shares memory with input"),
                                   old, new):
                if a != b:
                    if label == "shape":
                        a, b = shape_str(a), shape_str(b)
                    return _reason(f"input {i} {label}", f"{a} -> {b}")
        now_sharing = memory_sharing(list(inputs) + self.outside)
        if now_sharing != self.sharing:
            return _reason("memory shared between inputs and tensors the function reads",
                           f"{_sharing_words(self.sharing, len(inputs))} -> {_sharing_words(now_sharing, len(inputs))}")
        if self.literals != literals:
            if repr(self.literals) == repr(literals):   # an object argument, equal but not the same
                return _reason("non-tensor arguments", "hold a different object")
            return _reason("non-tensor arguments", f"{self.literals!r} -> {literals!r}")
        if self.grad_mode != is_grad_enabled():
            state = lambda on: "on" if on else "off"
            return _reason("grad mode", f"{state(self.grad_mode)} -> {state(is_grad_enabled())}")
        if self.default_dtype is not B.get_default_dtype():
            return _reason("default dtype", f"{self.default_dtype.np} -> {B.get_default_dtype().np}")
        for name, getter, value in self.captured:
            current = _safe(getter)
            if _differs(value, current):
                if isinstance(value, _ArrayContents) and current is value.value:
                    return _reason(f"captured NumPy array `{name}`", "changed in place")
                if isinstance(value, _Items) and current is value.value:
                    return _reason(f"captured {type(current).__name__} `{name}`", "changed in place")
                if isinstance(value, _Attributes) and current is value.value:
                    key, before, after = value.first_change(current)
                    return _reason(f"captured `{name}` attribute {key}", f"{before!r} -> {after!r}")
                if isinstance(value, _Identity):
                    return _reason(f"captured `{name}`", f"is now a different {type(current).__name__} object")
                return _reason(f"captured `{name}`", f"{value!r} -> {current!r}")
        for module, attributes in self.modules:
            for key, value in attributes:
                if module.__dict__.get(key) != value:
                    return _reason(f"module {self._module_name(module)} {key}",
                                   f"{value!r} -> {module.__dict__.get(key)!r}")
        for module, hooks in self.module_hooks:
            if forward_hooks(module) != hooks:
                return _reason(f"module {self._module_name(module)} forward hooks", "added or removed")
        for module, guarded in self.module_objects:
            for key, guard in guarded:
                if object_changed(guard, module.__dict__.get(key)):
                    now = module.__dict__.get(key)
                    change = ("changed its items" if isinstance(guard, _Items) and now is guard.value
                              else f"is bound to a different {type(now).__name__}")
                    return _reason(f"module {self._module_name(module)} {key}", change)
        for read in self.reads:
            if not read.holds():
                return _reason(f"{read.root.kind} `{read.path()}` (read at {read.site})", read.change())
        for optimizer, groups in self.optimizers:
            now = optimizer.param_groups
            if len(now) != len(groups) or any(g["params"] is not params or not _same_items(params, items)
                                              for g, (params, items) in zip(now, groups)):
                return _reason(f"the parameters of {type(optimizer).__name__}",
                               f"changed ({sum(len(i) for _, i in groups)} in {len(groups)} groups -> "
                               f"{sum(len(g['params']) for g in now)} in {len(now)})")
        for tensor, *before in self.externals:
            now = (tensor._data.shape, tensor._data.dtype, tensor._rg, memory_layout(tensor._data))
            for label, a, b in zip(("shape", "dtype", "requires_grad", "memory layout"), before, now):
                if a != b:
                    if label == "shape":
                        a, b = shape_str(a), shape_str(b)
                    return _reason(f"{self._name_of_external(tensor)} {label}", f"{a} -> {b}")
        for var, was_none in self.grads:
            var = inputs[var[1]] if isinstance(var, tuple) else var
            if (var._grad is None) != was_none:
                state = lambda none: "None" if none else "set"
                return _reason(f"a gradient (shape {shape_str(var.shape)})",
                               f"was {state(was_none)}, now {state(not was_none)}")
        return _reason("no guard", "changed")


def _tensors_held(captured, reads, modules):
    """ids of the tensors that captured variables, reads and modules hold: one of them given as an
    input too (``f(c)`` where f reads ``c``) is read both ways."""
    from ..tensor import Tensor
    values = [guard.value if isinstance(guard, _Identity) else guard for _, _, guard in captured]
    values += [read.value for read in reads]
    held = set()
    for value in values:
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else (value,)
        held.update(id(item) for item in items if isinstance(item, Tensor))
    for module in modules:
        held.update(id(v) for v in module.__dict__.values() if isinstance(v, Tensor))
    return held


def _captured_already(read, captured):
    """Whether a read is of a global or closure variable of the function itself, guarded as captured."""
    if read.steps:
        return False
    for _, getter, guard in captured:
        if type(guard) is _Identity and read.expect[0] != "identity":
            continue    # the captured guard holds which object; the read, what it holds too
        if isinstance(read.root, GlobalRoot) and isinstance(getter, _GlobalVariable):
            if getter.scope is read.root.scope and getter.name == read.root.name:
                return True
        if isinstance(read.root, CellRoot) and isinstance(getter, _ClosureVariable) and getter.cell is read.root.cell:
            return True
    return False


def _read_lines(read, r, namespace):
    """Generated lines: the read's path still gives what the trace read (any error: it does not)."""
    lines = ["    try:", f"        v = {read.root.expression(f'_root{r}', namespace)}"]
    for j, (kind, key) in enumerate(read.steps):
        if kind == "attr" and key.isidentifier() and not key.startswith("__"):
            lines.append(f"        v = v.{key}")
        elif kind == "attr":
            lines.append(f"        v = getattr(v, {key!r})")
        else:
            namespace[f"_key{r}_{j}"] = key
            lines.append(f"        v = v[_key{r}_{j}]")
    lines += ["    except Exception:", "        return False"]
    kind, held = read.expect
    namespace[f"_read{r}"] = held
    if kind == "value":
        return lines + _same_value_lines("v", held, f"_read{r}", namespace)
    if kind == "identity":
        return lines + [f"    if v is not _read{r}:", "        return False"]
    if _inline_list(held):
        return lines + _same_list_lines(held, "v", f"_readlist{r}", namespace)
    return lines + [f"    if _read{r}.changed(v):", "        return False"]


def _same_value_lines(read, value, name, namespace):
    """Generated lines: ``read`` is the plain value ``value`` still (see ``same_plain``)."""
    namespace[name] = value
    if isinstance(value, (int, str, bytes, type(None))) or (isinstance(value, float) and value == value and value):
        namespace[f"{name}_type"] = type(value)     # inline: the common case, a number or a string
        return [f"    if type({read}) is not {name}_type or {read} != {name}:", "        return False"]
    namespace["_same_plain"] = same_plain           # 0.0 and -0.0, nan, containers, dict order
    return [f"    if not _same_plain({read}, {name}):", "        return False"]


def _inline_list(guard):
    return isinstance(guard, _Items) and isinstance(guard.value, list) and len(guard.items) <= 64


def _same_list_lines(guard, read, name, namespace):
    """Generated lines: ``read`` is still the guarded list, with the same items (inline, fast)."""
    namespace[name] = guard.value
    same = [f"{read} is {name}", f"len({name}) == {len(guard.items)}"]
    for j, item in enumerate(guard.items):
        namespace[f"{name}_{j}"] = item
        same.append(f"{name}[{j}] is {name}_{j}")
    return [f"    if not ({' and '.join(same)}):", "        return False"]


class Reason(str):
    """Why a guard failed, in words; ``subject`` is what changed (``input 0 shape``), without values."""

    subject = ""


def _reason(subject, change):
    reason = Reason(f"{subject} {change}")
    reason.subject = subject
    return reason


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


ROW_MAJOR = "row-major"


def memory_layout(array):
    """'row-major' (C-contiguous), or the strides of any other layout: ``view`` and in-place
    writes through views behave differently on them, so a trace holds for one layout."""
    return ROW_MAJOR if array.flags.c_contiguous else f"strides {array.strides}"


def memory_sharing(tensors):
    """For each tensor, the first one whose memory has the same owning array (itself if none)."""
    first = {}
    return tuple(first.setdefault(id(a if a.base is None else a.base), j)
                 for j, a in enumerate(t._data for t in tensors))


def _sharing_words(sharing, inputs):
    name = lambda j: f"input {j}" if j < inputs else f"a tensor it reads ({j - inputs})"
    pairs = [f"{name(j)} with {name(first)}" for j, first in enumerate(sharing) if first != j]
    return "; ".join(pairs) if pairs else "none"


def input_signature(inputs):
    """Per tensor input: shape, dtype, requires_grad, memory layout, and the first input sharing its array."""
    first = {}
    signature = []
    for i, t in enumerate(inputs):
        alias = first.setdefault(id(t._data), i)
        signature.append((t._data.shape, t._data.dtype, t._rg, memory_layout(t._data), alias))
    return signature
