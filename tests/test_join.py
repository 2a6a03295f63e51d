"""Joining and splitting (ops/join.py) against PyTorch: values, gradients, dtypes, errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import chainrule as cr
from oracle import check_op

settings.register_profile("join", max_examples=40, deadline=None)


def case(fn, *shapes):
    return pytest.param(fn, list(shapes))


CASES = [
    # cat: dims, negative dims, several inputs, empty sizes, legacy 1-D empties
    case(lambda lib, a, b: lib.cat([a, b]), (2, 3), (4, 3)),
    case(lambda lib, a, b: lib.cat((a, b), dim=1), (2, 3), (2, 1)),
    case(lambda lib, a, b, c: lib.cat([a, b, c], -1), (2, 1, 2), (2, 1, 3), (2, 1, 1)),
    case(lambda lib, a, b: lib.cat([a, b, a], dim=-2), (1, 3), (2, 3)),
    case(lambda lib, a, b: lib.cat([a, b], 1), (2, 0), (2, 2)),
    case(lambda lib, a, b: lib.cat([a, b]), (0, 3), (0, 3)),
    case(lambda lib, a: lib.cat([a]), (3,)),
    case(lambda lib, a, b: lib.cat([a, b], dim=1), (2, 3), (0,)),
    case(lambda lib, a, b: lib.cat([b, a, b]), (2, 3), (0,)),
    case(lambda lib, a, b: lib.concat([a, b], dim=0), (2,), (3,)),
    case(lambda lib, a, b: lib.concatenate([a, b], 1), (1, 2), (1, 2)),
    case(lambda lib, a: lib.cat([a, (a * 3).int()], 1), (2, 2)),
    # stack, hstack, vstack
    case(lambda lib, a, b: [lib.stack([a, b]), lib.stack([a, b], 1), lib.stack((a, b), dim=-1)], (2, 3), (2, 3)),
    case(lambda lib, a, b: [lib.stack([a, b]), lib.stack([a, b], -1)], (), ()),
    case(lambda lib, a: lib.stack([a]), (0, 2)),
    case(lambda lib, a, b, c: lib.stack([a, b, c], 2), (2, 3), (2, 3), (2, 3)),
    case(lambda lib, a, b: lib.hstack([a, b]), (2, 3), (2, 1)),
    case(lambda lib, a, b: lib.hstack([a, b]), (3,), (2,)),
    case(lambda lib, a, b: lib.hstack([a, b]), (), ()),
    case(lambda lib, a, b: lib.vstack([a, b]), (2, 3), (3,)),
    case(lambda lib, a, b: lib.vstack([a, b]), (), ()),
    # split, chunk, unbind, select
    case(lambda lib, a: list(a.split(2)), (5, 2)),
    case(lambda lib, a: list(a.split([1, 3], dim=1)), (2, 4)),
    case(lambda lib, a: list(lib.split(a, (0, 2, 0, 2), -1)), (2, 4)),
    case(lambda lib, a: list(a.split(3, dim=-1)), (2, 3)),
    case(lambda lib, a: list(a.split(10)), (3, 2)),
    case(lambda lib, a: list(a.split(2, 1)), (2, 0)),
    case(lambda lib, a: list(a.split(0, 1)), (2, 0)),
    case(lambda lib, a: a.split(2)[1] * 3, (5, 2)),  # pieces without a gradient count as zeros
    case(lambda lib, a: [p * (i + 1) for i, p in enumerate(a.split([2, 1]))], (3, 2)),
    case(lambda lib, a: list(a.chunk(3)), (5, 2)),
    case(lambda lib, a: list(a.chunk(4)), (6,)),
    case(lambda lib, a: list(lib.chunk(a, 2, dim=-1)), (2, 3)),
    case(lambda lib, a: list(a.chunk(5, 1)), (2, 3)),
    case(lambda lib, a: list(a.chunk(3)), (0, 4)),
    case(lambda lib, a: list(a.unbind()), (3, 2)),
    case(lambda lib, a: list(lib.unbind(a, dim=-1)), (2, 3)),
    case(lambda lib, a: list(a.unbind(1)), (2, 0)),
    case(lambda lib, a: [a.select(1, -1), a.select(0, 0), lib.select(a, -1, 2)], (2, 3)),
]


@pytest.mark.parametrize("fn,shapes", CASES)
def test_matches_torch(fn, shapes):
    check_op(lambda *t: fn(cr, *t), shapes, lambda *t: fn(torch, *t), gradgrad=True)


@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("int64", "float32"), ("int32", "int64"),
                                    ("bool", "int32"), ("bool", "float32"), ("float64", "int32")])
def test_cat_and_stack_promote_dtypes_like_torch(dtypes):
    ours = [cr.ones(2, 2, dtype=getattr(cr, d)) for d in dtypes]
    theirs = [torch.ones(2, 2, dtype=getattr(torch, d)) for d in dtypes]
    assert str(cr.cat(ours).dtype) == str(torch.cat(theirs).dtype).replace("torch", "chainrule")
    assert str(cr.stack(ours).dtype) == str(torch.stack(theirs).dtype).replace("torch", "chainrule")


def test_cat_skipped_legacy_empty_tensor_still_promotes_and_gets_a_gradient():
    x = cr.ones(2, 3, dtype=cr.int32)
    empty = cr.zeros(0, dtype=cr.float64, requires_grad=True)
    assert cr.cat([x, empty]).dtype == cr.float64
    a = cr.ones(2, 3, requires_grad=True)
    e = cr.zeros(0, requires_grad=True)
    cr.cat([e, a, e]).sum().backward()
    assert e.grad.shape == (0,) and a.grad.shape == (2, 3)
    assert cr.cat([cr.zeros(0), cr.zeros(0)], dim=1).shape == (0,)  # only legacy empties: dim unused


def test_split_pieces_are_views():
    x = cr.arange(6.0).reshape(3, 2)
    for piece in (*x.split(2), *x.chunk(2, 1), *x.unbind(1), x.select(0, 1)):
        assert np.shares_memory(piece._data, x._data) and piece._version == x._version
    assert not np.shares_memory(cr.cat([x, x])._data, x._data)
    assert not np.shares_memory(cr.stack([x])._data, x._data)


# ---------------------------------------------------------------- errors

X = cr.ones(2, 3)


@pytest.mark.parametrize("call,kind,words", [
    (lambda: cr.cat([X, cr.ones(3, 3)], dim=1), RuntimeError,
     r"cat\(\): tensor 1 has shape \(3, 3\) but tensor 0 has shape \(2, 3\): sizes must match except in dimension 1"),
    (lambda: cr.cat([X, X[None]]), RuntimeError,
     r"same number of dimensions: tensor 1 has shape \(1, 2, 3\) but tensor 0 has shape \(2, 3\)"),
    (lambda: cr.cat([]), RuntimeError, r"expected a non-empty list of Tensors"),
    (lambda: cr.cat([X, cr.tensor(1.0)]), RuntimeError, r"zero-dimensional tensor \(at position 1\) cannot be concatenated"),
    (lambda: cr.cat([X, 1]), TypeError, r"expected Tensor as element 1 .*got int"),
    (lambda: cr.cat(X), TypeError, r"must be a tuple or list of Tensors, not Tensor"),
    (lambda: cr.cat([X], dim=2), IndexError, r"cat: Dimension out of range"),
    (lambda: cr.stack([X, cr.ones(3, 2)]), RuntimeError,
     r"stack expects each tensor to be equal size, but got \(2, 3\) at entry 0 and \(3, 2\) at entry 1"),
    (lambda: cr.stack([]), RuntimeError, r"stack expects a non-empty TensorList"),
    (lambda: cr.stack([X, X], 3), IndexError, r"stack: Dimension out of range .*\[-3, 2\]"),
    (lambda: X.split([1, 1], dim=1), RuntimeError, r"split_sizes to sum exactly to 3 .*split_sizes=\[1, 1\]"),
    (lambda: X.split([-1, 4], dim=1), RuntimeError, r"only non-negative entries.*\[-1, 4\]"),
    (lambda: X.split(0, dim=1), RuntimeError, r"split_size be non-negative, and 0 only if the dimension size is 0"),
    (lambda: X.split(-1), RuntimeError, r"got split_size=-1"),
    (lambda: X.split(1, dim=2), IndexError, r"split: Dimension out of range"),
    (lambda: X.chunk(0), RuntimeError, r"chunk expects `chunks` to be greater than 0"),
    (lambda: cr.tensor(1.0).unbind(), IndexError, r"unbind: Dimension specified as 0 but tensor has no dimensions"),
    (lambda: X.select(1, 3), IndexError, r"select\(\): index 3 out of range for tensor of size \[2, 3\] at dimension 1"),
    (lambda: cr.tensor(1.0).select(0, 0), IndexError, r"select\(\) cannot be applied to a 0-dim tensor"),
])
def test_errors(call, kind, words):
    with pytest.raises(kind, match=words) as info:
        call()
    assert "test_join.py" in str(info.value)


# ---------------------------------------------------------------- properties

@settings(settings.get_profile("join"))
@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=3), data=st.data())
def test_cat_then_split_round_trip(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))
    rng = np.random.default_rng(0)
    parts = []
    for s in sizes:
        piece_shape = list(shape)
        piece_shape[dim] = s
        parts.append(rng.standard_normal(piece_shape))
    joined = cr.cat([cr.tensor(p) for p in parts], dim)
    np.testing.assert_array_equal(joined.numpy(), np.concatenate(parts, dim))
    for ours, ref in zip(joined.split(sizes, dim), parts):
        np.testing.assert_array_equal(ours.numpy(), ref)
    stacked = cr.stack([cr.tensor(p) for p in parts[:1] * 3], dim)
    np.testing.assert_array_equal(stacked.numpy(), np.stack(parts[:1] * 3, dim))
    np.testing.assert_array_equal(cr.stack(stacked.unbind(dim), dim).numpy(), stacked.numpy())


@settings(settings.get_profile("join"))
@given(size=st.integers(0, 12), chunks=st.integers(1, 6), step=st.integers(1, 5))
def test_chunk_and_split_sizes_match_torch(size, chunks, step):
    x, t = cr.zeros(size, 2), torch.zeros(size, 2)
    assert [p.shape[0] for p in x.chunk(chunks)] == [p.shape[0] for p in t.chunk(chunks)]
    assert [p.shape[0] for p in x.split(step)] == [p.shape[0] for p in t.split(step)]
