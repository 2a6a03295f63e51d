"""chainrule's own checkpoint file: one safetensors file (docs/serialization.md).

The flat storages are the safetensors tensors ``storage.0``, ``storage.1``, ...; the nesting
(``structure.py``) is JSON in the header's ``__metadata__`` under ``chainrule.structure``,
next to ``chainrule.format`` (the format's version). Any safetensors reader can list the
arrays; reading the file never runs code.
"""
import json
import struct

from . import structure
from .strided import CorruptFileError

FORMAT_KEY, STRUCTURE_KEY, VERSION = "chainrule.format", "chainrule.structure", "1"


def _safetensors_numpy():
    try:
        from safetensors import numpy as st_numpy
    except ImportError:
        raise ImportError("chainrule.save and chainrule.load need the optional package 'safetensors': "
                          "pip install safetensors") from None
    return st_numpy


def to_bytes(obj):
    """The file's contents for ``obj``."""
    storages = structure.Storages()
    tree = structure.encode(obj, storages)
    arrays = {f"storage.{i}": array for i, array in enumerate(storages.arrays)}
    metadata = {FORMAT_KEY: VERSION, STRUCTURE_KEY: json.dumps(tree, separators=(",", ":"))}
    return _safetensors_numpy().save(arrays, metadata=metadata)


def header(data):
    """The JSON header of safetensors bytes, or None when ``data`` is not one."""
    if len(data) < 10:
        return None
    (length,) = struct.unpack("<Q", data[:8])
    if length > len(data) - 8 or data[8:9] != b"{":
        return None
    try:
        return json.loads(data[8:8 + length])
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def from_bytes(data, head, where):
    """The object saved in ``data`` (whose parsed header is ``head``)."""
    metadata = head.get("__metadata__") or {}
    arrays = _safetensors_numpy().load(data)
    if metadata.get(FORMAT_KEY) is None:  # a plain safetensors file: its dict of tensors
        return {name: structure.Tensor._make(arrays[name]) for name in head if name != "__metadata__"}
    if metadata[FORMAT_KEY] != VERSION:
        raise CorruptFileError(f"{where}: written by a newer chainrule (format {metadata[FORMAT_KEY]}); "
                               f"this one reads format {VERSION}: pip install -U chainrule")
    names = [f"storage.{i}" for i in range(len(arrays))]
    if sorted(names) != sorted(arrays):
        raise CorruptFileError(f"{where}: the arrays {sorted(arrays)} are not the storages storage.0 .. "
                               f"storage.{len(arrays) - 1} a chainrule checkpoint holds")
    storages = [arrays[name] for name in names]
    try:
        tree = json.loads(metadata[STRUCTURE_KEY])
    except (KeyError, json.JSONDecodeError) as error:
        raise CorruptFileError(f"{where}: the structure in the header is unreadable ({error})") from None
    return structure.decode(tree, storages, where)
