"""Type promotion against torch: tensors, 0-d tensors and Python scalars, every dtype pair."""
import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import chainrule as cr

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def ours(name):
    return getattr(cr, name)


def theirs(name):
    return getattr(torch, name)


def make(lib, name, ndim):
    dtype = ours(name) if lib is cr else theirs(name)
    return lib.ones((2,) * ndim, dtype=dtype)


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
@pytest.mark.parametrize("ndims", [(1, 1), (1, 0), (0, 1), (0, 0)])
def test_tensor_tensor_promotion(a, b, ndims):
    expected = torch.result_type(make(torch, a, ndims[0]), make(torch, b, ndims[1]))
    got = cr.result_type(make(cr, a, ndims[0]), make(cr, b, ndims[1]))
    assert got.name == str(expected).replace("torch.", "")


@pytest.mark.parametrize("a", NAMES)
@pytest.mark.parametrize("scalar", [True, 3, 2.5])
def test_tensor_scalar_promotion(a, scalar):
    expected = torch.result_type(make(torch, a, 1), scalar)
    assert cr.result_type(make(cr, a, 1), scalar).name == str(expected).replace("torch.", "")


@pytest.mark.parametrize("a", NAMES[1:])  # bool arithmetic: test_bool_subtraction_is_refused
@pytest.mark.parametrize("scalar", [3, 2.5])
def test_arithmetic_result_dtype(a, scalar):
    for op in [lambda x: x + scalar, lambda x: scalar * x, lambda x: x - scalar]:
        expected = op(make(torch, a, 1)).dtype
        assert op(make(cr, a, 1)).dtype.name == str(expected).replace("torch.", "")


def test_true_division_of_integers_gives_default_float():
    assert (cr.tensor([3]) / cr.tensor([2])).dtype is cr.float32
    assert (cr.tensor([3]) / 2).tolist() == [1.5]


def test_bool_subtraction_is_refused():
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors is not supported"):
        cr.tensor([True]) - cr.tensor([False])
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor is not supported"):
        -cr.tensor([True])


dtype_names = st.sampled_from(NAMES[1:])  # arithmetic dtypes


@settings(max_examples=60, deadline=None)
@given(a=dtype_names, b=dtype_names, shape_a=st.lists(st.integers(1, 3), max_size=3),
       shape_b=st.lists(st.integers(1, 3), max_size=3))
def test_property_add_dtype_and_shape_match_torch(a, b, shape_a, shape_b):
    shape_b = [1 if i % 2 else s for i, s in enumerate(shape_b)]
    try:
        expected = torch.ones(shape_a, dtype=theirs(a)) + torch.ones(shape_b, dtype=theirs(b))
    except RuntimeError:
        with pytest.raises(RuntimeError):
            cr.ones(shape_a, dtype=ours(a)) + cr.ones(shape_b, dtype=ours(b))
        return
    got = cr.ones(shape_a, dtype=ours(a)) + cr.ones(shape_b, dtype=ours(b))
    assert tuple(got.shape) == tuple(expected.shape)
    assert got.dtype.name == str(expected.dtype).replace("torch.", "")
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
