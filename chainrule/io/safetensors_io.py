"""State dicts as safetensors files, written atomically (a temporary file, then a rename).

Loading a safetensors file can never run code. The ``safetensors`` package is an
optional extra: a missing one raises an error naming the install line.
"""
import os
import tempfile

from .. import backend as B
from ..tensor import Tensor

xp = B.xp


def _safetensors_numpy():
    try:
        from safetensors import numpy as st_numpy
    except ImportError:
        raise ImportError("saving and loading weights needs the optional package 'safetensors': "
                          "pip install safetensors") from None
    return st_numpy


def atomic_write(path, write):
    """Call ``write(temporary_path)`` and move the result onto ``path`` only once it is complete,
    so a crash mid-write never leaves a broken file where the last good one was."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def save_state_dict(state_dict, path):
    """Write a dict of tensors (or arrays) as a safetensors file, atomically."""
    st_numpy = _safetensors_numpy()
    arrays = {name: xp.ascontiguousarray(value._data if isinstance(value, Tensor) else xp.asarray(value))
              for name, value in state_dict.items()}
    atomic_write(path, lambda temporary: st_numpy.save_file(arrays, temporary))


def load_state_dict(path):
    """Read a safetensors file into a dict of tensors."""
    st_numpy = _safetensors_numpy()
    return {name: Tensor._make(array) for name, array in st_numpy.load_file(path).items()}
