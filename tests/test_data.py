"""Datasets, DataLoader and transforms (batch composition checked against torch.utils.data)."""
import importlib.util

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
from chainrule.data import DataLoader, TensorDataset, Subset, random_split, transforms as T, datasets


def test_utils_data_alias():
    import chainrule.utils.data as alias
    assert alias is cr.data and alias.DataLoader is DataLoader


@pytest.mark.parametrize("batch_size,drop_last", [(4, False), (4, True), (3, False), (10, False), (1, True)])
def test_sequential_batches_match_torch(batch_size, drop_last):
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    ours = list(DataLoader(TensorDataset(cr.tensor(x), cr.tensor(y)), batch_size=batch_size, drop_last=drop_last))
    theirs = list(tud.DataLoader(tud.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=batch_size,
                                 drop_last=drop_last))
    assert len(ours) == len(theirs) == len(DataLoader(TensorDataset(cr.tensor(x)), batch_size=batch_size,
                                                       drop_last=drop_last))
    for (xb, yb), (xt, yt) in zip(ours, theirs):
        np.testing.assert_array_equal(xb.numpy(), xt.numpy())
        np.testing.assert_array_equal(yb.numpy(), yt.numpy())
        assert yb.dtype is cr.int64


def test_shuffle_is_a_permutation_reproducible_with_a_seed():
    data = TensorDataset(cr.arange(50))

    def epoch(seed):
        return np.concatenate([b[0].numpy() for b in DataLoader(data, batch_size=8, shuffle=True,
                                                                generator=cr.Generator().manual_seed(seed))])
    assert sorted(epoch(1).tolist()) == list(range(50))
    assert epoch(1).tolist() == epoch(1).tolist() and epoch(1).tolist() != epoch(2).tolist()
    cr.manual_seed(3)
    a = [b[0].tolist() for b in DataLoader(data, batch_size=8, shuffle=True)]
    cr.manual_seed(3)
    assert a == [b[0].tolist() for b in DataLoader(data, batch_size=8, shuffle=True)]


def test_collate_of_dicts_tuples_and_numbers_matches_torch():
    samples = [{"x": np.ones(3) * i, "label": i, "w": 0.5 * i, "pair": (i, np.zeros(2))} for i in range(4)]
    ours = cr.data.default_collate(samples)
    theirs = tud.default_collate(samples)
    for key in ["x", "label", "w"]:
        np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())
        assert str(ours[key].dtype).split(".")[-1] == str(theirs[key].dtype).split(".")[-1]
    np.testing.assert_array_equal(ours["pair"][1].numpy(), theirs["pair"][1].numpy())


def test_random_split_subset_and_concat():
    data = TensorDataset(cr.arange(10))
    a, b = random_split(data, [7, 3], generator=cr.Generator().manual_seed(0))
    items = sorted(int(a[i][0]) for i in range(len(a))) + sorted(int(b[i][0]) for i in range(len(b)))
    assert len(a) == 7 and len(b) == 3 and sorted(items) == list(range(10))
    c, d = random_split(data, [0.5, 0.5], generator=cr.Generator().manual_seed(0))
    assert len(c) == len(d) == 5
    assert int(Subset(data, [3, 1])[1][0]) == 1
    both = a + b
    assert len(both) == 10 and int(both[7][0]) == int(b[0][0])
    with pytest.raises(ValueError, match=r"Sum of input lengths \(9\) does not equal the length of the input dataset \(10\)"):
        random_split(data, [5, 4])


def test_loader_and_dataset_errors():
    with pytest.raises(ValueError, match="num_workers=2 is not supported.*num_workers=0"):
        DataLoader(TensorDataset(cr.ones(2)), num_workers=2)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        DataLoader(TensorDataset(cr.ones(2)), batch_size=0)
    with pytest.raises(ValueError, match=r"Size mismatch between tensors: first dimensions \[3, 2\]"):
        TensorDataset(cr.ones(3), cr.ones(2))


def test_transforms():
    cr.manual_seed(0)
    image = np.arange(2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4)
    normalized = T.Normalize([1.0, 2.0], [2.0, 4.0])(image).numpy()
    np.testing.assert_allclose(normalized[1], (image[1] - 2) / 4)
    crop = T.RandomCrop(4, padding=1)(image).numpy()
    assert crop.shape == (2, 4, 4) and np.isin(image[:, 1:3, 1:3], crop).all()
    flipped = T.RandomHorizontalFlip(p=1.0)(image).numpy()
    np.testing.assert_array_equal(flipped, image[..., ::-1])
    assert np.abs(T.RandomNoise(0.1)(image).numpy() - image).max() > 0
    signal = np.arange(1, 11, dtype=np.float32)
    shifted = T.RandomShift1d(3)(signal).numpy()
    assert shifted.shape == (10,) and set(shifted[shifted != 0]) <= set(signal)
    pipeline = T.Compose([T.ToTensor(), T.RandomHorizontalFlip(0.0), T.Normalize([0.0, 0.0], [1.0, 1.0])])
    np.testing.assert_array_equal(pipeline(image).numpy(), image)
    with pytest.raises(ValueError, match=r"RandomCrop: required crop size \(9, 9\) is larger"):
        T.RandomCrop(9)(image)
    wrapped = cr.data.transforms.TransformDataset(TensorDataset(cr.tensor(image[None]), cr.tensor([1])),
                                                  T.RandomHorizontalFlip(1.0))
    np.testing.assert_array_equal(wrapped[0][0].numpy(), image[..., ::-1])


@pytest.mark.parametrize("name", ["xor", "spirals", "moons", "linear_regression"])
def test_synthetic_datasets_are_seeded_splits(name):
    train, test = getattr(datasets, name)()
    again, _ = getattr(datasets, name)()
    assert len(train) > len(test) > 0
    np.testing.assert_array_equal(train.tensors[0].numpy(), again.tensors[0].numpy())
    assert train.tensors[0].dtype is cr.float32


def test_packaged_datasets_load_or_name_their_install_line():
    for name, module, install in [("digits", "sklearn", "scikit-learn"), ("mnist1d", "mnist1d", "mnist1d")]:
        if importlib.util.find_spec(module) is None:
            with pytest.raises(ImportError, match=f"pip install {install}"):
                getattr(datasets, name)()
        else:
            train, test = getattr(datasets, name)()
            assert len(train) > len(test) > 0


def test_get_batch_fast_path_equals_sample_by_sample_collate():
    from chainrule.data.loader import default_collate
    x = cr.tensor(np.arange(30, dtype=np.float32).reshape(10, 3))
    y = cr.tensor(np.arange(10))
    dataset = cr.data.TensorDataset(x, y)
    cr.manual_seed(5)
    fast = [tuple(t.numpy() for t in batch) for batch in cr.data.DataLoader(dataset, 4, shuffle=True)]
    cr.manual_seed(5)
    slow_loader = cr.data.DataLoader(dataset, 4, shuffle=True, collate_fn=lambda s: default_collate(s))
    slow = [tuple(t.numpy() for t in batch) for batch in slow_loader]
    assert len(fast) == len(slow) == 3
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        assert a[0].dtype == b[0].dtype and a[1].dtype == b[1].dtype
