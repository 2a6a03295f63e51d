"""sort, argsort, topk, kthvalue and msort against torch (values, indices, gradients)."""
import numpy as np
import pytest
import torch

import chainrule as cr
from oracle import check_op


def distinct(rng, shape):
    """Distinct values, so that torch's order is unique (ties may order differently)."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) - 5) / 7.0


SORTS = {
    "sort": lambda x: list(x.sort()),
    "sort dim 0": lambda x: list(x.sort(dim=0)),
    "sort descending": lambda x: list(x.sort(dim=-2, descending=True)),
    "sort stable keyword": lambda x: list(torch.sort(x, dim=1, stable=True) if isinstance(x, torch.Tensor)
                                          else cr.sort(x, dim=1, stable=True)),
    "argsort": lambda x: x.argsort(dim=0, descending=True),
    "msort": lambda x: x.msort() if isinstance(x, cr.Tensor) else torch.msort(x),
    "topk": lambda x: list(x.topk(2)),
    "topk dim 0 smallest": lambda x: list(x.topk(3, dim=0, largest=False)),
    "topk k = size": lambda x: list(x.topk(5, dim=1, largest=False)),
    "topk k = 0": lambda x: list(x.topk(0, dim=1)),
    "topk unsorted flag": lambda x: list(x.topk(2, dim=1, sorted=False)),
    "kthvalue": lambda x: list(x.kthvalue(2, dim=1)),
    "kthvalue keepdim": lambda x: list(x.kthvalue(4, dim=0, keepdim=True)),
}


@pytest.mark.parametrize("name", SORTS)
def test_sorting_matches_torch(name):
    check_op(SORTS[name], [(4, 5)], sampler=distinct, gradgrad=True)


@pytest.mark.parametrize("shape", [(7,), (1, 6), (3, 1), (2, 0), ()])
def test_shapes_with_size_one_empty_and_0d(shape):
    check_op(lambda x: list(x.sort(dim=-1, descending=True)), [shape], sampler=distinct, gradgrad=True)
    check_op(lambda x: list(x.topk(min(1, x.shape[-1]) if x.dim() else 1)), [shape], sampler=distinct)


def test_topk_of_a_long_row_takes_the_partition_path():
    """k much smaller than the row: argpartition, then sort the k winners."""
    check_op(lambda x: list(x.topk(3, dim=1)), [(3, 300)], sampler=distinct)
    check_op(lambda x: list(x.topk(4, dim=0, largest=False)), [(256, 2)], sampler=distinct)
    check_op(lambda x: x.topk(5).values, [(400,)], sampler=lambda rng, shape: rng.integers(0, 9, shape),
             dtypes=(np.int64,), grad=False)


@pytest.mark.parametrize("descending", [False, True])
def test_ties_keep_their_order_like_torchs_stable_sort(descending):
    data = np.array([[2, 1, 2, 0, 1, 2], [0, 0, 1, 1, 0, 0]])
    for dtype in (np.float32, np.int64, np.uint8, np.bool_):
        ours = cr.tensor(data.astype(dtype)).sort(descending=descending)
        theirs = torch.tensor(data.astype(dtype)).sort(descending=descending, stable=True)
        assert ours.values.tolist() == theirs.values.tolist()
        assert ours.indices.tolist() == theirs.indices.tolist()


def test_nan_is_the_largest_value():
    data = [1.0, float("nan"), 3.0, float("inf"), float("nan"), 2.0]
    for kwargs in [{}, {"descending": True}]:
        ours, theirs = cr.tensor(data).sort(**kwargs), torch.tensor(data).sort(stable=True, **kwargs)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        assert ours.indices.tolist() == theirs.indices.tolist()
    for largest in (True, False):
        ours, theirs = cr.tensor(data).topk(3, largest=largest), torch.tensor(data).topk(3, largest=largest)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())


def test_result_fields_unpacking_and_dtypes():
    result = cr.tensor([3.0, 1.0, 2.0]).sort()
    assert result.values.tolist() == [1.0, 2.0, 3.0] and result.indices.tolist() == [1, 2, 0]
    values, indices = cr.tensor([[1.0, 5.0, 3.0]]).topk(2)
    assert values.tolist() == [[5.0, 3.0]] and indices.dtype == cr.int64
    assert cr.tensor([3, 1, 2]).sort().values.dtype == cr.int64
    assert cr.argsort(cr.tensor([3.0, 1.0])).dtype == cr.int64
    assert cr.tensor(4.0).sort().indices.tolist() == 0


@pytest.mark.parametrize("call,error,words", [
    (lambda x: x.topk(5, dim=1), RuntimeError, r"topk\(\): selected index k=5 out of range for dimension 1 of size 4"),
    (lambda x: x.topk(-1), RuntimeError, r"selected index k=-1 out of range"),
    (lambda x: x.kthvalue(0, dim=1), RuntimeError, r"kthvalue\(\): selected number k=0 out of range for dimension 1"),
    (lambda x: x.kthvalue(4, dim=0), RuntimeError, r"k=4 out of range for dimension 0 of size 3"),
    (lambda x: x.sort(dim=2), IndexError, r"sort: Dimension out of range \(expected to be in range of \[-2, 1\]"),
    (lambda x: x.argsort(dim=-3), IndexError, r"argsort: Dimension out of range"),
    (lambda x: x.topk(1, dim=2), IndexError, r"topk: Dimension out of range"),
])
def test_sorting_errors(call, error, words):
    with pytest.raises(error, match=words) as info:
        call(cr.ones(3, 4))
    assert "test_sorting.py" in str(info.value)
