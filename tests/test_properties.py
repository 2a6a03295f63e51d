"""Hypothesis properties: broadcasting, reductions, reshape/permute round trips."""
import numpy as np
from hypothesis import given, settings, strategies as st

import chainrule as cr

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4)
settings.register_profile("chainrule", max_examples=60, deadline=None)
settings.load_profile("chainrule")


def arange_like(shape, dtype=cr.float64):
    n = int(np.prod(shape)) if shape else 1
    return cr.arange(n, dtype=dtype).reshape(shape)


@given(shape=shapes, data=st.data())
def test_broadcast_gradient_has_the_input_shape(shape, data):
    # drop leading dims and turn some dims to 1: the result must broadcast against `shape`
    other = [1 if data.draw(st.booleans()) else s for s in shape[data.draw(st.integers(0, len(shape))):]]
    a = arange_like(shape).requires_grad_()
    b = arange_like(other).requires_grad_()
    out = a * 2 + b
    assert tuple(out.shape) == np.broadcast_shapes(tuple(shape), tuple(other))
    out.sum().backward()
    assert a.grad.shape == tuple(shape) and b.grad.shape == tuple(other)
    repeats = out.numel() // max(b.numel(), 1) if b.numel() else 0
    np.testing.assert_allclose(b.grad.numpy(), np.full(other, float(repeats)))


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data(), keepdim=st.booleans())
def test_reduction_shapes_match_numpy(shape, data, keepdim):
    dims = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape),
                              unique_by=lambda d: d % len(shape)))
    x = arange_like(shape)
    ref = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    axes = tuple(d % len(shape) for d in dims)
    for ours, theirs in [(x.sum(dims, keepdim=keepdim), ref.sum(axis=axes, keepdims=keepdim)),
                         (x.mean(dims, keepdim=keepdim), ref.mean(axis=axes, keepdims=keepdim)),
                         (x.amax(dims, keepdim=keepdim), ref.max(axis=axes, keepdims=keepdim))]:
        assert tuple(ours.shape) == theirs.shape
        np.testing.assert_allclose(ours.numpy(), theirs)
    kept = x.sum(dims, keepdim=True)
    assert tuple((x - kept).shape) == tuple(shape)  # keepdim results broadcast back


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_reshape_round_trip(shape, data):
    x = arange_like(shape)
    n = x.numel()
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    first = data.draw(st.sampled_from(divisors))
    y = x.reshape(first, -1)
    assert y.shape == (first, n // first)
    np.testing.assert_array_equal(y.reshape(shape).numpy(), x.numpy())
    np.testing.assert_array_equal(x.flatten().unflatten(0, tuple(shape)).numpy(), x.numpy())


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_permute_then_inverse_is_identity(shape, data):
    x = arange_like(shape).requires_grad_()
    order = data.draw(st.permutations(range(len(shape))))
    inverse = [order.index(i) for i in range(len(shape))]
    y = x.permute(*order)
    assert tuple(y.shape) == tuple(shape[i] for i in order)
    np.testing.assert_array_equal(y.permute(*inverse).detach().numpy(), x.detach().numpy())
    np.testing.assert_array_equal(y.detach().numpy(), np.transpose(x.detach().numpy(), order))
    (y * arange_like(y.shape)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.transpose(arange_like(y.shape).numpy(), inverse))


@given(shape=st.lists(st.integers(1, 3), min_size=2, max_size=4), data=st.data())
def test_transpose_twice_and_cat_split_round_trip(shape, data):
    x = arange_like(shape)
    d0 = data.draw(st.integers(0, len(shape) - 1))
    d1 = data.draw(st.integers(0, len(shape) - 1))
    np.testing.assert_array_equal(x.transpose(d0, d1).transpose(d0, d1).numpy(), x.numpy())
    pieces = x.split(1, dim=d0)
    np.testing.assert_array_equal(cr.cat(pieces, dim=d0).numpy(), x.numpy())
