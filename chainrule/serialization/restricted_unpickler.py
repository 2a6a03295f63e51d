"""An unpickler that rebuilds tensors, containers and numbers, and nothing else.

A pickle is a small program: its ``GLOBAL``/``STACK_GLOBAL`` opcodes name any importable
callable and ``REDUCE`` calls it, which is how a malicious checkpoint runs ``os.system``.
Every name a pickle asks for goes through ``find_class``; here it is looked up in a table of
the few callables a PyTorch checkpoint needs (each one ours, none imported from the file's
say-so), and anything else raises before it is called. This is the idea of PyTorch's
``weights_only=True`` loader, with chainrule's own table.
"""
import _compat_pickle
import codecs
import collections
import pickle

import numpy as np

from . import torch_types


class RefusedGlobalError(pickle.UnpicklingError):
    """A checkpoint asked for a callable that loading never runs."""


def _encode_latin1(text, encoding="latin1"):
    """``_codecs.encode``: protocol-2 pickles write bytes as ``encode(str, 'latin1')``."""
    if encoding not in ("latin1", "latin-1"):
        raise RefusedGlobalError(f"_codecs.encode with encoding {encoding!r}; only latin1 is allowed")
    return codecs.encode(text, "latin1")


def _numpy_dtype(name, *args):
    dtype = np.dtype(name)
    if dtype.hasobject:
        raise RefusedGlobalError("a NumPy dtype that holds Python objects")
    return dtype


def _numpy_scalar(dtype, data=None):
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(data, bytes):
        raise RefusedGlobalError("a NumPy scalar that is not plain data")
    return np.frombuffer(data, dtype)[0]


def _allowed(rebuild):
    """(module, name) -> the callable that stands for it."""
    table = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("_codecs", "encode"): _encode_latin1,
        ("torch", "Size"): tuple,
        ("torch._utils", "_rebuild_tensor_v2"): rebuild.tensor,
        ("torch._utils", "_rebuild_parameter"): rebuild.parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): rebuild.parameter,
    }
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        table[(module, "scalar")] = _numpy_scalar
    table[("numpy", "dtype")] = _numpy_dtype
    for name in torch_types.STORAGE_DTYPES:
        table[("torch", name)] = torch_types.StorageType(name)
    for name in torch_types.TENSOR_DTYPES:
        table[("torch", name)] = torch_types.tensor_dtype(name)
    return table


def _python3_names(module, name):
    """Protocol-2 pickles (PyTorch's) spell some Python 3 names the Python 2 way (``__builtin__``)."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose globals come only from ``_allowed``; ``rebuild`` supplies the
    tensor builders and ``persistent_load`` (the storages of the checkpoint)."""

    def __init__(self, file, rebuild, where):
        super().__init__(file)
        self._table = _allowed(rebuild)
        self._rebuild = rebuild
        self._where = where

    def find_class(self, module, name):
        module, name = _python3_names(module, name)
        found = self._table.get((module, name))
        if found is None:
            raise RefusedGlobalError(
                f"chainrule.load refused the global '{module}.{name}' in {self._where}: a checkpoint may "
                f"only hold tensors, containers (dict, OrderedDict, list, tuple, set) and numbers, and "
                f"nothing in it was run. If the file holds a whole pickled model or another object, "
                f"load it with PyTorch and save its state_dict() instead.")
        return found

    def persistent_load(self, saved_id):
        return self._rebuild.storage(saved_id)
