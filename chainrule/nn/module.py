"""``Module``: the base class of layers and models.

A Module finds its parameters and submodules by walking its attributes, in the
order they were set: a ``Parameter`` or ``Module`` attribute counts, and so do
plain lists, tuples and dicts of them (no ``ModuleList`` needed, and nothing is
registered behind your back by ``__setattr__``). An object reachable twice (a
layer shared by two parents) is counted once. Buffers (running statistics and
other state that is saved but not trained) are declared with
``register_buffer``.
"""
from collections import OrderedDict, namedtuple

from .. import backend as B
from ..tensor import Tensor, tracer
from ..grad_mode import no_grad
from .._errors import at_user_line, ShapeError
from ..autograd.hooks import RemovableHandle
from .. import module_calls
from .parameter import Parameter

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])

# Attributes of Module itself, never walked for parameters or submodules.
_INTERNAL = frozenset({"training", "_buffer_names", "_non_persistent", "_forward_hooks",
                       "_forward_pre_hooks"})


# The running-module stack lives in chainrule/module_calls.py; these names stay for callers.
module_call_hooks = module_calls.hooks
track_module_calls = module_calls.track
current_module_path = module_calls.current_path


class Module:
    """Base class for all layers and models: subclass it and write ``forward``."""

    training = True  # class-level defaults: a subclass that skips super().__init__() still works
    _buffer_names = ()
    _non_persistent = ()
    _forward_hooks = None
    _forward_pre_hooks = None

    def __init__(self):
        self.training = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f"Module [{type(self).__name__}] is missing the required \"forward\" function")

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                result = hook(self, args) if tracer[0] is None else tracer[0].run_hook(hook, self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        stack = module_calls.stack
        if stack is not None:
            stack.append(self)
            for hook in module_call_hooks:
                hook(self)
        try:
            output = self.forward(*args, **kwargs)
        except ShapeError as err:
            _name_module_path(err, self)
            raise
        finally:
            if stack is not None:
                stack.pop()
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = (hook(self, args, output) if tracer[0] is None
                          else tracer[0].run_hook(hook, self, args, output))
                if result is not None:
                    output = result
        return output

    # ------------------------------------------------------------ walking the attributes

    def _members(self):
        """(name, value) pairs to walk, in attribute order (containers override this)."""
        return ((name, value) for name, value in vars(self).items() if name not in _INTERNAL)

    def _named_leaves(self, prefix, memo):
        """Parameters, buffers and direct submodules reachable from the attributes."""
        for name, value in self._members():
            yield from _expand(f"{prefix}{name}", value, memo)

    def named_children(self):
        memo = set()
        for name, value in self._named_leaves("", memo):
            if isinstance(value, Module):
                yield name, value

    def children(self):
        return (module for _, module in self.named_children())

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (module for _, module in self.named_modules())

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) for every parameter, each object once."""
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for module_name, module in modules:
            for name, value in module._named_leaves("", set()):
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    full = f"{module_name}.{name}" if module_name else name
                    yield (f"{prefix}.{full}" if prefix else full), value

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    # ------------------------------------------------------------ buffers

    def register_buffer(self, name, tensor, persistent=True):
        """Keep ``tensor`` as state that is saved and loaded but not trained."""
        if "." in name or not name:
            raise KeyError(f"buffer name can't contain \".\" or be empty, got '{name}'")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            f"(chainrule Tensor or None required)")
        setattr(self, name, tensor)
        if name not in self._buffer_names:
            self._buffer_names = tuple(self._buffer_names) + (name,)
        if not persistent:
            self._non_persistent = tuple(self._non_persistent) + (name,)

    def named_buffers(self, prefix="", recurse=True):
        modules = self.named_modules() if recurse else [("", self)]
        for module_name, module in modules:
            for name in module._buffer_names:
                value = getattr(module, name)
                if value is not None:
                    full = f"{module_name}.{name}" if module_name else name
                    yield (f"{prefix}.{full}" if prefix else full), value

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    # ------------------------------------------------------------ modes and gradients

    def train(self, mode=True):
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.detach_().zero_()

    def apply(self, fn):
        """Call ``fn`` on every submodule (children first) and then on this module."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        """Convert every floating parameter and buffer in place (``to(dtype)``, ``to('cpu')``)."""
        dtype = None
        for arg in list(args) + list(kwargs.values()):
            if isinstance(arg, (str, B.device)):
                B.check_device(arg)
            elif arg is not None:
                dtype = B.to_dtype(arg)
        if dtype is not None:
            if not dtype.is_floating_point:
                raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
            for t in list(self.parameters()) + list(self.buffers()):
                if t.is_floating_point():
                    t._data = t._data.astype(dtype.np)
                    if t._grad is not None:
                        t._grad = t._grad.to(dtype)
        return self

    def float(self):
        return self.to(B.float32)

    def double(self):
        return self.to(B.float64)

    def half(self):
        return self.to(B.float16)

    def cpu(self):
        return self

    # ------------------------------------------------------------ state dicts

    def state_dict(self, prefix="", keep_vars=False):
        """An ordered dict of every parameter and persistent buffer, by dotted name, in PyTorch's
        order: module by module (as ``named_modules``), each module's parameters, then its
        buffers. ``prefix`` is put in front of every name as it is (PyTorch's ``'model.'``)."""
        state = OrderedDict()
        seen = set()
        for module_name, module in self.named_modules():
            start = f"{prefix}{module_name}." if module_name else prefix
            for name, value in module._named_leaves("", set()):
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    state[start + name] = value if keep_vars else value.detach()
            for name in module._buffer_names:
                value = getattr(module, name)
                if value is not None and name not in module._non_persistent:
                    state[start + name] = value if keep_vars else value.detach()
        return state

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values into this module's parameters and buffers.

        Missing keys, unexpected keys and shape mismatches are reported together,
        in one error (with ``strict=False`` only shape mismatches raise).
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        for key, target in own.items():
            if key in state_dict:
                shape = tuple(B.xp.shape(_array(state_dict[key])))
                if shape != tuple(target.shape):
                    mismatched.append(f"{key}: checkpoint {shape}, model {tuple(target.shape)}")
        problems = []
        if strict and missing:
            problems.append("missing keys (in the model, not in the checkpoint): " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys (in the checkpoint, not in the model): " + ", ".join(unexpected))
        if mismatched:
            problems.append("shape mismatches: " + "; ".join(mismatched))
        if problems:
            raise RuntimeError(at_user_line(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n  " + "\n  ".join(problems)))
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    value = state_dict[key]
                    target._data[...] = _array(value)
                    target._vbox[0] += 1
                    if tracer[0] is not None:   # chainrule.compile copies it again on each replay
                        tracer[0].assigned(target, value if isinstance(value, Tensor) else Tensor._make(_array(value)))
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ hooks

    def register_forward_pre_hook(self, hook):
        """``hook(module, args)`` before forward; a returned value replaces the args."""
        if self._forward_pre_hooks is None:
            self._forward_pre_hooks = {}
        return RemovableHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook):
        """``hook(module, args, output)`` after forward; a returned value replaces the output."""
        if self._forward_hooks is None:
            self._forward_hooks = {}
        return RemovableHandle(self._forward_hooks, hook)

    # ------------------------------------------------------------ printing

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, child in self.named_children():
            child_lines = repr(child).split("\n")
            lines.append(f"({name}): " + "\n  ".join(child_lines))
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not list(self.named_children()):
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _name_module_path(err, module):
    """Prefix a shape error with the path of the module that raised it (``encoder.2.conv``).

    Every enclosing module's ``__call__`` passes here; the outermost one writes the full path.
    """
    if not hasattr(err, "_chainrule_module"):
        err._chainrule_module = module
        err._chainrule_message = str(err.args[0]) if err.args else ""
    source = err._chainrule_module
    path = next((name for name, m in module.named_modules() if m is source), "")
    where = f"module '{path}' ({type(source).__name__})" if path else f"module {type(source).__name__}"
    err.args = (f"in {where} of {type(module).__name__}: {err._chainrule_message}",)


def _array(value):
    return value._data if isinstance(value, Tensor) else B.xp.asarray(value)


def _expand(name, value, memo):
    """Yield (name, value) for Parameters, Tensors and Modules inside ``value``, each object once."""
    if isinstance(value, (Parameter, Module)):
        if id(value) not in memo:
            memo.add(id(value))
            yield name, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _expand(f"{name}.{i}", item, memo)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _expand(f"{name}.{key}", item, memo)
