"""Datasets that ship inside optional packages: scikit-learn's digits and mnist1d (generated locally)."""
from ... import backend as B
from ._split import train_test

xp = B.xp


def _require(module, install):
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"this dataset needs the optional package '{module}': pip install {install}") from None


def digits(test_fraction=0.25, seed=0, flatten=False):
    """scikit-learn's bundled 8x8 handwritten digits: inputs (N, 1, 8, 8) scaled to [0, 1], labels 0-9."""
    datasets = _require("sklearn.datasets", "scikit-learn")
    data = datasets.load_digits()
    x = data.images / 16.0
    x = x.reshape(len(x), -1) if flatten else x[:, None]
    return train_test(x, data.target, test_fraction, seed)


def mnist1d(test_fraction=0.2, seed=0, num_samples=4000):
    """MNIST-1D signals (length 40, 10 classes) generated locally by the mnist1d package."""
    _require("mnist1d", "mnist1d")
    from mnist1d.data import get_dataset_args, make_dataset
    args = get_dataset_args()
    args.num_samples, args.seed = num_samples, seed
    data = make_dataset(args)
    x = xp.concatenate([data["x"], data["x_test"]])
    y = xp.concatenate([data["y"], data["y_test"]])
    return train_test(x, y, test_fraction, seed)
