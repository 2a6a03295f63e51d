"""The fused stable ops (softmax, log_softmax, logsumexp) against PyTorch and against the naive composites."""
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from oracle import check_op, check_against_torch, make_inputs, to_chainrule


def naive_softmax(x, dim):
    e = x.exp()
    return e / e.sum(dim, keepdim=True)


def naive_log_softmax(x, dim):
    return x - x.exp().sum(dim, keepdim=True).log()


def naive_logsumexp(x, dim, keepdim=False):
    return x.exp().sum(dim, keepdim=keepdim).log()


@pytest.fixture
def no_numpy_warnings():
    """inf / nan results must come out quietly, as in PyTorch."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------- oracle

@pytest.mark.parametrize("shape,dim", [((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 1), ((5,), 0),
                                       ((1, 4), 0), ((3, 1), 1), ((), 0), ((), -1)])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_family(op, shape, dim):
    check_op(lambda a: getattr(a, op)(dim), [shape], gradgrad=True)
    check_op(lambda a: getattr(cr if isinstance(a, cr.Tensor) else torch, op)(a, dim=dim), [shape])


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_family_on_empty_tensors(op, no_numpy_warnings):
    check_op(lambda a: [getattr(a, op)(0), getattr(a, op)(1)], [(0, 3)])
    check_op(lambda a: getattr(a, op)(1), [(3, 0)])


@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False), ((0, 1), False), ((0, 1), True),
                                         ([1], True)])
def test_logsumexp(dim, keepdim):
    check_op(lambda a: a.logsumexp(dim, keepdim), [(3, 4)], gradgrad=True)
    check_op(lambda a: (cr if isinstance(a, cr.Tensor) else torch).logsumexp(a, dim=dim, keepdim=keepdim), [(3, 4)])


def test_logsumexp_edge_shapes(no_numpy_warnings):
    check_op(lambda a: [a.logsumexp(0), a.logsumexp(-1, keepdim=True)], [()], gradgrad=True)
    check_op(lambda a: [a.logsumexp(0), a.logsumexp(1)], [(0, 3)])
    check_op(lambda a: a.logsumexp((0, 2)), [(2, 1, 3)], gradgrad=True)


def test_dtype_argument_casts_first():
    check_op(lambda a: [a.softmax(1, dtype=torch.float64 if isinstance(a, torch.Tensor) else cr.float64),
                        a.log_softmax(0, torch.float64 if isinstance(a, torch.Tensor) else cr.float64)],
             [(3, 4)], dtypes=(np.float32,))
    x = cr.ones(2, 3).requires_grad_()
    x.softmax(1, dtype=cr.float64)[:, 0].sum().backward()
    assert x.grad.dtype == cr.float32
    out = cr.tensor([1, 2, 3]).softmax(0, dtype=cr.float32)
    assert out.dtype == cr.float32 and out.sum().item() == pytest.approx(1.0)


def test_integer_logsumexp_becomes_float():
    check_against_torch(lambda a: a.logsumexp(0), [np.array([1, 2, 3])], grad=False)


# ---------------------------------------------------------------- against the composites

@pytest.mark.parametrize("dim", [0, 1, -1])
def test_fused_equals_composite_with_first_and_second_derivatives(dim):
    pairs = [(lambda x: x.softmax(dim), lambda x: naive_softmax(x, dim)),
             (lambda x: x.log_softmax(dim), lambda x: naive_log_softmax(x, dim)),
             (lambda x: x.logsumexp(dim), lambda x: naive_logsumexp(x, dim))]
    for fused, composite in pairs:
        results = []
        for fn in (fused, composite):
            x = to_chainrule(make_inputs([(3, 4)])[0], True)
            out = fn(x)
            weights = cr.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape))
            (grad,) = cr.autograd.grad((out * weights).sum(), x, create_graph=True)
            (hessian_vector,) = cr.autograd.grad((grad * grad).sum(), x)
            results.append([out.detach().numpy(), grad.detach().numpy(), hessian_vector.numpy()])
        for ours, naive in zip(*results):
            np.testing.assert_allclose(ours, naive, rtol=1e-10, atol=1e-12)


def test_huge_logits_where_the_composite_overflows(no_numpy_warnings):
    logits = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0]])
    check_op(lambda a: [a.softmax(1), a.log_softmax(1), a.logsumexp(1)], [(2, 3)],
             sampler=lambda rng, shape: logits, gradgrad=True)
    x = cr.tensor(logits)
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(naive_softmax(x, 1).numpy()).any()  # inf / inf
        assert np.isinf(naive_logsumexp(x, 1).numpy()).all()
    assert np.isfinite(x.log_softmax(1).numpy()).all()
    np.testing.assert_allclose(x.logsumexp(1).numpy(), [1000.0, 1000.0 + np.log(2 + np.exp(-1.0))])


def test_float32_huge_logits():
    x = np.array([[88.0, 89.0, 90.0], [-90.0, -100.0, -104.0]], dtype=np.float32)  # exp(89) overflows float32
    check_against_torch(lambda a: [a.softmax(1), a.log_softmax(1), a.logsumexp(1)], [x])


# ---------------------------------------------------------------- infinities, as in PyTorch

def test_masked_logits_with_minus_inf(no_numpy_warnings):
    x = np.array([[-np.inf, 0.0, 1.0], [2.0, -np.inf, -np.inf]])
    check_against_torch(lambda a: [a.softmax(1), a.log_softmax(1), a.logsumexp(1)], [x])
    check_against_torch(lambda a: a.softmax(1)[:, 1:2].sum() + a.log_softmax(1)[:, 0:2].exp().sum(), [x])


def test_fully_masked_rows_give_nan_like_torch(no_numpy_warnings):
    x = np.array([[-np.inf, -np.inf], [0.0, 1.0]])
    check_against_torch(lambda a: [a.softmax(1), a.log_softmax(1)], [x], grad=False)
    check_against_torch(lambda a: a.logsumexp(1), [x])  # -inf, and a nan gradient in that row


def test_plus_inf_logits_match_torch(no_numpy_warnings):
    x = np.array([[np.inf, 0.0], [0.0, 1.0]])
    check_against_torch(lambda a: [a.softmax(1), a.log_softmax(1), a.logsumexp(1)], [x], grad=False)


def test_nan_logits_propagate(no_numpy_warnings):
    x = np.array([[np.nan, 0.0], [0.0, 1.0]])
    check_against_torch(lambda a: [a.softmax(1), a.log_softmax(0), a.logsumexp(1)], [x], grad=False)


# ---------------------------------------------------------------- errors

def test_softmax_needs_dim():
    with pytest.raises(TypeError, match="dim"):
        cr.softmax(cr.ones(3))
    with pytest.raises(TypeError, match="dim"):
        cr.ones(3).log_softmax()


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "logsumexp"])
def test_dim_out_of_range(op):
    with pytest.raises(IndexError, match=rf"{op}: Dimension out of range \(expected to be in range of \[-2, 1\]"):
        getattr(cr.ones(2, 3), op)(2)
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 3"):
        getattr(cr.tensor(1.0), op)(3)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_integer_input_needs_dtype(op):
    with pytest.raises(NotImplementedError, match=rf"{op}\(\): not implemented for .*int64.*dtype=chainrule.float32"):
        getattr(cr.tensor([1, 2]), op)(0)
    with pytest.raises(RuntimeError, match="not implemented for .*bool"):  # NotImplementedError is a RuntimeError
        getattr(cr.tensor([True]), op)(0)
