"""The Python state a traced call reads, seen while it runs, each read a guard of the trace.

While a trace records, ``ReadObserver`` follows every frame of user code (not chainrule's own
files, not the standard library or installed packages) one instruction at a time
(``sys.settrace`` with opcode events, installed only while tracing). It notes each read of
state from outside the call: a global, a closure cell, and the attributes and items reached
from those, from a module, from an object argument or from a function's defaults. Each read
is a ``Read``: where it starts (``GlobalRoot``, ``CellRoot``, ``ObjectRoot``), the attribute
and item steps from there, and the value the trace saw, guarded as ``expect_of`` says.

Values the call makes itself (its locals, objects it creates) are not reads; a local that
holds an object reached from outside (``cfg = CONFIG``, a helper's argument) still leads
back to where it came from, so ``cfg.table[0]`` two calls down is guarded all the same.
Code that a replay reruns whole (``optimizer.step()``, hooks, ``print``) reads afresh on
every call, so its reads are not guards.
"""
import collections
import copy
import dis
import gc
import os
import sys
import sysconfig
import types
import warnings

import numpy

from .captured import (_SCALARS, _ArrayContents, _Attributes, _Items, _steps_its_own_state, has_plain_attributes,
                       is_plain_value, same_plain)

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIBRARY_DIRS = tuple(sorted({os.path.abspath(p) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")
                              for p in [sysconfig.get_paths().get(key)] if p} | {_PACKAGE_DIR + os.sep}))
_CONTAINERS = (list, dict, set, frozenset, tuple, collections.deque)


def is_library_file(filename):
    """chainrule's own files, the standard library and installed packages: not the user's code."""
    if filename.startswith("<frozen"):
        return True
    return os.path.abspath(filename).startswith(_LIBRARY_DIRS) if not filename.startswith("<") else False


def _is_library_module(value):
    """A Python module of chainrule, the standard library or an installed package (its attributes
    are code, not state a trace depends on); a module of the user's own (``config.py``) is not."""
    if not isinstance(value, types.ModuleType):
        return False
    filename = getattr(value, "__file__", None)
    return value.__name__ in sys.builtin_module_names if filename is None else is_library_file(filename)


# ------------------------------------------------------------------ roots and reads

class GlobalRoot:
    """A name in a module's globals."""

    kind = "global"

    def __init__(self, scope, name):
        self.scope, self.name = scope, name
        self.key = ("global", id(scope), name)

    def get(self):
        return self.scope[self.name]

    def expression(self, key, namespace):
        namespace[key] = self.scope
        return f"{key}[{self.name!r}]"

    def text(self):
        return self.name


class CellRoot:
    """A closure cell of a function defined outside the call."""

    kind = "closure variable"

    def __init__(self, cell, name):
        self.cell, self.name = cell, name
        self.key = ("cell", id(cell))

    def get(self):
        return self.cell.cell_contents

    def expression(self, key, namespace):
        namespace[key] = self.cell
        return f"{key}.cell_contents"

    def text(self):
        return self.name


class ObjectRoot:
    """An object whose identity other guards hold fixed (a module, an object argument, a function)."""

    kind = "attribute"

    def __init__(self, obj, name):
        self.obj, self.name = obj, name
        self.key = ("object", id(obj))

    def get(self):
        return self.obj

    def expression(self, key, namespace):
        namespace[key] = self.obj
        return key

    def text(self):
        return self.name


class Read:
    """One read: ``root`` then ``steps`` (("attr", name) or ("item", key)) gave ``value``."""

    def __init__(self, root, steps, value, site, contents=True):
        self.root, self.steps, self.site = root, steps, site
        self.value = value
        self.expect = expect_of(value) if contents else ("identity", value)

    @property
    def key(self):
        return self.root.key + tuple(self.steps)

    def path(self):
        text = self.root.text()
        for kind, key in self.steps:
            text += f".{key}" if kind == "attr" else f"[{key!r}]"
        return text

    def current(self):
        """The value the path gives now (raises if it no longer leads anywhere)."""
        value = self.root.get()
        for kind, key in self.steps:
            value = getattr(value, key) if kind == "attr" else value[key]
        return value

    def holds(self):
        """Whether the path still gives what the trace read."""
        try:
            now = self.current()
        except Exception:
            return False
        return not differs(self.expect, now)

    def change(self):
        """How the path's value changed, in words."""
        try:
            now = self.current()
        except Exception as err:
            return f"no longer gives a value ({type(err).__name__})"
        kind, held = self.expect
        if kind == "value":
            return f"{held!r} -> {now!r}"
        if kind == "items" and now is held.value and isinstance(held, _Attributes):
            name, old, new = held.first_change(now)
            return f"attribute {name}: {old!r} -> {new!r}"
        if kind in ("array", "items") and now is held.value:
            return "changed in place"
        return f"is now a different {type(now).__name__} object"


def expect_of(value):
    """How a read value is compared again: plain values by value, arrays by contents,
    containers by the identity of their items, anything else by identity."""
    if is_plain_value(value):
        return ("value", copy.deepcopy(value))
    if isinstance(value, numpy.ndarray):
        return ("array", _ArrayContents(value))
    if isinstance(value, _CONTAINERS):
        return ("items", _Items(value))
    if _is_plain_object(value):   # used whole (getattr(obj, name), handed to other code): its attributes too
        return ("items", _Attributes(value))
    return ("identity", value)


def _is_plain_object(value):
    """An object of the user's own class with plain attributes (a config, a trainer)."""
    if isinstance(value, (types.ModuleType, type, types.FunctionType, types.MethodType)) or _is_tensor(value):
        return False
    from ..nn.module import Module
    return not isinstance(value, Module) and not _steps_its_own_state(value) and has_plain_attributes(value)


def differs(expect, now):
    kind, held = expect
    if kind == "value":
        return not same_plain(now, held)
    if kind in ("array", "items"):
        return held.changed(now)
    return now is not held


# ------------------------------------------------------------------ reading attributes without running code

_NOT_FOUND = object()
_METHOD = object()    # ``obj.name`` binds a method: the object itself is what the call uses


def static_attribute(obj, name):
    """``obj.name`` as Python would find it, when that runs no user code: an instance, class or
    module dict entry, a ``__slots__`` member, or _METHOD for a method. _NOT_FOUND otherwise
    (a property or ``__getattr__``: their own code, when it is the user's, is followed instead)."""
    cls = type(obj)
    in_class = _NOT_FOUND
    for klass in cls.__mro__:
        if name in klass.__dict__:
            in_class = klass.__dict__[name]
            break
    if in_class is not _NOT_FOUND and hasattr(type(in_class), "__set__"):    # a data descriptor
        if isinstance(in_class, types.MemberDescriptorType):
            try:
                return in_class.__get__(obj, cls)
            except AttributeError:
                return _NOT_FOUND
        return _NOT_FOUND
    if isinstance(obj, type):
        for klass in obj.__mro__:
            if name in klass.__dict__:
                found = klass.__dict__[name]
                return found if not hasattr(type(found), "__get__") or isinstance(found, types.FunctionType) \
                    else _NOT_FOUND
        return _NOT_FOUND
    try:
        attributes = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        attributes = None
    if isinstance(attributes, dict) and name in attributes:
        return attributes[name]
    if in_class is _NOT_FOUND:
        return _NOT_FOUND
    if hasattr(type(in_class), "__get__"):        # a function, classmethod, builtin method: bound on access
        return _METHOD
    return in_class                               # a class attribute read through the instance


# ------------------------------------------------------------------ the observer

class _Code:
    """One code object's instructions, by offset."""

    def __init__(self, code):
        self.code = code
        self.instructions = [i for i in dis.get_instructions(code) if i.opname != "EXTENDED_ARG"]
        self.index = {ins.offset: k for k, ins in enumerate(self.instructions)}
        self.parameters = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        self.children = [c for c in code.co_consts if isinstance(c, types.CodeType)]


class _Entry:
    """What an instruction pushed, when it is worth following: a value (with where it came from,
    when that is outside the call) or a local variable (looked up when used)."""

    __slots__ = ("k", "root", "steps", "value", "local", "guard")

    def __init__(self, k, value=None, root=None, steps=(), local=None, guard=False):
        self.k, self.value, self.root, self.steps, self.local = k, value, root, steps, local
        self.guard = guard     # a read to guard once it is used whole


class _FrameState:
    __slots__ = ("code", "last", "before", "cells")

    def __init__(self, code):
        self.code = code
        self.last = None     # the entry of the instruction that ran last in this frame
        self.before = None   # and of the one before it
        self.cells = {}      # free variable name -> its CellRoot (or None: made during the call)


# Python 3.13 fuses loads of locals (LOAD_FAST_LOAD_FAST) and 3.14 writes subscripts as BINARY_OP:
# the instructions followed here are those of 3.11 and 3.12
_PYTHON = sys.version_info[:2]
_FOLLOWED_UP_TO = (3, 12)
_ATTRIBUTE_LOADS = ("LOAD_ATTR", "LOAD_METHOD")
# methods of containers that change them without reading what they hold
_WRITE_ONLY_METHODS = frozenset({"append", "appendleft", "extend", "extendleft", "add", "clear"})
_LOCAL_LOADS = ("LOAD_FAST", "LOAD_FAST_CHECK")
_LOADS = frozenset(("LOAD_GLOBAL", "LOAD_DEREF", "LOAD_CONST") + _LOCAL_LOADS)


class ReadObserver:
    """Records the reads of a traced call (use as a context manager around the call)."""

    def __init__(self, tracer, roots=(), known_functions=()):
        self.tracer = tracer
        self.reads = {}             # key -> Read, in the order first read
        self.known = {}             # id(object) -> (object, root, steps): where an object came from
        self.codes = {}             # code -> _Code, or None for library code
        self.functions = {}         # code -> the functions seen with it
        self.ran = set()            # codes that ran in the call (their cells are the call's own)
        self.parents = {}           # code -> the code it is defined in
        self.frames = {}
        for obj, name in roots:      # objects other guards hold by identity: object arguments, `self`
            self.known.setdefault(id(obj), (obj, ObjectRoot(obj, name), ()))
        for fn in known_functions:
            self._saw_function(fn)
        if _PYTHON > _FOLLOWED_UP_TO:
            warnings.warn(
                f"chainrule.compile follows the Python reads of a trace with the instructions of Python "
                f"{_FOLLOWED_UP_TO[0]}.{_FOLLOWED_UP_TO[1]} and earlier; on Python {_PYTHON[0]}.{_PYTHON[1]} some "
                f"reads below the compiled function may go unguarded. compile(fn, check=True) finds them.",
                RuntimeWarning, stacklevel=4)

    def __enter__(self):
        self.tracer.observer = self
        self.previous = sys.gettrace()
        sys.settrace(self._on_call)
        return self

    def __exit__(self, *exc):
        sys.settrace(self.previous)
        self.tracer.observer = None
        self.frames.clear()
        return False

    # ------------------------------------------------------------ frames

    def _code(self, code):
        info = self.codes.get(code, _NOT_FOUND)
        if info is _NOT_FOUND:
            info = None if is_library_file(code.co_filename) else _Code(code)
            self.codes[code] = info
            if info is not None:
                for child in info.children:
                    self.parents[child] = code
        return info

    def _on_call(self, frame, event, arg):
        if event != "call" or self.tracer.suspended:
            return None
        info = self._code(frame.f_code)
        if info is None:
            return None
        self.ran.add(frame.f_code)
        frame.f_trace_lines = False
        frame.f_trace_opcodes = True
        self.frames[frame] = _FrameState(info)
        self._note_defaults(frame, info)
        return self._on_instruction

    def _on_instruction(self, frame, event, arg):
        state = self.frames.get(frame)
        if state is None:
            return None
        if event != "opcode":
            if event in ("return", "exception"):
                self._finish(frame, state.last)
                self._finish(frame, state.before)
                state.last = state.before = None
                if event == "return":
                    del self.frames[frame]
            return self._on_instruction
        if self.tracer.suspended:
            return self._on_instruction
        k = state.code.index.get(frame.f_lasti)
        if k is None:
            return self._on_instruction
        try:
            entry = self._step(frame, state, k, state.code.instructions[k])
        except Exception:    # a read we cannot follow is no reason to fail the user's call
            entry = None
        state.before, state.last = state.last, entry
        return self._on_instruction

    def _step(self, frame, state, k, ins):
        last, before = state.last, state.before
        follows = last is not None and last.k == k - 1
        op = ins.opname
        if op in _ATTRIBUTE_LOADS and follows:
            self._finish(frame, before)
            entry = self._attribute(frame, last, ins.argval, k, method=op == "LOAD_METHOD")
            _consumed(last)
            return entry
        if op == "BINARY_SUBSCR" and follows and before is not None and before.k == k - 2:
            entry = self._item(frame, before, last, k)
            _consumed(before)
            _consumed(last)
            return entry
        self._finish(frame, before)
        if op not in _LOADS:             # a load leaves the value before it pending: a subscript may follow
            self._finish(frame, last)
        if op == "LOAD_GLOBAL":
            return self._global(frame, ins.argval, k)
        if op == "LOAD_DEREF" and ins.argval in frame.f_code.co_freevars:
            return self._free_variable(frame, state, ins.argval, k)
        if op in _LOCAL_LOADS:
            return _Entry(k, local=ins.argval)
        if op == "LOAD_CONST":
            return _Entry(k, ins.argval)
        return None

    # ------------------------------------------------------------ what each load gives

    def _global(self, frame, name, k):
        scope = frame.f_globals
        if name not in scope:
            return None                           # a builtin
        return self._read(k, scope[name], GlobalRoot(scope, name), ())

    def _free_variable(self, frame, state, name, k):
        if name not in state.cells:
            state.cells[name] = self._cell_of(frame, name)
        root = state.cells[name]
        if root is None:
            return None
        return self._read(k, root.cell.cell_contents, root, ())

    def _cell_of(self, frame, name):
        """The cell behind free variable ``name``, or None when it belongs to a frame of the call."""
        code = frame.f_code
        parent = self.parents.get(code)
        while parent is not None:          # the cell comes from a function that ran in this call
            if name in parent.co_cellvars:
                if parent in self.ran:
                    return None
                break
            if name not in parent.co_freevars:
                break
            parent = self.parents.get(parent)
        value = frame.f_locals.get(name, _NOT_FOUND)
        index = code.co_freevars.index(name)
        candidates = self.functions.get(code)
        if not candidates:
            candidates = [f for f in gc.get_referrers(code) if isinstance(f, types.FunctionType)]
            for fn in candidates:
                self._saw_function(fn)
        cells = [fn.__closure__[index] for fn in candidates
                 if fn.__code__ is code and fn.__closure__ and _cell_holds(fn.__closure__[index], value)]
        return CellRoot(cells[0], name) if len({id(c) for c in cells}) == 1 else None

    def _attribute(self, frame, base, name, k, method):
        obj = self._value(frame, base)
        if obj is _NOT_FOUND or _is_tensor(obj):
            return None
        root, steps = self._origin(base, obj)
        value = static_attribute(obj, name)
        if value is _METHOD or method:
            if root is not None:   # the object is used as `self`: a container's method may read what it holds
                contents = isinstance(obj, _CONTAINERS + (numpy.ndarray,)) and name not in _WRITE_ONLY_METHODS
                self._record(frame, root, steps, obj, contents)
            if value is not _METHOD and value is not _NOT_FOUND:
                self._saw_function(value)
            return None
        if root is None:
            return None
        if value is _NOT_FOUND:     # found by code that may run no Python (a C descriptor): guard it whole
            self._record(frame, root, steps, obj)
            return None
        steps = steps + (("attr", name),)
        # a module's own attributes have guards of their own; a library's module attributes are code
        guard = not (_is_library_module(obj) or _guarded_by_module(obj, name))
        return self._read(k, value, root, steps, guard)

    def _item(self, frame, container_entry, key_entry, k):
        container = self._value(frame, container_entry)
        key = self._value(frame, key_entry)
        self._finish(frame, key_entry)
        root, steps = self._origin(container_entry, container)
        if (root is None or not isinstance(key, _SCALARS)
                or not isinstance(container, (list, tuple, dict, collections.deque))):
            self._finish(frame, container_entry)
            return None
        try:
            value = container[key]
        except Exception:
            return None
        return self._read(k, value, root, steps + (("item", key),))

    def _read(self, k, value, root, steps, guard=True):
        """The entry of a value read from outside the call; an object is remembered with its path."""
        if not isinstance(value, _SCALARS) and not _is_tensor(value):
            self.known.setdefault(id(value), (value, root, steps))
            if isinstance(value, types.FunctionType):
                self._saw_function(value)
            if isinstance(value, types.MethodType):     # a bound method kept in a dict: its `self` too
                self.known.setdefault(id(value.__self__), (value.__self__, root, steps + (("attr", "__self__"),)))
        return _Entry(k, value, root, steps, guard=guard)

    def _value(self, frame, entry):
        if entry.local is not None:
            return frame.f_locals.get(entry.local, _NOT_FOUND)
        return entry.value

    def _origin(self, entry, value):
        """(root, steps) of where ``value`` (what ``entry`` pushed) came from, or (None, ())."""
        if entry.root is not None:
            return entry.root, entry.steps
        known = self.known.get(id(value))
        if known is not None and known[0] is value:
            return known[1], known[2]
        from ..nn.module import Module
        if isinstance(value, Module):             # modules are held by the module guards
            return ObjectRoot(value, type(value).__name__), ()
        return None, ()

    # ------------------------------------------------------------ finishing entries

    def _finish(self, frame, entry):
        """The pushed value is used whole (not only for an attribute or item): guard it whole."""
        if entry is None:
            return
        if entry.local is not None:
            value = frame.f_locals.get(entry.local, _NOT_FOUND)
            known = self.known.get(id(value))
            # a local holding a container or array from outside: its contents matter now;
            # an object's identity was guarded where it was read
            if known is not None and known[0] is value and isinstance(value, _CONTAINERS + (numpy.ndarray,)):
                self._record(frame, known[1], known[2], value)
        elif entry.guard:
            self._record(frame, entry.root, entry.steps, entry.value)
        elif entry.root is not None:     # guarded elsewhere (a module's list): what it holds still leads back
            self._know_items(entry.value, entry.root, entry.steps)
        entry.guard = False
        entry.local = None

    def _record(self, frame, root, steps, value, contents=True):
        if isinstance(root, ObjectRoot) and not steps and (not contents or expect_of(value)[0] == "identity"):
            return                                # which object: held by whatever guards it
        if contents:
            self._know_items(value, root, steps)
        key = root.key + tuple(steps)
        reads = self.tracer.hooks[-1].reads if self.tracer.hooks else self.reads   # a hook's: see hooks.py
        read = reads.get(key)
        if read is None or contents and read.expect[0] == "identity":
            reads[key] = Read(root, tuple(steps), value, f"{frame.f_code.co_filename}:{frame.f_lineno}",
                                   contents)

    def _know_items(self, container, root, steps):
        """The objects a container used whole holds (iterated, unpacked, handed to ``max``) lead
        back to it: ``for layer in LAYERS: layer.scale`` reads ``LAYERS[0].scale``."""
        if isinstance(container, dict):
            pairs, kind = container.items(), "item"
        elif isinstance(container, (list, tuple, collections.deque)):
            pairs, kind = enumerate(container), "item"
        elif _is_plain_object(container):          # getattr(cfg, "sub").v
            pairs, kind = vars(container).items(), "attr"
        else:
            return
        for key, item in pairs:
            if not isinstance(item, _SCALARS) and not _is_tensor(item):
                self.known.setdefault(id(item), (item, root, tuple(steps) + ((kind, key),)))

    # ------------------------------------------------------------ functions and their defaults

    def _saw_function(self, fn):
        fn = getattr(fn, "__func__", fn)
        code = getattr(fn, "__code__", None)
        if code is None:
            return
        known = self.functions.setdefault(code, [])
        if all(f is not fn for f in known):
            known.append(fn)
            self.known.setdefault(id(fn), (fn, ObjectRoot(fn, fn.__name__), ()))

    def _note_defaults(self, frame, info):
        """A function's default values are state from outside the call: a mutable default
        argument read by the call leads back to the function."""
        for fn in self.functions.get(frame.f_code, ()):
            defaults = fn.__defaults__ or ()
            names = info.parameters[len(info.parameters) - len(fn.__kwdefaults__ or {}) - len(defaults):]
            for i, default in enumerate(defaults):
                if not isinstance(default, _SCALARS) and i < len(names):
                    self.known.setdefault(id(default), (default, ObjectRoot(fn, fn.__name__),
                                                        (("attr", "__defaults__"), ("item", i))))
            for name, default in (fn.__kwdefaults__ or {}).items():
                if not isinstance(default, _SCALARS):
                    self.known.setdefault(id(default), (default, ObjectRoot(fn, fn.__name__),
                                                        (("attr", "__kwdefaults__"), ("item", name))))


def _consumed(entry):
    """The entry's value was used only to reach an attribute or item: nothing more to guard."""
    entry.guard = False
    entry.local = None


def _cell_holds(cell, value):
    try:
        return cell.cell_contents is value
    except ValueError:
        return False


def _is_tensor(value):
    from ..tensor import Tensor
    return isinstance(value, Tensor)


def _guarded_by_module(obj, name):
    """A module's own attributes (plain values, tensors, submodules) are guarded by the module guards."""
    from ..nn.module import Module
    return isinstance(obj, Module) and name in obj.__dict__ and not isinstance(obj.__dict__[name], numpy.ndarray)
