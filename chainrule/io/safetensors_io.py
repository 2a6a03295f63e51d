"""State dicts as safetensors files, written atomically (a temporary file, fsync, then a rename).

Loading a safetensors file can never run code. The ``safetensors`` package is an
optional extra: a missing one raises an error naming the install line.
"""
import errno
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
    """Call ``write(temporary_path)`` and move the result onto ``path`` only once it is complete
    and on disk (fsync), so a crash mid-write never leaves a broken file where the last good one
    was. The file gets the permissions ``open`` would give it, 0o666 less the umask (not mkstemp's
    0o600, which safetensors also uses), so that a team can read a run."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~current_umask())
        fsync_file(temporary)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    fsync_directory(directory)


def current_umask():
    """The process's umask. Linux shows it in /proc/self/status; elsewhere it can only be read by
    setting it, and setting it back (a brief window in which another thread would create files
    with a 0o077 umask: more private, never less)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def fsync_file(path):
    """Force ``path``'s contents to disk (a kill is harmless without it; a power cut is not)."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def fsync_directory(path):
    """Force ``path``'s entries (new names, renames) to disk. Best effort: some platforms
    (Windows) cannot open a directory and some file systems cannot sync one."""
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(handle)


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
