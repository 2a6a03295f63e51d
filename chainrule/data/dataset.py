"""Datasets: ``Dataset``, ``TensorDataset``, ``Subset``, ``random_split``, ``ConcatDataset``."""
import math

from .. import backend as B
from .._errors import at_user_line
from ..tensor import Tensor

xp = B.xp


class Dataset:
    """A map-style dataset: ``__getitem__(index)`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of tensors that share their first dimension."""

    def __init__(self, *tensors):
        sizes = {t.shape[0] for t in tensors}
        if len(sizes) != 1:
            raise ValueError(at_user_line(
                f"Size mismatch between tensors: first dimensions {[t.shape[0] for t in tensors]} must be equal"))
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def get_batch(self, indices):
        """The samples at ``indices`` already stacked: one fancy index per tensor (DataLoader's fast path)."""
        rows = xp.asarray(indices, dtype=xp.int64)
        return tuple(Tensor._make(t._data[rows]) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        if isinstance(index, list):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    def __init__(self, datasets):
        self.datasets = list(datasets)
        self.offsets = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.offsets.append(total)

    def __len__(self):
        return self.offsets[-1] if self.offsets else 0

    def __getitem__(self, index):
        if index < 0:
            index += len(self)
        for i, end in enumerate(self.offsets):
            if index < end:
                start = self.offsets[i - 1] if i else 0
                return self.datasets[i][index - start]
        raise IndexError(f"index {index} out of range for a dataset of {len(self)} samples")


def random_split(dataset, lengths, generator=None):
    """Split into non-overlapping subsets of the given lengths (or fractions summing to 1)."""
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):  # the remainder goes round-robin, as in PyTorch
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(at_user_line(
            f"Sum of input lengths ({sum(lengths)}) does not equal the length of the input dataset ({n})"))
    order = B.rng(generator).permutation(n).tolist()
    subsets, start = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[start:start + length]))
        start += length
    return subsets
