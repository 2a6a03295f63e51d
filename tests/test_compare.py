"""Comparisons, logical and bitwise ops, value tests and truth reductions against PyTorch."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr


def both(fn, *values, dtypes=None):
    """``fn(lib, *tensors)`` in chainrule and torch; numbers and None pass through."""
    results = []
    for lib in (cr, torch):
        args = []
        for i, v in enumerate(values):
            if isinstance(v, (list, np.ndarray)):
                dtype = getattr(lib, dtypes[i]) if dtypes and dtypes[i] else None
                args.append(lib.tensor(v, dtype=dtype))
            else:
                args.append(v)
        results.append(fn(lib, *args))
    return results


def assert_same(ours, theirs):
    if isinstance(theirs, (bool, int)):
        assert ours == theirs and type(ours) is type(theirs)
        return
    if isinstance(theirs, tuple):
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            assert_same(o, t)
        return
    assert not ours.requires_grad
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


COMPARISONS = {
    "eq": lambda lib, a, b: a == b, "ne": lambda lib, a, b: a != b, "lt": lambda lib, a, b: a < b,
    "le": lambda lib, a, b: a <= b, "gt": lambda lib, a, b: lib.gt(a, b), "ge": lambda lib, a, b: a.ge(b),
    "less": lambda lib, a, b: lib.less(a, b), "greater_equal": lambda lib, a, b: lib.greater_equal(a, b),
    "not_equal": lambda lib, a, b: lib.not_equal(a, b),
}
A = np.array([[1.0, 2.5, -3.0, 4.0], [0.0, 2.0, math.nan, -1.0], [2.0, 2.0, math.inf, 7.0]])
B = np.array([1.0, 2.0, -3.0, math.nan])
OPERANDS = {
    "tensor-tensor": ((A, B), None),
    "broadcast": ((A[:, :1], B), None),
    "0-d": ((A, np.array(2.0)), None),
    "empty": ((np.zeros((0, 4)), B), None),
    "int-float": ((np.array([[1, 2, -3, 4]]), B), ["int64", None]),
    "int-int32": ((np.array([1, 2, -3, 4]), np.array([1, 3, -3, 5])), ["int64", "int32"]),
    "float-int scalar": ((A, 2), None),
    "float-float scalar": ((A, 2.5), None),
    "int-float scalar": ((np.array([1, 2, 3]), 2.5), ["int64", None]),
    "int-int scalar": ((np.array([1, 2, 3]), 2), ["int32", None]),
    "uint8-negative scalar": ((np.array([0, 200, 255]), -1), ["uint8", None]),
    "bool-bool scalar": ((np.array([True, False]), True), None),
    "bool-int": ((np.array([True, False]), np.array([1, 0])), None),
    "scalar first": ((2.5, A), None),
}


# only the operators take a number on the left (2.5 < x)
COMPARISON_CASES = [(name, operands) for name in COMPARISONS for operands in OPERANDS
                    if operands != "scalar first" or name in ("eq", "ne", "lt", "le")]


@pytest.mark.parametrize("name, operands", COMPARISON_CASES)
def test_comparison_matches_torch(name, operands):
    values, dtypes = OPERANDS[operands]
    assert_same(*both(COMPARISONS[name], *values, dtypes=dtypes))


def test_comparison_with_none_follows_the_operators():
    x = cr.tensor([1.0])
    assert (x == None) is False  # noqa: E711  (the operator, as PyTorch defines it)
    assert (x != None) is True  # noqa: E711


LOGICAL = {
    "and": lambda lib, a, b: lib.logical_and(a, b), "or": lambda lib, a, b: lib.logical_or(a, b),
    "xor": lambda lib, a, b: lib.logical_xor(a, b), "not": lambda lib, a, b: lib.logical_not(a),
    "method": lambda lib, a, b: a.logical_and(b),
}


@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("int64", "float64"), ("bool", "int32"),
                                    ("uint8", "bool")], ids=str)
@pytest.mark.parametrize("name", list(LOGICAL))
def test_logical_ops_treat_nonzero_as_true(name, dtypes):
    a = np.array([[0, 1, 2, 0], [3, 0, 0, 1]])
    b = np.array([0, 0, 5, 1])
    assert_same(*both(LOGICAL[name], a, b, dtypes=list(dtypes)))


BITWISE = {
    "&": lambda lib, a, b: a & b, "|": lambda lib, a, b: a | b, "^": lambda lib, a, b: a ^ b,
    "~": lambda lib, a, b: ~a, "and": lambda lib, a, b: lib.bitwise_and(a, b),
    "or": lambda lib, a, b: lib.bitwise_or(a, b), "xor": lambda lib, a, b: lib.bitwise_xor(a, b),
    "not": lambda lib, a, b: lib.bitwise_not(a),
}


@pytest.mark.parametrize("operands", [("int64", "int64"), ("int32", "int64"), ("uint8", "int8"),
                                      ("bool", "bool"), ("bool", "int64"), ("int64", 3),
                                      ("bool", True), ("int16", -2), ("bool", 3)], ids=str)
@pytest.mark.parametrize("name", list(BITWISE))
def test_bitwise_ops_match_torch(name, operands):
    a = np.array([[5, 0, 3], [1, 6, 2]]) if operands[0] != "bool" else np.array([[True, False, True]])
    if isinstance(operands[1], str):
        b = np.array([3, 1, 2]) if operands[1] != "bool" else np.array([True, True, False])
        assert_same(*both(BITWISE[name], a, b, dtypes=list(operands)))
    else:
        assert_same(*both(BITWISE[name], a, operands[1], dtypes=[operands[0], None]))


def test_number_first_bitwise_operators():
    for expression in ["3 & x", "1 | x", "True ^ x"]:
        ours = eval(expression, {"x": cr.tensor([5, 2, 0])})
        theirs = eval(expression, {"x": torch.tensor([5, 2, 0])})
        assert_same(ours, theirs)


SPECIAL = [1.0, -0.0, math.inf, -math.inf, math.nan, -2.5]


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "uint8", "bool"])
def test_value_tests(name, dtype):
    values = SPECIAL if dtype.startswith("float") else [1, 0, 3]
    assert_same(*both(lambda lib, a: getattr(lib, name)(a), values, dtypes=[dtype]))
    assert_same(*both(lambda lib, a: getattr(a, name)(), np.array(values)[:1].reshape(()), dtypes=[dtype]))


@pytest.mark.parametrize("options", [{}, dict(rtol=0.1), dict(atol=0.5), dict(equal_nan=True),
                                     dict(rtol=0, atol=0)], ids=str)
def test_isclose_and_allclose(options):
    a = np.array([[1.0, 1.05, math.nan, math.inf, -math.inf, 1e-9], [2.0, 0.0, 0.0, 1.0, 3.0, 0.0]])
    b = np.array([1.0, 1.0, math.nan, math.inf, math.inf, 0.0])
    assert_same(*both(lambda lib, x, y: lib.isclose(x, y, **options), a, b))
    assert_same(*both(lambda lib, x, y: x.isclose(y, **options), a, b))
    for pair in ((a, b), (a[:, :2], b[:2]), (b[:1], b[:1])):
        assert_same(*both(lambda lib, x, y: lib.allclose(x, y, **options), *pair))
    assert_same(*both(lambda lib, x, y: lib.isclose(x, y), [1, 2, 3], [1, 3, 3]))


def test_equal():
    cases = [([1.0, 2.0], [1.0, 2.0], None), ([1.0, 2.0], [1, 2], ["float32", "int64"]),
             ([1.0], [1.0, 1.0], None), ([[1.0, 2.0]], [1.0, 2.0], None), ([math.nan], [math.nan], None),
             ([1.0, 2.0], [1.0, 2.5], None)]
    for a, b, dtypes in cases:
        assert_same(*both(lambda lib, x, y: lib.equal(x, y), a, b, dtypes=dtypes))
        assert_same(*both(lambda lib, x, y: x.equal(y), a, b, dtypes=dtypes))


TRUTH_INPUTS = {
    "float": (np.array([[0.0, 1.5, 0.0], [0.0, 0.0, 0.0]]), "float32"),
    "bool": (np.array([[True, True], [False, True]]), "bool"),
    "int": (np.array([[1, 2, 0], [3, 4, 5]]), "int64"),
    "uint8": (np.array([[1, 2, 0], [3, 4, 5]]), "uint8"),
    "0-d": (np.array(2.0), "float64"),
    "empty": (np.zeros((0, 3)), "float32"),
    "nan": (np.array([math.nan, 0.0]), "float32"),
}


def _valid(name, data, dim):
    ndim = TRUTH_INPUTS[data][0].ndim
    if name == "count_nonzero" and dim in ((), "keepdim"):
        return False  # count_nonzero has no keepdim
    return not (isinstance(dim, tuple) and len(dim) > max(ndim, 1))


TRUTH_CASES = [(name, data, dim) for name in ["any", "all", "count_nonzero"] for data in TRUTH_INPUTS
               for dim in [None, 0, -1, (0, 1), (), "keepdim"] if _valid(name, data, dim)]


@pytest.mark.parametrize("name, data, dim", TRUTH_CASES, ids=str)
def test_truth_reductions(name, data, dim):
    values, dtype = TRUTH_INPUTS[data]
    if dim == "keepdim":
        def fn(lib, a):
            return getattr(lib, name)(a, dim=0, keepdim=True)
    elif dim is None:
        def fn(lib, a):
            return getattr(a, name)()
    else:
        def fn(lib, a):
            return getattr(lib, name)(a, dim=dim)
    assert_same(*both(fn, values, dtypes=[dtype]))


@pytest.mark.parametrize("values", [[[0.0, 1.5], [2.0, 0.0]], [0.0, 0.0], [], 3.0, 0.0, [[[True]]]],
                         ids=str)
def test_nonzero(values):
    assert_same(*both(lambda lib, a: lib.nonzero(a), np.array(values)))
    assert_same(*both(lambda lib, a: a.nonzero(as_tuple=True), np.array(values)))


# ---------------------------------------------------------------- errors

X, I = cr.tensor([1.0, 2.0]), cr.tensor([1, 2])


@pytest.mark.parametrize("call, error, words", [
    (lambda: X & X, NotImplementedError, "bitwise_and is only supported for integer and bool tensors"),
    (lambda: I | 2.5, NotImplementedError, "bitwise_or is only supported for integer and bool"),
    (lambda: ~X, TypeError, r"~ \(operator.invert\) is only implemented on integer and Boolean-type tensors.*logical_not"),
    (lambda: cr.bitwise_not(X), NotImplementedError, r"bitwise_not \(~\) is only supported.*logical_not"),
    (lambda: cr.isclose(X, X.double()), RuntimeError, "chainrule.float32 did not match chainrule.float64"),
    (lambda: cr.allclose(X, I), RuntimeError, "did not match"),
    (lambda: cr.isclose(X, 1.0), TypeError, r"isclose\(\): both arguments must be Tensors"),
    (lambda: cr.any(X, dim=1), IndexError, "Dimension out of range"),
    (lambda: cr.all(X, dim=(0, 2)), IndexError, "Dimension out of range"),
    (lambda: cr.count_nonzero(X, dim=-2), IndexError, "Dimension out of range"),
    (lambda: X < "a", TypeError, "unsupported operand of type str"),
])
def test_compare_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()
