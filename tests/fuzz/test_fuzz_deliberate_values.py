"""Findings of the op fuzzer about values (and errors in place of values) that are deliberate
differences (docs/differences-from-pytorch.md): PyTorch's result there is an artifact of how
its kernel runs (a Welford update, a vectorised loop, an unstable sort), not a rule.

Each test checks chainrule's documented result against a value worked out by hand, and that
PyTorch still differs, so the documentation stays true in both directions.
"""
import chainrule
import pytest

from .same import difference
from .test_fuzz_deliberate import assert_deliberate

inf, nan = float("inf"), float("nan")


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
def test_the_mean_of_var_mean_with_an_infinite_element(name):
    def run(lib):
        return getattr(lib, name)(lib.tensor([[1.0, 1.0], [1.0, inf], [1.0, 1.0]]))[1]
    # the mean of five ones and an inf is inf, as mean() gives; PyTorch's Welford update
    # turns it into inf - inf = nan once an element follows the inf
    assert_deliberate(lambda lib: run(lib).reshape(1), [inf])
    assert run(chainrule).item() == chainrule.tensor([1.0, 1.0, 1.0, inf, 1.0, 1.0]).mean().item()


def test_gelu_at_infinity():
    def run(lib):
        return lib.nn.functional.gelu(lib.tensor([inf, -inf]))
    out = run(chainrule).tolist()
    # inf * Phi(inf) = inf, as PyTorch's float64 and one-element paths give; its vectorised
    # float32 erf gives nan. At -inf, -inf * 0 is nan in both.
    assert out[0] == inf and out[1] != out[1]
    assert difference(run) is not None


def test_mode_of_a_row_with_nan():
    def run(lib):
        return lib.tensor([[nan, -3.75]]).mode(1)[0]
    # each value occurs once; on a tie the smallest value wins, and NaN (never equal to itself,
    # sorted last) is not smaller. PyTorch's sort comparator leaves the NaN in front.
    assert_deliberate(run, [-3.75])


def test_the_gradient_of_relu6_at_nan():
    def run(lib):
        x = lib.ones(2, 4, 2, requires_grad=True)
        with lib.no_grad():
            x[0, 1, 0] = nan
        lib.nn.functional.relu6(x).sum().backward()
        return x.grad.reshape(-1)
    # g passes where x is NaN (no comparison with a NaN holds), as PyTorch's scalar loop
    # gives for small tensors; its vectorised loop gives 0 from 16 elements on
    assert_deliberate(run, [1.0] * 16)


BOOL_OPERAND_BACKWARD = {
    "logaddexp": (lambda lib, x, b: lib.logaddexp(x, b), 0.7310585786300049),  # e / (e + 1)
    "atan2": (lambda lib, x, b: lib.atan2(b, x), 0.0),  # -b / (x^2 + b^2) at b = 0
    "pow": (lambda lib, x, b: x ** b, 0.0),  # b x^(b - 1) at b = 0
}


@pytest.mark.parametrize("name", BOOL_OPERAND_BACKWARD)
def test_backward_through_an_op_with_a_bool_operand(name):
    op, expected = BOOL_OPERAND_BACKWARD[name]

    def run(lib):
        x = lib.tensor([1.0], requires_grad=True)
        op(lib, x, lib.tensor([False])).sum().backward()
        return x.grad
    # the bool operand is 0 in the forward and in the gradient; PyTorch's backward
    # subtracts or negates the bool tensor itself and raises
    assert run(chainrule).tolist() == pytest.approx([expected])
    assert difference(run) is not None


def test_the_median_of_an_empty_integer_tensor():
    def run(lib):
        return lib.median(lib.zeros(0, dtype=lib.int32))
    # the median of nothing is nan, which no integer holds; PyTorch returns int32's minimum
    with pytest.raises(RuntimeError, match="median"):
        run(chainrule)
    assert difference(run) is not None
