"""Reading with ``x[idx]`` and the gather/scatter family, against torch; their errors."""
import numpy as np
import pytest
import torch

import chainrule as cr
from oracle import check_op


def T(like, data, dtype=None):
    """An index tensor in the same library as ``like``."""
    if isinstance(like, torch.Tensor):
        return torch.tensor(data, dtype=dtype and getattr(torch, dtype))
    return cr.tensor(data, dtype=dtype and getattr(cr, dtype))


# ---------------------------------------------------------------- x[idx]

READS = {
    "int": ((3, 4), lambda x: x[1]),
    "negative int": ((3, 4), lambda x: x[-1]),
    "two ints": ((3, 4), lambda x: x[2, -3]),
    "slice": ((3, 4), lambda x: x[1:3]),
    "slice past the end": ((3, 4), lambda x: x[2:10]),
    "empty slice": ((3, 4), lambda x: x[1:1]),
    "step": ((5, 4), lambda x: x[::2]),
    "steps in two dims": ((5, 4), lambda x: x[1::2, ::3]),
    "none": ((3, 4), lambda x: x[None]),
    "none of a 0-d": ((), lambda x: x[None]),
    "ellipsis of a 0-d": ((), lambda x: x[...]),
    "ellipsis": ((2, 3, 4), lambda x: x[..., 1]),
    "int, ellipsis, none": ((2, 3, 4), lambda x: x[1, ..., None]),
    "int list with duplicates": ((3, 4), lambda x: x[[0, 2, 2]]),
    "negative int list": ((3, 4), lambda x: x[[-1, 0, -1]]),
    "empty list": ((3, 4), lambda x: x[[]]),
    "index tensor": ((3, 4), lambda x: x[T(x, [2, 0])]),
    "int32 index tensor": ((3, 4), lambda x: x[T(x, [2, 0, 2], "int32")]),
    "0-d index tensor": ((3, 4), lambda x: x[T(x, 1)]),
    "2-d index tensor": ((3, 4), lambda x: x[T(x, [[0, 1], [2, 2]])]),
    "column list": ((3, 4), lambda x: x[:, [1, 0]]),
    "two int lists": ((3, 4), lambda x: x[[0, 1], [1, 2]]),
    "int lists broadcast": ((3, 4), lambda x: x[[[0], [2]], [1, 3, 3]]),
    "lists apart": ((2, 3, 4), lambda x: x[[0, 1], :, [1, 2]]),
    "lists apart by none": ((3, 4), lambda x: x[[0, 1], None, [1, 2]]),
    "int then list (torch selects first)": ((2, 3, 4), lambda x: x[1, :, [0, 1, 3]]),
    "list, int, list": ((2, 3, 4), lambda x: x[[0, 1], 2, [1, 3]]),
    "mask": ((3, 4), lambda x: x[x > 0]),
    "row mask list": ((3, 4), lambda x: x[[True, False, True]]),
    "mask on dim 1": ((3, 4), lambda x: x[:, T(x, [True, False, True, True])]),
    "0-d mask true": ((3, 4), lambda x: x[T(x, True)]),
    "0-d mask false": ((3, 4), lambda x: x[T(x, False)]),
    "python bool": ((3, 4), lambda x: x[True]),
    "mask on an empty tensor": ((0, 4), lambda x: x[x > 0]),
    "numpy index array": ((3, 4), lambda x: x[np.array([1, 1, 0])]),
    "list of index tensors is one per dim": ((3, 4), lambda x: x[[T(x, [0, 2]), T(x, [1, 3])]]),
}


@pytest.mark.parametrize("name", READS)
def test_reads_match_torch(name):
    shape, fn = READS[name]
    check_op(fn, [shape], gradgrad=True)


def test_nested_list_is_one_index_array():
    """A nested list is an index array, as in NumPy (torch warns that it will become one)."""
    check_op(lambda x: x[[[0, 1], [2, 2]]] if isinstance(x, cr.Tensor) else x[T(x, [[0, 1], [2, 2]])],
             [(3, 4)], gradgrad=True)


def test_large_scatter_add_backward_matches_np_add_at():
    """x[idx] with many repeats (an embedding lookup) takes the sort-and-sum backward path."""
    rng = np.random.default_rng(0)
    idx = rng.integers(-50, 50, size=(30, 7))
    check_op(lambda w: w[T(w, idx)], [(50, 80)])            # gradient of 16800 elements
    check_op(lambda w: w[:, T(w, idx)], [(4, 50, 24)])
    check_op(lambda w: w.index_select(1, T(w, idx[0] % 50)), [(600, 50, 5)])


def test_basic_index_is_a_view_and_advanced_index_a_copy():
    x = cr.zeros(3, 4)
    row = x[1]
    row += 5
    assert x[1].tolist() == [5.0] * 4 and x._version == row._version
    part = x[1:3, ::2]
    part += 1
    assert x[2].tolist() == [1.0, 0.0, 1.0, 0.0]
    picked = x[[0]]
    picked += 7
    assert x[0].tolist() == [0.0] * 4
    assert x[cr.tensor(1)].tolist() == x[1].tolist()  # a 0-d index tensor acts as an int


@pytest.mark.parametrize("index,words", [
    (5, r"index 5 is out of bounds for dimension 0 with size 3 \(tensor shape \(3, 4\)\)"),
    (-4, r"index -4 is out of bounds for dimension 0 with size 3"),
    ((0, 7), r"index 7 is out of bounds for dimension 1 with size 4"),
    ((Ellipsis, -5), r"index -5 is out of bounds for dimension 1 with size 4"),
    ([0, 3], r"index 3 is out of bounds for dimension 0 with size 3"),
    ((slice(None), [0, -5]), r"index -5 is out of bounds for dimension 1 with size 4"),
    ((0, 0, 0), r"too many indices for tensor of dimension 2"),
    ((None, 0, slice(None), 1), r"too many indices for tensor of dimension 2"),
    ((Ellipsis, 0, Ellipsis), r"an index can only have a single ellipsis"),
    (1.5, r"only integers, slices .* are valid indices \(got float\)"),
    ("a", r"only integers, slices .* are valid indices \(got str\)"),
    ([1.0, 2.0], r"tensors used as indices must be long, int, byte or bool"),
])
def test_index_errors(index, words):
    x = cr.ones(3, 4)
    with pytest.raises(IndexError, match=words) as info:
        x[index]
    assert "test_indexing.py" in str(info.value)  # the user's own line


def test_more_index_errors():
    x = cr.ones(3, 4)
    with pytest.raises(IndexError, match=r"tensors used as indices must be long.*\.long\(\)"):
        x[cr.tensor([0.0, 1.0])]
    with pytest.raises(ValueError, match="step must be greater than zero.*flip"):
        x[::-1]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[:, 1::0]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor.*item"):
        cr.tensor(1.0)[0]
    with pytest.raises(IndexError, match=r"shape of the mask \[2\] at index 0 does not match"):
        x[cr.tensor([True, False])]
    with pytest.raises(IndexError, match=r"shape of the mask \[3\] at index 1 does not match"):
        x[:, cr.tensor([True, False, True])]


# ---------------------------------------------------------------- gather / scatter family

FAMILY = {
    "gather dim 1": ([(3, 4)], lambda x: x.gather(1, T(x, [[0, 0], [1, 0], [3, 2]]))),
    "gather dim 0, index larger than input along dim": (
        [(2, 3)], lambda x: x.gather(0, T(x, [[0, 1, 1], [1, 1, 0], [0, 0, 0]]))),
    "gather dim -1, index smaller outside dim": ([(3, 4)], lambda x: x.gather(-1, T(x, [[3], [2]]))),
    "gather 1-d": ([(5,)], lambda x: x.gather(0, T(x, [4, 4, 0]))),
    "gather empty index": ([(3, 4)], lambda x: x.gather(1, T(x, np.zeros((3, 0), np.int64)))),
    "index_select": ([(3, 4)], lambda x: x.index_select(1, T(x, [2, 0, 2]))),
    "index_select dim 0, negative dim": ([(3, 4)], lambda x: x.index_select(-2, T(x, [1]))),
    "index_select 0-d index": ([(3, 4)], lambda x: x.index_select(1, T(x, 3))),
    "index_select of a 0-d": ([()], lambda x: x.index_select(0, T(x, [0]))),
    "take_along_dim": ([(3, 4)], lambda x: x.take_along_dim(T(x, [[1], [0], [3]]), dim=1)),
    "take_along_dim broadcast": ([(3, 4)], lambda x: x.take_along_dim(T(x, [[1, 3]]), dim=1)),
    "take_along_dim broadcast input": ([(1, 4)], lambda x: x.take_along_dim(T(x, [[1], [2], [0]]), dim=1)),
    "take_along_dim flat": ([(3, 4)], lambda x: x.take_along_dim(T(x, [11, 0, 5, 5]))),
    "masked_fill": ([(3, 4)], lambda x: x.masked_fill(x > 0.5, -1.0)),
    "masked_fill broadcast mask": ([(2, 3, 4)], lambda x: x.masked_fill(T(x, [True, False, False, True]), 7.0)),
    "masked_fill size-1 mask": ([(3, 4)], lambda x: x.masked_fill(T(x, [[True], [False], [True]]), 0.0)),
    "masked_fill 0-d": ([()], lambda x: x.masked_fill(x > 0, 2.0)),
    "masked_fill tensor value": ([(3, 4), ()], lambda x, v: x.masked_fill(x > 0, v)),
    "masked_select": ([(3, 4)], lambda x: x.masked_select(x > 0)),
    "masked_select broadcast": ([(4,)], lambda x: x.masked_select(T(x, [[True, False, True, True], [False] * 4]))),
    "take": ([(3, 4)], lambda x: x.take(T(x, [[0, 11], [-1, 5]]))),
    "take 0-d index": ([(3, 4)], lambda x: x.take(T(x, 7))),
}


@pytest.mark.parametrize("name", FAMILY)
def test_gather_family_matches_torch(name):
    shapes, fn = FAMILY[name]
    check_op(fn, shapes, gradgrad=True)


WRITERS = {
    "scatter src": ([(3, 4), (2, 4)], lambda x, s: x.scatter(0, T(x, [[1, 0, 2, 1], [2, 1, 0, 0]]), s)),
    "scatter value": ([(3, 4)], lambda x: x.scatter(1, T(x, [[0], [3], [1]]), 2.5)),
    "scatter_add with repeats": ([(3, 4), (3, 2)], lambda x, s: x.scatter_add(0, T(x, [[0, 1], [0, 2], [2, 2]]), s)),
    "scatter_add dim -1": ([(2, 5), (2, 3)], lambda x, s: x.scatter_add(-1, T(x, [[4, 4, 0], [1, 2, 1]]), s)),
    "index_add": ([(3, 4), (3, 3)], lambda x, s: x.index_add(1, T(x, [0, 3, 0]), s)),
    "index_add alpha": ([(3, 4), (2, 4)], lambda x, s: x.index_add(0, T(x, [2, 2]), s, alpha=-2.0)),
    "index_copy": ([(3, 4), (3, 2)], lambda x, s: x.index_copy(1, T(x, [3, 0]), s)),
    "index_fill": ([(3, 4)], lambda x: x.index_fill(1, T(x, [0, 2]), -1.5)),
    "index_fill tensor value": ([(3, 4), ()], lambda x, v: x.index_fill(0, T(x, [1]), v)),
}


@pytest.mark.parametrize("name", WRITERS)
def test_scatter_family_matches_torch(name):
    shapes, fn = WRITERS[name]
    check_op(fn, shapes, gradgrad=True)


@pytest.mark.parametrize("shapes,fn", [
    ([(3, 4), (3, 5)], lambda x, s: x.scatter(1, T(x, [[0, 1], [2, 3]]), s)),  # src larger than index
    ([(3, 4), (1, 2)], lambda x, s: x.scatter(1, T(x, [[3, 3]]), s, reduce="add")),
])
def test_scatter_where_torch_has_no_backward(shapes, fn):
    """torch computes these forwards but not their gradients: forward vs torch, gradients by
    finite differences (the unused part of src gets zero)."""
    check_op(fn, shapes, grad=False)
    inputs = [cr.randn(*s, dtype=cr.float64, requires_grad=True) for s in shapes]
    assert cr.autograd.gradcheck(fn, inputs) and cr.autograd.gradgradcheck(fn, inputs)


def test_integer_tensors_keep_their_dtype():
    x = cr.arange(12).reshape(3, 4)
    tx = torch.arange(12).reshape(3, 4)
    for ours, theirs in [
        (x.masked_fill(x > 5, 2.7), tx.masked_fill(tx > 5, 2.7)),
        (x.gather(1, cr.tensor([[1], [0], [3]])), tx.gather(1, torch.tensor([[1], [0], [3]]))),
        (x.scatter(1, cr.tensor([[1], [0], [3]]), 9), tx.scatter(1, torch.tensor([[1], [0], [3]]), 9)),
        (x[x % 2 == 0], tx[tx % 2 == 0]),
    ]:
        assert ours.dtype == cr.int64 and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("call,error,words", [
    (lambda x: x.gather(1, cr.tensor([[0], [9], [0]])), RuntimeError,
     r"gather\(\): index 9 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.gather(1, cr.tensor([[0], [-1], [0]])), RuntimeError,
     r"gather\(\): index -1 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.gather(1, cr.tensor([0, 1])), RuntimeError,
     r"Index tensor must have the same number of dimensions as input tensor"),
    (lambda x: x.gather(1, cr.tensor([[0.0]])), RuntimeError, r"gather\(\): Expected dtype int32/int64 for index"),
    (lambda x: x.gather(1, cr.zeros(4, 1, dtype=cr.int64)), RuntimeError,
     r"expected index \[4, 1\] to be no larger than self \[3, 4\] apart from dimension 1"),
    (lambda x: x.gather(2, cr.zeros(3, 1, dtype=cr.int64)), IndexError, r"gather: Dimension out of range"),
    (lambda x: x.index_select(0, cr.tensor([[0]])), IndexError, r"Index is supposed to be a vector"),
    (lambda x: x.index_select(1, cr.tensor([4])), IndexError, r"index_select\(\): index 4 is out of bounds"),
    (lambda x: x.scatter_add(0, cr.tensor([[0, 1]]), cr.ones(1, 1)), RuntimeError,
     r"expected index \[1, 2\] to be no larger than self \[3, 4\] apart from dimension 0 and to be no "
     r"larger size than src \[1, 1\]"),
    (lambda x: x.scatter(0, cr.tensor([[3]]), 1.0), RuntimeError,
     r"scatter\(\): index 3 is out of bounds for dimension 0 with size 3"),
    (lambda x: x.scatter(0, cr.tensor([0]), 1.0), RuntimeError,
     r"Index tensor must have the same number of dimensions as self tensor"),
    (lambda x: x.scatter(0, cr.tensor([[0]]), 1.0, reduce="max"), RuntimeError,
     r"reduce argument must be either 'add' or 'multiply', got 'max'"),
    (lambda x: x.scatter(0, cr.tensor([[0]]), [1.0]), TypeError, r"src must be a tensor or a number"),
    (lambda x: x.index_add(0, cr.tensor([0]), cr.ones(1, 3)), RuntimeError,
     r"index_add\(\): source of shape \(1, 3\) must match self \(3, 4\) except in dimension 0"),
    (lambda x: x.masked_fill(cr.ones(3, 4), 0.0), RuntimeError, r"masked_fill_ only supports boolean masks"),
    (lambda x: x.masked_fill(cr.ones(2, dtype=cr.bool), 0.0), RuntimeError,
     r"mask of shape \(2,\) cannot be broadcast to the input of shape \(3, 4\)"),
    (lambda x: x.masked_fill(x > 0, cr.ones(2)), RuntimeError, r"only supports a 0-dimensional value tensor"),
    (lambda x: x.masked_select(cr.ones(3, 4)), RuntimeError, r"masked_select: expected a boolean mask"),
    (lambda x: x.take(cr.tensor([12])), IndexError,
     r"take\(\): out of range: tried to access index 12 on a tensor of 12 elements"),
    (lambda x: x.take_along_dim(cr.tensor([[5]]), 1), RuntimeError,
     r"take_along_dim\(\): index 5 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.take_along_dim(cr.tensor([1]), 1), RuntimeError,
     r"input and indices should have the same number of dimensions"),
    (lambda x: x.take_along_dim(cr.tensor([[1], [1]]), 1), RuntimeError, r"cannot be broadcast against input"),
])
def test_gather_scatter_errors(call, error, words):
    with pytest.raises(error, match=words) as info:
        call(cr.ones(3, 4))
    assert "test_indexing.py" in str(info.value)
