"""``chainrule.save`` and ``chainrule.load``, with PyTorch's call shapes (docs/serialization.md).

``save`` writes chainrule's own format: one safetensors file whose header also holds the
nesting as JSON. ``load`` reads that format, plain safetensors files, and the zip checkpoints
``torch.save`` writes (``.pt``, ``.pth``, ``.bin``), the last through an unpickler that only
rebuilds tensors, containers and numbers. Loading never runs code from the file.
"""
import os

from .. import backend as B
from ..io.safetensors_io import atomic_write
from . import chainrule_format, torch_checkpoint
from .strided import CorruptFileError
from .restricted_unpickler import RefusedGlobalError


def save(obj, f):
    """Write ``obj`` (tensors, arrays, numbers, strings, None, and dicts, OrderedDicts, lists and
    tuples of them) to ``f``, a path or a binary file object. A path is written atomically: a
    crash leaves the previous file whole. Tensors that share memory are stored once."""
    data = chainrule_format.to_bytes(obj)
    if _is_path(f):
        def write(temporary):
            with open(temporary, "wb") as out:
                out.write(data)
        atomic_write(os.fspath(f), write)
    elif hasattr(f, "write"):
        f.write(data)
        if hasattr(f, "flush"):
            f.flush()
    else:
        raise TypeError(f"chainrule.save: f must be a path or a binary file object, got {type(f).__name__}")


def load(f, map_location=None, weights_only=True, **pickle_load_args):
    """Read what ``chainrule.save`` or ``torch.save`` wrote to ``f`` (a path or a binary file object).

    Tensors come back on the CPU, the only device. ``weights_only`` is accepted for PyTorch's call
    shape; loading is always weights-only: a checkpoint holding other objects is refused, naming
    the refused global, and nothing in it is run."""
    _check_map_location(map_location)
    if pickle_load_args:
        raise TypeError(f"chainrule.load: unexpected arguments {sorted(pickle_load_args)} (pickle options "
                        f"do not apply: loading never unpickles arbitrary objects)")
    where, data = _read(f)
    if torch_checkpoint.is_torch_zip(data):
        return torch_checkpoint.load(data, where)
    head = chainrule_format.header(data)
    if head is not None:
        return chainrule_format.from_bytes(data, head, where)
    if torch_checkpoint.is_legacy_torch(data):
        raise CorruptFileError(
            f"{where} was written by torch.save in PyTorch's legacy format (before 1.6, or with "
            f"_use_new_zipfile_serialization=False), which can only be read by running its pickle; "
            f"load it with PyTorch and save it again with torch.save's default format")
    raise CorruptFileError(f"{where} is neither a chainrule.save/safetensors file nor a torch.save "
                           f"checkpoint (it starts with {data[:8]!r})")


def _is_path(f):
    return isinstance(f, (str, bytes, os.PathLike))


def _read(f):
    if _is_path(f):
        path = os.fspath(f)
        path = path.decode() if isinstance(path, bytes) else path
        with open(path, "rb") as source:
            return f"'{path}'", source.read()
    if hasattr(f, "read"):
        return f"the file object {getattr(f, 'name', type(f).__name__)!r}", f.read()
    raise TypeError(f"chainrule.load: f must be a path or a binary file object, got {type(f).__name__}")


def _check_map_location(map_location):
    """Everything loads onto the CPU; a request for another device fails as ``device()`` does."""
    if map_location is None:
        return
    if isinstance(map_location, dict):
        for target in map_location.values():
            _check_map_location(target)
        return
    if callable(map_location) and not isinstance(map_location, (str, B.device)):
        raise TypeError("chainrule.load: a callable map_location cannot be applied (it would receive "
                        "PyTorch storages); pass map_location='cpu' or leave it out")
    B.check_device(map_location)


__all__ = ["save", "load", "CorruptFileError", "RefusedGlobalError"]
