"""The nesting of a saved object as JSON, its arrays set aside as shared flat storages.

``encode`` turns ``{'model': state_dict, 'epoch': 3}`` into a JSON-able tree whose tensor
leaves point into a list of storages; ``decode`` rebuilds the object from the tree and the
storages. Every node is a dict with a ``type`` (strings, ints, bools and None stay as they
are), so a saved dict can never be mistaken for a node. Floats are kept as their ``repr``
so that inf, nan and every bit of a float64 survive JSON.
"""
import collections

import numpy as np

from .. import backend as B
from ..tensor import Size, Tensor
from . import strided

SAVE_HINT = ("chainrule.save stores tensors, arrays, numbers, strings, None and dicts, lists "
             "and tuples of them; save a module's or optimizer's state_dict() rather than the "
             "object itself")


class Storages:
    """The flat arrays of one file, each stored once however many tensors view it."""

    def __init__(self):
        self.arrays = []
        self._index = {}  # id(root array) -> position; the roots are kept alive in _roots
        self._roots = []

    def place(self, array):
        """The node fields (storage, offset, shape, strides, dtype) that describe ``array``."""
        found = strided.describe(array)
        if found is None:
            root = np.ascontiguousarray(array)
            offset, strides = 0, strided.contiguous_strides(array.shape)
        else:
            root, offset, strides = found
        key = id(root)
        if key not in self._index:
            self._index[key] = len(self.arrays)
            self._roots.append(root)
            self.arrays.append(root.reshape(-1))
        return {"storage": self._index[key], "offset": int(offset), "shape": list(array.shape),
                "strides": [int(s) for s in strides], "dtype": array.dtype.name}


def encode(obj, storages, path="obj"):
    """The JSON tree of ``obj``; its arrays are added to ``storages``."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.generic):
        return {"type": "numpy_scalar", "dtype": obj.dtype.name, "value": encode(obj.item(), storages, path)}
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return {"type": "float", "repr": repr(float(obj))}
    if isinstance(obj, Tensor):
        node = {"type": "tensor", **storages.place(obj._data), "requires_grad": bool(obj.requires_grad)}
        node["parameter"] = type(obj).__name__ == "Parameter"
        return node
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise _refuse(obj, path, "an array of Python objects")
        return {"type": "ndarray", **storages.place(obj)}
    if isinstance(obj, B.dtype):
        return {"type": "dtype", "name": obj.name}
    if isinstance(obj, Size):
        return {"type": "size", "items": [int(n) for n in obj]}
    if isinstance(obj, collections.OrderedDict) or type(obj) is dict:
        kind = "dict" if type(obj) is dict else "ordered_dict"
        items = [[_encode_key(key, path), encode(value, storages, f"{path}[{key!r}]")]
                 for key, value in obj.items()]
        return {"type": kind, "items": items}
    if type(obj) in (list, tuple):
        items = [encode(value, storages, f"{path}[{i}]") for i, value in enumerate(obj)]
        return {"type": type(obj).__name__, "items": items}
    raise _refuse(obj, path)


def _encode_key(key, path):
    if key is None or isinstance(key, (bool, str, int)) and not isinstance(key, np.generic):
        return key
    if isinstance(key, float):
        return {"type": "float", "repr": repr(key)}
    if type(key) is tuple:
        return {"type": "tuple", "items": [_encode_key(k, path) for k in key]}
    raise TypeError(f"chainrule.save: the key {key!r} of {path} is a {type(key).__name__}; dict keys "
                    f"must be strings, numbers, None or tuples of them")


def _refuse(obj, path, what=None):
    what = what or f"a {type(obj).__module__}.{type(obj).__qualname__}"
    return TypeError(f"chainrule.save: {path} is {what}, which cannot be saved. {SAVE_HINT} "
                     f"(e.g. chainrule.save({{'model': model.state_dict()}}, 'model.pt')).")


def decode(node, storages, where):
    """Rebuild the object of the JSON tree ``node``; ``storages`` are the flat arrays."""
    if node is None or isinstance(node, (bool, str, int)):
        return node
    if isinstance(node, list) or not isinstance(node, dict) or "type" not in node:
        raise strided.CorruptFileError(f"{where}: an unreadable node {str(node)[:80]}")
    kind = node["type"]
    if kind == "float":
        return float(node["repr"])
    if kind == "numpy_scalar":
        return np.dtype(_plain_dtype(node["dtype"], where)).type(decode(node["value"], storages, where))
    if kind in ("tensor", "ndarray"):
        return _decode_array(node, storages, where)
    if kind == "dtype":
        return B.to_dtype(node["name"])
    if kind == "size":
        return Size(node["items"])
    if kind in ("dict", "ordered_dict"):
        pairs = [(_decode_key(key, where), decode(value, storages, where)) for key, value in node["items"]]
        return dict(pairs) if kind == "dict" else collections.OrderedDict(pairs)
    if kind in ("list", "tuple"):
        items = [decode(value, storages, where) for value in node["items"]]
        return items if kind == "list" else tuple(items)
    raise strided.CorruptFileError(f"{where}: unknown node type {kind!r}")


def _decode_key(key, where):
    if isinstance(key, dict) and key.get("type") == "float":
        return float(key["repr"])
    if isinstance(key, dict) and key.get("type") == "tuple":
        return tuple(_decode_key(k, where) for k in key["items"])
    return decode(key, [], where)


def _decode_array(node, storages, where):
    index = node["storage"]
    if not isinstance(index, int) or not 0 <= index < len(storages):
        raise strided.CorruptFileError(f"{where}: a tensor names storage {index!r}, but the file has "
                                       f"{len(storages)}")
    storage = storages[index]
    if storage.dtype.name != _plain_dtype(node["dtype"], where):
        raise strided.CorruptFileError(f"{where}: a {node['dtype']} tensor on a {storage.dtype.name} storage")
    array = strided.window(storage, node["offset"], node["shape"], node["strides"], where)
    if node["type"] == "ndarray":
        return array
    if node.get("parameter"):
        from ..nn.parameter import Parameter
        return Parameter(Tensor._make(array), requires_grad=bool(node.get("requires_grad")))
    tensor = Tensor._make(array)
    return tensor.requires_grad_(True) if node.get("requires_grad") else tensor


def _plain_dtype(name, where):
    dtype = np.dtype(name) if name in np.sctypeDict else None
    if dtype is None or dtype.hasobject:
        raise strided.CorruptFileError(f"{where}: unsupported dtype {name!r}")
    return dtype.name
