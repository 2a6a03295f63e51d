"""Indexing, index assignment and their errors, against torch."""
import numpy as np
import pytest
import torch

import chainrule as cr
from oracle import check_op

READS = {
    "int": lambda x: x[1], "negative int": lambda x: x[-1], "slice": lambda x: x[1:3],
    "step": lambda x: x[::2], "none": lambda x: x[None], "ellipsis": lambda x: x[..., 1],
    "int list with duplicates": lambda x: x[[0, 2, 2]], "two int lists": lambda x: x[[0, 1], [1, 2]],
    "column list": lambda x: x[:, [1, 0]], "mask": lambda x: x[x > 0], "row mask": lambda x: x[[True, False, True]],
    "mixed": lambda x: x[1, ..., None], "index tensor": lambda x: x[torch.tensor([2, 0]) if isinstance(x, torch.Tensor)
                                                                  else cr.tensor([2, 0])],
    "2-d index": lambda x: x[(torch.tensor if isinstance(x, torch.Tensor) else cr.tensor)([[0, 1], [2, 2]])],
    "nested list is an array index": lambda x: x[[[0, 1], [2, 2]]] if isinstance(x, cr.Tensor)
    else x[torch.tensor([[0, 1], [2, 2]])],
}


@pytest.mark.parametrize("name", READS)
def test_reads_match_torch(name):
    check_op(READS[name], [(3, 4)], gradgrad=True)


def assign(index, value_shape):
    def fn(x, v):
        y = x * 1
        y[index] = v * 2
        return y
    return fn


WRITES = {
    "row": (1, (4,)), "slice broadcast": ((slice(0, 2), 1), ()), "column list": ((slice(None), [0, 3]), (3, 1)),
    "int lists": (([0, 2], [1, 3]), (2,)), "ellipsis": ((Ellipsis, 2), (3,)),
}


@pytest.mark.parametrize("name", WRITES)
def test_index_assignment_matches_torch(name):
    index, value_shape = WRITES[name]
    check_op(assign(index, value_shape), [(3, 4), value_shape], gradgrad=True)


def test_mask_assignment_with_a_number():
    def fn(x):
        y = x * 1
        y[y > 0] = 0.0
        return y
    check_op(fn, [(3, 4)])


def test_assigning_into_a_tensor_without_grad_makes_it_require_grad():
    v = cr.tensor([1.0, 2.0], requires_grad=True)
    x = cr.zeros(3, 2)
    x[1] = v
    assert x.requires_grad and not x.is_leaf
    (x * x).sum().backward()
    assert v.grad.tolist() == [2.0, 4.0]


def test_basic_index_is_a_view_sharing_memory():
    x = cr.zeros(3, 4)
    row = x[1]
    row += 5
    assert x[1].tolist() == [5.0] * 4 and x._version == row._version


@pytest.mark.parametrize("index,words", [
    (5, r"index 5 is out of bounds for dimension 0 with size 3"),
    ((0, 7), r"index 7 is out of bounds for dimension 1 with size 4"),
    ([0, 3], r"index 3 is out of bounds for dimension 0 with size 3"),
    ((0, 0, 0), r"too many indices for tensor of dimension 2"),
    (1.5, r"only integers, slices"),
])
def test_index_errors(index, words):
    x = cr.ones(3, 4)
    with pytest.raises(IndexError, match=words) as info:
        x[index]
    assert "test_indexing.py" in str(info.value)


def test_float_index_tensor_and_negative_step():
    x = cr.ones(3, 4)
    with pytest.raises(IndexError, match=r"tensors used as indices must be long.*\.long\(\)"):
        x[cr.tensor([0.0, 1.0])]
    with pytest.raises(ValueError, match="step must be greater than zero.*flip"):
        x[::-1]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        cr.tensor(1.0)[0]
    with pytest.raises(IndexError, match=r"shape of the mask \[2\] at index 0 does not match"):
        x[cr.tensor([True, False])]


def test_assignment_shape_mismatch():
    x = cr.ones(3, 4)
    with pytest.raises(RuntimeError, match=r"value tensor of shape \(3,\) cannot be broadcast to indexing result of shape \(4,\)"):
        x[0] = cr.ones(3)


def test_in_place_on_a_view_of_a_tensor_that_requires_grad_is_refused():
    x = cr.ones(3, 4, requires_grad=True) * 1
    row = x[0]
    with pytest.raises(RuntimeError, match=r"in-place change of a view.*base\[idx\] = value"):
        row.mul_(2)


@pytest.mark.parametrize("call,words", [
    (lambda x: x.gather(1, cr.tensor([[0], [9], [0]])), "gather\\(\\): index 9 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.gather(1, cr.tensor([0, 1])), "Index tensor must have the same number of dimensions"),
    (lambda x: x.gather(1, cr.tensor([[0.0]])), "Expected dtype int64 for index"),
    (lambda x: x.index_select(0, cr.tensor([[0]])), "Index is supposed to be a vector"),
    (lambda x: x.scatter_add(0, cr.tensor([[0, 1]]), cr.ones(1, 1)), "Expected index \\(1, 2\\) to be smaller than src"),
    (lambda x: x.masked_fill(cr.ones(3, 4), 0.0), "only supports boolean masks"),
    (lambda x: x.masked_fill(cr.ones(2, dtype=cr.bool), 0.0), "mask of shape \\(2,\\) cannot be broadcast"),
    (lambda x: x.topk(5, dim=1), "selected index k=5 out of range for dimension 1 of size 4"),
])
def test_gather_scatter_and_topk_errors(call, words):
    with pytest.raises((RuntimeError, IndexError), match=words):
        call(cr.ones(3, 4))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_topk_argsort_match_torch(dim):
    rng = np.random.default_rng(3)
    values = rng.permutation(24).reshape(4, 6).astype(np.float64)
    check_op(lambda x: list(x.sort(dim=dim)) + [x.argsort(dim=dim, descending=True)], [(4, 6)],
             sampler=lambda r, s: values)
    check_op(lambda x: list(x.topk(3, dim=dim, largest=False)), [(4, 6)], sampler=lambda r, s: values)


def test_sort_result_fields():
    result = cr.tensor([3.0, 1.0, 2.0]).sort()
    assert result.values.tolist() == [1.0, 2.0, 3.0] and result.indices.tolist() == [1, 2, 0]
    values, indices = cr.tensor([[1.0, 5.0]]).max(dim=1)
    assert values.tolist() == [5.0] and indices.tolist() == [1]
