"""The live tensors of a program being generated, described from their PyTorch values.

The generator runs each line in PyTorch as it writes it, so what it knows of a
value (shape, dtype, whether it requires grad, which values share its memory)
is PyTorch's answer, the reference.
"""
from dataclasses import dataclass

import torch

from .values import FLOATS, INTS


@dataclass
class Meta:
    name: str
    shape: tuple
    dtype: str
    requires_grad: bool
    is_leaf: bool
    memory: object          # values with the same ``memory`` share storage
    is_input: bool

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def numel(self):
        count = 1
        for size in self.shape:
            count *= size
        return count

    @property
    def is_float(self):
        return self.dtype in FLOATS

    @property
    def is_int(self):
        return self.dtype in INTS


def dtype_name(dtype):
    return str(dtype).rsplit(".", 1)[-1]


def memory_of(value):
    """The address of a PyTorch tensor's storage; None for an empty tensor or one PyTorch has
    made unusable (a view of a multi-output op whose base changed)."""
    try:
        return value.untyped_storage().data_ptr() if value.numel() else None
    except RuntimeError:
        return None


def describe(name, value, is_input):
    memory = memory_of(value) or ("none", name)
    return Meta(name, tuple(value.shape), dtype_name(value.dtype), value.requires_grad, value.is_leaf,
                memory, is_input)


class Pool:
    def __init__(self):
        self.metas = {}
        self.inputs = set()

    def refresh(self, namespace):
        """Describe every tensor the program has named so far (an in-place op may change any)."""
        for name in list(self.metas):
            value = namespace.get(name)
            try:
                self.metas[name] = describe(name, value, name in self.inputs)
            except (AttributeError, RuntimeError):   # gone, or a view PyTorch made unusable
                del self.metas[name]

    def add(self, name, value, is_input=False):
        if isinstance(value, torch.Tensor):
            if is_input:
                self.inputs.add(name)
            self.metas[name] = describe(name, value, is_input)

    def names(self, where=None):
        return [name for name, meta in self.metas.items() if where is None or where(meta)]

    def aliases(self, name):
        """Other values that share ``name``'s memory (its base, its views, views of its base)."""
        memory = self.metas[name].memory
        return [other for other, meta in self.metas.items() if other != name and meta.memory == memory]

    def __getitem__(self, name):
        return self.metas[name]

    def __contains__(self, name):
        return name in self.metas
