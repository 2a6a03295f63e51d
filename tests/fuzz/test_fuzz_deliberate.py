"""Findings of the op fuzzer that are deliberate differences (docs/differences-from-pytorch.md).

Each test checks chainrule's documented result against a value worked out by hand, and that
PyTorch still differs, so the documentation stays true in both directions.
"""
import math

import chainrule
import numpy as np
import pytest
import torch

from .same import difference

inf = float("inf")
nan = float("nan")


def assert_deliberate(run, ours):
    """``run(chainrule)`` gives ``ours`` (a list), and PyTorch's outcome differs from it."""
    assert run(chainrule).tolist() == ours
    assert difference(run) is not None, "PyTorch now agrees: drop the difference from the docs"


@pytest.mark.parametrize("name", ["clamp", "clip"])
def test_clamp_with_a_tensor_min_and_a_number_max(name):
    def run(lib):
        return getattr(lib, name)(lib.tensor([1.0, 3.0]), min=lib.tensor([2.0, 2.0]), max=2.5)
    assert_deliberate(run, [2.0, 2.5])


def test_the_gradient_of_a_number_remainder_a_tensor():
    def run(lib):
        x = lib.tensor([1.5], requires_grad=True)
        (2 % x).sum().backward()
        return x.grad
    assert_deliberate(run, [-1.0])  # d/dx (2 - floor(2 / x) * x) = -floor(2 / 1.5)


def test_the_gradient_of_var_with_an_empty_tuple_of_dims():
    def run(lib):
        x = lib.tensor([-4.0, 1.0], requires_grad=True)
        lib.var(x, dim=(), correction=0).backward()
        return x.grad
    assert_deliberate(run, [-2.5, 2.5])  # 2 (x - mean) / n, mean -1.5


@pytest.mark.parametrize("name", ["scatter_add", "scatter_reduce"])
def test_the_gradient_of_scatter_add_with_a_larger_src(name):
    def run(lib):
        x = lib.tensor([1.0, 1.0], requires_grad=True)
        if name == "scatter_add":
            y = lib.scatter_add(x, 0, lib.tensor([0]), x)  # y = [2 x0, x1]
        else:
            y = lib.scatter_reduce(x, 0, lib.tensor([0]), x, "sum", include_self=False)  # y = x
        y.sum().backward()
        return x.grad
    assert_deliberate(run, [2.0, 1.0] if name == "scatter_add" else [1.0, 1.0])


@pytest.mark.parametrize("name", ["scatter_reduce", "index_reduce"])
def test_the_gradient_of_an_amax_reduction_without_self(name):
    def run(lib):
        x = lib.tensor([1.0], requires_grad=True)
        y = getattr(lib, name)(x, 0, lib.tensor([0]), x, "amax", include_self=False)  # y = src = x
        y.sum().backward()
        return x.grad
    assert_deliberate(run, [1.0])


def test_the_gradient_of_atan2_with_a_uint8_argument():
    def run(lib):
        x = lib.tensor([1.0], requires_grad=True)
        lib.atan2(x, lib.tensor([255], dtype=lib.uint8)).sum().backward()
        return x.grad
    assert run(chainrule).item() == pytest.approx(255 / (1 + 255 ** 2))  # PyTorch squares 255 in uint8
    assert difference(run) is not None


def test_the_gradient_of_kron_after_its_integer_input_changes():
    def run(lib):
        a = lib.tensor([-5], dtype=lib.int32)
        x = lib.tensor([1.0], requires_grad=True)
        y = lib.kron(x, a)
        a[0] = 2  # PyTorch's backward reads this later value
        y.sum().backward()
        return x.grad
    assert_deliberate(run, [-5.0])


def test_results_with_no_derivative_do_not_require_grad():
    x = chainrule.tensor([1.0, 1.0], requires_grad=True)
    assert not chainrule.unique(x).requires_grad
    assert not chainrule.median(x[:0]).requires_grad
    assert difference(lambda lib: lib.unique(lib.tensor([1.0, 1.0], requires_grad=True))) is not None


OVERLAPPING_WRITES = {    # x = [1, 2]; each write reads x as it was before the write
    "scatter_": (lambda lib, x: x.scatter_(0, lib.tensor([1]), x), [1.0, 1.0]),
    "scatter_add_": (lambda lib, x: x.scatter_add_(0, lib.tensor([1, 0]), x), [3.0, 3.0]),
    "scatter_reduce_": (lambda lib, x: x.scatter_reduce_(0, lib.tensor([1, 0]), x, "sum", include_self=False),
                        [2.0, 1.0]),
    "index_copy_": (lambda lib, x: x.index_copy_(0, lib.tensor([1, 0]), x), [2.0, 1.0]),
    "index_add_": (lambda lib, x: x.index_add_(0, lib.tensor([1, 0]), x), [3.0, 3.0]),
    "index_reduce_": (lambda lib, x: x.index_reduce_(0, lib.tensor([1, 0]), x, "prod", include_self=False),
                      [2.0, 1.0]),
    "index_put_": (lambda lib, x: x.index_put_((lib.tensor([1, 0]),), x), [2.0, 1.0]),
    "setitem": (lambda lib, x: x.__setitem__(lib.tensor([1, 0]), x), [2.0, 1.0]),
}


@pytest.mark.parametrize("write, ours", OVERLAPPING_WRITES.values(), ids=OVERLAPPING_WRITES.keys())
def test_a_write_whose_source_overlaps_its_target(write, ours):
    def run(lib):
        x = lib.tensor([1.0, 2.0])
        write(lib, x)
        return x
    assert_deliberate(run, ours)


PYTHON_INTS_OUT_OF_RANGE = {
    "mul_": lambda lib: lib.tensor([1, 2], dtype=lib.uint8).mul_(-1),
    "sub_": lambda lib: lib.tensor([1, 2], dtype=lib.uint8).sub_(2 ** 31),
    "add_": lambda lib: lib.tensor([1], dtype=lib.int32).add_(2 ** 32 + 1),
    "*=": lambda lib: lib.tensor([1, 2], dtype=lib.uint8).__imul__(-1),
}


@pytest.mark.parametrize("call", PYTHON_INTS_OUT_OF_RANGE.values(), ids=PYTHON_INTS_OUT_OF_RANGE.keys())
def test_an_integer_op_with_a_python_int_out_of_range(call):
    with pytest.raises(OverflowError, match="Python integer .* out of bounds for"):
        call(chainrule)
    assert difference(call) is not None   # PyTorch wraps the number


def test_copy_of_a_python_int_out_of_range():
    def run(lib):
        return lib.tensor([0], dtype=lib.uint8).copy_(256)
    with pytest.raises(RuntimeError, match="copy_: value cannot be converted to type uint8 without overflow"):
        run(chainrule)
    assert difference(run) is not None   # PyTorch wraps the number


def test_the_median_of_an_empty_tensor_does_not_require_grad():
    def run(lib):
        return lib.median(lib.zeros((0,), requires_grad=True))
    assert not run(chainrule).requires_grad
    assert difference(run) is not None   # PyTorch marks the NaN as requiring grad


def test_an_integer_tensor_after_assigning_a_value_that_requires_grad():
    def run(lib):
        x = lib.tensor([[[-5]], [[-5]]], dtype=lib.int32)
        x[0] = lib.tensor(1.0, requires_grad=True)
        return x
    assert_deliberate(run, [[[1]], [[-5]]])
    assert not run(chainrule).requires_grad   # PyTorch marks the int32 tensor as requiring grad


def test_backward_after_an_in_place_change_of_the_result_of_sgn():
    def run(lib):
        x = lib.tensor([1.0], requires_grad=True)
        y = lib.sgn(x)
        y.add_(2)
        y.sum().backward()
        return x.grad
    assert_deliberate(run, [0.0])   # sgn is piecewise constant; PyTorch refuses (it saved y)


def test_index_put_into_an_expanded_view():
    def run(lib):
        x = lib.tensor([[1.0], [-2.0]])
        x.broadcast_to((2, 3)).index_put_((lib.tensor([0]),), lib.tensor(2.0))
        return x
    with pytest.raises(RuntimeError, match=r"index_put_: advanced indexing .* expand\(\)/broadcast_to\(\) view"):
        run(chainrule)
    assert difference(run) is not None   # PyTorch writes (and deprecates it)


READS_ITS_TARGET = {   # x = [2], y = [2] (requires grad); each op reads x as it was
    "addcmul_": (lambda x, y: x.addcmul_(y, x), [2.0]),     # x + y * x: d/dy = old x
    "addcdiv_": (lambda x, y: x.addcdiv_(x, y), [-0.5]),    # x + x / y: d/dy = -old x / y ** 2
}


@pytest.mark.parametrize("write, ours", READS_ITS_TARGET.values(), ids=READS_ITS_TARGET.keys())
def test_an_in_place_op_that_reads_its_target(write, ours):
    def run(lib):
        x = lib.tensor([2.0])
        y = lib.tensor([2.0], requires_grad=True)
        write(x, y)
        x.sum().backward()
        return y.grad
    assert_deliberate(run, ours)


@pytest.mark.parametrize("name", ["remainder_", "fmod_"])
def test_a_remainder_of_a_tensor_by_itself_in_place(name):
    def run(lib):
        x = lib.tensor([1.5], requires_grad=True)
        v = x * 1
        getattr(v, name)(v)            # v - trunc_or_floor(v / v) * v = 0
        v.sum().backward()
        return x.grad
    assert_deliberate(run, [0.0])      # d/dv (v - 1 * v) from the snapshot: 1 - 1 (the quotient has no gradient)


def test_clamp_min_of_a_tensor_by_itself_in_place():
    def run(lib):
        x = lib.tensor([1.5], requires_grad=True)
        v = x * 1
        v.clamp_min_(v)                # max(v, v) = v, from the snapshot
        v.sum().backward()
        return x.grad
    assert_deliberate(run, [1.0])


def test_the_gradient_of_a_prod_scatter_reduce_with_a_larger_src():
    def run(lib):
        x = lib.tensor([[2.0, 3.0], [5.0, 7.0]], requires_grad=True)
        # row 0 = prod of src[0] alone = x[0]; row 1 kept from self: the result is x itself
        lib.scatter_reduce(x, 0, lib.tensor([[0, 0]]), x, "prod", include_self=False).sum().backward()
        return x.grad
    assert_deliberate(run, [[1.0, 1.0], [1.0, 1.0]])


def test_backward_after_an_integer_operand_changed_in_place():
    def run(lib):
        a = lib.tensor([1], dtype=lib.int64)
        x = lib.tensor([1.0], requires_grad=True)
        y = lib.atan2(a, x)             # d/dx atan2(a, x) = -a / (a^2 + x^2) = -0.5 at the call
        a.zero_()
        y.sum().backward()
        return x.grad
    assert_deliberate(run, [-0.5])


def test_backward_after_a_promoted_float16_operand_changed_in_place():
    def run(lib):
        x = lib.tensor([2.0], requires_grad=True)
        h = lib.tensor([1.0], dtype=lib.float16)
        y = h / x                       # d/dx (h / x) = -h / x^2 = -0.25 at the call
        h.mul_(3)
        y.sum().backward()
        return x.grad
    assert_deliberate(run, [-0.25])


def test_the_gradient_of_addcdiv_with_a_uint8_tensor1():
    def run(lib):
        x = lib.tensor([1.0], requires_grad=True)
        lib.addcdiv(x, lib.tensor([1], dtype=lib.uint8), x, value=-3).sum().backward()
        return x.grad
    assert_deliberate(run, [4.0])   # d/dx (x - 3 * 1 / x) = 1 + 3 / x^2


def test_a_zero_gradient_may_have_the_other_sign():
    def run(lib):
        x = lib.tensor([1.0, 1.0], requires_grad=True)
        lib.addcdiv(lib.ones(2), lib.tensor([-5, -5]), x, value=0).sum().backward()
        return x.grad
    assert_deliberate(run, [0.0, 0.0])   # d/dx (1 + 0 * -5 / x) = 0: +0 in chainrule, -0 in PyTorch


def test_a_zero_sum_of_products_may_have_the_other_sign():
    def run(lib):
        x = lib.tensor([[[-0.0], [1.0]]])
        return lib.tensordot(x, x, dims=([-1], [0]))   # -0 * 1 summed from +0 in chainrule's BLAS
    assert_deliberate(run, [[[[0.0], [0.0]], [[0.0], [1.0]]]])


@pytest.mark.parametrize("write", ["copy_", "masked_fill_", "index_fill_"])
def test_any_write_into_an_expanded_view_is_refused(write):
    def run(lib):
        view = lib.tensor([1.0, 2.0]).expand((2, 2))
        if write == "copy_":
            view.copy_(view)
        elif write == "masked_fill_":
            view.masked_fill_(lib.tensor([[True, False], [False, False]]), 2)
        else:
            view.index_fill_(0, lib.tensor([0]), 2)
        return view
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single"):
        run(chainrule)
    assert difference(run) is not None   # PyTorch writes


def test_an_op_on_an_empty_tensor_still_checks_its_index():
    def run(lib):
        x = lib.zeros((2, 1, 0))
        x[[0, 2]] = 2      # there is no row 2
        return x
    with pytest.raises(IndexError, match="index 2 is out of bounds for dimension 0 with size 2"):
        run(chainrule)
    assert difference(run) is not None   # PyTorch writes nothing and checks nothing


def test_index_fill_of_an_empty_tensor():
    def run(lib):
        return lib.zeros((0, 1)).index_fill_(0, lib.tensor([0]), 2)
    assert run(chainrule).shape == (0, 1)
    assert difference(run) is not None   # PyTorch: an internal setStorage error


@pytest.mark.parametrize("op", ["logaddexp", "pow"])
def test_the_gradient_of_a_float_op_with_a_bool_operand(op):
    def run(lib):
        x = lib.tensor([1.0], requires_grad=True)
        mask = x != x                          # False
        y = lib.logaddexp(mask, x) if op == "logaddexp" else lib.pow(x, mask)
        y.sum().backward()
        return x.grad
    # d/dx log(1 + e^x) = e / (1 + e); d/dx x ** 0 = 0
    assert_deliberate(run, [pytest.approx(0.7310586)] if op == "logaddexp" else [0.0])


def test_index_assignment_with_index_tensors_casts_the_value():
    def run(lib):
        x = lib.tensor([1.0, 1.0], dtype=lib.float64)
        x[[0, 1]] = lib.tensor([2.5, 3.5])   # float32 into float64
        return x
    assert_deliberate(run, [2.5, 3.5])


def test_a_view_of_a_tensor_that_joined_the_graph_can_be_written():
    def run(lib):
        x = lib.tensor([3.0])
        w = lib.tensor(1.0, requires_grad=True)
        v = x.view(())
        x -= w        # x = 3 - w joins the graph
        v.mul_(2)     # x = 2 * (3 - w)
        x.sum().backward()
        return w.grad
    assert_deliberate(run, -2.0)


def test_logsumexp_over_an_empty_tuple_of_dims_reduces_all():
    def run(lib):
        return lib.logsumexp(lib.tensor([1.0, 2.0]), dim=())
    assert_deliberate(run, pytest.approx(2.3132617))   # log(e + e^2)


def test_a_call_with_two_problems_names_the_shape_first():
    def run(lib):
        return lib.baddbmm(lib.ones(1, 1, 2, 1), lib.ones(1, 1, 2, 1), lib.ones(1))
    with pytest.raises(RuntimeError, match="batch1 must be a 3-D tensor"):
        run(chainrule)
    assert difference(run) is not None   # PyTorch: IndexError, dimension out of range


def test_the_derivative_of_a_product_of_one_infinite_factor():
    def run(lib):
        x = lib.tensor([[1.0, inf]], requires_grad=True)
        lib.prod(x, dim=0).sum().backward()     # each output is one factor: derivative 1
        return x.grad
    assert_deliberate(run, [[1.0, 1.0]])


def test_the_second_derivative_of_a_power_of_an_integer_zero():
    def run(lib):
        x = lib.tensor([1.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(lib.pow(lib.tensor([0]), x).sum(), [x], create_graph=True)
        return lib.autograd.grad(g.sum(), [x])[0]    # 0 ** x is 0 for x > 0: every derivative is 0
    assert_deliberate(run, [0.0])


def test_the_second_derivative_of_lgamma_at_a_pole():
    def run(lib):
        x = lib.tensor([-3.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(lib.lgamma(x).sum(), [x], create_graph=True)
        return lib.autograd.grad(g.sum(), [x])[0]    # trigamma(-3) = inf
    assert_deliberate(run, [inf])


def test_the_gradient_of_hypot_at_a_subnormal_input_is_not_finite():
    def run(lib):
        x = lib.tensor([5e-324, 1.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((lib.hypot(x, x) ** 2).sum(), [x], create_graph=True)
        return lib.autograd.grad((g * 0.5).sum(), [x])[0]
    ours = run(chainrule).tolist()
    assert math.isnan(ours[0]) and ours[1] == pytest.approx(2.0)   # 2 x^2, whose exact answer is 2
    assert difference(run) is not None    # PyTorch: inf there


def test_the_remainder_by_a_subnormal_number_is_exact():
    def run(lib):
        return lib.ones(16) % lib.tensor([1.0] * 15 + [1e-40])    # (PyTorch's vectorised kernel)
    ours = run(chainrule).tolist()[-1]
    assert 0 <= ours < 1e-40 and ours == float(np.remainder(np.float32(1.0), np.float32(1e-40)))
    assert difference(run) is not None    # PyTorch: nan


def test_bucketize_compares_numbers_across_dtypes():
    def run(lib):
        return lib.bucketize(lib.tensor(-5), lib.tensor([0], dtype=lib.uint8))
    assert_deliberate(run, 0)    # -5 < 0; PyTorch converts -5 to uint8 (251) first


def test_an_empty_first_order_gradient_does_not_require_grad():
    def run(lib):
        x = lib.zeros((0,), dtype=lib.float64, requires_grad=True)
        values, _ = lib.cummax(x, 0)
        (g,) = lib.autograd.grad(x.sum() + values.sum(), [x], create_graph=True)
        return g
    assert run(chainrule).shape == (0,) and not run(chainrule).requires_grad
    assert difference(run) is not None


def test_a_circular_pad_larger_than_the_cropped_dimension_is_refused():
    def run(lib):
        return lib.nn.functional.pad(lib.tensor([[1.0, 2.0], [3.0, 4.0]]), (2, -1), mode="circular")
    with pytest.raises(RuntimeError, match="circular padding to wrap around more than once"):
        run(chainrule)
    assert difference(run) is not None   # PyTorch reads memory outside the tensor


def test_an_index_write_into_an_empty_tensor_checks_no_index():
    def run(lib):
        x = lib.zeros((0, 2))
        return lib.index_reduce(x, 1, lib.tensor([0, -2]), x, "prod", include_self=False)
    assert run(chainrule).shape == (0, 2)
    assert difference(run) is not None    # PyTorch: IndexError, index out of range in self


def test_a_bool_base_to_a_tensor_power():
    def run(lib):
        x = lib.tensor([2.0], requires_grad=True)
        (True ** x).sum().backward()      # 1 ** x = 1: derivative 1 * log(1) = 0
        return x.grad
    assert_deliberate(run, [0.0])         # PyTorch: an internal assertion fails


@pytest.mark.parametrize("change", ["unsqueeze_", "squeeze_"])
def test_backward_after_a_shape_change_of_a_result_under_no_grad(change):
    def run(lib):
        x = lib.tensor([1.0, -3.0], requires_grad=True)
        v = lib.msort(x) if change == "unsqueeze_" else lib.clamp_min(x[:1], 2)
        with lib.no_grad():
            v.unsqueeze_(-1) if change == "unsqueeze_" else v.squeeze_()
        (x.sum() + (v * 3).sum()).backward()
        return x.grad
    assert_deliberate(run, [4.0, 4.0] if change == "unsqueeze_" else [1.0, 1.0])


def test_a_product_of_matrices_with_inf_may_place_nan_elsewhere():
    def run(lib):
        x = lib.tensor([[inf, 1.0, 1.0], [1.0, -0.25, 1.0], [1.0, 1.0, 1.0]])
        return lib.matrix_power(x, 3)
    ours = run(chainrule)
    assert not bool(chainrule.isfinite(ours).any())     # inf or nan everywhere, as in PyTorch
    assert difference(run) is not None                  # (at other places)


def test_the_norm_of_a_huge_float32_number():
    def run(lib):
        return lib.norm(lib.tensor(1e30), dim=0)
    assert run(chainrule).item() == pytest.approx(1e30)
    assert difference(run) is not None    # PyTorch: inf


def test_the_reciprocal_of_gelu_in_its_tail():
    def run(lib):
        return lib.nn.functional.gelu(lib.tensor([1.0] * 11 + [-4.0])).reciprocal_()   # (vectorised)
    exact = 1 / (-4.0 * 0.5 * math.erfc(4.0 / math.sqrt(2.0)))    # -7893.6
    assert run(chainrule).tolist()[-1] == pytest.approx(exact, rel=1e-3)
    assert difference(run) is not None    # PyTorch's float32 erf: -7906


def test_the_second_derivative_of_softplus_at_its_threshold():
    def run(lib):
        x = lib.tensor([1.0], dtype=lib.float64, requires_grad=True)
        y = lib.nn.functional.softplus(x, beta=1.0, threshold=1.0)     # 1 * 1 > 1 is False: log1p(e^x)
        (g,) = lib.autograd.grad(y.sum(), [x], create_graph=True)
        return lib.autograd.grad(g.sum(), [x])[0]
    sigmoid = 1 / (1 + math.exp(-1.0))
    assert_deliberate(run, [pytest.approx(sigmoid * (1 - sigmoid))])    # PyTorch: 0


def test_kron_refuses_backward_after_its_operand_changed():
    def run(lib):
        x = lib.tensor([1.0])
        w = lib.tensor([3.0], requires_grad=True)
        y = lib.kron(w, x)
        x[[0]] = 2
        y.sum().backward()
        return w.grad
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        run(chainrule)
    assert run(torch).tolist() == [2.0]   # PyTorch's gradient reads the new x: stale (it was 1)


def test_the_gradient_of_var_over_an_empty_tuple_of_dims_is_finite():
    def run(lib):
        x = lib.tensor([1.0, 1.0], requires_grad=True)
        lib.var(x, dim=()).backward()    # the variance of all elements: d/dx = 2 (x - mean) / (N - 1) = 0
        return x.grad
    assert_deliberate(run, [0.0, 0.0])


@pytest.mark.parametrize("op", ["copysign", "mish"])
def test_a_second_derivative_that_is_exactly_zero(op):
    def run(lib):
        x = lib.tensor([0.0 if op == "copysign" else 1e300], dtype=lib.float64, requires_grad=True)
        y = lib.copysign(x, x) if op == "copysign" else lib.nn.functional.mish(x)   # both are x there
        (g,) = lib.autograd.grad(y.sum(), [x], create_graph=True)
        return lib.autograd.grad(g.sum(), [x])[0]
    assert_deliberate(run, [0.0])    # PyTorch: nan


def test_bincount_with_weights_that_require_grad_does_not_require_grad():
    def run(lib):
        return lib.bincount(lib.tensor([0], dtype=lib.uint8), weights=lib.tensor([1.0], requires_grad=True))
    assert_deliberate(run, [1.0])
    assert not run(chainrule).requires_grad


def test_clamp_checks_a_bound_beside_a_nan_bound():
    def run(lib):
        return lib.clip(lib.tensor([1.0], dtype=lib.float16), min=nan, max=2147483648)
    with pytest.raises(RuntimeError, match="without overflow"):
        run(chainrule)
    assert difference(run) is not None    # PyTorch skips the check


def test_index_reduce_of_a_1d_bool_tensor():
    def run(lib):
        x = lib.tensor([False, True])
        return lib.index_reduce(x, 0, lib.tensor([0]), lib.tensor([True]), "amax")
    assert_deliberate(run, [True, True])   # PyTorch: "index_func_" not implemented for 'Bool'


def test_a_write_from_a_view_of_the_target_reads_it_as_it_was():
    def run(lib):
        x = lib.tensor([[-3, -5], [-5, -5]])
        x[[0, 1]] = lib.select(x, 1, -2)    # column 0, [-3, -5], written into both rows
        return x
    assert_deliberate(run, [[-3, -5], [-3, -5]])   # PyTorch: [[-3, -5], [-3, -3]]


def test_clip_of_a_0d_tensor_by_a_1d_bound_is_differentiable():
    def run(lib):
        w = lib.tensor(1.0, requires_grad=True)
        lib.clip(w, min=lib.tensor([-5.0]), max=w).sum().backward()    # = w, broadcast to (1,)
        return w.grad
    assert_deliberate(run, 1.0)    # PyTorch's backward: a shape error


def test_the_gradient_of_hardswish_at_nan_does_not_depend_on_the_size():
    def run(lib):
        x = lib.tensor([nan] + [1.0] * 39, requires_grad=True)
        lib.nn.functional.hardswish(x).sum().backward()
        return x.grad[:1]
    assert_deliberate(run, [1.0])    # PyTorch: nan here, 1 in a tensor of 8


def test_a_gradient_through_an_overwritten_region_keeps_its_graph():
    def run(lib):
        x = lib.tensor(1.0, dtype=lib.float64, requires_grad=True)
        v = lib.scatter(x, 0, lib.tensor(0), x)
        v[()] = 2
        v.tanh_()
        (g,) = lib.autograd.grad(v.sum() + x.sum(), [x], create_graph=True)
        return g
    assert run(chainrule).item() == 1.0 and run(chainrule).requires_grad
    assert difference(run) is not None    # PyTorch's does not require grad


def test_a_piece_of_a_split_read_by_a_write_into_its_base():
    def run(lib):
        x = lib.tensor([1.0, 2.0])
        w = lib.tensor([1.0, 4.0], requires_grad=True)
        piece = lib.split(x, 2, 0)[-1]
        x.addcdiv_(piece, w)              # x + piece / w, piece as it was
        x.sum().backward()
        return w.grad
    assert_deliberate(run, [-1.0, -0.125])    # -piece / w ** 2; PyTorch refuses


def test_mode_of_values_with_nan():
    def run(lib):
        return lib.mode(lib.tensor([[nan, 1.0]]), 1)[0]
    assert_deliberate(run, [1.0])    # PyTorch: nan here, 1 for [1, nan]


def test_the_sign_bit_of_a_nan():
    def run(lib):
        return lib.signbit(lib.xlogy(lib.tensor([1.0]), lib.tensor([-1.5], dtype=lib.float64)))
    assert run(chainrule).dtype == chainrule.bool
    assert difference(run) is not None    # NumPy's log of a negative number sets the sign bit


def test_the_remainder_of_a_huge_dividend_is_ill_conditioned():
    def run(lib):
        return 1e10 % lib.atan2(lib.tensor([1.0]), lib.tensor([1.0]))
    divisor = float(chainrule.atan2(chainrule.tensor([1.0]), chainrule.tensor([1.0])).item())
    assert run(chainrule).item() == pytest.approx(math.fmod(1e10, divisor), rel=1e-4)
    assert difference(run) is not None    # one ulp of the divisor apart


@pytest.mark.parametrize("op", ["atan2", "norm"])
def test_the_second_derivative_at_a_kink(op):
    def run(lib):
        x = lib.tensor([0.0, 1.0] if op == "atan2" else [1.0], dtype=lib.float64, requires_grad=True)
        y = lib.atan2(x, x).sum() if op == "atan2" else lib.norm(lib.rsub(x, x))
        (g,) = lib.autograd.grad(y + x.sum(), [x], create_graph=True)
        return lib.autograd.grad(g.sum(), [x])[0]
    assert_deliberate(run, [0.0, 0.0] if op == "atan2" else [0.0])    # PyTorch: nan at the kink


def test_addmv_with_an_empty_matrix_has_the_products_shape():
    def run(lib):
        return lib.addmv(lib.tensor([-1.0]), lib.zeros(0, 1), lib.tensor([-1.0]))
    assert_deliberate(run, [])    # PyTorch: [-1.] (beta * input)


def test_a_write_after_floor_divide_leaves_no_saved_value():
    def run(lib):
        w = lib.tensor([[1.0, 1.0]], dtype=lib.float64, requires_grad=True)
        v = lib.floor_divide(lib.tensor([-5]), w)          # not differentiable: no graph below
        y = lib.nn.functional.logsigmoid(v)
        v.scatter_(0, lib.tensor([[0, 0]]), w)
        return lib.autograd.grad(y.sum() + w.sum(), [w], allow_unused=True)[0]
    assert_deliberate(run, [[1.0, 1.0]])    # PyTorch: "modified by an inplace operation"


def test_fill_of_an_expanded_view_with_a_tensor():
    def run(lib):
        view = lib.broadcast_tensors(lib.ones(2, 1), lib.ones(1, 1))[1]
        view.fill_(lib.tensor(2.0))
        return view
    assert_deliberate(run, [[2.0], [2.0]])    # PyTorch refuses


def test_the_gradient_of_relu6_at_nan_does_not_depend_on_the_size():
    def run(lib):
        x = lib.tensor([1.0, nan, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], dtype=lib.float64, requires_grad=True)
        lib.nn.functional.relu6(x).sum().backward()
        return x.grad[1:2]
    assert_deliberate(run, [1.0])    # PyTorch: 0 here, 1 in a tensor of 4


def test_a_second_derivative_through_an_empty_tensor_is_zero():
    def run(lib):
        x = lib.tensor([[[1.0]], [[0.0]]], dtype=lib.float64, requires_grad=True)
        empty = lib.tensor_split(lib.ones(2, 1, 1), 2, dim=1)[-1]      # (2, 0, 1)
        y = lib.addcdiv(empty, x, x, value=2)
        (g,) = lib.autograd.grad(y.sum() + x.sum(), [x], create_graph=True)
        return lib.autograd.grad(g.sum(), [x])[0]
    assert_deliberate(run, [[[0.0]], [[0.0]]])    # PyTorch: nan at x = 0


def test_a_power_of_a_value_that_is_zero_within_tolerance():
    def run(lib):
        return lib.logaddexp2(lib.tensor([-1.0]), lib.tensor([-1.0])) ** lib.tensor([-1.0])
    assert_deliberate(run, [inf])    # log2(2^-1 + 2^-1) = 0 exactly; PyTorch's is -1e-8


def test_kron_of_a_transposed_operand():
    def run(lib):
        x = lib.arange(12.0).reshape(2, 3, 2)
        return lib.kron(x, x.mT)
    assert run(chainrule).shape == (4, 6, 6)
    assert chainrule.kron(chainrule.arange(12.0).reshape(2, 3, 2), chainrule.arange(12.0).reshape(2, 3, 2).mT.contiguous()).tolist() \
        == run(chainrule).tolist()
    assert difference(run) is not None    # PyTorch: "view size is not compatible"


def test_the_second_derivative_of_elu_at_nan():
    def run(lib):
        x = lib.tensor([nan], dtype=lib.float64, requires_grad=True)
        y = lib.nn.functional.elu(x)
        (g,) = lib.autograd.grad((y * y).sum() + x.sum(), [x], create_graph=True)
        return lib.autograd.grad((g * 0.5).sum(), [x])[0]
    assert_deliberate(run, [1.0])    # elu' ** 2 + elu * elu'' on the positive branch; PyTorch: nan


def test_contiguous_of_a_contiguous_result_is_the_result():
    def run(lib):
        positions = lib.nonzero(lib.tensor([[False, True], [True, True]]))
        return lib.index_put(positions, (lib.tensor([0]),), lib.tensor(2))
    ours = run(chainrule)
    assert ours.contiguous() is ours                     # chainrule: row-major, so no copy
    assert not run(torch).is_contiguous()                # PyTorch's nonzero is column-major: a copy


def test_the_gradient_of_cumprod_with_an_infinite_element_is_exact():
    def run(lib):
        a = lib.tensor([[2.0, inf, 3.0, 0.5]], dtype=lib.float64, requires_grad=True)
        (lib.cumprod(a, 1) * lib.tensor([[1.0, 2.0, 3.0, 4.0]], dtype=lib.float64)).sum().backward()
        return a.grad[:, 1]
    assert_deliberate(run, [34.0])    # 2 * 2 + 3 * 2 * 3 + 4 * 2 * 3 * 0.5; PyTorch: nan


def test_tensordot_refuses_backward_after_its_saved_operand_changed():
    def run(lib):
        x = lib.tensor([1.0])
        w = lib.tensor([1.0], requires_grad=True)
        y = lib.tensordot(x, w, dims=([-1], [0]))
        x.index_fill_(0, lib.tensor([0]), 2)
        y.sum().backward()
        return w.grad
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        run(chainrule)
    assert run(torch).tolist() == [1.0]   # PyTorch saved a copy of x here


def test_backward_when_every_input_is_empty():
    def run(lib):
        x = lib.zeros((3, 0), requires_grad=True)
        y = lib.masked_fill(x, x > 0, 2)
        y.expand((3, 0)).index_copy_(0, lib.tensor([0, 1, -1]), y)
        y.sum().backward()
        return x.grad
    assert run(chainrule).shape == (3, 0)
    assert difference(run) is not None    # PyTorch: "modified by an inplace operation"


def test_the_gradient_of_xlogy_with_the_number_nan():
    def run(lib):
        x = lib.tensor([1.0, 0.0], requires_grad=True)
        lib.xlogy(x, nan).sum().backward()
        return x.grad
    assert all(math.isnan(v) for v in run(chainrule).tolist())    # log(nan); PyTorch: 0 at x = 0
    assert difference(run) is not None


def test_the_gradient_after_a_transpose_in_place_under_no_grad():
    def run(lib):
        x = lib.tensor([[0.0, 0.5], [0.25, 0.75]], requires_grad=True)
        y = lib.erfinv(x)
        with lib.no_grad():
            y.t_()
        (y * lib.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        return x.grad
    ours = run(chainrule)
    slope = lambda v: math.sqrt(math.pi) / 2 * math.exp(torch.erfinv(torch.tensor(v)).item() ** 2)
    # y[i][j] is erfinv(x[j][i]): x[0][1] meets the weight at [1][0], 3
    assert ours[0, 1].item() == pytest.approx(3 * slope(0.5), rel=1e-5)
    assert difference(run) is not None    # PyTorch sends weight [0][1] there


def test_the_operands_of_an_ignored_product_get_zero_gradients():
    def run(lib):
        x = lib.tensor([[1.0, 1.0], [1.0, 0.25]], requires_grad=True)
        y = lib.addmm(x, x, x, alpha=0)         # = x
        lib.arccos(y).sum().backward()           # -inf at 1
        return x.grad
    assert_deliberate(run, [[-inf, -inf], [-inf, pytest.approx(-1 / math.sqrt(1 - 0.0625))]])


def test_a_gradient_through_round_and_repeat_interleave_is_a_constant():
    def run(lib):
        x = lib.tensor([[1.0, 1.0]], dtype=lib.float64, requires_grad=True)
        y = lib.repeat_interleave(x, 2)
        y.round_()
        (g,) = lib.autograd.grad(x.sum() + (y * y).sum(), [x], create_graph=True)
        return g
    assert run(chainrule).tolist() == [[1.0, 1.0]] and not run(chainrule).requires_grad
    assert difference(run) is not None    # PyTorch's requires grad


def test_fill_of_a_one_element_float16_tensor_checks_the_number():
    def run(lib):
        x = lib.tensor([1.0], dtype=lib.float16)
        x.fill_(2147483648)
        return x
    with pytest.raises(RuntimeError, match="without overflow"):
        run(chainrule)
    assert math.isinf(run(torch).item())    # PyTorch: inf here, an error for two elements


def test_a_comparison_of_a_mean_that_cancels_1e300():
    def run(lib):
        x = lib.tensor([[1.0, 1e300, 1.0], [1.0, -1e300, -1.5]], dtype=lib.float64)
        return lib.mean(x), lib.greater_equal(lib.mean(x), 0)
    mean, at_least_zero = run(chainrule)
    assert abs(mean.item()) < 1.0 and at_least_zero.dtype == chainrule.bool    # rounding at 1e300
    assert difference(run) is not None


def test_triu_of_an_expanded_view_zeroes_shared_locations():
    def run(lib):
        x = lib.tensor([[[[1.0], [2.0]]], [[[3.0], [4.0]]]])
        lib.broadcast_to(x, (2, 2, 1, 2, 2)).triu_()   # row 1's location holds (1, 0), outside
        return x
    assert_deliberate(run, [[[[1.0], [0.0]]], [[[3.0], [0.0]]]])    # PyTorch refuses


def test_the_second_derivative_of_lgamma_at_zero_and_a_negative_pole():
    def run(lib):
        x = lib.tensor([1.0, -0.5, -2.0], dtype=lib.float64, requires_grad=True)
        with lib.no_grad():
            x.ceil_()                                   # [1, -0, -2]: two poles
        (g,) = lib.autograd.grad(lib.lgamma(x).sum(), [x], create_graph=True)
        return lib.autograd.grad(g.sum(), [x])[0]
    assert_deliberate(run, [pytest.approx(math.pi ** 2 / 6), inf, inf])    # trigamma


def test_a_zero_gradient_through_an_infinite_slope():
    def run(lib):
        x = lib.tensor([1.0], requires_grad=True)
        lib.sgn(lib.asin(x)).sum().backward()       # 0 (sgn) * inf (asin at 1)
        return x.grad
    assert math.isnan(run(chainrule).item())
    assert (run(torch) + 0).tolist() == [0.0]    # (a "zero tensor": materialised by + 0)


def test_the_second_derivative_at_huge_inputs_cancels():
    def run(lib):
        x = lib.tensor([[1.0, 1.0], [1.0, 1.0], [1.0, 1e17]], dtype=lib.float64, requires_grad=True)
        v = lib.var(x, dim=-2, correction=0)
        y = lib.addcmul(x, v, v)
        (g,) = lib.autograd.grad((y * y).sum() + x.exp().sum(), [x], create_graph=True)
        return lib.autograd.grad((g * 0.5).sum(), [x])[0]
    ours, theirs = run(chainrule), run(torch)
    assert abs(ours[0, 1].item()) > 1e84 and abs(theirs[0, 1].item()) > 1e84    # same magnitude, other digits
    assert difference(run) is not None


def test_median_of_an_empty_bool_dimension_names_the_dtype():
    def run(lib):
        return lib.median(lib.zeros(0, dtype=lib.bool), 0)
    with pytest.raises(NotImplementedError, match="not implemented for bool"):
        run(chainrule)
    with pytest.raises(IndexError):
        run(torch)


def test_isin_of_large_integers_against_floats():
    def run(lib):
        values = lib.tensor([9007199254740988, -5, 9007199254740993] + [-5] * 20)
        return lib.isin(values, lib.tensor([1.0] * 24))
    assert_deliberate(run, [False] * 23)    # PyTorch: True for the first


def test_the_gradient_of_a_product_with_a_subnormal_factor():
    def run(lib):
        x = lib.tensor([[-0.75, 1.0, 5e-324]], dtype=lib.float64, requires_grad=True)
        lib.prod(x).backward()
        return x.grad[:, 2]
    assert_deliberate(run, [-0.75])    # the product of the others; PyTorch divides: -1


def test_the_second_derivative_of_lgamma_at_minus_1e300():
    def run(lib):
        x = lib.tensor([1.0, -1e300], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(lib.lgamma(x).sum(), [x], create_graph=True)
        return lib.autograd.grad(g.sum(), [x])[0]
    ours = run(chainrule).tolist()
    assert ours[0] == pytest.approx(math.pi ** 2 / 6) and not math.isfinite(ours[1])   # a pole
    assert difference(run) is not None    # PyTorch: 6.06


def test_a_matrix_power_whose_square_overflows():
    def run(lib):
        return lib.matrix_power(lib.tensor([[1e30, 0.0], [1.0, 1.0]]), 3)
    assert_deliberate(run, [[inf, 0.0], [inf, 1.0]])    # M @ (M @ M) in chainrule; PyTorch: nan at [0, 1]


def test_a_gradient_at_a_singular_point_reached_by_rounding():
    def run(lib):
        x = lib.tensor([[0.0, -1e300], [1.0, 1.0], [1e300, 1.0], [1.0, 1.0]], dtype=lib.float64, requires_grad=True)
        lib.hypot(lib.nansum(x), x).sum().backward()     # the sum cancels 1e300 against -1e300
        return x.grad
    assert math.isnan(run(chainrule)[0, 0].item())       # hypot at the origin
    assert difference(run) is not None                    # PyTorch's sum is a few units
