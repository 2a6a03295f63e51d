"""Python side effects of a traced call: state it changed that a replay would not change again.

A snapshot of the captured containers, bindings and attributes is taken before the trace and
compared after it; a difference stops the trace (see ``CompiledFunction._trace``). Tensor
attributes (``module.weight``, ``self.cache``) are compared by identity: an attribute bound
to a tensor the call made is bound again on each replay (``weight_norm`` recomputes its
weight), unless the call read the tensor it replaced (``self.avg = 0.9 * self.avg + x``),
which a replay could not follow.
"""
import collections
import types

from .captured import (_MISSING, _copy, _is_module_or_tensor, _safe, _same_items, captured_names,
                       has_plain_attributes, is_plain_value, plain_attributes, tensor_attributes)


def snapshot_captured_state(fn, modules):
    """What a trace must not change: captured containers and bindings, module attributes."""
    state = []
    for name, getter in captured_names(fn):
        value = _safe(getter)
        if isinstance(value, (list, dict, set, collections.deque)):
            state.append((name, getter, value, _copy(value)))
        elif not isinstance(value, (types.ModuleType, types.FunctionType, type)):
            watched = has_plain_attributes(value) and not _is_module_or_tensor(value)   # modules: below
            attributes = plain_attributes(value) if watched else None
            state.append((name, getter, value, attributes))
    return state, [(m, plain_attributes(m)) for m in modules]


def mutation_in(snapshot, module_names, stateful=()):
    """A description of the first captured Python state the traced call changed, or None.
    ``stateful``: ids of objects whose methods the replay calls whole (their changes replay)."""
    state, module_state = snapshot
    for name, getter, value, before in state:
        current = _safe(getter)
        if current is not value:
            return f"rebinds the captured variable `{name}`"
        if isinstance(value, (list, dict, set, collections.deque)):
            if not _same_items(_copy(current), before):
                kind = type(value).__name__
                if len(before) == len(current):
                    return f"changes an item of the captured {kind} `{name}` in place"
                return f"changes the captured {kind} `{name}` ({len(before)} -> {len(current)} items)"
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


def snapshot_tensor_attributes(snapshot):
    """(object, its name, its tensor attributes) for the modules and captured objects of a snapshot."""
    state, module_state = snapshot
    objects = [(value, f"captured {type(value).__name__} `{name}`") for name, _, value, _ in state
               if not _is_module_or_tensor(value) and isinstance(getattr(value, "__dict__", None), dict)]
    objects += [(module, None) for module, _ in module_state]
    return [(obj, name, tensor_attributes(obj)) for obj, name in objects]


def rebound_tensors(before, read_arrays, module_names):
    """([(object, attribute, new tensor)] the traced call rebound, None), or (None, (what, advice))
    for a rebinding a replay cannot repeat. ``read_arrays``: ids of the arrays the trace read."""
    from ..tensor import Tensor
    rebound = []
    for obj, name, attributes in before:
        owner = name or f"module {module_names.get(id(obj), type(obj).__name__)}"
        for key in attributes.keys() | tensor_attributes(obj).keys():
            old, new = attributes.get(key), obj.__dict__.get(key)
            if old is new:
                continue
            if not isinstance(new, Tensor):
                return None, (f"replaces the tensor attribute {key} of {owner} with {type(new).__name__}",
                              "Keep a tensor there, or change the attribute outside the compiled function.")
            if old is not None and id(old._data) in read_arrays:
                return None, (f"rebinds the tensor attribute {key} of {owner} to a new tensor computed from "
                              f"it, so a replay would read the old one again",
                              f"Update it in place instead: with chainrule.no_grad(): {key}.copy_(new_value)")
            rebound.append((obj, key, new))
    return rebound, None


def snapshot_hyperparameters(fn):
    """(name, optimizer, the plain values of each param group) for the captured optimizers."""
    found = []
    for name, getter in captured_names(fn):
        value = _safe(getter)
        try:
            groups = getattr(value, "param_groups", None)
        except Exception:          # a user __getattr__ that raises KeyError: not an optimizer
            continue
        if isinstance(groups, list) and all(isinstance(g, dict) for g in groups):
            found.append((name, value, _hyperparameters(groups)))
    return found


def _hyperparameters(groups):
    return [{k: v for k, v in g.items() if is_plain_value(v)} for g in groups]


def hyperparameter_change(before, scheduled):
    """A description of an optimizer hyperparameter the traced call set itself, or None.
    ``scheduled``: ids of optimizers whose scheduler's step() the replay calls (it sets them)."""
    for name, optimizer, groups in before:
        if id(optimizer) in scheduled:
            continue
        for i, (old, new) in enumerate(zip(groups, _hyperparameters(optimizer.param_groups))):
            for key in old.keys() | new.keys():
                if old.get(key, _MISSING) != new.get(key, _MISSING):
                    return (f"sets param_groups[{i}][{key!r}] of the captured {type(optimizer).__name__} `{name}` "
                            f"({old.get(key)!r} -> {new.get(key)!r})")
    return None
