"""Data loading: datasets, the DataLoader, transforms and offline built-in datasets.

Also importable as ``chainrule.utils.data``, so PyTorch imports port by renaming the package.
"""
from .dataset import Dataset, TensorDataset, Subset, ConcatDataset, random_split  # noqa: F401
from .loader import DataLoader, default_collate  # noqa: F401
from . import transforms, datasets  # noqa: F401
