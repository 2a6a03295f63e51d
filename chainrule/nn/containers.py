"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``.

A plain list or dict of layers is enough for chainrule to find parameters;
these exist for PyTorch's API and its state-dict names (``0.weight``).
"""
from .module import Module


class Sequential(Module):
    """Modules called in order, the output of each the input of the next."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            self._names = list(modules[0].keys())
            self._layers = list(modules[0].values())
        else:
            self._names = [str(i) for i in range(len(modules))]
            self._layers = list(modules)

    def _members(self):
        return zip(self._names, self._layers)

    def forward(self, input):
        for layer in self._layers:
            input = layer(input)
        return input

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(dict(zip(self._names[index], self._layers[index])))
        if isinstance(index, str):
            return self._layers[self._names.index(index)]
        return self._layers[index]

    def __len__(self):
        return len(self._layers)

    def __iter__(self):
        return iter(self._layers)

    def append(self, module):
        self._names.append(str(len(self._layers)))
        self._layers.append(module)
        return self

    def __getattr__(self, name):  # named layers: Sequential(OrderedDict(fc=...)).fc
        names = self.__dict__.get("_names", [])
        if name in names:
            return self.__dict__["_layers"][names.index(name)]
        raise AttributeError(f"'Sequential' object has no attribute '{name}'")


class ModuleList(Module):
    """A list of modules, indexed like a list."""

    def __init__(self, modules=()):
        super().__init__()
        self._layers = list(modules)

    def _members(self):
        return ((str(i), m) for i, m in enumerate(self._layers))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(self._layers[index])
        return self._layers[index]

    def __setitem__(self, index, module):
        self._layers[index] = module

    def __len__(self):
        return len(self._layers)

    def __iter__(self):
        return iter(self._layers)

    def append(self, module):
        self._layers.append(module)
        return self

    def extend(self, modules):
        self._layers.extend(modules)
        return self

    def insert(self, index, module):
        self._layers.insert(index, module)


class ModuleDict(Module):
    """A dict of modules by name."""

    def __init__(self, modules=None):
        super().__init__()
        self._layers = dict(modules or {})

    def _members(self):
        return self._layers.items()

    def __getitem__(self, key):
        return self._layers[key]

    def __setitem__(self, key, module):
        self._layers[key] = module

    def __contains__(self, key):
        return key in self._layers

    def __len__(self):
        return len(self._layers)

    def __iter__(self):
        return iter(self._layers)

    def keys(self):
        return self._layers.keys()

    def values(self):
        return self._layers.values()

    def items(self):
        return self._layers.items()

    def update(self, modules):
        self._layers.update(modules)
