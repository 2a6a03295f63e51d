"""Binary arithmetic, where, maximum/minimum and the composites against PyTorch."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr
from oracle import check_op

BROADCAST = [[(3, 4), (4,)], [(2, 1, 5), (3, 1)], [(), (2,)], [(0, 3), (3,)], [(2, 3), ()]]


def positive(rng, shape):
    return rng.uniform(0.3, 2.0, shape)


def away_from_zero(rng, shape):
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def spread(rng, shape):
    """Distinct values: no ties between operands, quotients away from integers."""
    return rng.uniform(0.6, 2.9, shape) * rng.choice([-1.0, 1.0], shape) + 0.013 * rng.random(shape)


BINARY = {
    "add": (lambda a, b: a + b, {}, True),
    "sub": (lambda a, b: a - b, {}, True),
    "mul": (lambda a, b: a * b, {}, True),
    "div": (lambda a, b: a / b, dict(sampler=away_from_zero), True),
    "pow": (lambda a, b: a ** b, dict(sampler=positive), True),
    "add_alpha": (lambda a, b: a.add(b, alpha=2), {}, True),
    "sub_alpha": (lambda a, b: a.sub(b, alpha=0.5), {}, True),
    "remainder": (lambda a, b: a % b, dict(sampler=spread), False),
    "fmod": (lambda a, b: a.fmod(b), dict(sampler=spread), False),
    "maximum": (lambda a, b: a.maximum(b), dict(sampler=spread), False),
    "minimum": (lambda a, b: a.minimum(b), dict(sampler=spread), False),
    "where": (lambda a, b: a.where(a > 0, b) if isinstance(a, torch.Tensor) else cr.where(a > 0, a, b),
              dict(sampler=away_from_zero), True),
}


@pytest.mark.parametrize("shapes", BROADCAST, ids=str)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_op(name, shapes):
    fn, options, smooth = BINARY[name]
    check_op(fn, shapes, gradgrad=smooth, **options)


@pytest.mark.parametrize("shapes", BROADCAST[:3], ids=str)
@pytest.mark.parametrize("rounding", ["floor", "trunc"])
def test_rounded_division_has_zero_gradient(rounding, shapes):
    check_op(lambda a, b: a.div(b, rounding_mode=rounding), shapes, sampler=spread)
    # torch has no derivative for floor_divide (backward raises); ours is zero, like div's
    check_op(lambda a, b: a // b, shapes, sampler=spread, grad=False)


SCALAR_FORMS = {
    "2 - x": (lambda x: 2 - x, {}),
    "2 / x": (lambda x: 2 / x, dict(sampler=away_from_zero)),
    "2 ** x": (lambda x: 2 ** x, {}),
    "0.5 ** x": (lambda x: 0.5 ** x, {}),
    "x ** 2": (lambda x: x ** 2, {}),
    "x ** 3": (lambda x: x ** 3, {}),
    "x ** 0.5": (lambda x: x ** 0.5, dict(sampler=positive)),
    "x ** -1.5": (lambda x: x ** -1.5, dict(sampler=positive)),
    "x ** 0": (lambda x: x ** 0, dict(gradgrad=False)),  # a constant first derivative
    "x ** 1": (lambda x: x ** 1, {}),
    "3 * x + 1": (lambda x: 3 * x + 1, {}),
    "x / 4 - 0.5": (lambda x: x / 4 - 0.5, {}),
    "-x": (lambda x: -x, {}),
    "3 % x": (lambda x: 3 % x, dict(sampler=spread, torch_fn=lambda x: torch.full_like(x, 3) % x)),
    "x % -2.5": (lambda x: x % -2.5, dict(sampler=spread)),
    "x // 2": (lambda x: x // 2, dict(sampler=spread, grad=False)),  # torch: no derivative
    "2.5 // x": (lambda x: 2.5 // x, dict(sampler=spread, grad=False)),
    "fmod(x, 1.5)": (lambda x: x.fmod(1.5), dict(sampler=spread)),
    "lerp scalar": (lambda x: x.lerp(x * 3, 0.25), {}),
}


@pytest.mark.parametrize("shapes", [[(3, 4)], [()]], ids=str)
@pytest.mark.parametrize("name", list(SCALAR_FORMS))
def test_scalar_forms(name, shapes):
    fn, options = SCALAR_FORMS[name]
    options = dict(options)
    smooth = options.pop("gradgrad", "%" not in name and "//" not in name and "fmod" not in name)
    check_op(fn, shapes, gradgrad=smooth, **options)


@pytest.mark.parametrize("shapes", [[(3, 4), (4,), (3, 1)], [(), (2,), ()], [(0, 3), (3,), (1, 3)]],
                         ids=str)
@pytest.mark.parametrize("name", ["lerp", "addcmul", "addcdiv"])
def test_composites(name, shapes):
    fns = {"lerp": lambda a, b, w: a.lerp(b, w), "addcmul": lambda a, b, c: a.addcmul(b, c, value=0.5),
           "addcdiv": lambda a, b, c: a.addcdiv(b, c, value=-2)}
    check_op(fns[name], shapes, gradgrad=True, sampler=away_from_zero)


# ---------------------------------------------------------------- floor semantics, exactly as torch

INTS = [-7, -3, 0, 3, 7, 8, -8]
INT_DIVISORS = [2, -2, 3, -3, 5, 4, -4]
FLOATS = [-7.5, -3.0, 0.0, 3.0, 7.5, -0.0, 6.0]
FLOAT_DIVISORS = [2.0, -2.0, 3.0, -3.0, -0.5, 3.0, -2.0]

DIVISIONS = {
    "//": lambda lib, a, b: a // b,
    "%": lambda lib, a, b: a % b,
    "fmod": lambda lib, a, b: lib.fmod(a, b),
    "trunc": lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"),
    "floor": lambda lib, a, b: lib.div(a, b, rounding_mode="floor"),
    "/": lambda lib, a, b: a / b,
}


def assert_same(ours, theirs, exact=True):
    expected = theirs.numpy()
    got = ours.numpy()
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    if not exact:  # torch's number / tensor multiplies by the reciprocal: 1 ulp apart
        np.testing.assert_allclose(got, expected, rtol=2e-7)
        return
    np.testing.assert_array_equal(got, expected)
    if got.dtype.kind == "f":  # the sign of zero too (torch's % keeps the dividend's)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.parametrize("values", [(INTS, INT_DIVISORS), (FLOATS, FLOAT_DIVISORS),
                                    (INTS, FLOAT_DIVISORS)], ids=["int", "float", "mixed"])
@pytest.mark.parametrize("name", list(DIVISIONS))
def test_division_semantics_with_negative_numbers(name, values):
    fn = DIVISIONS[name]
    a, b = values
    exact = name != "/"
    assert_same(fn(cr, cr.tensor(a), cr.tensor(b)), fn(torch, torch.tensor(a), torch.tensor(b)))
    for scalar in (3, -3, 2.5, -0.5):  # a Python number on either side
        assert_same(fn(cr, cr.tensor(a), scalar), fn(torch, torch.tensor(a), scalar), exact)
        if name != "fmod":  # torch.fmod takes no number as its first argument
            assert_same(fn(cr, scalar, cr.tensor(b)), fn(torch, scalar, torch.tensor(b)), exact)


INT_EXPRESSIONS = ["x / y", "x * 2.5", "x + 2", "x - 2.5", "2 ** y", "(-2) ** y", "x ** 2", "x ** y",
                   "x ** 0.5", "1 ** y", "(-1) ** y", "x ** (y * 0 - 1)"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # sqrt of negative numbers: nan, as in torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int8", "int16"])
@pytest.mark.parametrize("expression", INT_EXPRESSIONS)
def test_integer_arithmetic_matches_torch(expression, dtype):
    values = ([0, 1, 2, 3, 1, 5], [2, 3, 0, 1, 4, 2]) if dtype == "uint8" else \
             ([-3, -1, 0, 1, 2, 5], [2, -3, 0, -1, 4, -2])
    results = []
    for lib in (cr, torch):
        x = lib.tensor(values[0], dtype=getattr(lib, dtype))
        y = lib.tensor(values[1], dtype=getattr(lib, dtype))
        results.append(eval(expression))
    ours, theirs = results
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_integer_results_wrap_around_like_torch():
    for lib in (cr, torch):
        assert (lib.tensor([200], dtype=lib.uint8) + 300).tolist() == [244]
        assert (lib.tensor([100], dtype=lib.int8) * 1000).tolist() == [-96]
        assert (lib.tensor([100], dtype=lib.int8) - 1000).tolist() == [124]


def test_bool_arithmetic_matches_torch():
    b = [True, False, True]
    for expression in ["x + x", "x * x", "x + 1", "x * 2.5", "x / x", "x ** 2", "2 ** x", "x ** True",
                       "x + True", "x.add(x, alpha=2)", "x.add(x, alpha=True)"]:
        with np.errstate(divide="ignore", invalid="ignore"):
            ours = eval(expression, {"x": cr.tensor(b)})
        theirs = eval(expression, {"x": torch.tensor(b)})
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", ""), expression
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=expression)


# ---------------------------------------------------------------- pow gradients at the edges

POW_EDGES = {
    "x ** 0": lambda x, e: x ** 0,
    "x ** 0.5": lambda x, e: x ** 0.5,
    "x ** 1": lambda x, e: x ** 1,
    "x ** 2": lambda x, e: x ** 2,
    "x ** -1": lambda x, e: x ** -1,
    "x ** -0.5": lambda x, e: x ** -0.5,
    "x ** 2.5": lambda x, e: x ** 2.5,
    "x ** e": lambda x, e: x ** e,
    "0 ** e": lambda x, e: 0 ** e,
    "0.0 ** e": lambda x, e: 0.0 ** e,
    "2 ** e": lambda x, e: 2 ** e,
    "(-2) ** e": lambda x, e: (-2) ** e,
    "1 ** e": lambda x, e: 1 ** e,
    "(x * 0) ** e": lambda x, e: (x * 0) ** e,
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0 ** -1 and log(0) on purpose
@pytest.mark.parametrize("name", list(POW_EDGES))
def test_pow_gradients_at_zero_match_torch(name):
    fn = POW_EDGES[name]
    base = np.array([0.0, 0.0, 1.0, -1.0, 2.0, -2.0, 0.0])
    exponent = np.array([0.0, 0.5, 2.0, -1.0, -0.5, 3.0, -2.0])
    ours = [cr.tensor(v, requires_grad=True) for v in (base, exponent)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (base, exponent)]
    out, expected = fn(*ours), fn(*theirs)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    expected_grads = torch.autograd.grad(expected.sum(), theirs, allow_unused=True)
    got_grads = cr.autograd.grad(out.sum(), ours, allow_unused=True)
    for got, want in zip(got_grads, expected_grads):
        if want is None:
            assert got is None
        else:
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("exponent", [2.0, 3.0, 0.0, 1.0])
def test_pow_second_derivative_at_zero_matches_torch(exponent):
    values = np.array([0.0, 1.0, -2.0])
    x, t = cr.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    (g,) = cr.autograd.grad((x ** exponent).sum(), [x], create_graph=True)
    (h,) = torch.autograd.grad((t ** exponent).sum(), [t], create_graph=True)
    if not h.requires_grad:  # x ** 0: a constant gradient
        assert not g.requires_grad or not cr.autograd.grad(g.sum(), [x], allow_unused=True)[0].numpy().any()
        return
    np.testing.assert_allclose(cr.autograd.grad(g.sum(), [x])[0].numpy(),
                               torch.autograd.grad(h.sum(), [t])[0].numpy(), rtol=1e-12)


# ---------------------------------------------------------------- maximum / minimum / where

@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_ties_split_the_gradient_equally(name):
    a, b = [1.0, 2.0, 3.0, 2.0], [1.0, 1.0, 4.0, 2.0]
    ours = [cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)]
    theirs = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
    getattr(cr, name)(*ours).sum().backward()
    getattr(torch, name)(*theirs).sum().backward()
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.grad.numpy(), t.grad.numpy())


def test_maximum_promotes_tensors():
    assert cr.maximum(cr.tensor([1]), cr.tensor([1.5])).tolist() == [1.5]
    assert cr.maximum(cr.tensor([1.0]), cr.tensor(2.0, dtype=cr.float64)).dtype is cr.float32


@pytest.mark.parametrize("branches", [(1.0, 0.0), (2, 3), (2.5, 3), ("x", 0), (0, "x"), ("x", 2.5),
                                      ("i", 2.5), ("i", 2), ("x", "d0"), ("b", 2), (True, False)],
                         ids=str)
def test_where_dtype_with_scalar_branches(branches):
    results = []
    for lib in (cr, torch):
        named = {"x": lib.tensor([1.5, -2.0, 3.0]), "i": lib.tensor([1, 2, 3], dtype=lib.int32),
                 "d0": lib.tensor(7.0, dtype=lib.float64), "b": lib.tensor([True, False, True])}
        a, b = (named[v] if isinstance(v, str) else v for v in branches)
        results.append(lib.where(lib.tensor([True, False, True]), a, b))
    ours, theirs = results
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_where_gradient_reaches_both_branches_and_broadcasts():
    check_op(lambda a, b: cr.where(a > 0, a * 2, b) if isinstance(a, cr.Tensor) else torch.where(a > 0, a * 2, b),
             [(3, 1), (4,)], sampler=away_from_zero, gradgrad=True)
    check_op(lambda a: cr.where(a > 0, a, 0.0) if isinstance(a, cr.Tensor) else torch.where(a > 0, a, 0.0),
             [(3, 4)], sampler=away_from_zero)


def test_where_with_only_a_condition_is_nonzero():
    for values in ([[True, False], [False, True]], True, False):
        ours = cr.where(cr.tensor(values))
        theirs = torch.where(torch.tensor(values))
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_rounded_division_requires_grad_like_torch():
    x = cr.tensor([1.5, -2.5], requires_grad=True)
    y = x // 2
    assert y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_add_and_sub_with_alpha_and_python_scalars():
    for lib in (cr, torch):
        assert lib.add(lib.tensor([1]), 2, alpha=3).tolist() == [7]
        assert lib.sub(lib.tensor([1.0]), lib.tensor([2.0]), alpha=0.5).tolist() == [0.0]
        assert lib.add(lib.tensor([True]), lib.tensor([True]), alpha=2).tolist() == [True]


# ---------------------------------------------------------------- errors

T, I, B = cr.tensor([1.0, 2.0]), cr.tensor([1, 2]), cr.tensor([True, False])


@pytest.mark.parametrize("call, error, words", [
    (lambda: B - B, RuntimeError, "Subtraction, the `-` operator, with two bool tensors"),
    (lambda: I - True, RuntimeError, "Subtraction, the `-` operator, with a bool tensor"),
    (lambda: -B, RuntimeError, "Negation, the `-` operator, on a bool tensor"),
    (lambda: B // B, NotImplementedError, "div: not implemented for bool"),
    (lambda: B % B, NotImplementedError, "remainder: not implemented for bool"),
    (lambda: B ** B, NotImplementedError, "pow: not implemented for a bool exponent"),
    (lambda: I ** -1, RuntimeError, "Integers to negative integer powers are not allowed"),
    (lambda: I // 0, RuntimeError, "ZeroDivisionError"),
    (lambda: I % cr.tensor([1, 0]), RuntimeError, "ZeroDivisionError"),
    (lambda: cr.fmod(I, 0), RuntimeError, "ZeroDivisionError"),
    (lambda: cr.div(I, 0, rounding_mode="trunc"), RuntimeError, "ZeroDivisionError"),
    (lambda: cr.div(T, T, rounding_mode="round"), ValueError, "rounding_mode to be one of None"),
    (lambda: cr.add(I, I, alpha=2.5), RuntimeError, "alpha must not be a floating point number"),
    (lambda: cr.add(T, T, alpha=True), RuntimeError, "Boolean alpha only supported for Boolean"),
    (lambda: cr.maximum(T, 0.0), TypeError, r"maximum\(\): both arguments must be Tensors.*clamp"),
    (lambda: cr.minimum(1, T), TypeError, r"minimum\(\): both arguments must be Tensors"),
    (lambda: cr.where(I, T, T), RuntimeError, "where expected condition to be a boolean tensor"),
    (lambda: cr.lerp(T, T.double(), 0.5), RuntimeError, "expected dtype chainrule.float32 for `end`"),
    (lambda: cr.lerp(T, T, T.double()), RuntimeError, "for `weight` but got dtype chainrule.float64"),
    (lambda: cr.lerp(I, I, 0.5), NotImplementedError, "lerp: not implemented for chainrule.int64"),
    (lambda: cr.addcdiv(T, I, I), RuntimeError, "Integer division with addcdiv is no longer supported"),
    (lambda: T + "a", TypeError, "unsupported operand of type str"),
])
def test_elementwise_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_addcmul_and_lerp_dtypes_follow_torch():
    for lib in (cr, torch):
        x, i = lib.tensor([1.0]), lib.tensor([2])
        assert lib.addcmul(lib.tensor([1]), i, i, value=2.5).tolist() == [9]  # integer part of value
        assert lib.addcmul(x, i, i, value=2).tolist() == [9.0]
        assert lib.lerp(x, lib.tensor([2.0]), lib.tensor(0.5, dtype=lib.float64)).dtype == x.dtype
    assert math.isclose(cr.lerp(cr.tensor([1.0]), cr.tensor([3.0]), 2).item(), 5.0)
