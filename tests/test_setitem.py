"""Index assignment ``x[idx] = v`` and ``index_put``, against torch; their errors."""
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


def assign(index):
    """``y = x * 1; y[index] = 2 * v``: gradients flow to both ``x`` and ``v``."""
    def fn(x, v):
        y = x * 1
        y[index(x) if callable(index) else index] = v * 2
        return y
    return fn


WRITES = {
    "row": (1, (3, 4), (4,)),
    "negative row": (-1, (3, 4), (4,)),
    "row from a number-like 0-d value": (0, (3, 4), ()),
    "row with leading size-1 value dims": (0, (3, 4), (1, 1, 4)),
    "element": ((2, 3), (3, 4), ()),
    "slice broadcast": ((slice(0, 2), 1), (3, 4), ()),
    "slice with step": ((slice(None, None, 2), slice(1, None)), (3, 4), (2, 3)),
    "column broadcast": ((slice(None), 2), (3, 4), (1,)),
    "ellipsis": ((Ellipsis, 2), (2, 3, 4), (3,)),
    "none": ((None, 1), (3, 4), (1, 4)),
    "whole tensor": (Ellipsis, (3, 4), (3, 1)),
    "column list": ((slice(None), [0, 3]), (3, 4), (3, 1)),
    "int lists": (([0, 2], [1, 3]), (3, 4), (2,)),
    "int lists broadcast value": (([0, 2], [1, 3]), (3, 4), ()),
    "index tensor": (lambda x: T(x, [2, 0]), (3, 4), (2, 4)),
    "2-d index tensor": (lambda x: T(x, [[2], [0]]), (3, 4), (2, 1, 4)),
    "lists apart": (([0, 1], slice(None), [1, 2]), (2, 3, 4), (2, 3)),
    "int then list (torch selects first)": ((1, slice(None), [0, 3]), (2, 3, 4), (3, 2)),
    "mask": (lambda x: x > 0, (3, 4), ()),
    "mask with one value per true": (lambda x: T(x, [[True, False, True, False]] * 3), (3, 4), (6,)),
    "row mask": ([True, False, True], (3, 4), (4,)),
    "mask on dim 1": ((slice(None), [False, True, True, False]), (3, 4), (3, 1)),
    "empty index": ([], (3, 4), (4,)),
    "0-d target": (Ellipsis, (), ()),
}


@pytest.mark.parametrize("name", WRITES)
def test_index_assignment_matches_torch(name):
    index, shape, value_shape = WRITES[name]
    check_op(assign(index), [shape, value_shape], gradgrad=True)


def test_repeated_index_last_write_wins_and_every_copy_gets_the_gradient():
    """torch's semantics (CPU): the last write survives; ``v``'s gradient is g[index] for every
    copy of a repeated position (not the true derivative, which is zero for the overwritten
    copies, so finite differences disagree), and ``x``'s gradient is zero there."""
    check_op(assign([0, 2, 0]), [(3, 4), (3, 4)], gradcheck=False)
    check_op(assign(([1, 1], [2, 2])), [(3, 4), (2,)], gradcheck=False)


@pytest.mark.parametrize("value", [0.0, -3, True])
def test_assigning_a_number(value):
    def fn(x):
        y = x * 1
        y[y > 0] = value
        y[:, 1] = value
        return y
    check_op(fn, [(3, 4)], gradgrad=True)


def test_two_writes_and_a_read_between_them():
    def fn(x, a, b):
        y = x * 1
        y[0] = a
        first_row = y[0] * 3          # reads the first write
        y[1:, ::2] = b * first_row[:2]
        return y
    check_op(fn, [(3, 4), (4,), (2, 2)], gradgrad=True)


def test_assigning_into_a_tensor_without_grad_makes_it_require_grad():
    v = cr.tensor([1.0, 2.0], requires_grad=True)
    x = cr.zeros(3, 2)
    x[1] = v
    assert x.requires_grad and not x.is_leaf
    (x * x).sum().backward()
    assert v.grad.tolist() == [2.0, 4.0]


def test_assignment_casts_to_the_tensor_dtype():
    x, tx = cr.zeros(2, 3, dtype=cr.int64), torch.zeros(2, 3, dtype=torch.int64)
    x[0] = 2.7
    tx[0] = 2.7
    x[1, :2] = cr.tensor([1.9, -1.9])
    tx[1, :2] = torch.tensor([1.9, -1.9])
    assert x.dtype == cr.int64 and x.tolist() == tx.tolist()
    y = cr.zeros(3)
    y[[0, 2]] = cr.tensor([1, 2], dtype=cr.float64)
    assert y.dtype == cr.float32 and y.tolist() == [1.0, 0.0, 2.0]


def test_assignment_without_grad_mode_writes_in_place():
    w = cr.ones(3, 2, requires_grad=True)
    with cr.no_grad():
        w[1] = 0.0
    assert w.is_leaf and w.tolist() == [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]] and w._version == 1


def test_changing_a_saved_tensor_is_caught_at_backward():
    x = cr.randn(3, 4, requires_grad=True)
    y = x * 1
    z = y * y                       # saves y for its backward
    y[0] = 5.0
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*version 1; expected version 0"):
        z.sum().backward()


def test_changing_a_saved_view_is_caught_at_backward():
    x = cr.randn(3, 4, requires_grad=True)
    y = x.exp()                     # saves its output y
    y[1:, 2] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_writes_to_leaves_and_views_of_leaves_that_require_grad_are_refused():
    x = cr.ones(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"a leaf Variable that requires grad .* in-place operation"):
        x[0] = 2.0
    with pytest.raises(RuntimeError, match=r"a view of a leaf Variable that requires grad .* in-place"
                                           r".*no_grad"):
        x[0][1] = 3.0


# ---------------------------------------------------------------- index_put

@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_matches_torch(accumulate):
    rows = [0, 2, 0] if accumulate else [0, 2, 1]  # repeats are well defined only when adding
    def fn(x, v):
        return x.index_put((T(x, rows), T(x, [1, 1, 1])), v, accumulate=accumulate)
    check_op(fn, [(3, 4), (3,)], gradgrad=True)
    check_op(fn, [(3, 4), (1,)], gradgrad=True)


def test_index_put_in_place_and_with_a_list_of_index_tensors():
    def fn(x, v):
        y = x * 1
        y.index_put_([T(x, [1, 1]), T(x, [0, 3])], v, accumulate=True)
        return y.index_put([T(x, [2])], v[:1] * 3)
    check_op(fn, [(3, 4), (2,)], gradgrad=True)


@pytest.mark.parametrize("index,value,error,words", [
    (0, cr.ones(3), RuntimeError,
     r"shape mismatch: value tensor of shape \(3,\) cannot be broadcast to indexing result of shape \(4,\)"),
    (0, cr.ones(2, 4), RuntimeError, r"value tensor of shape \(2, 4\) cannot be broadcast to .* \(4,\)"),
    ([0, 1], cr.ones(3, 4), RuntimeError, r"value tensor of shape \(3, 4\) cannot be broadcast .* \(2, 4\)"),
    (0, [1.0, 2.0, 3.0, 4.0], TypeError, r"can't assign a list to a chainrule.float32 tensor.*chainrule.tensor"),
    (0, np.ones(4), TypeError, r"can't assign a ndarray"),
    (3, 1.0, IndexError, r"index 3 is out of bounds for dimension 0 with size 3"),
    ((0, [1, 4]), 1.0, IndexError, r"index 4 is out of bounds for dimension 1 with size 4"),
    (cr.tensor([0.5]), 1.0, IndexError, r"tensors used as indices must be long"),
    (slice(None, None, -1), 1.0, ValueError, r"step must be greater than zero"),
    ((0, 0, 0), 1.0, IndexError, r"too many indices for tensor of dimension 2"),
])
def test_assignment_errors(index, value, error, words):
    x = cr.ones(3, 4)
    with pytest.raises(error, match=words) as info:
        x[index] = value
    assert "test_setitem.py" in str(info.value)
    assert x._version == 0 and x.tolist() == [[1.0] * 4] * 3  # nothing was written
