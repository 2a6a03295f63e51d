"""Batches whose inputs, outputs or targets are one tensor or a dict of named tensors
(several model inputs, several heads): their size, NumPy copies, concatenation."""
from .. import backend as B
from ..tensor import Tensor

xp = B.xp


def batch_size(inputs):
    """The number of samples in a batch of inputs (a tensor, or a dict/tuple of tensors)."""
    if isinstance(inputs, dict):
        inputs = next(iter(inputs.values()))
    elif isinstance(inputs, (tuple, list)):
        inputs = inputs[0]
    return len(inputs)


def to_numpy(value):
    """A detached NumPy copy of a tensor, or a dict of them."""
    if isinstance(value, dict):
        return {key: to_numpy(item) for key, item in value.items()}
    if isinstance(value, Tensor):
        return value.detach().numpy()
    return xp.asarray(value)


def concatenate(parts):
    """Concatenate per-batch arrays (or dicts of arrays, key by key) along the batch dimension."""
    if parts and isinstance(parts[0], dict):
        return {key: xp.concatenate([part[key] for part in parts]) for key in parts[0]}
    return xp.concatenate(parts)


def flatten(prefix, value):
    """{'prefix': array} or {'prefix.key': array, ...} for a dict (for safetensors files)."""
    if isinstance(value, dict):
        return {f"{prefix}.{key}": item for key, item in value.items()}
    return {prefix: value}


def unflatten(prefix, arrays):
    """The inverse of ``flatten``."""
    if prefix in arrays:
        return arrays[prefix]
    start = prefix + "."
    return {name[len(start):]: item for name, item in arrays.items() if name.startswith(start)}
