"""Layers against PyTorch with the same weights: outputs, input and parameter gradients."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


def copy_weights(ours, theirs, dtype):
    ours.load_state_dict({k: v.detach().numpy().astype(dtype) for k, v in theirs.state_dict().items()})
    if dtype == np.float64:
        ours.double()
        theirs.double()


def compare_layer(make_ours, make_theirs, input_shapes, dtype=np.float32, rtol=1e-5, atol=1e-6, train=True):
    torch.manual_seed(0)
    theirs, ours = make_theirs(), make_ours()
    copy_weights(ours, theirs, dtype)
    ours.train(train)
    theirs.train(train)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in input_shapes]
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = ours(*xs), theirs(*ts)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)
    seed = rng.standard_normal(ref.shape).astype(dtype)
    out.backward(cr.tensor(seed))
    ref.backward(torch.tensor(seed))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
    their_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), their_params[name].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)


LAYERS = {
    "Linear": (lambda: nn.Linear(5, 3), lambda: torch.nn.Linear(5, 3), [(4, 5)]),
    "Linear 3-D input": (lambda: nn.Linear(5, 3), lambda: torch.nn.Linear(5, 3), [(2, 4, 5)]),
    "Linear no bias": (lambda: nn.Linear(5, 3, bias=False), lambda: torch.nn.Linear(5, 3, bias=False), [(4, 5)]),
    "Bilinear": (lambda: nn.Bilinear(3, 4, 2), lambda: torch.nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)]),
    "PReLU": (lambda: nn.PReLU(), lambda: torch.nn.PReLU(), [(4, 5)]),
    "PReLU per channel": (lambda: nn.PReLU(3), lambda: torch.nn.PReLU(3), [(2, 3, 4)]),
    "Flatten": (lambda: nn.Flatten(), lambda: torch.nn.Flatten(), [(2, 3, 4)]),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), lambda: torch.nn.Unflatten(1, (2, 3)), [(4, 6)]),
    "Identity": (lambda: nn.Identity(), lambda: torch.nn.Identity(), [(4, 6)]),
    "Sequential MLP": (lambda: nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 2), nn.LogSoftmax(dim=1)),
                       lambda: torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.GELU(), torch.nn.Linear(8, 2),
                                                   torch.nn.LogSoftmax(dim=1)), [(6, 4)]),
}
ACTIVATIONS = ["ReLU", "ReLU6", "Sigmoid", "Tanh", "SiLU", "Mish", "SELU", "Softsign", "LogSigmoid",
               "Hardsigmoid", "Hardswish", "LeakyReLU", "ELU", "CELU", "GELU", "Softplus", "Hardtanh"]


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_matches_torch(name, dtype):
    make_ours, make_theirs, shapes = LAYERS[name]
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    compare_layer(make_ours, make_theirs, shapes, dtype, **tol)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_layers_match_torch(name):
    # PyTorch's hardsigmoid/hardswish backward uses a float32 1/6 even in float64
    rtol = 1e-7 if name in ("Hardsigmoid", "Hardswish") else 1e-10
    compare_layer(getattr(nn, name), getattr(torch.nn, name), [(3, 7)], np.float64, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("name,kwargs", [("LeakyReLU", {"negative_slope": 0.2}), ("ELU", {"alpha": 0.5}),
                                         ("GELU", {"approximate": "tanh"}), ("Softplus", {"beta": 2.0}),
                                         ("Hardtanh", {"min_val": -0.5, "max_val": 2.0}),
                                         ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": 0})])
def test_activation_options_match_torch(name, kwargs):
    compare_layer(lambda: getattr(nn, name)(**kwargs), lambda: getattr(torch.nn, name)(**kwargs), [(3, 7)],
                  np.float64, rtol=1e-10, atol=1e-12)


def test_activation_repr_matches_torch():
    for ours, theirs in [(nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)), (nn.ReLU(), torch.nn.ReLU()),
                         (nn.PReLU(3), torch.nn.PReLU(3))]:
        assert repr(ours) == repr(theirs)


def test_linear_initialization_follows_torch_distribution():
    cr.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    w = layer.weight.detach().numpy()
    assert w.min() >= -bound and w.max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound  # uniform(-b, b) has std b / sqrt(3)
    b = layer.bias.detach().numpy()
    assert b.min() >= -bound and b.max() <= bound


def test_linear_rejects_wrong_feature_size_with_the_layer_and_shapes():
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=5, out_features=3, bias=True\): expected input of "
                                           r"shape \(\*, 5\), got \(4, 6\)") as info:
        nn.Linear(5, 3)(cr.ones(4, 6))
    assert "test_nn_layers.py" in str(info.value)


def test_dropout_train_and_eval():
    cr.manual_seed(0)
    layer = nn.Dropout(0.25)
    x = cr.ones(200, 100, requires_grad=True)
    y = layer(x)
    kept = (y.detach().numpy() != 0)
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75, rtol=1e-6)
    layer.eval()
    assert layer(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert (nn.Dropout(1.0)(x).detach().numpy() == 0).all()
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


def test_dropout_is_reproducible_with_manual_seed():
    cr.manual_seed(3)
    a = nn.Dropout()(cr.ones(10)).tolist()
    cr.manual_seed(3)
    assert nn.Dropout()(cr.ones(10)).tolist() == a
