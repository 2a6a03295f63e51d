"""Python effects of a traced call on its arguments, done again after each replay.

A step that appends its loss to a list it is given (``history.append(loss)``), sets a dict
item or an attribute of an object argument, or assigns a list item changes Python state that
a replay of tensor ops alone would leave alone. The arguments' containers and objects are
snapshot before the trace and compared after it; each change becomes an ``Effect`` on the
object at the same place in the next call's arguments: a list extended by new items, an item
or attribute set or deleted, a set grown or shrunk. Tensors among the new values are the
replay's (returned by the graph like its results), the call's own input tensors are the
caller's, and other values are the ones the trace stored (they depend only on state the
guards hold). A change that is none of these (items removed from the middle of a list, a
NumPy array written into) stops the trace with an error.
"""
import collections
import types

import numpy

from ..tensor import Tensor
from .captured import _SCALARS, _steps_its_own_state
from .errors import TraceError
from .graph import Ref, same_kind

_DEPTH = 4    # how deep into nested arguments changes are looked for


class Effect:
    """One change to redo: ``kind`` on the object at ``path`` of the arguments, with ``key`` and ``value``."""

    def __init__(self, path, kind, key=None, value=None):
        self.path, self.kind, self.key, self.value = path, kind, key, value

    def apply(self, target, value):
        if self.kind == "extend":
            target.extend(value)
        elif self.kind == "setitem":
            target[self.key] = value
        elif self.kind == "delitem":
            del target[self.key]
        elif self.kind == "setattr":
            setattr(target, self.key, value)
        elif self.kind == "delattr":
            delattr(target, self.key)
        elif self.kind == "add":
            target.update(value)
        elif self.kind == "discard":
            target.difference_update(value)


class InputTensor:
    """A stored value that is the call's ``index``-th input tensor: the caller's own on each replay."""

    def __init__(self, index):
        self.index = index


def snapshot_arguments(args, kwargs):
    """(path, object, copy of its contents) for every list, dict, set, array and plain object
    among the arguments, nested ones too."""
    found, seen = [], set()
    for i, arg in enumerate(args):
        _snapshot(arg, (("arg", i),), found, seen, 0)
    for name, arg in kwargs.items():
        _snapshot(arg, (("kwarg", name),), found, seen, 0)
    return found


def _snapshot(obj, path, found, seen, depth):
    if depth > _DEPTH or isinstance(obj, _SCALARS) or not _watched(obj) or id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, numpy.ndarray):
        found.append((path, obj, obj.copy()))
        return
    if isinstance(obj, (list, collections.deque)):
        found.append((path, obj, list(obj)))
        items = enumerate(obj)
    elif isinstance(obj, tuple):
        items = enumerate(obj)
    elif isinstance(obj, dict):
        found.append((path, obj, dict(obj)))
        items = obj.items()
    elif isinstance(obj, (set, frozenset)):
        found.append((path, obj, set(obj)))
        return
    else:
        found.append((path, obj, dict(vars(obj))))
        items = [(("attr", k), v) for k, v in vars(obj).items()]
        for (step, value) in items:
            _snapshot(value, path + (step,), found, seen, depth + 1)
        return
    for key, value in items:
        _snapshot(value, path + (("item", key),), found, seen, depth + 1)


def _watched(obj):
    """Containers, arrays and objects with attributes; not tensors, modules, optimizers, code."""
    from ..nn.module import Module
    if isinstance(obj, (Tensor, Module, types.ModuleType, type, types.FunctionType, types.MethodType,
                        types.BuiltinFunctionType)) or _steps_its_own_state(obj):
        return False
    return isinstance(obj, (list, tuple, dict, set, frozenset, collections.deque, numpy.ndarray)) or \
        isinstance(getattr(obj, "__dict__", None), dict)


def argument_effects(snapshot, tracer, inputs, name):
    """The changes the traced call made to its arguments, as Effects whose values hold Refs."""
    effects = []
    for path, obj, before in snapshot:
        where = _path_text(path)
        if isinstance(obj, numpy.ndarray):
            if not numpy.array_equal(obj, before, equal_nan=True):
                _refuse(name, f"writes into the NumPy array {where}", "Pass a tensor and return the new values.")
        elif isinstance(obj, (list, collections.deque)):
            effects += _list_effects(path, obj, before, where, name)
        elif isinstance(obj, set):
            added, removed = [v for v in obj if v not in before], [v for v in before if v not in obj]
            effects += [Effect(path, "add", value=added)] if added else []
            effects += [Effect(path, "discard", value=removed)] if removed else []
        else:
            now = obj if isinstance(obj, dict) else vars(obj)
            kind = "item" if isinstance(obj, dict) else "attr"
            for key, value in now.items():
                if key not in before or before[key] is not value:
                    effects.append(Effect(path, "set" + kind, key, value))
            effects += [Effect(path, "del" + kind, key) for key in before if key not in now]
    for effect in effects:
        where = _path_text(effect.path)
        if effect.kind == "setitem":
            where += f"[{effect.key!r}]"
        elif effect.kind == "setattr":
            where += f".{effect.key}"
        effect.value = _stored(effect.value, tracer, inputs, name, where)
    return effects


def _list_effects(path, now, before, where, name):
    now = list(now)
    if len(now) >= len(before) and all(a is b for a, b in zip(now, before)):
        return [Effect(path, "extend", value=now[len(before):])] if len(now) > len(before) else []
    if len(now) == len(before):
        return [Effect(path, "setitem", i, b) for i, (a, b) in enumerate(zip(before, now)) if a is not b]
    _refuse(name, f"removes or inserts items of the list {where} ({len(before)} -> {len(now)} items)",
            "Append to it, assign its items, or return the values and change the list outside.")


def _stored(value, tracer, inputs, name, where):
    """A value the call stored, with tensors as Refs (the replay's), InputTensor (the caller's)
    or the tensor itself (one from before the call)."""
    if isinstance(value, Tensor):
        index = next((i for i, t in enumerate(inputs) if t is value), None)
        if index is not None:
            return InputTensor(index)
        if id(value) in tracer.outside or id(value) not in tracer.born:
            return value
        return Ref(tracer.value_of(value))
    if isinstance(value, (list, tuple)):
        return same_kind(value, [_stored(v, tracer, inputs, name, where) for v in value])
    if isinstance(value, dict):
        return {k: _stored(v, tracer, inputs, name, where) for k, v in value.items()}
    holds = getattr(value, "__dict__", None)
    if isinstance(holds, dict) and any(isinstance(v, Tensor) for v in holds.values()) \
            and not _steps_its_own_state(value) and not _is_module(value):
        _refuse(name, f"stores in {where} a {type(value).__name__} object that holds tensors",
                "Store the tensors in a tuple, list or dict instead (those are rebuilt on every call).")
    return value


def resolve_stored(value, tensors, made):
    """A stored value for one replay: Refs from ``made`` (an iterator of the replay's tensors)."""
    if isinstance(value, Ref):
        return next(made)
    if isinstance(value, InputTensor):
        return tensors[value.index]
    if isinstance(value, (list, tuple)):
        return same_kind(value, [resolve_stored(v, tensors, made) for v in value])
    if isinstance(value, dict):
        return {k: resolve_stored(v, tensors, made) for k, v in value.items()}
    return value


def apply_effects(effects, args, kwargs, tensors, made):
    """Redo each effect on this call's arguments; ``made``: the replay's tensors for the Refs, in order."""
    for effect in effects:
        effect.apply(_follow(effect.path, args, kwargs), resolve_stored(effect.value, tensors, made))


def _follow(path, args, kwargs):
    (kind, key), rest = path[0], path[1:]
    obj = args[key] if kind == "arg" else kwargs[key]
    for kind, key in rest:
        obj = getattr(obj, key) if kind == "attr" else obj[key]
    return obj


def _path_text(path):
    (kind, key), rest = path[0], path[1:]
    text = f"argument {key}" if kind == "arg" else f"argument `{key}`"
    for kind, key in rest:
        text += f".{key}" if kind == "attr" else f"[{key!r}]"
    return text


def _refuse(name, what, advice):
    from .._errors import user_location
    raise TraceError(f"chainrule.compile: the traced call of {name} {what}.\n  called at {user_location()}\n"
                     f"A replay redoes appends, item and attribute assignments, but not this. {advice}")


def _is_module(value):
    from ..nn.module import Module
    return isinstance(value, Module)
