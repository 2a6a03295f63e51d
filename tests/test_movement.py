"""Shape and layout ops (ops/movement.py) against PyTorch: values, gradients, views, errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import chainrule as cr
from oracle import check_op

settings.register_profile("movement", max_examples=40, deadline=None)


def case(fn, *shapes):
    """One oracle case: ``fn(lib, *tensors)`` runs with lib = chainrule and lib = torch."""
    return pytest.param(fn, list(shapes))


CASES = [
    # reshape / view (contiguous, non-contiguous, 0-d, empty)
    case(lambda lib, a: a.reshape(4, -1), (2, 3, 2)),
    case(lambda lib, a: lib.reshape(a, (3, -1)), (2, 3, 2)),
    case(lambda lib, a: a.reshape([2, 6]), (2, 3, 2)),
    case(lambda lib, a: a.reshape(()), (1, 1)),
    case(lambda lib, a: a.reshape(1, 1, -1), ()),
    case(lambda lib, a: a.reshape(3, 0, 5), (0, 3)),
    case(lambda lib, a: a.t().reshape(-1), (3, 4)),
    case(lambda lib, a: a.permute(2, 0, 1).reshape(4, 6), (2, 3, 4)),
    case(lambda lib, a: a.view(-1), (3, 4)),
    case(lambda lib, a: a.view(3, 2, 2), (3, 4)),
    case(lambda lib, a: a.t().view(4, 1, 3), (3, 4)),
    case(lambda lib, a, b: a.view_as(b), (2, 6), (3, 4)),
    case(lambda lib, a, b: a.reshape_as(b), (2, 6), (4, 3)),
    # expand / broadcast_to
    case(lambda lib, a: a.expand(2, 3, 4), (3, 1)),
    case(lambda lib, a: a.expand(-1, 4), (3, 1)),
    case(lambda lib, a: a.expand(2, -1, -1), (3, 4)),
    case(lambda lib, a: a.expand(2, 3), ()),
    case(lambda lib, a: a.expand(0, 3), (1, 3)),
    case(lambda lib, a: a.expand(3, 4), (3, 4)),
    case(lambda lib, a, b: a.expand_as(b), (1, 4), (3, 4)),
    case(lambda lib, a: lib.broadcast_to(a, (2, 3, 4)), (4,)),
    # permute / transpose / t / movedim
    case(lambda lib, a: a.permute(2, 0, 1), (2, 3, 4)),
    case(lambda lib, a: lib.permute(a, (-1, 0, 1)), (2, 3, 4)),
    case(lambda lib, a: a.permute([1, 0]), (0, 3)),
    case(lambda lib, a: a.permute(()), ()),
    case(lambda lib, a: a.transpose(0, -1), (2, 3, 4)),
    case(lambda lib, a: a.transpose(1, 1), (2, 3)),
    case(lambda lib, a: lib.swapaxes(a, 0, 1), (2, 3)),
    case(lambda lib, a: a.swapdims(-1, -2), (2, 3, 4)),
    case(lambda lib, a: a.transpose(0, -1), (4,)),
    case(lambda lib, a: a.t(), (3, 4)),
    case(lambda lib, a: a.t(), (4,)),
    case(lambda lib, a: a.t(), ()),
    case(lambda lib, a: [a.T, a.mT], (2, 3, 4)),
    case(lambda lib, a: a.movedim(0, -1), (2, 3, 4)),
    case(lambda lib, a: lib.movedim(a, (0, 1), (2, 0)), (2, 3, 4)),
    case(lambda lib, a: a.moveaxis(-1, 0), (2, 3, 4)),
    case(lambda lib, a: a.movedim(0, 0), ()),
    # unsqueeze / squeeze / flatten / unflatten
    case(lambda lib, a: [a.unsqueeze(0), a.unsqueeze(-1), a.unsqueeze(1)], (2, 3)),
    case(lambda lib, a: [a.unsqueeze(0), a.unsqueeze(-1)], ()),
    case(lambda lib, a: [a.squeeze(), a.squeeze(1), a.squeeze(-1), a.squeeze((1, 3)), a.squeeze(0)],
         (2, 1, 3, 1)),
    case(lambda lib, a: [a.squeeze(), a.squeeze(0), a.squeeze(-1)], ()),
    case(lambda lib, a: a.squeeze(), (1, 0, 1)),
    case(lambda lib, a: [a.flatten(), a.flatten(1), a.flatten(0, 1), a.flatten(-2, -1), a.flatten(1, 1)],
         (2, 3, 4)),
    case(lambda lib, a: [a.flatten(), a.flatten(0, 0), a.flatten(-1)], ()),
    case(lambda lib, a: a.flatten(1), (2, 0, 3)),
    case(lambda lib, a: a.t().flatten(), (3, 4)),
    case(lambda lib, a: [a.unflatten(1, (3, -1)), a.unflatten(-1, (2, 2, 3))], (2, 12)),
    case(lambda lib, a: a.unflatten(1, (2, 3)), (0, 6)),
    case(lambda lib, a: lib.unflatten(a, 0, [1, 1]), (1,)),
    # flip / roll
    case(lambda lib, a: [a.flip(0), a.flip(0, -1), lib.flip(a, (1,)), a.flip(())], (2, 3)),
    case(lambda lib, a: [a.flip(0), a.flip(-1)], ()),
    case(lambda lib, a: a.flip(0), (0, 3)),
    case(lambda lib, a: [a.roll(1, 1), a.roll(-2, 0), a.roll((1, 2), (0, 1)), a.roll(3), a.roll(7, -1)], (2, 3)),
    case(lambda lib, a: a.roll(1), ()),
    case(lambda lib, a: lib.roll(a, 1, 0), (0, 3)),
    # repeat / tile / repeat_interleave
    case(lambda lib, a: [a.repeat(2, 1, 3), a.repeat(1, 1), a.repeat(0, 2), lib.Tensor.repeat(a, (2, 2))], (2, 3)),
    case(lambda lib, a: [a.repeat(2, 3), a.repeat(())], ()),
    case(lambda lib, a: a.repeat(2, 1), (0, 3)),
    case(lambda lib, a: [a.tile((2,)), a.tile(2, 2), a.tile((2, 1, 1)), lib.tile(a, (1, 2))], (2, 3)),
    case(lambda lib, a: [a.repeat_interleave(2), a.repeat_interleave(2, dim=1), a.repeat_interleave(0, 0),
                         lib.repeat_interleave(a, lib.tensor([1, 0, 2]), dim=1),
                         a.repeat_interleave(lib.tensor([3]), dim=-2)], (2, 3)),
    case(lambda lib, a: lib.repeat_interleave(a, 3), ()),
    # narrow / diagonal / contiguous
    case(lambda lib, a: [a.narrow(1, 1, 2), a.narrow(-1, -2, 2), a.narrow(0, 2, 0), lib.narrow(a, 0, 0, 1)],
         (3, 4)),
    case(lambda lib, a: [a.diagonal(), a.diagonal(1), a.diagonal(-1), a.diagonal(5), lib.diagonal(a, -2)],
         (3, 4)),
    case(lambda lib, a: [a.diagonal(0, -1, 0), lib.diagonal(a, 1, 1, 2), a.diagonal(dim1=2, dim2=1)],
         (2, 3, 4)),
    case(lambda lib, a: a.diagonal(), (0, 3)),
    case(lambda lib, a: [a.t().contiguous(), a.contiguous(), a[:, ::2].contiguous()], (3, 4)),
]


@pytest.mark.parametrize("fn,shapes", CASES)
def test_matches_torch(fn, shapes):
    check_op(lambda *t: fn(cr, *t), shapes, lambda *t: fn(torch, *t), gradgrad=True)


def test_integer_and_bool_tensors_keep_their_dtype():
    for make in (lambda lib: lib.arange(12).reshape(3, 4), lambda lib: lib.arange(12).reshape(3, 4) > 5):
        ours, theirs = make(cr), make(torch)
        for fn in (lambda x: x.t().reshape(-1), lambda x: x.flip(0), lambda x: x.roll(1, 1),
                   lambda x: x.repeat(2, 1), lambda x: x.diagonal(1), lambda x: x.expand(2, 3, 4),
                   lambda x: x.repeat_interleave(2, 0), lambda x: x.movedim(0, 1)):
            out, ref = fn(ours), fn(theirs)
            assert str(out.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
            np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_repeat_interleave_counts_form():
    counts = [2, 0, 3]
    np.testing.assert_array_equal(cr.repeat_interleave(cr.tensor(counts)).numpy(),
                                  torch.repeat_interleave(torch.tensor(counts)).numpy())


# ---------------------------------------------------------------- views and copies

def shares(a, b):
    return np.shares_memory(a._data, b._data)


def test_view_ops_share_memory_and_version_counter():
    x = cr.arange(24.0).reshape(2, 3, 4)
    views = [x.reshape(6, 4), x.view(-1), x.permute(2, 0, 1), x.transpose(0, 1), x.unsqueeze(0),
             x[:, :1].squeeze(1), x.flatten(1), x.unflatten(2, (2, 2)), x[:1].expand(5, 3, 4),
             x.narrow(2, 1, 2), x.diagonal(0, 1, 2), x.movedim(0, 2), x.t() if x.ndim <= 2 else x.mT,
             x.squeeze(), x.expand(2, 3, 4), x.transpose(1, 1)]
    for v in views:
        assert v is not x and shares(v, x) and v._version == x._version
    x.add_(1)
    assert all(v._version == x._version for v in views)


def test_reshape_of_a_non_contiguous_tensor_is_a_copy_not_a_view():
    x = cr.arange(6.0).reshape(2, 3).t()
    y = x.reshape(6)
    assert not shares(x, y)
    y.add_(1)  # writes only to the copy: x's version and values stay
    assert x._version == 0 and x.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert shares(x.reshape(3, 1, 2), x)  # inserting a size-1 dim is still a view


def test_in_place_on_a_reshape_copy_of_a_grad_tensor_is_allowed():
    w = cr.randn(2, 3, requires_grad=True)
    y = w.t().reshape(6)  # a copy, not a view of w
    y.mul_(2)
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.full((2, 3), 2.0))


def test_copies_do_not_share_memory():
    x = cr.arange(6.0).reshape(2, 3)
    for out in (x.flip(0), x.flip(()), x.roll(1, 1), x.repeat(1, 1), x.repeat(3, 1, 1), x.tile((1,)),
                x.t().contiguous(), x.repeat_interleave(1, 0)):
        assert not shares(out, x)
        out.add_(100)
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_diagonal_is_a_writable_view():
    m = cr.zeros(3, 4)
    m.diagonal().fill_(1.0)
    m.diagonal(1).add_(5.0)
    expected = torch.zeros(3, 4)
    expected.diagonal().fill_(1.0)
    expected.diagonal(1).add_(5.0)
    np.testing.assert_array_equal(m.numpy(), expected.numpy())


def test_contiguous_returns_self_only_when_contiguous():
    x = cr.randn(3, 4, requires_grad=True)
    assert x.contiguous() is x
    y = x.t().contiguous()
    assert y.is_contiguous() and not shares(x, y) and y.grad_fn is not None


def test_alias_views_are_new_tensors():
    # PyTorch returns a view, never self, even when nothing changes shape
    x = cr.randn(3, 4)
    for out in (x.expand(3, 4), x.squeeze(), x.reshape(3, 4), x.transpose(0, 0), cr.randn(4).t()):
        assert isinstance(out, cr.Tensor)
    assert x.expand(3, 4) is not x and x.squeeze() is not x


# ---------------------------------------------------------------- errors

X = cr.ones(2, 3)


@pytest.mark.parametrize("call,kind,words", [
    (lambda: X.reshape(4, -1), RuntimeError, r"reshape: shape '\[4, -1\]' is invalid for input of size 6"),
    (lambda: X.reshape(5), RuntimeError, r"shape '\[5\]' is invalid for input of size 6 .*input shape \(2, 3\)"),
    (lambda: X.reshape(-1, -1), RuntimeError, r"only one dimension can be inferred"),
    (lambda: X.reshape(-2, 3), RuntimeError, r"invalid shape dimension -2 at index 0"),
    (lambda: cr.ones(0, 3).reshape(0, -1), RuntimeError, r"tensor of 0 elements .* ambiguous"),
    (lambda: X.t().view(6), RuntimeError, r"view size is not compatible .*input shape \(3, 2\).*Use \.reshape"),
    (lambda: X.view(cr.float64), RuntimeError, r"view\(dtype\) is not supported"),
    (lambda: X.permute(0, 0), RuntimeError, r"permute: repeated dim 0 .*duplicate dims are not allowed"),
    (lambda: X.permute(0), RuntimeError, r"input.dim\(\) = 2 is not equal to len\(dims\) = 1"),
    (lambda: X.permute(0, 2), IndexError, r"permute: Dimension out of range .*got 2"),
    (lambda: X.transpose(0, 2), IndexError, r"transpose: Dimension out of range"),
    (lambda: X.expand(3), RuntimeError, r"number of sizes provided \(1\) must be greater or equal"),
    (lambda: X.expand(3, 3), RuntimeError, r"expanded size of the tensor \(3\) must match the existing size \(2\)"),
    (lambda: X.expand(-1, 2, 3), RuntimeError, r"\(-1\) isn't allowed in a leading, non-existing dimension 0"),
    (lambda: cr.ones(1, 3).expand(-2, 3), RuntimeError, r"expanded size of the tensor \(-2\)"),
    (lambda: X.flatten(1, 0), RuntimeError, r"start_dim cannot come after end_dim"),
    (lambda: cr.ones(2, 3, 4).t(), RuntimeError, r"t\(\) expects a tensor with <= 2 dimensions, but self is 3D"),
    (lambda: X.unflatten(1, (2, 2)), RuntimeError, r"sizes must multiply up to the size of dim 1 \(3\)"),
    (lambda: X.unflatten(1, ()), RuntimeError, r"unflatten: sizes must be non-empty"),
    (lambda: X.squeeze((0, 0)), RuntimeError, r"squeeze: dim 0 appears multiple times"),
    (lambda: X.squeeze(5), IndexError, r"squeeze: Dimension out of range"),
    (lambda: X.unsqueeze(3), IndexError, r"unsqueeze: Dimension out of range .*\[-3, 2\]"),
    (lambda: X.movedim((0, 1), 0), RuntimeError, r"movedim: .*same number of dims as destination"),
    (lambda: X.movedim((0, 0), (0, 1)), RuntimeError, r"movedim: repeated dim in `source`"),
    (lambda: X.movedim((0, 1), (1, 1)), RuntimeError, r"movedim: repeated dim in `destination`"),
    (lambda: X.flip(0, 0), RuntimeError, r"flip: dim 0 appears multiple times"),
    (lambda: X.roll((1, 1), (0,)), RuntimeError, r"shifts and dimensions must align. shifts: 2, dims: 1"),
    (lambda: X.roll((1, 1)), RuntimeError, r"shifts and dimensions must align.*dims=None"),
    (lambda: cr.tensor(1.0).roll(1, 0), IndexError, r"roll: Dimension specified as 0 but tensor has no dimensions"),
    (lambda: X.repeat(2), RuntimeError, r"Number of dimensions of repeat dims \(1\) can not be smaller"),
    (lambda: X.repeat(-1, 2), RuntimeError, r"repeat: repeats must be non-negative"),
    (lambda: X.repeat_interleave(-1), RuntimeError, r"repeats can not be negative"),
    (lambda: X.repeat_interleave(cr.tensor([1, 2]), 1), RuntimeError, r"repeats.size\(0\) = 2 and input.size\(dim\) = 3"),
    (lambda: X.repeat_interleave(cr.tensor([[2]]), 1), RuntimeError, r"0-dim or 1-dim integer tensor"),
    (lambda: X.narrow(1, 2, 2), RuntimeError, r"narrow: start \(2\) \+ length \(2\) exceeds dimension size \(3\)"),
    (lambda: X.narrow(1, -4, 1), IndexError, r"narrow: start out of range .*\[-3, 3\].*got -4"),
    (lambda: X.narrow(1, 0, -1), RuntimeError, r"length must be non-negative"),
    (lambda: cr.tensor(1.0).narrow(0, 0, 1), RuntimeError, r"narrow\(\) cannot be applied to a 0-dim tensor"),
    (lambda: X.diagonal(0, 1, 1), RuntimeError, r"diagonal dimensions cannot be identical 1, 1"),
    (lambda: X.diagonal(0, 0, 2), IndexError, r"diagonal: Dimension out of range"),
])
def test_errors(call, kind, words):
    with pytest.raises(kind, match=words) as info:
        call()
    if kind is not NotImplementedError:
        assert "test_movement.py" in str(info.value)  # the message points at the user's own line


# ---------------------------------------------------------------- properties

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4)


def numbered(shape):
    ref = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    return cr.tensor(ref), ref


def factor_shape(draw, n):
    """A random shape whose sizes multiply to ``n`` (n > 0)."""
    dims = []
    while n > 1:
        d = draw(st.sampled_from([k for k in range(2, n + 1) if n % k == 0]))
        dims.append(d)
        n //= d
    dims += [1] * draw(st.integers(0, 1))
    return draw(st.permutations(dims))


@settings(settings.get_profile("movement"))
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=4), data=st.data())
def test_reshape_round_trip_matches_numpy(shape, data):
    x, ref = numbered(shape)
    order = data.draw(st.permutations(range(len(shape))))
    x, ref = x.permute(*order), ref.transpose(order)  # often non-contiguous
    target = factor_shape(data.draw, ref.size)
    y = x.reshape(target)
    np.testing.assert_array_equal(y.numpy(), ref.reshape(target))
    np.testing.assert_array_equal(y.reshape(x.shape).numpy(), ref)


@settings(settings.get_profile("movement"))
@given(shape=shapes, data=st.data())
def test_permute_inverse_and_transpose_twice(shape, data):
    x, ref = numbered(shape)
    order = data.draw(st.permutations(range(len(shape))))
    inverse = list(np.argsort(order))
    np.testing.assert_array_equal(x.permute(order).numpy(), ref.transpose(order))
    np.testing.assert_array_equal(x.permute(order).permute(inverse).numpy(), ref)
    if shape:
        d0, d1 = (data.draw(st.integers(-len(shape), len(shape) - 1)) for _ in range(2))
        np.testing.assert_array_equal(x.transpose(d0, d1).numpy(), np.swapaxes(ref, d0, d1))
        np.testing.assert_array_equal(x.transpose(d0, d1).transpose(d0, d1).numpy(), ref)


@settings(settings.get_profile("movement"))
@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=4), data=st.data())
def test_flatten_unflatten_round_trip(shape, data):
    x, ref = numbered(shape)
    start = data.draw(st.integers(0, len(shape) - 1))
    end = data.draw(st.integers(start, len(shape) - 1))
    flat = x.flatten(start, end)
    assert flat.shape == tuple(shape[:start]) + (int(np.prod(shape[start:end + 1])),) + tuple(shape[end + 1:])
    np.testing.assert_array_equal(flat.unflatten(start, shape[start:end + 1]).numpy(), ref)


@settings(settings.get_profile("movement"))
@given(shape=st.lists(st.integers(0, 3), min_size=1, max_size=3), data=st.data())
def test_flip_roll_movedim_repeat_match_numpy(shape, data):
    x, ref = numbered(shape)
    n = len(shape)
    dims = data.draw(st.lists(st.integers(0, n - 1), unique=True))
    shifts = [data.draw(st.integers(-5, 5)) for _ in dims]
    reps = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n + 1))
    src, dst = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
    np.testing.assert_array_equal(x.flip(dims).numpy(), np.flip(ref, dims))
    if dims:
        np.testing.assert_array_equal(x.roll(shifts, dims).numpy(), np.roll(ref, shifts, dims))
    np.testing.assert_array_equal(x.movedim(src, dst).numpy(), np.moveaxis(ref, src, dst))
    np.testing.assert_array_equal(x.repeat(reps).numpy(), np.tile(ref, reps))
