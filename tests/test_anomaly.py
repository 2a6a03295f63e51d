"""Anomaly mode names the op that first makes a NaN or infinity (forward and backward), with
the module and the user's line, stays quiet on healthy models and on intended infinities."""
import os
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.autograd import detect_anomaly, set_detect_anomaly, is_anomaly_enabled, AnomalyError

HERE = os.path.basename(__file__)


@pytest.fixture(autouse=True)
def quiet_numpy():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


class LogHead(nn.Module):
    """A deliberately broken head: log of a value that can be negative."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(x).log()          # the culprit line


def test_nan_from_log_in_forward_names_op_module_and_line():
    model = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), LogHead())
    cr.manual_seed(0)
    with detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            model(cr.randn(8, 3)).sum()
    message = str(info.value)
    assert message.startswith("anomaly (forward): log produced NaN from inputs without NaN")
    assert f"{HERE}:" in message and "in module 2 (LogHead)" in message
    assert "input 0: shape (8, 2) float32, min" in message and "0 NaN, 0 Inf" in message
    assert "hint: log of a negative number is NaN" in message


def test_log_of_zero_is_an_infinity_anomaly():
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"log produced an infinity from inputs without NaN or infinity"):
            cr.tensor([0.0, 1.0]).log()


def test_ops_that_only_pass_a_nan_on_are_not_blamed():
    x = cr.tensor([1.0, -1.0], requires_grad=True)
    with detect_anomaly():
        with pytest.raises(AnomalyError, match="sqrt produced NaN"):
            ((x.sqrt() * 2 + 1).exp() - 3).sum()        # only sqrt is named, not mul/add/exp/sub
        nan_data = cr.tensor([float("nan"), 1.0])
        (nan_data * 2 + 1).exp()                        # NaN given, not made: no anomaly


def test_nan_from_a_division_in_backward_names_the_backward_and_where_it_was_created():
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        y = x.sqrt()                                    # finite forward: sqrt(0) = 0
        with pytest.raises(AnomalyError) as info:
            y.sum().backward()
    message = str(info.value)
    assert message.startswith("anomaly (backward): computing the gradients of SqrtBackward0, div produced "
                              "an infinity")
    assert f"the op was created at {os.path.abspath(__file__)}:" in message or f"{HERE}:" in message
    assert "gradient at 0 is infinite" in message


def test_a_backward_rule_that_returns_nan_is_named():
    class Broken(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * float("nan")

    x = cr.ones(3, requires_grad=True)
    with detect_anomaly():
        y = Broken.apply(x)
        with pytest.raises(AnomalyError, match=r"anomaly \(backward\)"):
            y.sum().backward()


def test_healthy_training_is_quiet_and_unchanged():
    def run(anomaly):
        cr.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
        x, y = cr.randn(16, 4), cr.randint(0, 3, (16,))
        with set_detect_anomaly(anomaly):
            for _ in range(3):
                loss = nn.functional.cross_entropy(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return [p.detach().numpy().copy() for p in model.parameters()]
    for a, b in zip(run(True), run(False)):
        np.testing.assert_array_equal(a, b)


def test_intended_infinities_pass():
    scores = cr.randn(2, 4, 4, requires_grad=True)
    causal = cr.ones(4, 4, dtype=cr.bool).triu(1)
    with detect_anomaly():
        masked = scores.masked_fill(causal, float("-inf"))      # the user's own -inf
        masked.softmax(dim=-1).sum().backward()
        attention = nn.MultiheadAttention(8, 2, batch_first=True)
        q = cr.randn(2, 4, 8)
        mask = cr.zeros(4, 4).masked_fill(causal, float("-inf"))
        attention(q, q, q, attn_mask=mask)[0].sum().backward()
        big = cr.tensor([100.0])
        with pytest.raises(AnomalyError):
            big.exp()
    with detect_anomaly(allow=("exp",)):
        big.exp()                                             # allowed by name


def test_check_nan_false_ignores_nan_but_not_infinity():
    with detect_anomaly(check_nan=False):
        cr.tensor([-1.0]).sqrt()
        with pytest.raises(AnomalyError, match="infinity"):
            cr.tensor([0.0]).log()


def test_modes_restore_and_decorate():
    assert not is_anomaly_enabled()
    with detect_anomaly():
        assert is_anomaly_enabled()
        with set_detect_anomaly(False):
            assert not is_anomaly_enabled()
            cr.tensor([-1.0]).sqrt()
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()

    @detect_anomaly()
    def broken():
        return cr.tensor([-1.0]).log()
    with pytest.raises(AnomalyError):
        broken()
    assert not is_anomaly_enabled()
    set_detect_anomaly(True)
    assert is_anomaly_enabled()
    set_detect_anomaly(False)
    assert not is_anomaly_enabled() and not cr.function.apply_hooks
