"""Type promotion against torch: tensors, 0-d tensors and Python scalars, every dtype pair."""
import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import chainrule as cr

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SCALARS = [True, 3, -2, 2.5]


def ours(name):
    return getattr(cr, name)


def theirs(name):
    return getattr(torch, name)


def name_of(dtype):
    return str(dtype).replace("torch.", "").replace("chainrule.", "")


def make(lib, name, ndim):
    dtype = ours(name) if lib is cr else theirs(name)
    return lib.ones((2,) * ndim, dtype=dtype)


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
@pytest.mark.parametrize("ndims", [(1, 1), (1, 0), (0, 1), (0, 0)])
def test_tensor_tensor_promotion(a, b, ndims):
    expected = torch.result_type(make(torch, a, ndims[0]), make(torch, b, ndims[1]))
    got = cr.result_type(make(cr, a, ndims[0]), make(cr, b, ndims[1]))
    assert got.name == name_of(expected)


@pytest.mark.parametrize("a", NAMES)
@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("ndim", [1, 0])
def test_tensor_scalar_promotion(a, scalar, ndim):
    for operands in [(scalar, "tensor"), ("tensor", scalar)]:
        expected = torch.result_type(*[make(torch, a, ndim) if x == "tensor" else x for x in operands])
        got = cr.result_type(*[make(cr, a, ndim) if x == "tensor" else x for x in operands])
        assert got.name == name_of(expected)


@pytest.mark.parametrize("a,b", list(itertools.product(SCALARS, SCALARS)))
def test_scalar_scalar_promotion(a, b):
    assert cr.result_type(a, b).name == name_of(torch.result_type(a, b))


def test_python_floats_follow_the_default_dtype():
    cr.set_default_dtype(cr.float64)
    try:
        assert cr.result_type(cr.tensor([1, 2]), 2.5) is cr.float64
        assert (cr.tensor([1, 2]) / 2).dtype is cr.float64
        assert (cr.tensor([1.0], dtype=cr.float32) * 2.5).dtype is cr.float32  # no silent upcast
    finally:
        cr.set_default_dtype(cr.float32)


def test_numpy_scalars_promote_like_python_numbers():
    x = cr.tensor([1.0, 2.0])
    assert (x * np.float64(2.0)).dtype is cr.float32
    assert (cr.tensor([1, 2]) + np.int64(3)).dtype is cr.int64
    assert cr.result_type(cr.tensor([1], dtype=cr.int8), np.float32(0.5)) is cr.float32


@pytest.mark.parametrize("a", NAMES[1:])  # bool arithmetic: test_bool_subtraction_is_refused
@pytest.mark.parametrize("scalar", [3, 2.5])
def test_arithmetic_result_dtype(a, scalar):
    for op in [lambda x: x + scalar, lambda x: scalar * x, lambda x: x - scalar, lambda x: x / scalar,
               lambda x: scalar / x, lambda x: x ** 2, lambda x: x % scalar, lambda x: x // scalar]:
        expected = op(make(torch, a, 1)).dtype
        assert op(make(cr, a, 1)).dtype.name == name_of(expected)


def test_true_division_of_integers_gives_default_float():
    assert (cr.tensor([3]) / cr.tensor([2])).dtype is cr.float32
    assert (cr.tensor([3]) / 2).tolist() == [1.5]


def test_bool_subtraction_is_refused():
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors is not supported"):
        cr.tensor([True]) - cr.tensor([False])
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor is not supported"):
        -cr.tensor([True])


def test_unsupported_operand_is_a_type_error():
    with pytest.raises(TypeError, match="unsupported operand of type complex"):
        cr.result_type(cr.tensor([1.0]), 1j)


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
    assert got.dtype.name == name_of(expected.dtype)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


# ---------------------------------------------------------------- every op, every kind of operand

OPS = {
    "add": lambda lib, a, b: a + b if isinstance(a, lib.Tensor) else lib.add(b, a),
    "sub": lambda lib, a, b: lib.sub(a, b) if isinstance(a, lib.Tensor) else b.__rsub__(a),
    "mul": lambda lib, a, b: a * b if isinstance(a, lib.Tensor) else b.__rmul__(a),
    "div": lambda lib, a, b: a / b if isinstance(a, lib.Tensor) else b.__rtruediv__(a),
    "floor_divide": lambda lib, a, b: a // b if isinstance(a, lib.Tensor) else b.__rfloordiv__(a),
    "remainder": lambda lib, a, b: a % b if isinstance(a, lib.Tensor) else b.__rmod__(a),
    "pow": lambda lib, a, b: a ** b if isinstance(a, lib.Tensor) else b.__rpow__(a),
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "where": lambda lib, a, b: lib.where(lib.tensor(True), a, b),
    "lt": lambda lib, a, b: a < b if isinstance(a, lib.Tensor) else b > a,
    "eq": lambda lib, a, b: a == b if isinstance(a, lib.Tensor) else b == a,
}


@st.composite
def operand(draw, shape):
    """A tensor of the given (broadcastable) shape, a 0-d tensor, or a Python scalar."""
    kind = draw(st.sampled_from(["tensor", "tensor", "0-d", "scalar"]))
    if kind == "scalar":
        return draw(st.sampled_from([True, 2, 3, 1.5, 2.5]))
    value = draw(st.integers(1, 3))
    dtype = draw(st.sampled_from(NAMES))
    return (dtype, shape if kind == "tensor" else [], value)


def build(lib, spec):
    if not isinstance(spec, tuple):
        return spec
    dtype, shape, value = spec
    return lib.full(shape, value if dtype != "bool" else True, dtype=getattr(lib, dtype))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), op=st.sampled_from(list(OPS)), shape=st.lists(st.integers(1, 3), max_size=3))
def test_property_ops_promote_like_torch(data, op, shape):
    shape_b = data.draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    shape_b = [1 if keep else s for keep, s in zip(shape_b, shape)][data.draw(st.integers(0, len(shape))):]
    a, b = data.draw(operand(shape)), data.draw(operand(shape_b))
    if not isinstance(a, tuple) and not isinstance(b, tuple):
        b = ("float32", shape_b, 2)  # at least one tensor
    fn = OPS[op]
    try:
        expected = fn(torch, build(torch, a), build(torch, b))
    except (RuntimeError, TypeError) as error:
        with pytest.raises(type(error)):
            fn(cr, build(cr, a), build(cr, b))
        return
    got = fn(cr, build(cr, a), build(cr, b))
    assert got.dtype.name == name_of(expected.dtype), (op, a, b)
    assert tuple(got.shape) == tuple(expected.shape)
    np.testing.assert_allclose(got.numpy().astype(np.float64), expected.numpy().astype(np.float64),
                               rtol=1e-3)
