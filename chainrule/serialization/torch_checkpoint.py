"""Reading the files ``torch.save`` writes, without PyTorch.

Since PyTorch 1.6 a checkpoint is a zip archive: ``<name>/data.pkl`` pickles the object, with
each storage replaced by a persistent id ``('storage', torch.FloatStorage, key, location,
numel)``, and ``<name>/data/<key>`` holds that storage's raw bytes (``<name>/byteorder`` says
which byte order). Tensors are pickled as ``torch._utils._rebuild_tensor_v2(storage, offset,
size, stride, requires_grad, hooks)``. The pickle is read by ``RestrictedUnpickler``, so
nothing in the file is run; every storage is read once and shared by the tensors that view it.
"""
import io
import pickle
import warnings
import zipfile

import numpy as np

from ..tensor import Tensor
from .restricted_unpickler import RestrictedUnpickler
from .strided import CorruptFileError, window

ZIP_MAGIC = b"PK\x03\x04"
LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"  # pickled 0x1950a86a20f9469cfc6c


class _Storage:
    """One storage of the archive: its elements as a flat NumPy array."""

    def __init__(self, array, bfloat16):
        self.array = array
        self.bfloat16 = bfloat16


class _Rebuild:
    """The callables the unpickler hands out for tensors, parameters and storages."""

    def __init__(self, archive, prefix, where):
        self._archive, self._prefix, self._where = archive, prefix, where
        self._bytes = {}  # key -> bytearray, so typed views of one storage share memory
        self._little = self._byte_order() == "little"
        self.widened_bfloat16 = False

    def _byte_order(self):
        name = self._prefix + "byteorder"
        if name not in self._archive.namelist():
            return "little"  # files from before PyTorch 1.10 do not say; they are little-endian
        return self._archive.read(name).decode("ascii").strip()

    def storage(self, saved_id):
        if not (isinstance(saved_id, tuple) and len(saved_id) == 5 and saved_id[0] == "storage"):
            raise CorruptFileError(f"{self._where}: an unknown persistent id {str(saved_id)[:80]}")
        _, storage_type, key, _location, _numel = saved_id
        if not hasattr(storage_type, "numpy_dtype"):
            raise CorruptFileError(f"{self._where}: storage {key!r} has no storage type")
        if key not in self._bytes:
            name = f"{self._prefix}data/{key}"
            try:
                self._bytes[key] = bytearray(self._archive.read(name))
            except KeyError:
                raise CorruptFileError(f"{self._where}: the storage file {name} is missing") from None
        raw = self._bytes[key]
        dtype = storage_type.numpy_dtype
        if len(raw) % dtype.itemsize:
            raise CorruptFileError(f"{self._where}: storage {key!r} has {len(raw)} bytes, not a whole "
                                   f"number of {dtype.name} elements")
        array = np.frombuffer(raw, dtype)
        if not self._little:
            array = array.byteswap()
        return _Storage(array, storage_type.is_bfloat16)

    def tensor(self, storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
        if not isinstance(storage, _Storage):
            raise CorruptFileError(f"{self._where}: a tensor without a storage")
        array = window(storage.array, offset, size, stride, self._where)
        if storage.bfloat16:
            array = (array.astype(np.uint32) << 16).view(np.float32)  # exact: bfloat16 is float32's top half
            self.widened_bfloat16 = True
        if array.dtype.kind == "c":
            raise TypeError(f"chainrule.load: {self._where} holds a complex tensor of shape {list(array.shape)}; "
                            f"chainrule has no complex dtypes (save its .real and .imag with PyTorch)")
        tensor = Tensor._make(array)
        return tensor.requires_grad_(True) if requires_grad else tensor

    def parameter(self, data, requires_grad=True, hooks=None, state=None):
        from ..nn.parameter import Parameter
        return Parameter(data, requires_grad=bool(requires_grad))


def is_torch_zip(data):
    return data[:4] == ZIP_MAGIC


def is_legacy_torch(data):
    return data[:len(LEGACY_MAGIC)] == LEGACY_MAGIC


def load(data, where):
    """The object of the ``torch.save`` zip archive ``data`` (bytes)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise CorruptFileError(f"{where}: not a readable zip archive ({error})") from None
    with archive:
        names = archive.namelist()
        pickles = [name for name in names if name.endswith("data.pkl") and name.count("/") <= 1]
        script = any(name.endswith("constants.pkl") for name in names)
        if script or not pickles:
            kind = "a TorchScript archive (torch.jit.save)" if script else "a zip archive without data.pkl"
            raise CorruptFileError(f"{where} is {kind}, not a torch.save checkpoint; load it with PyTorch and "
                                   f"torch.save its state_dict()")
        prefix = pickles[0][:-len("data.pkl")]
        rebuild = _Rebuild(archive, prefix, where)
        unpickler = RestrictedUnpickler(io.BytesIO(archive.read(pickles[0])), rebuild, where)
        try:
            obj = unpickler.load()
        except (EOFError, pickle.UnpicklingError, ValueError, IndexError) as error:
            if isinstance(error, (CorruptFileError, pickle.UnpicklingError)):
                raise
            raise CorruptFileError(f"{where}: the pickle in {pickles[0]} is damaged ({error})") from None
    if rebuild.widened_bfloat16:
        warnings.warn(f"chainrule.load: {where} holds bfloat16 tensors; they were loaded as float32 (exactly: "
                      f"chainrule has no bfloat16 dtype)", stacklevel=3)
    return obj
