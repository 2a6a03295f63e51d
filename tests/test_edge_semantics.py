"""Edge semantics found by differential fuzzing, each class of cases against PyTorch 2.13.

One test per finding: in-place changes of saved results, infinite upstream gradients,
gradients at NaN inputs, result dtypes, false in-place errors, fresh (values, indices)
results and second derivatives, and the inputs PyTorch refuses. Every case runs the
same lambda in chainrule and in PyTorch and compares values, dtypes, gradients or the
error type and the words of its message.
"""
import math

import numpy as np
import pytest
import torch

import chainrule as cr

INF, NAN = math.inf, math.nan
INPLACE_WORDS = "modified by an inplace operation"


def F(lib):
    return lib.nn.functional


def dtype_of(lib, name):
    return getattr(lib, name)


def as_numpy(t):
    if isinstance(t, torch.Tensor):
        return t.detach().clone().numpy()
    return t.detach().numpy()


def same_values(ours, theirs, rtol=1e-6, atol=1e-12):
    ours, theirs = as_numpy(ours), as_numpy(theirs)
    assert ours.shape == theirs.shape
    assert str(ours.dtype) == str(theirs.dtype), f"dtype {ours.dtype} != torch {theirs.dtype}"
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True)


def outcome(run):
    """``run()``'s result, or ``(error type, message)`` if it raised."""
    try:
        return run()
    except Exception as err:  # noqa: BLE001 - the error itself is the result compared
        return type(err), str(err)


def same_outcome(ours, theirs, words=None):
    """Both raised the same error type (with ``words`` in ours), or both gave equal tensors."""
    if isinstance(theirs, tuple) and isinstance(theirs[0], type):
        assert isinstance(ours, tuple) and isinstance(ours[0], type), \
            f"PyTorch raises {theirs[0].__name__}: {theirs[1][:80]}; chainrule returned {ours}"
        assert issubclass(ours[0], theirs[0]), f"{ours[0].__name__} is not a {theirs[0].__name__}"
        if words:
            assert words in ours[1], f"{words!r} not in {ours[1]!r}"
        return
    assert not (isinstance(ours, tuple) and isinstance(ours[0], type)), f"chainrule raised {ours}"
    same_values(ours, theirs)


# ---------------------------------------------------------------- (4) changed saved results

SAVED_RESULTS = {  # name: op on a 1-D float64 tensor (the reduced or elementwise result)
    "amax": lambda lib, x: x.amax(),
    "amin": lambda lib, x: x.amin(),
    "max": lambda lib, x: x.max(),
    "min": lambda lib, x: x.min(),
    "median": lambda lib, x: x.median(),
    "amax_dim": lambda lib, x: x.amax(0),
    "amax_keepdim": lambda lib, x: x.amax(0, keepdim=True),
    "aminmax": lambda lib, x: lib.aminmax(x).max,
    "norm_inf": lambda lib, x: x.norm(INF),
    "norm_2": lambda lib, x: x.norm(),
    "norm_3": lambda lib, x: x.norm(3),
    "prod": lambda lib, x: x.prod(),
    "cumprod": lambda lib, x: x.cumprod(0),
    "std": lambda lib, x: x.std(),
    "logsumexp": lambda lib, x: x.logsumexp(0),
    "softmax": lambda lib, x: x.softmax(0),
    "log_softmax": lambda lib, x: x.log_softmax(0),
    "exp": lambda lib, x: x.exp(),
    "expm1": lambda lib, x: x.expm1(),
    "sqrt": lambda lib, x: x.sqrt(),
    "rsqrt": lambda lib, x: x.rsqrt(),
    "reciprocal": lambda lib, x: x.reciprocal(),
    "tan": lambda lib, x: x.tan(),
    "tanh": lambda lib, x: x.tanh(),
    "sigmoid": lambda lib, x: x.sigmoid(),
    "relu": lambda lib, x: x.relu(),
    "elu": lambda lib, x: F(lib).elu(x),
    "pow_scalar": lambda lib, x: x ** 2,
    "max_dim_values": lambda lib, x: x.max(0).values,
    "median_dim_values": lambda lib, x: x.median(0).values,
    "mode_values": lambda lib, x: x.mode().values,
    "kthvalue_values": lambda lib, x: x.kthvalue(2).values,
    "sort_values": lambda lib, x: x.sort().values,
    "topk_values": lambda lib, x: x.topk(2).values,
}


def _backward_after_inplace(lib, op, change):
    x = lib.tensor([1.0, 3.0, 2.0, 3.0, 0.5], dtype=lib.float64, requires_grad=True)
    y = op(lib, x * 1)
    getattr(y, change)(2)
    y.sum().backward()
    return x.grad


@pytest.mark.parametrize("change", ["add_", "mul_"])
@pytest.mark.parametrize("name", sorted(SAVED_RESULTS))
def test_result_changed_in_place_after_the_op(name, change):
    """y = x.amax(); y.add_(1); y.backward(): PyTorch's error where it saves the result, and the
    right gradient where it does not (never the NaN gradient of a stale saved copy)."""
    op = SAVED_RESULTS[name]
    same_outcome(outcome(lambda: _backward_after_inplace(cr, op, change)),
                 outcome(lambda: _backward_after_inplace(torch, op, change)), INPLACE_WORDS)


# ---------------------------------------------------------------- (6) infinite upstream gradients

def _gate_ops():
    zeros = lambda lib, x: lib.zeros(x.shape, dtype=x.dtype)  # noqa: E731
    return {
        "relu": lambda lib, x: x.relu(),
        "clamp": lambda lib, x: x.clamp(-0.5, 0.5),
        "clamp_min": lambda lib, x: x.clamp(min=0),
        "clamp_max": lambda lib, x: x.clamp(max=0),
        "clamp_min_fn": lambda lib, x: lib.clamp_min(x, 0.0),
        "clamp_tensor": lambda lib, x: x.clamp(zeros(lib, x), zeros(lib, x) + 0.5),
        "maximum": lambda lib, x: lib.maximum(x, zeros(lib, x)),
        "minimum": lambda lib, x: lib.minimum(zeros(lib, x), x),
        "max": lambda lib, x: x.max(),
        "min": lambda lib, x: x.min(),
        "median": lambda lib, x: x.median(),
        "amax": lambda lib, x: x.amax(0),
        "amin": lambda lib, x: x.amin(0),
        "norm_inf": lambda lib, x: x.norm(INF),
        "max_dim": lambda lib, x: x.max(0).values,
        "kthvalue": lambda lib, x: x.kthvalue(2).values,
        "hardtanh": lambda lib, x: F(lib).hardtanh(x),
        "relu6": lambda lib, x: F(lib).relu6(x * 8),
        "leaky_relu": lambda lib, x: F(lib).leaky_relu(x),
        "leaky_relu_0": lambda lib, x: F(lib).leaky_relu(x, 0.0),
        "elu": lambda lib, x: F(lib).elu(x),
        "softplus": lambda lib, x: F(lib).softplus(x, 1.0, 0.5),
        "hardsigmoid": lambda lib, x: F(lib).hardsigmoid(x * 4),
        "hardswish": lambda lib, x: F(lib).hardswish(x * 4),
        "mish": lambda lib, x: F(lib).mish(x),
        "abs": lambda lib, x: x.abs(),
        "where": lambda lib, x: lib.where(x > 0, x, 0.0),
        "tril": lambda lib, x: x.reshape(2, 2).tril(),
    }


def _grad_for_upstream(lib, op, upstream):
    x = lib.tensor([-1.0, 0.0, 0.7, 2.0], dtype=lib.float64, requires_grad=True)
    y = op(lib, x)
    y.backward(lib.full(tuple(y.shape), upstream, dtype=lib.float64))
    return x.grad


@pytest.mark.parametrize("upstream", [INF, -INF])
@pytest.mark.parametrize("name", sorted(_gate_ops()))
def test_infinite_upstream_gradient(name, upstream):
    """Blocked positions get 0 where PyTorch selects (relu, clamp, max()...), nan where it
    multiplies (amax, abs at 0, leaky_relu with slope 0)."""
    op = _gate_ops()[name]
    with np.errstate(invalid="ignore"):
        same_values(_grad_for_upstream(cr, op, upstream), _grad_for_upstream(torch, op, upstream))


@pytest.mark.parametrize("clamp_first", [True, False])
def test_clamped_sqrt_gradient(clamp_first):
    """The reported example: sqrt after relu / clamp(min=0); 0 (not nan) below the kink."""
    def run(lib):
        x = lib.tensor([-1.0, 0.0, 1.0], requires_grad=True)
        (x.clamp(min=0) if clamp_first else x.relu()).sqrt().sum().backward()
        return x.grad
    with np.errstate(divide="ignore"):
        same_values(run(cr), run(torch))


@pytest.mark.parametrize("name", ["relu", "hardtanh", "clamp", "maximum", "elu", "hardswish", "mish"])
def test_selected_gradients_stay_differentiable(name):
    """Selecting with where keeps the backward differentiable: second derivatives by finite
    differences, away from the kinks."""
    op = _gate_ops()[name]
    x = cr.tensor([-1.3, -0.2, 0.3, 0.45, 2.1], dtype=cr.float64, requires_grad=True)
    assert cr.autograd.gradgradcheck(lambda t: op(cr, t), [x])


# ---------------------------------------------------------------- (7) gradients at NaN inputs

NAN_OPS = {
    "abs": lambda lib, x: x.abs(),
    "relu": lambda lib, x: x.relu(),
    "hardtanh": lambda lib, x: F(lib).hardtanh(x),
    "relu6": lambda lib, x: F(lib).relu6(x),
    "leaky_relu": lambda lib, x: F(lib).leaky_relu(x),
    "elu": lambda lib, x: F(lib).elu(x),
    "hardsigmoid": lambda lib, x: F(lib).hardsigmoid(x),
    "hardswish": lambda lib, x: F(lib).hardswish(x * 3),
    "clamp": lambda lib, x: x.clamp(-0.5, 0.5),
    "maximum_left": lambda lib, x: lib.maximum(x, lib.zeros_like(x)),
    "maximum_right": lambda lib, x: lib.maximum(lib.zeros_like(x), x),
    "minimum_left": lambda lib, x: lib.minimum(x, lib.zeros_like(x)),
    "minimum_right": lambda lib, x: lib.minimum(lib.zeros_like(x), x),
    "norm_1": lambda lib, x: x.norm(p=1),
    "norm_inf": lambda lib, x: x.norm(p=INF),
    "norm_minus_inf": lambda lib, x: x.norm(p=-INF),
    "max": lambda lib, x: x.max(),
    "amax": lambda lib, x: x.amax(),
    "median": lambda lib, x: x.median(),
}
NAN_INPUTS = [[NAN, 0.0, 0.7, -2.0], [NAN, NAN, 0.0, 1.0], [NAN, 1.0, 1.0, 1.0]]


def _grad_at(lib, op, values, dtype):
    x = lib.tensor(values, dtype=dtype_of(lib, dtype), requires_grad=True)
    y = op(lib, x)
    y.backward(lib.ones_like(y))
    return x.grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("values", NAN_INPUTS)
@pytest.mark.parametrize("name", sorted(NAN_OPS))
def test_gradient_at_nan_inputs(name, values, dtype):
    op = NAN_OPS[name]
    same_values(_grad_at(cr, op, values, dtype), _grad_at(torch, op, values, dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("values", [[1.0, 2.0, 3.0, 4.0], [NAN, 1.0, 2.0, 3.0], [1.0, 1.0, 1.0, 5.0],
                                    [2.0, 2.0, 2.0, 2.0]])
@pytest.mark.parametrize("dim", [None, 0, (0, 1)])
@pytest.mark.parametrize("correction", [4, 5])
@pytest.mark.parametrize("op", ["var", "std"])
def test_variance_gradient_without_degrees_of_freedom(op, correction, dim, values, dtype):
    """correction >= N: PyTorch's inf / nan / negative-divisor gradients, with and without dim."""
    def run(lib):
        x = lib.tensor(values, dtype=dtype_of(lib, dtype)).reshape(1, 4).requires_grad_()
        kwargs = {"correction": correction} if dim is None else {"dim": dim, "correction": correction}
        getattr(x, op)(**kwargs).sum().backward()
        return x.grad
    with np.errstate(all="ignore"), pytest.warns(UserWarning):
        ours = run(cr)
    with pytest.warns(UserWarning):
        theirs = run(torch)
    same_values(ours, theirs, rtol=1e-5)


# ---------------------------------------------------------------- (8) result dtypes

DTYPE_CASES = {
    "add_alpha_int_float": lambda lib: lib.add(lib.tensor([1, 2]), 1.5, alpha=2),
    "sub_alpha_int_float": lambda lib: lib.sub(lib.tensor([1, 2]), 1.5, alpha=2),
    "add_alpha_bool": lambda lib: lib.add(lib.tensor([True, False]), True, alpha=2),
    "add_alpha_int8_wraps": lambda lib: lib.add(lib.tensor([1], dtype=lib.int8), 1000, alpha=2),
    "add_alpha_scaled_in_result_dtype": lambda lib: lib.add(
        lib.tensor([1.0]), lib.tensor([2 ** 31 - 1], dtype=lib.int32), alpha=2),
    "sub_alpha_float64_0d": lambda lib: lib.sub(lib.tensor(1.0, dtype=lib.float64), lib.tensor([-5]), alpha=0.5),
    "addcmul_half_int_value": lambda lib: lib.addcmul(
        lib.tensor([1.0, 2.0], dtype=lib.float16), lib.tensor([1, 2]), lib.tensor([3, 4]), value=0.5),
    "addcmul_int_value_float": lambda lib: lib.addcmul(
        lib.tensor([1, 2], dtype=lib.int32), lib.tensor([1, 2], dtype=lib.int32),
        lib.tensor([3, 4], dtype=lib.int32), value=2.5),
    "addcdiv_half_int": lambda lib: lib.addcdiv(
        lib.tensor([1.0, 2.0], dtype=lib.float16), lib.tensor([1, 2]),
        lib.tensor([3.0, 4.0], dtype=lib.float16), value=2),
    "cumsum_dtype_int32": lambda lib: lib.tensor([1, 2, 3]).cumsum(0, dtype=lib.int32),
    "cumsum_dtype_float": lambda lib: lib.tensor([1, 2, 3]).cumsum(0, dtype=lib.float32),
    "cumsum_0d_int8_dtype": lambda lib: lib.tensor(3).cumsum(0, dtype=lib.int8),
    "cumprod_dtype_int16": lambda lib: lib.tensor([1, 2, 3]).cumprod(0, dtype=lib.int16),
    "prod_dtype_int8": lambda lib: lib.tensor([1, 2, 3]).prod(dtype=lib.int8),
    "prod_dim_dtype_int16": lambda lib: lib.tensor([[1, 2, 3]]).prod(1, dtype=lib.int16),
    "sum_dtype_int8": lambda lib: lib.tensor([100, 100, 3]).sum(dtype=lib.int8),
    "mean_dtype_float64": lambda lib: lib.tensor([1, 2, 3]).mean(dtype=lib.float64),
    "einsum_bool_sum": lambda lib: lib.einsum("i->", lib.tensor([True, True, False])),
    "einsum_bool_rows": lambda lib: lib.einsum("ij->i", lib.tensor([[True, True], [False, True]])),
    "einsum_bool_trace": lambda lib: lib.einsum("ii->", lib.tensor([[True, True], [False, True]])),
    "einsum_bool_diagonal": lambda lib: lib.einsum("ii->i", lib.tensor([[True, True], [False, True]])),
    "einsum_bool_product": lambda lib: lib.einsum("i,j->ij", lib.tensor([True, False]), lib.tensor([True, True])),
    "einsum_bool_outer_sum": lambda lib: lib.einsum("i,j->i", lib.tensor([True, False]), lib.tensor([True, True])),
    "einsum_uint8_sum": lambda lib: lib.einsum("i->", lib.tensor([200, 100], dtype=lib.uint8)),
    "einsum_int8_matmul_wraps": lambda lib: lib.einsum(
        "ij,jk->ik", lib.tensor([[100, 100]], dtype=lib.int8), lib.tensor([[1], [1]], dtype=lib.int8)),
    "einsum_int8_private_then_product": lambda lib: lib.einsum(
        "ij,j->j", lib.ones((2, 3), dtype=lib.int8), lib.ones(3, dtype=lib.int8)),
    "einsum_float_int_product": lambda lib: lib.einsum("a,a->a", lib.tensor([1.5, 2.0]), lib.tensor([1, 2])),
    "einsum_float_int_sums": lambda lib: lib.einsum("a,b->", lib.tensor([1.5, 2.0]), lib.tensor([1, 2])),
    "einsum_size_one_letter": lambda lib: lib.einsum("a,a->", lib.tensor([1.5]), lib.tensor([2])),
    "sort_0d_bool": lambda lib: lib.tensor(True).sort().values,
    "kthvalue_0d_bool": lambda lib: lib.tensor(True).kthvalue(1).values,
    "msort_0d_bool": lambda lib: lib.msort(lib.tensor(True)),
    "max_dim_0d_bool": lambda lib: lib.tensor(True).max(0).values,
    "mode_0d_bool": lambda lib: lib.tensor(True).mode().values,
}


@pytest.mark.parametrize("name", sorted(DTYPE_CASES))
def test_result_dtype(name):
    same_values(DTYPE_CASES[name](cr), DTYPE_CASES[name](torch))


@pytest.mark.parametrize("equation, shapes", [("ij,j->i", [(2, 3), (3,)]), ("i,i->", [(3,), (3,)]),
                                              ("ii,i->", [(2, 2), (2,)])])
def test_einsum_bool_contraction_is_refused(equation, shapes):
    def run(lib):
        return lib.einsum(equation, *[lib.ones(s, dtype=lib.bool) for s in shapes])
    same_outcome(outcome(lambda: run(cr)), outcome(lambda: run(torch)), "bool")


# ---------------------------------------------------------------- (9) no false in-place errors

def _make(lib, grads):
    """Non-leaf float64 a (2, 2) and b (2, 2); ``grads`` says which of them require grad."""
    leaves = [lib.tensor([[1.5, -2.0], [0.5, 3.0]], dtype=lib.float64, requires_grad=g) for g in grads]
    return [t * 1 if t.requires_grad else t for t in leaves], leaves


CHANGED_OPERANDS = {  # name: (op, which operands require grad, which is changed in place)
    "pow_scalar_result": (lambda lib, a, b: a ** 2, (True, False), "result"),
    "pow_scalar_base": (lambda lib, a, b: a ** 2, (True, False), 0),
    "pow_tensor_result_exponent_const": (lambda lib, a, b: a ** b, (True, False), "result"),
    "pow_tensor_result_exponent_grad": (lambda lib, a, b: a ** b, (True, True), "result"),
    "mul_other_needs_no_grad": (lambda lib, a, b: a * b, (True, False), 0),
    "mul_both_need_grad": (lambda lib, a, b: a * b, (True, True), 0),
    "mul_by_number": (lambda lib, a, b: a * 3, (True, False), 0),
    "div_numerator": (lambda lib, a, b: a / b, (True, False), 0),
    "div_denominator_needs_grad": (lambda lib, a, b: a / b, (True, True), 0),
    "matmul_left": (lambda lib, a, b: a @ b, (True, False), 0),
    "matmul_right": (lambda lib, a, b: b @ a, (True, False), 0),
    "matmul_both": (lambda lib, a, b: a @ b, (True, True), 0),
    "einsum": (lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), (True, False), 0),
    "remainder_dividend": (lambda lib, a, b: a % b, (True, False), 0),
    "remainder_by_number": (lambda lib, a, b: a % 0.7, (True, False), 0),
    "fmod_dividend": (lambda lib, a, b: lib.fmod(a, b), (True, False), 0),
    "remainder_divisor_needs_grad": (lambda lib, a, b: a % b, (True, True), 0),
    "where": (lambda lib, a, b: lib.where(b > 0, a, b), (True, False), 0),
}


def _backward_after_change(lib, op, grads, changed):
    (a, b), leaves = _make(lib, grads)
    y = op(lib, a, b)
    if changed == "result":
        y.add_(1)
    else:
        (a, b)[changed].add_(1)
    y.sum().backward()
    return [t.grad for t in leaves if t.requires_grad]


@pytest.mark.parametrize("name", sorted(CHANGED_OPERANDS))
def test_change_in_place_of_what_backward_does_not_read(name):
    """PyTorch saves (and checks) only what a needed gradient reads: x ** 2 saves x alone, a * b
    with only a requiring grad saves b alone, ..."""
    op, grads, changed = CHANGED_OPERANDS[name]
    ours = outcome(lambda: _backward_after_change(cr, op, grads, changed))
    theirs = outcome(lambda: _backward_after_change(torch, op, grads, changed))
    if isinstance(theirs, list):
        assert isinstance(ours, list), f"chainrule raised {ours}"
        for o, t in zip(ours, theirs):
            same_values(o, t)
    else:
        same_outcome(ours, theirs, INPLACE_WORDS)


# ---------------------------------------------------------------- (10) fresh results, empty division, create_graph

@pytest.mark.parametrize("op", ["floor_divide", "remainder", "fmod", "div_trunc"])
@pytest.mark.parametrize("empty", [True, False])
def test_integer_division_by_zero(op, empty):
    """Empty results come back empty; a non-empty one raises ZeroDivisionError (a RuntimeError)."""
    def run(lib):
        a = lib.tensor([], dtype=lib.int64) if empty else lib.tensor([3, 4])
        fns = {"floor_divide": lambda: a // 0, "remainder": lambda: a % 0,
               "fmod": lambda: lib.fmod(a, 0), "div_trunc": lambda: lib.div(a, 0, rounding_mode="trunc")}
        return fns[op]()
    same_outcome(outcome(lambda: run(cr)), outcome(lambda: run(torch)), "ZeroDivisionError")


def test_integer_division_by_zero_tensor_with_empty_broadcast():
    def run(lib):
        return lib.tensor([[3]])[:0] % lib.tensor([0])
    same_values(run(cr), run(torch))


VALUE_RESULTS = {
    "max_dim": lambda x: x.max(0),
    "min_dim_keepdim": lambda x: x.min(0, keepdim=True),
    "median_dim": lambda x: x.median(0),
    "mode": lambda x: x.mode(0),
    "kthvalue": lambda x: x.kthvalue(2, 0),
    "sort": lambda x: x.sort(0),
    "topk": lambda x: x.topk(2, 0),
}


def _fresh_values(lib, op):
    leaf = lib.tensor([[1.0, 4.0], [3.0, 2.0], [0.5, 5.0]], dtype=lib.float64, requires_grad=True)
    x = leaf * 1
    values = op(x).values
    x.add_(1)                     # the input changes: values keep their own version counter
    versions = [values._version]
    values.mul_(3)                # and changing values leaves the input's version alone
    versions.append(x._version)
    values.sum().backward()
    return versions, leaf.grad


@pytest.mark.parametrize("name", sorted(VALUE_RESULTS))
def test_values_are_fresh_tensors(name):
    ours_versions, ours_grad = _fresh_values(cr, VALUE_RESULTS[name])
    theirs_versions, theirs_grad = _fresh_values(torch, VALUE_RESULTS[name])
    assert ours_versions == theirs_versions
    same_values(ours_grad, theirs_grad)


SECOND_DERIVATIVES = {
    "relu": lambda lib, x: x.relu(),
    "abs": lambda lib, x: x.abs(),
    "hardtanh": lambda lib, x: F(lib).hardtanh(x),
    "relu6": lambda lib, x: F(lib).relu6(x),
    "leaky_relu": lambda lib, x: F(lib).leaky_relu(x),
    "elu": lambda lib, x: F(lib).elu(x),
    "hardswish": lambda lib, x: F(lib).hardswish(x),
    "mish": lambda lib, x: F(lib).mish(x),
    "norm_1": lambda lib, x: x.norm(p=1),
    "norm_inf": lambda lib, x: x.norm(p=INF),
    "tril": lambda lib, x: (x.reshape(2, 2).tril() * x.reshape(2, 2)),
    "triu": lambda lib, x: (x.reshape(2, 2).triu() * x.reshape(2, 2)),
    "sign": lambda lib, x: x.sign() * x,
    "clamp": lambda lib, x: x.clamp(-1, 1) * x,
    "max": lambda lib, x: x.max() * x,
}


def _second_derivative(lib, op):
    x = lib.tensor([-1.3, 0.4, 0.7, 2.0], dtype=lib.float64, requires_grad=True)
    (g,) = lib.autograd.grad(op(lib, x).sum(), x, create_graph=True)
    assert g.requires_grad
    (gg,) = lib.autograd.grad(g.sum(), x)
    return gg


@pytest.mark.parametrize("name", sorted(SECOND_DERIVATIVES))
def test_second_derivative_with_create_graph(name):
    """relu, abs, hardtanh, ...: with create_graph the gradient is connected to the input, so the
    second derivative is zeros (not None, not an error), as in PyTorch."""
    op = SECOND_DERIVATIVES[name]
    same_values(_second_derivative(cr, op), _second_derivative(torch, op))


# ---------------------------------------------------------------- (11) what PyTorch refuses

REFUSED = {  # name: (run(lib), words our message must hold)
    "topk_bool": (lambda lib: lib.tensor([True, False]).topk(1), "bool"),
    "topk_bool_0d": (lambda lib: lib.tensor(True).topk(1), "bool"),
    "topk_bool_empty": (lambda lib: lib.tensor([], dtype=lib.bool).topk(0), "bool"),
    "kthvalue_bool": (lambda lib: lib.tensor([True, False]).kthvalue(1), "bool"),
    "logical_and_int": (lambda lib: lib.logical_and(lib.tensor([True]), 1), "must be Tensor"),
    "logical_or_float": (lambda lib: lib.logical_or(lib.tensor([True]), 0.5), "must be Tensor"),
    "logical_xor_bool": (lambda lib: lib.logical_xor(lib.tensor([True]), True), "must be Tensor"),
    "logical_and_number_first": (lambda lib: lib.logical_and(1, lib.tensor([True])), "must be Tensor"),
    "logical_and_method": (lambda lib: lib.tensor([True]).logical_and(1), "must be Tensor"),
    "bool_and_float": (lambda lib: lib.tensor([True]) & 1.5, "bitwise_and"),
    "int_or_float": (lambda lib: lib.tensor([1, 2]) | 1.5, "bitwise_or"),
    "float_and_int_tensor": (lambda lib: 1.5 & lib.tensor([1, 2]), "bitwise_and"),
    "int64_plus_2_64": (lambda lib: lib.tensor([1]) + 2 ** 64, "too big"),
    "int64_plus_minus_2_63_minus_1": (lambda lib: lib.tensor([1]) + (-2 ** 63 - 1), "64 bits"),
    "float_times_2_64": (lambda lib: lib.tensor([1.0]) * 2 ** 64, "too big"),
    "int8_compare_2_64": (lambda lib: lib.tensor([1], dtype=lib.int8) < 2 ** 64, "too big"),
    "int8_pow_1000": (lambda lib: lib.tensor([1], dtype=lib.int8) ** 1000, "without overflow"),
    "uint8_pow_256": (lambda lib: lib.tensor([1], dtype=lib.uint8) ** 256, "without overflow"),
    "int8_clamp_max_1000": (lambda lib: lib.tensor([1], dtype=lib.int8).clamp(max=1000), "without overflow"),
    "int8_clamp_min_minus_129": (lambda lib: lib.tensor([1], dtype=lib.int8).clamp(min=-129), "without overflow"),
    "uint8_clamp_max_minus_256": (lambda lib: lib.tensor([2], dtype=lib.uint8).clamp(max=-256), "without overflow"),
    "half_clamp_70000": (lambda lib: lib.tensor([1.0], dtype=lib.float16).clamp(max=70000), "without overflow"),
    "int8_where_1000": (lambda lib: lib.where(lib.tensor([True]), lib.tensor([1], dtype=lib.int8), 1000),
                        "without overflow"),
    "int8_add_alpha_1000": (lambda lib: lib.add(lib.tensor([1], dtype=lib.int8), 1, alpha=1000), "without overflow"),
    "int8_sub_alpha_minus_128": (lambda lib: lib.sub(lib.tensor([1], dtype=lib.int8),
                                                     lib.tensor([1], dtype=lib.int8), alpha=-128),
                                 "without overflow"),
    "half_add_alpha_1e6": (lambda lib: lib.add(lib.tensor([1.0], dtype=lib.float16), 1.0, alpha=1e6), "without overflow"),
    "int8_addcmul_value_1000": (lambda lib: lib.addcmul(*[lib.tensor([1], dtype=lib.int8)] * 3, value=1000),
                                "without overflow"),
    "int8_hardtanh_1000": (lambda lib: F(lib).hardtanh(lib.tensor([1], dtype=lib.int8), -1000, 1000), "without overflow"),
    "einsum_mixed_dtype_contraction": (lambda lib: lib.einsum("a,a->", lib.tensor([1.5, 2.0]), lib.tensor([1, 2])),
                                       "same dtype"),
    "lerp_weight_1e40": (lambda lib: lib.lerp(lib.tensor([1.0]), lib.tensor([2.0]), 1e40), "without overflow"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_like_pytorch(name):
    run, words = REFUSED[name]
    theirs = outcome(lambda: run(torch))
    assert isinstance(theirs, tuple), "PyTorch accepts this case now; update the test"
    same_outcome(outcome(lambda: run(cr)), theirs, words)


ACCEPTED = {  # out-of-range Python ints that PyTorch wraps (operands) or accepts (in-range arguments)
    "uint8_plus_300": lambda lib: lib.tensor([1], dtype=lib.uint8) + 300,
    "uint8_minus_300": lambda lib: lib.tensor([1], dtype=lib.uint8) - 300,
    "int8_plus_1000": lambda lib: lib.tensor([1], dtype=lib.int8) + 1000,
    "int32_plus_2_40": lambda lib: lib.tensor([1], dtype=lib.int32) + 2 ** 40,
    "int64_plus_2_63": lambda lib: lib.tensor([1]) + 2 ** 63,
    "int64_plus_2_64_minus_1": lambda lib: lib.tensor([1]) + (2 ** 64 - 1),
    "int8_plus_2_63": lambda lib: lib.tensor([1], dtype=lib.int8) + 2 ** 63,
    "int8_div_1000": lambda lib: lib.tensor([1], dtype=lib.int8) / 1000,
    "int8_floor_divide_1000": lambda lib: lib.tensor([1], dtype=lib.int8) // 1000,
    "int8_remainder_1000": lambda lib: lib.tensor([1], dtype=lib.int8) % 1000,
    "1000_pow_int8": lambda lib: 1000 ** lib.tensor([1], dtype=lib.int8),
    "int8_pow_127": lambda lib: lib.tensor([1], dtype=lib.int8) ** 127,
    "uint8_clamp_min_minus_1": lambda lib: lib.tensor([1], dtype=lib.uint8).clamp(min=-1),
    "int8_add_alpha_127": lambda lib: lib.add(lib.tensor([1], dtype=lib.int8), 1, alpha=127),
    "uint8_sub_alpha_minus_1": lambda lib: lib.sub(lib.tensor([1], dtype=lib.uint8), 1, alpha=-1),
    "int8_sub_alpha_128": lambda lib: lib.sub(lib.tensor([1], dtype=lib.int8), 1, alpha=128),
    "int8_where_127": lambda lib: lib.where(lib.tensor([True]), lib.tensor([1], dtype=lib.int8), 127),
    "int8_addcmul_value_127": lambda lib: lib.addcmul(*[lib.tensor([1], dtype=lib.int8)] * 3, value=127),
    "half_addcmul_value_1e6": lambda lib: lib.addcmul(*[lib.tensor([1.0], dtype=lib.float16)] * 3, value=1e6),
    "bool_and_int": lambda lib: lib.tensor([True, False]) & 1,
    "int8_and_1000": lambda lib: lib.tensor([1], dtype=lib.int8) & 1000,
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_out_of_range_scalars_accepted_like_pytorch(name):
    with np.errstate(over="ignore"):
        same_values(ACCEPTED[name](cr), ACCEPTED[name](torch))


# ---------------------------------------------------------------- follow-ups of the same classes

@pytest.mark.parametrize("dtype", ["bool", "int8"])
@pytest.mark.parametrize("equation, shapes", [("a,a->", [(1,), (1,)]), ("ij,jk->ik", [(2, 1), (1, 2)]),
                                              ("ab,b->a", [(2, 3), (1,)]), ("ij->", [(1, 0)]),
                                              ("ij,jk->ik", [(2, 0), (0, 2)]), ("ij,ij->i", [(2, 1), (2, 1)])])
def test_einsum_integer_size_one_and_empty_letters(equation, shapes, dtype):
    """A letter held at size 1 only broadcasts: it is neither contracted nor summed into int64."""
    def run(lib):
        return lib.einsum(equation, *[lib.ones(s, dtype=dtype_of(lib, dtype)) for s in shapes])
    same_values(run(cr), run(torch))


SIGNED_ZEROS = {
    "clamp_min": lambda lib, x: x.clamp(0, None),
    "clamp_max": lambda lib, x: x.clamp(None, -0.0),
    "clamp_both": lambda lib, x: x.clamp(-0.0, 0.0),
    "clamp_tensor": lambda lib, x: x.clamp(lib.zeros_like(x), lib.zeros_like(x) - 0.0),
    "hardtanh": lambda lib, x: F(lib).hardtanh(x, 0.0, 1.0),
    "relu": lambda lib, x: x.relu(),
    "relu6": lambda lib, x: F(lib).relu6(x),
    "elu": lambda lib, x: F(lib).elu(x),
    "selu": lambda lib, x: F(lib).selu(x),
    "celu": lambda lib, x: F(lib).celu(x, 0.5),
    "where": lambda lib, x: lib.where(x > 0, x, -0.0),
    "maximum": lambda lib, x: lib.maximum(x, lib.zeros_like(x)),
    "maximum_swapped": lambda lib, x: lib.maximum(lib.zeros_like(x), x),
    "minimum": lambda lib, x: lib.minimum(x, lib.zeros_like(x)),
    "logsigmoid": lambda lib, x: F(lib).logsigmoid(x * 1e10),
}


@pytest.mark.parametrize("name", sorted(SIGNED_ZEROS))
def test_signed_zeros(name):
    def run(lib):
        return SIGNED_ZEROS[name](lib, lib.tensor([-0.0, 0.0, NAN, -1.0, 2.0]))
    ours, theirs = as_numpy(run(cr)), as_numpy(run(torch))
    same_values(run(cr), run(torch))
    assert np.array_equal(np.signbit(ours), np.signbit(theirs))


def test_where_method_takes_the_tensor_first():
    def run(lib):
        return lib.tensor([1.0, 2.0]).where(lib.tensor([True, False]), 0.0)
    same_values(run(cr), run(torch))


def test_hardsigmoid_gradient_and_no_second_derivative():
    """PyTorch scales by 1/6 rounded to float32 (in float64 too) and has no second derivative."""
    def first(lib):
        x = lib.tensor([1.0, -4.0, 3.0], dtype=lib.float64, requires_grad=True)
        F(lib).hardsigmoid(x).sum().backward()
        return x.grad
    np.testing.assert_array_equal(as_numpy(first(cr)), as_numpy(first(torch)))

    def second(lib):
        x = lib.tensor([1.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(F(lib).hardsigmoid(x).sum(), x, create_graph=True)
        return lib.autograd.grad(g.sum(), x)[0]
    same_outcome(outcome(lambda: second(cr)), outcome(lambda: second(torch)), "not implemented")


@pytest.mark.parametrize("op", ["sum", "prod", "cumsum", "cumprod"])
def test_integer_dtype_of_a_tensor_that_requires_grad(op):
    def run(lib):
        x = lib.ones(3, requires_grad=True)
        return getattr(x, op)(0, dtype=lib.int64) if op.startswith("cum") else getattr(x, op)(dtype=lib.int64)
    same_outcome(outcome(lambda: run(cr)), outcome(lambda: run(torch)), "Autograd not support dtype")
