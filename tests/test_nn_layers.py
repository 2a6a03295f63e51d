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
    "BatchNorm1d": (lambda: nn.BatchNorm1d(5), lambda: torch.nn.BatchNorm1d(5), [(8, 5)]),
    "BatchNorm1d 3-D": (lambda: nn.BatchNorm1d(3, momentum=0.3), lambda: torch.nn.BatchNorm1d(3, momentum=0.3),
                        [(4, 3, 6)]),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(3), lambda: torch.nn.BatchNorm2d(3), [(2, 3, 4, 5)]),
    "BatchNorm2d no affine": (lambda: nn.BatchNorm2d(3, affine=False), lambda: torch.nn.BatchNorm2d(3, affine=False),
                              [(2, 3, 4, 5)]),
    "LayerNorm": (lambda: nn.LayerNorm(6), lambda: torch.nn.LayerNorm(6), [(3, 4, 6)]),
    "LayerNorm 2 dims": (lambda: nn.LayerNorm((4, 6)), lambda: torch.nn.LayerNorm((4, 6)), [(3, 4, 6)]),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), lambda: torch.nn.GroupNorm(2, 4), [(3, 4, 5)]),
    "InstanceNorm1d": (lambda: nn.InstanceNorm1d(3, affine=True), lambda: torch.nn.InstanceNorm1d(3, affine=True),
                       [(2, 3, 7)]),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(3), lambda: torch.nn.InstanceNorm2d(3), [(2, 3, 4, 4)]),
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


@pytest.mark.parametrize("name,option,value", [("LeakyReLU", "negative_slope", 0.3), ("ELU", "alpha", 2.0),
                                                ("Softplus", "beta", 3.0), ("Softmax", "dim", 0)])
def test_setting_a_layer_option_attribute_changes_the_layer_as_in_torch(name, option, value):
    ours, theirs = getattr(nn, name)(), getattr(torch.nn, name)()
    setattr(ours, option, value)
    setattr(theirs, option, value)
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(ours(cr.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-12)
    assert repr(ours) == repr(theirs)


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


@pytest.mark.parametrize("name,make_args", [("BatchNorm1d", (4,)), ("BatchNorm2d", (4,))])
def test_batchnorm_running_statistics_and_eval_mode_match_torch(name, make_args):
    torch.manual_seed(0)
    ours, theirs = getattr(nn, name)(*make_args, momentum=0.2), getattr(torch.nn, name)(*make_args, momentum=0.2)
    shape = (6, 4) if name == "BatchNorm1d" else (3, 4, 2, 2)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal(shape).astype(np.float32) * 3 + 1
        ours(cr.tensor(x))
        theirs(torch.tensor(x))
    for key in ["running_mean", "running_var", "num_batches_tracked"]:
        np.testing.assert_allclose(getattr(ours, key).numpy(), getattr(theirs, key).numpy(), rtol=1e-5)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    compare_layer(lambda: getattr(nn, name)(*make_args), lambda: getattr(torch.nn, name)(*make_args), [shape],
                  train=False)


def test_batchnorm_wrong_channels_and_rank():
    with pytest.raises(RuntimeError, match=r"BatchNorm2d\(3\): expected a 4-D input with 3 channels in dim 1, got shape \(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(cr.ones(2, 4, 5, 5))
    with pytest.raises(RuntimeError, match=r"expected a 2-D or 3-D input"):
        nn.BatchNorm1d(3)(cr.ones(2, 3, 4, 4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(cr.ones(1, 3))
    with pytest.raises(RuntimeError, match=r"layer_norm: expected input with shape \[\*, 5\], but got input of size \[2, 4\]"):
        nn.LayerNorm(5)(cr.ones(2, 4))


def test_embedding_matches_torch_with_padding_idx():
    torch.manual_seed(0)
    theirs = torch.nn.Embedding(10, 3, padding_idx=2)
    ours = nn.Embedding(10, 3, padding_idx=2)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    idx = np.array([[1, 2, 2], [9, 0, 1]])
    out, ref = ours(cr.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy())
    seed = np.random.default_rng(0).standard_normal(ref.shape).astype(np.float32)
    out.backward(cr.tensor(seed))
    ref.backward(torch.tensor(seed))
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6)
    assert (ours.weight.grad.numpy()[2] == 0).all()
    assert repr(ours) == repr(theirs)


def test_embedding_max_norm_and_errors():
    torch.manual_seed(0)
    theirs = torch.nn.Embedding(5, 4, max_norm=1.0)
    ours = nn.Embedding(5, 4, max_norm=1.0)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    idx = np.array([0, 3, 3])
    np.testing.assert_allclose(ours(cr.tensor(idx)).detach().numpy(), theirs(torch.tensor(idx)).detach().numpy(),
                               rtol=1e-5)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-5)
    with pytest.raises(IndexError, match=r"index 5 is out of range for a table of 5 rows"):
        ours(cr.tensor([5]))
    with pytest.raises(RuntimeError, match=r"expected an integer index tensor.*\.long\(\)"):
        ours(cr.tensor([0.0]))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_matches_torch(mode):
    torch.manual_seed(0)
    theirs = torch.nn.EmbeddingBag(10, 3, mode=mode)
    ours = nn.EmbeddingBag(10, 3, mode=mode)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    flat, offsets = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 3, 5])
    out, ref = ours(cr.tensor(flat), cr.tensor(offsets)), theirs(torch.tensor(flat), torch.tensor(offsets))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-6)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6)
    batch = np.array([[1, 2], [3, 3]])
    np.testing.assert_allclose(ours(cr.tensor(batch)).detach().numpy(), theirs(torch.tensor(batch)).detach().numpy(),
                               rtol=1e-6)


def test_dropout2d_zeroes_whole_channels():
    cr.manual_seed(0)
    x = cr.ones(50, 40, 3, 3)
    y = nn.Dropout2d(0.3)(x).numpy()
    per_channel = y.reshape(50, 40, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == per_channel[..., :1]).all(-1)).all()
    assert abs((per_channel[..., 0] == 0).mean() - 0.3) < 0.03
    np.testing.assert_allclose(per_channel[per_channel != 0], 1 / 0.7, rtol=1e-6)
    with pytest.raises(RuntimeError, match=r"Dropout2d: expected a 3-D \(N, C, L\) or 4-D"):
        nn.Dropout2d()(cr.ones(3, 4))


def test_alpha_dropout_keeps_selu_statistics():
    cr.manual_seed(0)
    x = nn.functional.selu(cr.randn(200_000, dtype=cr.float64))
    y = nn.AlphaDropout(0.2)(x).numpy()
    assert abs(y.mean() - x.numpy().mean()) < 0.01 and abs(y.std() - x.numpy().std()) < 0.01
    layer = nn.AlphaDropout(0.2).eval()
    assert layer(x) is x


@pytest.mark.parametrize("dim", [0, 1])
def test_weight_norm_matches_torch(dim):
    import warnings
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3), dim=dim).double()
    ours = nn.utils.weight_norm(nn.Linear(4, 3), dim=dim)
    assert [n for n, _ in ours.named_parameters()] == ["bias", "weight_g", "weight_v"]
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.double()
    x = np.random.default_rng(0).standard_normal((5, 4))
    out, ref = ours(cr.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10)
    out.sum().backward()
    ref.sum().backward()
    for name in ["weight_g", "weight_v", "bias"]:
        np.testing.assert_allclose(getattr(ours, name).grad.numpy(), getattr(theirs, name).grad.numpy(), rtol=1e-9)
    nn.utils.remove_weight_norm(ours)
    assert [n for n, _ in ours.named_parameters()] == ["bias", "weight"]
    np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(), ref.detach().numpy(), rtol=1e-10)
