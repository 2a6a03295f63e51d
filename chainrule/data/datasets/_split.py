"""Turn arrays into seeded train/test TensorDatasets."""
from ... import backend as B
from ...tensor import Tensor
from ..dataset import TensorDataset

xp = B.xp


def train_test(x, y, test_fraction, seed):
    """Shuffle with ``seed`` and split: inputs as float32, integer labels as int64."""
    order = xp.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_test = int(round(len(x) * test_fraction))
    x = x.astype(B.get_default_dtype().np)
    y = y.astype(xp.int64) if y.dtype.kind in "iub" else y.astype(B.get_default_dtype().np)
    make = lambda a, b: TensorDataset(Tensor._make(xp.ascontiguousarray(a)), Tensor._make(xp.ascontiguousarray(b)))  # noqa: E731
    return make(x[n_test:], y[n_test:]), make(x[:n_test], y[:n_test])
