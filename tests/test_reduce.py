"""Reductions against PyTorch: sum, mean, var/std, prod, max/min, median/mode, norm, cumsum/cumprod."""
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import chainrule as cr
from oracle import check_op, check_against_torch, make_inputs, to_chainrule

DIMS = [None, 0, 1, -1, (0, 1)]
ZERO_D_DIMS = [None, 0, -1]


def away_from_zero(rng, shape):
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(rng, shape):
    """No ties, and gaps much wider than finite-difference steps."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 - n * 0.18).reshape(shape)


def with_zeros(*rows):
    """A fixed float64 array (rows of a matrix) for the zero-gradient cases."""
    return lambda rng, shape: np.array(rows, dtype=np.float64).reshape(shape)


# ---------------------------------------------------------------- smooth reductions

@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("op", ["sum", "mean", "var", "std"])
def test_smooth_reduction(op, dim, keepdim):
    check_op(lambda a: getattr(a, op)(dim=dim, keepdim=keepdim), [(3, 4)], gradgrad=True)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", ZERO_D_DIMS)
@pytest.mark.parametrize("op", ["sum", "mean", "prod", "amax", "amin", "norm", "logsumexp"])
def test_zero_d_input(op, dim, keepdim):
    if dim is None and op in ("logsumexp", "prod"):  # torch: dim is required / one int
        check_op(lambda a: a.prod(), [()], sampler=away_from_zero)
        return
    check_op(lambda a: getattr(a, op)(dim=dim, keepdim=keepdim), [()], sampler=away_from_zero)


@pytest.mark.parametrize("dim", [0, 1, (0, 1), None])
@pytest.mark.parametrize("op", ["sum", "mean", "var", "std", "prod", "norm"])
def test_empty_input(op, dim):
    if op == "prod" and not isinstance(dim, int):
        dim = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # var/std: degrees of freedom <= 0, in both libraries
        check_op(lambda a: getattr(a, op)(dim=dim), [(0, 3)])


def test_sum_and_mean_over_more_dims():
    check_op(lambda a: [a.sum((0, 2)), a.mean((-1, 0), keepdim=True), a.sum([])], [(2, 3, 4)], gradgrad=True)
    check_op(lambda a: [a.sum(1), a.mean(-1)], [(2, 1, 3)], gradgrad=True)


def test_empty_dim_list_reduces_everything():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.sum(dim=()).item() == 10.0 and x.mean(dim=[]).item() == 2.5 and x.amax(dim=[]).item() == 4.0


def test_sum_dtypes():
    check_against_torch(lambda a: [a.sum(dtype=a.sum().dtype), (a > 0).sum(), (a > 0).sum(0, dtype=torch.int32
                                   if isinstance(a, torch.Tensor) else cr.int32)], make_inputs([(3, 4)]), grad=False)
    assert cr.tensor([1, 2], dtype=cr.int32).sum().dtype == cr.int64
    assert cr.tensor([True, True, False]).sum().item() == 2


def test_sum_with_a_wider_dtype_gives_the_gradient_in_the_input_dtype():
    x = cr.ones(3, 4).requires_grad_()
    total = x.sum(dtype=cr.float64)
    assert total.dtype == cr.float64
    total.backward()
    assert x.grad.dtype == cr.float32 and np.all(x.grad.numpy() == 1)


def test_mean_of_integers_with_dtype():
    assert cr.tensor([1, 2]).mean(dtype=cr.float32).item() == 1.5


# ---------------------------------------------------------------- var / std

@pytest.mark.parametrize("call", [
    lambda a: a.var(False), lambda a: a.std(1, False), lambda a: a.var(0, True, True),
    lambda a: a.var(dim=1, unbiased=False, keepdim=True), lambda a: a.var(dim=1, correction=0),
    lambda a: a.std(dim=(0, 1), correction=2), lambda a: a.var(correction=0.5),
], ids=["unbiased-positional", "dim-unbiased", "dim-unbiased-keepdim", "unbiased-kw", "correction0",
        "std-correction2", "correction-float"])
def test_var_std_corrections(call):
    check_op(call, [(3, 4)], gradgrad=True)


def test_var_mean_and_std_mean():
    check_op(lambda a: list(cr.var_mean(a, 1) if isinstance(a, cr.Tensor) else torch.var_mean(a, 1)), [(3, 4)])
    check_op(lambda a: list(cr.std_mean(a, 0, False) if isinstance(a, cr.Tensor) else torch.std_mean(a, 0, False)),
             [(3, 4)])


def test_std_of_constant_input_has_zero_gradient_like_torch():
    check_against_torch(lambda a: [a.std(), a.std(dim=1)], [np.ones((2, 3))])


def test_var_without_degrees_of_freedom_warns_and_matches_torch():
    with pytest.warns(UserWarning, match="degrees of freedom"):
        out = cr.tensor([3.0]).var()
    assert math.isnan(out.item())
    with pytest.warns(UserWarning):
        check_against_torch(lambda a: a.var(correction=3), [np.array([1.0, 3.0])], grad=False)


# ---------------------------------------------------------------- prod

@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_prod(dim, keepdim):
    call = (lambda a: a.prod()) if dim is None else (lambda a: a.prod(dim, keepdim=keepdim))
    check_op(call, [(3, 4)], sampler=away_from_zero, gradgrad=True)


@pytest.mark.parametrize("rows", [
    [[1.5, 0.0, 2.0, -1.0], [0.5, 2.0, 1.5, 3.0]],        # one zero
    [[0.0, 2.0, 0.0, -1.5], [1.5, 0.0, 0.0, 2.0]],        # two zeros per row
    [[0.0, 0.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0]],         # three and four zeros
], ids=["one-zero", "two-zeros", "many-zeros"])
def test_prod_gradient_at_zeros(rows):
    check_op(lambda a: [a.prod(1), a.prod(0, keepdim=True), a.prod()], [(2, 4)], sampler=with_zeros(*rows),
             gradgrad=True)


def test_prod_integer_and_bool_give_int64():
    assert cr.tensor([2, 3], dtype=cr.int32).prod().dtype == cr.int64
    assert cr.tensor([True, False]).prod().item() == 0


# ---------------------------------------------------------------- cumulative ops

@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum(dim):
    check_op(lambda a: a.cumsum(dim), [(3, 4)], gradgrad=True)


@pytest.mark.parametrize("dim", [0, -1])
def test_cumprod(dim):
    check_op(lambda a: a.cumprod(dim), [(3, 4)], sampler=away_from_zero, gradgrad=True)


@pytest.mark.parametrize("rows", [
    [[1.5, 0.0, 2.0, -1.0, 0.5]],
    [[0.0, 2.0, 0.0, -1.5, 2.0]],
    [[1.5, 0.0, 0.0, 2.0, 0.0]],
    [[0.0, 0.0, 0.0, 0.0, 0.0]],
], ids=["one-zero", "two-zeros", "three-zeros", "all-zeros"])
def test_cumprod_gradient_and_second_derivative_at_zeros(rows):
    check_op(lambda a: a.cumprod(1), [(1, 5)], sampler=with_zeros(*rows), gradgrad=True)


def test_cumulative_ops_on_edge_shapes_and_dtypes():
    check_op(lambda a: [a.cumsum(0), a.cumprod(-1)], [()])
    check_op(lambda a: [a.cumsum(0), a.cumprod(1)], [(0, 3)])
    check_op(lambda a: a.cumsum(1, dtype=torch.float64 if isinstance(a, torch.Tensor) else cr.float64), [(2, 3)])
    for op in ("cumsum", "cumprod"):
        assert getattr(cr.tensor([1, 2], dtype=cr.int32), op)(0).dtype == cr.int64
        assert getattr(cr.tensor([True, True]), op)(0).tolist() == [1, 1 if op == "cumprod" else 2]


# ---------------------------------------------------------------- max / min family

TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [5.0, -1.0, 5.0, -1.0]])


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("op", ["amax", "amin"])
def test_amax_amin(op, dim, keepdim):
    check_op(lambda a: getattr(a, op)(dim=dim, keepdim=keepdim), [(3, 4)], sampler=distinct)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_max_min_with_dim(dim, keepdim):
    check_op(lambda a: list(a.max(dim, keepdim)) + list(a.min(dim=dim, keepdim=keepdim)), [(3, 4)], sampler=distinct)


def test_max_min_on_edge_shapes():
    check_op(lambda a: [a.max(), a.min(), *a.max(0), *a.min(-1, keepdim=True)], [()])
    check_op(lambda a: [*a.max(1), *a.min(1)], [(0, 3)], grad=False)


@pytest.mark.parametrize("call", [
    lambda a: a.max(), lambda a: a.min(), lambda a: a.amax(), lambda a: a.amax(1),
    lambda a: a.amin(dim=0, keepdim=True), lambda a: list(a.max(1)), lambda a: list(a.min(dim=0)),
    lambda a: list(a.aminmax()), lambda a: list(a.aminmax(dim=1)), lambda a: a.norm(p=float("inf"), dim=1),
], ids=["max", "min", "amax", "amax-dim", "amin-dim", "max-dim", "min-dim", "aminmax", "aminmax-dim", "inf-norm"])
def test_ties_match_torch(call):
    """Full reductions split the gradient evenly among ties; max(dim) gives it to the first one."""
    check_against_torch(call, [TIES])
    check_against_torch(call, [TIES.astype(np.float32)])


def test_nan_ties_match_torch():
    x = np.array([1.0, np.nan, 2.0, np.nan])
    check_against_torch(lambda a: [a.max(), a.min()], [x])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nan gradients like torch, without NumPy warnings
        check_against_torch(lambda a: a.amax(), [x])


def test_max_returns_named_pairs_and_elementwise_max():
    x = cr.tensor(TIES)
    result = x.max(dim=1)
    assert type(result).__name__ == "max" and result.indices.dtype == cr.int64
    assert result.values.tolist() == [3.0, 2.0, 5.0] and result.indices.tolist() == [1, 0, 0]
    assert type(x.min(0)).__name__ == "min"
    pair = x.aminmax()
    assert type(pair).__name__ == "aminmax" and (pair.min.item(), pair.max.item()) == (-1.0, 5.0)
    check_op(lambda a, b: [cr.max(a, b) if isinstance(a, cr.Tensor) else torch.max(a, b),
                           a.min(b)], [(3, 4), (4,)], sampler=distinct)


def test_max_of_integers_and_bools():
    x = cr.tensor([[1, 5], [7, 2]])
    assert x.max().item() == 7 and x.amin(1).tolist() == [1, 2] and x.max(1).indices.tolist() == [1, 0]
    assert cr.tensor([True, False]).max().item() is True


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_argmax_argmin(dim, keepdim):
    check_op(lambda a: [a.argmax(dim, keepdim), a.argmin(dim=dim, keepdim=keepdim)], [(3, 4)], grad=False)
    check_against_torch(lambda a: [a.argmax(dim, keepdim), a.argmin(dim, keepdim)], [TIES], grad=False)


def test_argmax_edge_cases():
    check_op(lambda a: [a.argmax(), a.argmax(0), a.argmin(-1, keepdim=True)], [()], grad=False)
    check_op(lambda a: [a.argmax(1), a.argmin(1)], [(0, 3)], grad=False)
    check_against_torch(lambda a: [a.argmax(), a.argmin(0)], [np.array([1.0, np.nan, 2.0])], grad=False)
    assert cr.tensor([[1, 9], [9, 0]]).argmax().item() == 1


# ---------------------------------------------------------------- median / mode

@pytest.mark.parametrize("shape", [(3, 4), (3, 5), (1,)])
def test_median(shape):
    check_op(lambda a: a.median(), [shape], sampler=distinct)
    check_op(lambda a: [*a.median(0), *a.median(-1, keepdim=True)], [shape], sampler=distinct)


def test_median_ties_nan_and_edges_match_torch():
    check_against_torch(lambda a: a.median(), [np.array([1.0, 2.0, 2.0, 3.0, 2.0])])  # gradient split 3 ways
    ties = np.array([[0, 1, 2, 1, 1, 2, 1, 2, 2], [0, 1, 0, 2, 0, 1, 1, 2, 2], [2, 2, 1, 0, 2, 1, 1, 1, 2.0]])
    check_against_torch(lambda a: list(a.median(1)), [ties])
    check_against_torch(lambda a: [a.median(), *a.median(0)], [np.array([1.0, np.nan, 0.0])])
    check_op(lambda a: [a.median(), *a.median(0)], [()])
    check_op(lambda a: list(a.median(1)), [(0, 3)], grad=False)
    assert math.isnan(cr.zeros(0).median().item())
    assert cr.tensor([3, 1, 2]).median().item() == 2


def test_mode_matches_torch():
    rng = np.random.default_rng(0)
    for shape in [(3, 7), (4, 9), (2, 3, 5)]:
        x = rng.integers(0, 4, size=shape).astype(np.float64)
        check_against_torch(lambda a: [*a.mode(), *a.mode(0, keepdim=True)], [x])
    ints = np.array([[4, 4, 1, 1, 2], [5, 5, 5, 0, 0]])
    check_against_torch(lambda a: list(a.mode(1)), [ints], grad=False)
    check_op(lambda a: list(a.mode(0)), [()])
    check_op(lambda a: list(a.mode(1)), [(0, 3)], grad=False)


# ---------------------------------------------------------------- norm

@pytest.mark.parametrize("p", [2, "fro", 1, 3, 1.5, 0.5, -1])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), (0, True), ((0, 1), False), (-1, True)])
def test_norm(p, dim, keepdim):
    smooth = p in (2, "fro", 3)  # away from zero every p is smooth; these also past the kinks at 0
    check_op(lambda a: a.norm(p, dim, keepdim), [(3, 4)], sampler=away_from_zero, gradgrad=smooth)


@pytest.mark.parametrize("p", [float("inf"), float("-inf")])
def test_inf_norms(p):
    check_op(lambda a: [a.norm(p), a.norm(p, dim=1), a.norm(p=p, dim=0, keepdim=True)], [(3, 4)], sampler=distinct)


def test_zero_norm_counts_nonzeros_and_has_no_gradient():
    check_against_torch(lambda a: [a.norm(p=0), a.norm(p=0, dim=1)], [np.array([[0.0, 1.0, -2.0], [0, 0, 3.0]])])


@pytest.mark.parametrize("p", [2, 3, 1.5, 0.5, 1, -1])
def test_norm_gradient_at_zero_matches_torch(p):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no inf * 0 on the way
        check_against_torch(lambda a: [a.norm(p), a.norm(p, dim=1)], [np.array([[0.0, 1.0, -2.0], [0.0, 0.0, 0.0]])])


def test_norm_on_edge_shapes_and_dtypes():
    check_op(lambda a: [a.norm(), a.norm(p=3), a.norm(p=1)], [()], sampler=away_from_zero)
    check_op(lambda a: [a.norm(dim=0), a.norm(p=1, dim=0), a.norm(p=float("inf"), dim=1)], [(0, 3)])
    check_op(lambda a: a.norm(p="fro", dim=(1, 2)), [(2, 3, 4)], gradgrad=True)
    out = cr.ones(2, 3).norm(dtype=cr.float64)
    assert out.dtype == cr.float64 and out.item() == pytest.approx(math.sqrt(6))


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("op,call", [
    ("sum", lambda x: x.sum(2)), ("mean", lambda x: x.mean((0, 2))), ("var", lambda x: x.var(-3)),
    ("std", lambda x: x.std(5)), ("prod", lambda x: x.prod(2)), ("cumsum", lambda x: x.cumsum(2)),
    ("cumprod", lambda x: x.cumprod(-3)), ("amax", lambda x: x.amax(2)), ("amin", lambda x: x.amin(2)),
    ("argmax", lambda x: x.argmax(2)), ("argmin", lambda x: x.argmin(2)), ("max", lambda x: x.max(2)),
    ("min", lambda x: x.min(2)), ("norm", lambda x: x.norm(dim=2)), ("median", lambda x: x.median(2)),
    ("mode", lambda x: x.mode(2)), ("logsumexp", lambda x: x.logsumexp(2)),
])
def test_dim_out_of_range_names_the_op(op, call):
    with pytest.raises(IndexError, match=rf"{op}.*Dimension out of range \(expected to be in range of \[-2, 1\]"):
        call(cr.ones(2, 3))


def test_zero_d_dim_out_of_range():
    for call in (lambda x: x.sum(1), lambda x: x.cumsum(1), lambda x: x.cumprod(-2), lambda x: x.argmax(1)):
        with pytest.raises(IndexError, match=r"range of \[-1, 0\]"):
            call(cr.tensor(1.0))


def test_repeated_dim_is_an_error():
    for op in ("sum", "mean", "var", "amax", "norm", "logsumexp"):
        with pytest.raises(RuntimeError, match=rf"{op}\(\): dim 1 appears multiple times in the list of dims"):
            getattr(cr.ones(2, 3), op)(dim=(1, -1))


def test_integer_inputs_that_need_floats():
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype.*Got: Int64.*x.float\(\)"):
        cr.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match=r"mean\(\).*Got: Bool"):
        cr.tensor([True]).mean()
    for op in ("var", "std"):
        with pytest.raises(RuntimeError, match=rf"{op}\(\): std and var only support floating point.*int64"):
            getattr(cr.tensor([1, 2]), op)()
    with pytest.raises(RuntimeError, match=r"norm\(\): expected a floating point input, got int64.*x.float\(\)"):
        cr.tensor([1, 2]).norm()


def test_var_rejects_both_unbiased_and_correction():
    with pytest.raises(TypeError, match=r"var\(\): pass either unbiased= or correction=, not both"):
        cr.ones(3).var(0, unbiased=True, correction=0)


def test_prod_takes_one_dim():
    with pytest.raises(TypeError, match=r"prod\(\): dim must be one int, got \(0, 1\)"):
        cr.ones(2, 3).prod((0, 1))


def test_empty_max_min_errors_match_torch_types():
    empty = cr.zeros(0, 3)
    for op in ("amax", "amin", "max", "min"):
        with pytest.raises(RuntimeError, match=rf"{op}\(\): Expected reduction dim to be specified.*'dim' argument"):
            getattr(empty, op)()
    for call in (lambda x: x.amax(0), lambda x: x.max(0), lambda x: x.argmin(0), lambda x: x.median(0),
                 lambda x: x.mode(0)):
        with pytest.raises(IndexError, match=r"Expected reduction dim 0 to have non-zero size"):
            call(empty)
    with pytest.raises(IndexError, match=r"argmax\(\): Expected reduction dim to be specified"):
        empty.argmax()
    with pytest.raises(RuntimeError, match=r"aminmax\(\): cannot compute aminmax over an empty dimension"):
        empty.aminmax()
    with pytest.raises(RuntimeError, match=r"norm\(\): cannot compute the inf norm over an empty dimension"):
        empty.norm(p=float("inf"))


def test_other_bad_inputs():
    with pytest.raises(RuntimeError, match=r"argmax\(\): does not support bool input"):
        cr.tensor([True, False]).argmax()
    with pytest.raises(NotImplementedError, match=r"median\(\): not implemented for bool"):
        cr.tensor([True, False]).median()
    with pytest.raises(TypeError, match=r"median\(\): dim must be an int"):
        cr.ones(2, 3).median((0,))
    with pytest.raises(RuntimeError, match=r"median\(\): expected a floating point input"):
        cr.zeros(0, dtype=cr.int64).median()
    with pytest.raises(RuntimeError, match=r"norm\(\): p='nuc' is not supported"):
        cr.ones(2, 3).norm(p="nuc")
    with pytest.raises(TypeError, match=r"norm\(\): p must be a number or 'fro', got \(0, 1\)"):
        cr.ones(2, 3).norm((0, 1))
    with pytest.raises(RuntimeError, match=r"'fro' norm reduces at most 2 dims"):
        cr.ones(2, 2, 2).norm(p="fro", dim=(0, 1, 2))


def test_errors_point_at_the_users_line():
    with pytest.raises(IndexError, match=r"test_reduce.py:\d+"):
        cr.ones(2, 3).sum(7)


# ---------------------------------------------------------------- properties

shapes = st.lists(st.integers(0, 3), min_size=0, max_size=4).map(tuple)


@settings(max_examples=80, deadline=None)
@given(shape=shapes, data=st.data(), keepdim=st.booleans())
def test_reduction_shapes_match_numpy_and_torch(shape, data, keepdim):
    ndim = len(shape)
    if ndim:
        dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), max_size=ndim, unique_by=lambda d: d % ndim))
    else:
        dims = data.draw(st.sampled_from([[], [0], [-1]]))
    values = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    ours, theirs = cr.tensor(values), torch.tensor(values)
    axes = tuple(d % ndim for d in dims) if ndim and dims else None
    expected_sum = values.sum(axis=axes, keepdims=keepdim)
    for op in ("sum", "mean", "amax"):
        if op == "amax" and values.size == 0:
            continue  # an empty max is an error
        out = getattr(ours, op)(dims, keepdim=keepdim)
        assert tuple(out.shape) == expected_sum.shape == tuple(getattr(theirs, op)(dims, keepdim=keepdim).shape)
    np.testing.assert_allclose(ours.sum(dims, keepdim=keepdim).numpy(), expected_sum)
    kept = ours.sum(dims, keepdim=True)
    assert tuple((ours - kept).shape) == shape  # keepdim=True broadcasts back against the input
    np.testing.assert_allclose((ours * 0 + kept).numpy(), np.broadcast_to(values.sum(axis=axes, keepdims=True), shape))


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple), data=st.data())
def test_reduction_gradients_have_the_input_shape(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = to_chainrule(make_inputs([shape])[0], True)
    total = x.sum(dim) + x.mean(dim) + x.amax(dim) + x.var(dim, correction=0) + x.prod(dim) + x.norm(dim=dim)
    total.sum().backward()
    assert x.grad.shape == shape and x.grad.dtype == cr.float64
