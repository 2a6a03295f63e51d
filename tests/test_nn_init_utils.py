"""Initializers (statistics, as PyTorch draws them) and nn.utils against torch."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


def stats(fn, shape=(400, 300), **kwargs):
    cr.manual_seed(0)
    w = cr.empty(*shape)
    fn(w, **kwargs)
    values = w.numpy()
    return values.mean(), values.std(), values.min(), values.max()


def test_uniform_normal_constant_zeros_ones_eye():
    mean, std, low, high = stats(nn.init.uniform_, a=-2.0, b=4.0)
    assert low >= -2 and high <= 4 and abs(mean - 1) < 0.02 and abs(std - 6 / math.sqrt(12)) < 0.02
    mean, std, _, _ = stats(nn.init.normal_, mean=1.0, std=0.5)
    assert abs(mean - 1) < 0.01 and abs(std - 0.5) < 0.01
    assert (nn.init.constant_(cr.empty(2, 2), 3.5).numpy() == 3.5).all()
    assert (nn.init.zeros_(cr.ones(3)).numpy() == 0).all() and (nn.init.ones_(cr.zeros(3)).numpy() == 1).all()
    np.testing.assert_array_equal(nn.init.eye_(cr.empty(2, 3)).numpy(), np.eye(2, 3))


@pytest.mark.parametrize("name,kwargs,expected_std", [
    ("xavier_uniform_", {}, math.sqrt(2.0 / (300 + 400))),
    ("xavier_normal_", {"gain": 2.0}, 2.0 * math.sqrt(2.0 / (300 + 400))),
    ("kaiming_uniform_", {"nonlinearity": "relu"}, math.sqrt(2.0) / math.sqrt(300)),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2.0) / math.sqrt(400)),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, 1 / math.sqrt(3 * 300)),  # Linear's default
])
def test_scaled_initializers_have_pytorchs_std(name, kwargs, expected_std):
    mean, std, _, _ = stats(getattr(nn.init, name), **kwargs)
    assert abs(mean) < 0.02 * expected_std * 10 and abs(std / expected_std - 1) < 0.02


def test_trunc_normal_and_orthogonal():
    _, _, low, high = stats(nn.init.trunc_normal_, std=1.0, a=-1.5, b=1.0)
    assert low >= -1.5 and high <= 1.0
    w = nn.init.orthogonal_(cr.empty(6, 4), gain=2.0).numpy()
    np.testing.assert_allclose(w.T @ w, 4 * np.eye(4), atol=1e-5)
    w = nn.init.orthogonal_(cr.empty(3, 5)).numpy()
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-5)


def test_calculate_gain_matches_torch():
    for name, param in [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None), ("conv2d", None)]:
        assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ValueError, match="Unsupported nonlinearity swish"):
        nn.init.calculate_gain("swish")


def test_fan_errors():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions \(shape \(3,\)\)"):
        nn.init.xavier_uniform_(cr.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nn.init.kaiming_normal_(cr.empty(3, 3), mode="fan_avg")


def test_initializers_are_reproducible():
    cr.manual_seed(7)
    a = nn.Linear(4, 3).weight.tolist()
    cr.manual_seed(7)
    assert nn.Linear(4, 3).weight.tolist() == a


def grads_pair(seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((3, 4)) * 5, rng.standard_normal(4) * 5]
    ours = [cr.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    for o, t, a in zip(ours, theirs, arrays):
        o.grad = cr.tensor(a * 2)
        t.grad = torch.tensor(a * 2)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_matches_torch(norm_type):
    ours, theirs = grads_pair()
    total = nn.utils.clip_grad_norm_(ours, 1.5, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type)
    assert total.item() == pytest.approx(expected.item())
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_clip_grad_value_and_vector_round_trip():
    ours, theirs = grads_pair()
    nn.utils.clip_grad_value_(ours, 0.5)
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy())
    vec = nn.utils.parameters_to_vector(ours)
    assert vec.shape == (16,)
    nn.utils.vector_to_parameters(vec * 2, ours)
    np.testing.assert_allclose(nn.utils.parameters_to_vector(ours).detach().numpy(), vec.detach().numpy() * 2)


def test_clip_grad_norm_nonfinite_error():
    p = cr.ones(2, requires_grad=True)
    p.grad = cr.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
