"""Sanity checks fire on deliberately broken models, stay quiet on healthy ones, and leave the
model exactly as it was."""
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.diag import check_init, overfit_batch, gradcheck_module, chance_level


def healthy(seed=0):
    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 4))
    batch = (cr.randn(16, 8), cr.randint(0, 4, (16,)))
    return model, batch


def snapshot(model):
    return [(p.detach().numpy().copy(), p.dtype) for p in model.parameters()]


def assert_unchanged(model, before, training=True):
    for (array, dtype), p in zip(before, model.parameters()):
        np.testing.assert_array_equal(array, p.detach().numpy())
        assert p.dtype == dtype and p.grad is None
    assert all(m.training == training for m in model.modules())


def test_healthy_model_passes_every_check_and_is_unchanged():
    model, batch = healthy()
    before = snapshot(model)
    init = check_init(model, batch, nn.CrossEntropyLoss())
    assert init.passed and "near chance level" in init.message
    assert init.details["expected"] == pytest.approx(math.log(4))
    fit = overfit_batch(model, nn.CrossEntropyLoss(), batch)
    assert fit.passed and fit.details["final_loss"] < fit.details["initial_loss"] / 10
    grads = gradcheck_module(model, batch[0])
    assert grads.passed and grads.details["worst_ratio"] <= 1
    assert_unchanged(model, before)


def test_check_init_fires_on_overconfident_initial_outputs():
    model, batch = healthy()
    with cr.no_grad():
        model[3].weight.mul_(100)                       # a bad init scale in the last layer
    result = check_init(model, batch, nn.CrossEntropyLoss())
    assert not result.passed
    assert "away from chance level 1.386 (log(4) for 4 classes): the initial outputs are too large" in result.message
    assert str(result).startswith("check_init: FAILED:")


def test_overfit_batch_fires_on_dead_relus():
    model, batch = healthy()
    with cr.no_grad():
        model[0].bias.fill_(-20.0)                      # every ReLU dead from the start
    result = overfit_batch(model, nn.CrossEntropyLoss(), batch)
    assert not result.passed
    assert "the loss of one batch fell only" in result.message and "dead ReLUs" in result.message


def test_overfit_batch_reports_a_diverging_loss():
    model, batch = healthy()
    with np.errstate(all="ignore"):
        result = overfit_batch(model, nn.CrossEntropyLoss(), batch, optimizer=lambda p: cr.optim.SGD(p, lr=1e6))
    assert not result.passed and ("the loss became" in result.message or "fell only" in result.message)


class WrongSquare(cr.autograd.Function):
    """x ** 2 with a backward that forgets the factor 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x


class WithWrongSquare(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return WrongSquare.apply(self.fc(x))


def test_gradcheck_module_fires_on_a_wrong_backward():
    cr.manual_seed(0)
    model = WithWrongSquare()
    before = snapshot(model)
    result = gradcheck_module(model, cr.randn(4, 3))
    assert not result.passed
    assert result.message.startswith("the gradient of fc.")
    assert "finite differences give" in result.message
    assert_unchanged(model, before)


def test_chance_levels():
    out = cr.zeros(4, 5)
    assert chance_level(nn.CrossEntropyLoss(), out, cr.zeros(4, dtype=cr.int64))[0] == pytest.approx(math.log(5))
    assert chance_level(nn.BCEWithLogitsLoss(), out[:, 0], cr.zeros(4))[0] == pytest.approx(math.log(2))
    assert chance_level(nn.MSELoss(), out, cr.tensor([1.0, 3.0]))[0] == pytest.approx(1.0)
    result = check_init(nn.Linear(2, 1), (cr.ones(3, 2), cr.ones(3, 1)), nn.L1Loss())
    assert result.passed and "no chance level is known for L1Loss" in result.message


def test_a_bad_batch_is_refused():
    model, batch = healthy()
    with pytest.raises(ValueError, match=r"the batch must be \(inputs, targets\)"):
        check_init(model, batch[0], nn.CrossEntropyLoss())
