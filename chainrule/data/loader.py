"""``DataLoader``: batches of samples, shuffled with a seeded generator, collated into tensors."""
import math

from .. import backend as B
from ..tensor import Tensor
from .._errors import at_user_line

xp = B.xp


def default_collate(samples):
    """Stack a list of samples: tensors and arrays into one tensor, numbers into a tensor,
    tuples and dicts field by field (as PyTorch's default_collate)."""
    first = samples[0]
    if isinstance(first, Tensor):
        return Tensor._make(xp.stack([s._data for s in samples]))
    if isinstance(first, xp.ndarray):
        return Tensor._make(xp.stack(samples))
    if isinstance(first, bool):
        return Tensor._make(xp.asarray(samples, dtype=bool))
    if isinstance(first, int):
        return Tensor._make(xp.asarray(samples, dtype=xp.int64))
    if isinstance(first, float):
        return Tensor._make(xp.asarray(samples, dtype=xp.float64))
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise RuntimeError(at_user_line("each element in list of batch should be of equal size"))
        fields = [default_collate(list(field)) for field in zip(*samples)]
        return tuple(fields) if isinstance(first, tuple) else fields
    if isinstance(first, str):
        return list(samples)
    raise TypeError(f"default_collate: batch must contain tensors, NumPy arrays, numbers, dicts or lists; "
                    f"found {type(first).__name__}")


class DataLoader:
    """Iterate over a dataset in batches.

    ``shuffle`` draws a new order each epoch from ``generator`` (or chainrule's default
    generator, so ``chainrule.manual_seed`` makes it reproducible). Loading runs in this
    process: ``num_workers`` is accepted for compatibility and must be 0.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None, generator=None,
                 num_workers=0, sampler=None, pin_memory=False, worker_init_fn=None, persistent_workers=False):
        if num_workers != 0:
            raise ValueError(at_user_line(
                f"DataLoader: num_workers={num_workers} is not supported; chainrule loads in the main process "
                f"(num_workers=0). NumPy-backed datasets are rarely the bottleneck on CPU."))
        if batch_size is not None and batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.collate_fn = collate_fn or default_collate
        self.generator, self.sampler = generator, sampler

    def _order(self):
        if self.sampler is not None:
            return list(iter(self.sampler))
        n = len(self.dataset)
        return B.rng(self.generator).permutation(n).tolist() if self.shuffle else list(range(n))

    def __iter__(self):
        self.epoch_order = self._order()  # kept so that a checkpoint can resume inside the epoch
        return self.batches(self.epoch_order)

    def batches(self, order, start_batch=0):
        """The batches of ``order`` (a list of dataset indices), from batch ``start_batch`` on."""
        if self.batch_size is None:
            for index in order[start_batch:]:
                yield self.dataset[index]
            return
        # A dataset with get_batch(indices) hands over whole batches (one fancy index, not N lookups).
        fast = getattr(self.dataset, "get_batch", None) if self.collate_fn is default_collate else None
        for start in range(start_batch * self.batch_size, len(order), self.batch_size):
            indices = order[start:start + self.batch_size]
            if len(indices) < self.batch_size and self.drop_last:
                return
            yield fast(indices) if fast is not None else self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self):
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
