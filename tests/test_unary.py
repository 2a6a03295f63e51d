"""Unary math and activations against PyTorch: values, gradients, edge conventions, dtypes."""
import math
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from oracle import check_op

SHAPES = [[(3, 4)], [()], [(0, 3)], [(2, 1, 3)]]


def positive(rng, shape):
    return rng.uniform(0.3, 2.0, shape)


def away_from_zero(rng, shape):
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def off_integers(rng, shape):
    """Values at least 0.1 away from every integer and half-integer (rounding kinks)."""
    return rng.integers(-3, 3, shape) + rng.choice([0.2, 0.3, 0.7, 0.8], shape)


def spread(rng, shape):
    """Well-separated values in about [-5, 5]: no ties, no kinks hit by finite differences."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.83 - n * 0.41).reshape(shape) + rng.uniform(-0.05, 0.05, shape)


def F(lib):
    return lib.nn.functional


# name: (fn(lib, a), options for check_op)
SMOOTH = {
    "exp": (lambda lib, a: lib.exp(a), {}),
    "expm1": (lambda lib, a: lib.expm1(a), {}),
    "log": (lambda lib, a: lib.log(a), dict(sampler=positive)),
    "log1p": (lambda lib, a: lib.log1p(a), dict(sampler=positive)),
    "log2": (lambda lib, a: lib.log2(a), dict(sampler=positive)),
    "log10": (lambda lib, a: lib.log10(a), dict(sampler=positive)),
    "sqrt": (lambda lib, a: lib.sqrt(a), dict(sampler=positive)),
    "rsqrt": (lambda lib, a: lib.rsqrt(a), dict(sampler=positive)),
    "square": (lambda lib, a: lib.square(a), {}),
    "reciprocal": (lambda lib, a: lib.reciprocal(a), dict(sampler=away_from_zero)),
    "sin": (lambda lib, a: lib.sin(a), {}),
    "cos": (lambda lib, a: lib.cos(a), {}),
    "tan": (lambda lib, a: lib.tan(a), dict(low=-1.2, high=1.2)),
    "asin": (lambda lib, a: lib.asin(a), dict(low=-0.9, high=0.9)),
    "acos": (lambda lib, a: lib.acos(a), dict(low=-0.9, high=0.9)),
    "atan": (lambda lib, a: lib.atan(a), {}),
    "sinh": (lambda lib, a: lib.sinh(a), {}),
    "cosh": (lambda lib, a: lib.cosh(a), {}),
    "tanh": (lambda lib, a: lib.tanh(a), {}),
    "sigmoid": (lambda lib, a: lib.sigmoid(a), {}),
    "erf": (lambda lib, a: lib.erf(a), dict(low=-3.0, high=3.0)),
    "elu": (lambda lib, a: F(lib).elu(a, alpha=1.3), dict(sampler=away_from_zero)),
    "selu": (lambda lib, a: F(lib).selu(a), dict(sampler=away_from_zero)),
    "celu": (lambda lib, a: F(lib).celu(a, alpha=0.7), dict(sampler=away_from_zero)),
    "gelu": (lambda lib, a: F(lib).gelu(a), dict(low=-3.0, high=3.0)),
    "gelu_tanh": (lambda lib, a: F(lib).gelu(a, approximate="tanh"), dict(low=-3.0, high=3.0)),
    "silu": (lambda lib, a: F(lib).silu(a), dict(low=-4.0, high=4.0)),
    "mish": (lambda lib, a: F(lib).mish(a), {}),
    "softplus": (lambda lib, a: F(lib).softplus(a, beta=2.0), {}),
    "logsigmoid": (lambda lib, a: F(lib).logsigmoid(a), dict(low=-4.0, high=4.0)),
    "softsign": (lambda lib, a: F(lib).softsign(a), dict(sampler=away_from_zero)),
}

# piecewise functions: first derivatives only, inputs kept away from the kinks
PIECEWISE = {
    "abs": (lambda lib, a: lib.abs(a), dict(sampler=away_from_zero)),
    "sign": (lambda lib, a: lib.sign(a), dict(sampler=away_from_zero)),
    "floor": (lambda lib, a: lib.floor(a), dict(sampler=off_integers)),
    "ceil": (lambda lib, a: lib.ceil(a), dict(sampler=off_integers)),
    "round": (lambda lib, a: lib.round(a), dict(sampler=off_integers)),
    "round_decimals": (lambda lib, a: lib.round(a * 10, decimals=-1), dict(sampler=off_integers)),
    "trunc": (lambda lib, a: lib.trunc(a), dict(sampler=off_integers)),
    "frac": (lambda lib, a: lib.frac(a), dict(sampler=off_integers)),
    "relu": (lambda lib, a: lib.relu(a), dict(sampler=away_from_zero)),
    "relu6": (lambda lib, a: F(lib).relu6(a), dict(sampler=spread)),
    "leaky_relu": (lambda lib, a: F(lib).leaky_relu(a, 0.1), dict(sampler=away_from_zero)),
    "hardtanh": (lambda lib, a: F(lib).hardtanh(a, -0.5, 0.5), dict(sampler=spread)),
    "hardsigmoid": (lambda lib, a: F(lib).hardsigmoid(a), dict(sampler=spread)),
    "hardswish": (lambda lib, a: F(lib).hardswish(a), dict(sampler=spread)),
    "clamp": (lambda lib, a: lib.clamp(a, -0.5, 0.7), dict(sampler=spread)),
    "clamp_min": (lambda lib, a: a.clamp_min(0.3), dict(sampler=spread)),
    "clamp_max": (lambda lib, a: lib.clamp_max(a, -0.2), dict(sampler=spread)),
    "clip": (lambda lib, a: a.clip(max=1.5), dict(sampler=spread)),
    "softplus_threshold": (lambda lib, a: F(lib).softplus(a, beta=1.5, threshold=1.0),
                           dict(sampler=away_from_zero)),
}


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(SMOOTH))
def test_smooth_op(name, shapes):
    fn, options = SMOOTH[name]
    check_op(lambda a: fn(cr, a), shapes, lambda a: fn(torch, a), gradgrad=True, **options)


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(PIECEWISE))
def test_piecewise_op(name, shapes):
    fn, options = PIECEWISE[name]
    check_op(lambda a: fn(cr, a), shapes, lambda a: fn(torch, a), **options)


METHODS = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square",
           "reciprocal", "abs", "absolute", "sign", "floor", "ceil", "trunc", "round", "frac",
           "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "erf",
           "relu"]


@pytest.mark.parametrize("name", METHODS)
def test_method_form_matches_torch(name):
    values = np.array([[0.35, 0.8], [0.15, 0.6]])
    ours = getattr(cr.tensor(values), name)()
    theirs = getattr(torch.tensor(values), name)()
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    assert ours.dtype is cr.float64


# ---------------------------------------------------------------- gradients at kinks, as torch has them

KINK_VALUES = [-6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 0.7, 1.0, 3.0, 6.0, 2.5]
KINKS = {
    "abs": lambda lib, a: lib.abs(a),
    "relu": lambda lib, a: lib.relu(a),
    "relu6": lambda lib, a: F(lib).relu6(a),
    "leaky_relu": lambda lib, a: F(lib).leaky_relu(a, 0.2),
    "elu": lambda lib, a: F(lib).elu(a, alpha=0.5),
    "hardtanh": lambda lib, a: F(lib).hardtanh(a, -1.0, 1.0),
    "hardsigmoid": lambda lib, a: F(lib).hardsigmoid(a),
    "hardswish": lambda lib, a: F(lib).hardswish(a),
    "clamp": lambda lib, a: lib.clamp(a, -0.5, 0.7),
    "clamp_min": lambda lib, a: lib.clamp(a, min=1.0),
    "clamp_max": lambda lib, a: lib.clamp(a, max=-1.0),
    "clamp_empty_range": lambda lib, a: lib.clamp(a, 1.0, -1.0),
    "sign": lambda lib, a: lib.sign(a),
    "round": lambda lib, a: lib.round(a),
    "sqrt": lambda lib, a: lib.sqrt(a),
    "softsign": lambda lib, a: F(lib).softsign(a),
    "softplus": lambda lib, a: F(lib).softplus(a, beta=2.0, threshold=1.0),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # sqrt of the negative values
@pytest.mark.parametrize("name", list(KINKS))
def test_gradient_at_kinks_matches_torch(name):
    fn = KINKS[name]
    values = np.array(KINK_VALUES)
    x = cr.tensor(values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    fn(cr, x).sum().backward()
    fn(torch, t).sum().backward()
    rtol = 1e-7 if name.startswith("hard") else 1e-12  # torch's backward uses a float32 1/6
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-15)


def test_sign_of_nan_and_zero_is_zero():
    values = [math.nan, -0.0, 0.0, -2.0, 3.0]
    np.testing.assert_array_equal(cr.sign(cr.tensor(values)).numpy(), [0.0, 0.0, 0.0, -1.0, 1.0])


def test_rounding_is_half_to_even():
    values = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.125, 1.005]
    np.testing.assert_array_equal(cr.round(cr.tensor(values)).numpy(),
                                  torch.round(torch.tensor(values)).numpy())
    np.testing.assert_array_equal(cr.round(cr.tensor(values), decimals=2).numpy(),
                                  torch.round(torch.tensor(values), decimals=2).numpy())


# ---------------------------------------------------------------- erf accuracy

def test_erf_is_accurate_to_1e15_in_float64():
    x = np.concatenate([np.linspace(-7, 7, 20001), np.logspace(-300, 0.8, 400),
                        -np.logspace(-300, 0.8, 400), [0.46875, 4.0, 6.0, 26.0]])
    reference = np.array([math.erf(v) for v in x])
    for chunk in (x, x[:40]):  # the array path and the per-element path for small arrays
        got = cr.erf(cr.tensor(chunk)).numpy()
        ref = reference[:len(chunk)]
        relative = np.abs(got - ref) / np.maximum(np.abs(ref), 1e-300)
        assert relative.max() < 1e-15


def test_erf_special_values_and_float32():
    got = cr.erf(cr.tensor([math.nan, math.inf, -math.inf, -0.0])).numpy()
    np.testing.assert_array_equal(got[1:], [1.0, -1.0, 0.0])
    assert np.isnan(got[0]) and np.signbit(got[3])
    x = np.random.default_rng(0).normal(0, 2, 500).astype(np.float32)
    np.testing.assert_allclose(cr.erf(cr.tensor(x)).numpy(), torch.erf(torch.tensor(x)).numpy(),
                               rtol=2e-7, atol=1e-7)


# ---------------------------------------------------------------- stability for large |x|

@pytest.mark.parametrize("name", ["sigmoid", "softplus", "logsigmoid", "silu", "tanh", "mish",
                                  "elu", "gelu"])
def test_activation_is_stable_at_large_inputs(name):
    values = np.array([-1000.0, -100.0, -88.0, -30.0, 0.0, 30.0, 88.0, 100.0, 1000.0], dtype=np.float32)
    fn = {"sigmoid": lambda lib, a: lib.sigmoid(a)}.get(name, lambda lib, a: getattr(F(lib), name)(a))
    x = cr.tensor(values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings from NumPy
        out = fn(cr, x)
        out.sum().backward()
    expected = fn(torch, t)
    expected.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-30)
    assert np.isfinite(out.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all()


# ---------------------------------------------------------------- dtypes

FLOATING = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "reciprocal", "sin",
            "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "erf"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log(0), asin(2), ...
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("name", FLOATING)
def test_integer_input_gives_default_float(name, dtype):
    values = [1, 0, 1] if dtype == "bool" else [1, 2, 3]
    ours = getattr(cr, name)(cr.tensor(values, dtype=getattr(cr, dtype)))
    theirs = getattr(torch, name)(torch.tensor(values, dtype=getattr(torch, dtype)))
    assert ours.dtype is cr.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_integer_input_follows_the_default_dtype():
    cr.set_default_dtype(cr.float64)
    try:
        assert cr.exp(cr.tensor([1, 2])).dtype is cr.float64
        assert cr.sigmoid(cr.tensor([True])).dtype is cr.float64
    finally:
        cr.set_default_dtype(cr.float32)


@pytest.mark.parametrize("name", ["abs", "sign", "floor", "ceil", "trunc", "round", "square",
                                  "relu", "clamp", "relu6", "hardtanh"])
def test_integer_input_keeps_integer_dtype(name):
    call = {"clamp": lambda lib, a: lib.clamp(a, -1, 2), "relu6": lambda lib, a: F(lib).relu6(a),
            "hardtanh": lambda lib, a: F(lib).hardtanh(a)}.get(name, lambda lib, a: getattr(lib, name)(a))
    ours = call(cr, cr.tensor([-3, 0, 2, 7], dtype=cr.int32))
    theirs = call(torch, torch.tensor([-3, 0, 2, 7], dtype=torch.int32))
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_bool_inputs_follow_torch():
    b = [True, False]
    assert cr.square(cr.tensor(b)).dtype is cr.int64
    assert cr.sign(cr.tensor(b)).dtype is cr.bool
    assert cr.clamp(cr.tensor(b), 0).dtype is cr.int64


def test_integer_rounding_returns_a_copy():
    x = cr.tensor([1, 2])
    y = cr.floor(x)
    y[0] = 5
    assert x.tolist() == [1, 2]


def test_clamp_promotes_like_torch():
    for bounds in [(0.5, None), (-1, 2.5), (None, 1)]:
        ours = cr.clamp(cr.tensor([3, -2]), *bounds)
        theirs = torch.clamp(torch.tensor([3, -2]), *bounds)
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    x = cr.tensor([3.0, -2.0])
    assert cr.clamp(x, cr.tensor(0.5, dtype=cr.float64)).dtype is cr.float32  # 0-d bound
    assert cr.clamp(x, cr.tensor([0.5], dtype=cr.float64)).dtype is cr.float64
    assert cr.clamp(x, np.float64(0.5)).dtype is cr.float32  # a NumPy scalar acts as a number


@pytest.mark.parametrize("which", ["both", "min", "max", "min_number"])
def test_clamp_with_tensor_bounds_matches_torch(which):
    x = np.array([[1.0, 2.0, 3.0, -1.0, 0.5, 4.0], [1.0, 1.5, 0.2, -3.0, 0.7, 1.0]])
    low = np.array([1.0, 1.0, 4.0, -2.0, 0.0, 2.0])
    high = np.array([[1.0], [1.5]]) * np.array([1.0, 1.0, 0.9, 1.0, 2.0, 1.0])  # ties, min > max
    if which == "min_number":  # torch wants both bounds numbers or both tensors; we take a mix
        def fn(lib, a, lo, hi):
            return lib.clamp(a, min=0.7 if lib is cr else torch.tensor(0.7, dtype=torch.float64), max=hi)
    else:
        def fn(lib, a, lo, hi):
            return lib.clamp(a, lo if which != "max" else None, hi if which != "min" else None)
    ours = [cr.tensor(v, requires_grad=True) for v in (x, low, high)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (x, low, high)]
    out, expected = fn(cr, *ours), fn(torch, *theirs)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    seed = np.arange(out.numel(), dtype=np.float64).reshape(tuple(out.shape)) + 1
    out.backward(cr.tensor(seed))
    expected.backward(torch.tensor(seed))
    for o, t in zip(ours, theirs):
        if t.grad is None:
            assert o.grad is None
        else:
            np.testing.assert_array_equal(o.grad.numpy(), t.grad.numpy())


def test_clamp_tensor_bounds_oracle():
    def sampler(rng, shape):
        return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.31 - 1.5 + rng.uniform(0, 0.05, shape)
    check_op(lambda a, lo, hi: a.clamp(lo, hi), [(3, 4), (4,), (3, 1)], sampler=sampler)


# ---------------------------------------------------------------- in place (F.<activation>(inplace=True))

@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "silu",
                                  "mish", "hardtanh", "hardsigmoid", "hardswish"])
def test_inplace_activation_writes_into_its_input(name):
    values = np.array([-2.0, -0.5, 0.5, 4.0, 7.0])
    x, t = cr.tensor(values), torch.tensor(values)
    out = getattr(F(cr), name)(x, inplace=True)
    getattr(F(torch), name)(t, inplace=True)
    assert out is x
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-12)


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("name", ["leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
                                  "softplus", "logsigmoid", "hardsigmoid", "hardswish"])
def test_activation_refuses_integer_input(name):
    with pytest.raises(NotImplementedError, match=f"{name}: not implemented for chainrule.int64"):
        getattr(F(cr), name)(cr.tensor([1, 2]))


@pytest.mark.parametrize("call, error, words", [
    (lambda: cr.abs(cr.tensor([True])), NotImplementedError, "abs: not implemented for bool"),
    (lambda: cr.floor(cr.tensor([True])), NotImplementedError, "floor: not implemented for bool"),
    (lambda: cr.frac(cr.tensor([1, 2])), NotImplementedError, "frac: not implemented for chainrule.int64"),
    (lambda: cr.round(cr.tensor([15]), decimals=-1), NotImplementedError, "decimals=-1 is not implemented"),
    (lambda: cr.relu(cr.tensor([True])), RuntimeError, "Boolean inputs not supported for relu"),
    (lambda: cr.clamp(cr.tensor([1.0])), RuntimeError, "at least one of 'min' or 'max'"),
    (lambda: F(cr).hardtanh(cr.tensor([1.0]), 2.0, 1.0), ValueError, "min_val cannot be greater"),
    (lambda: F(cr).gelu(cr.tensor([1.0]), approximate="fast"), ValueError, "approximate must be"),
])
def test_unary_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()
