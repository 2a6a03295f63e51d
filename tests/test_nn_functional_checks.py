"""gradcheck (float64 finite differences) on the functional forms, and default-initialization
statistics of every parametrized layer compared with PyTorch's."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

F = nn.functional


def t(*shape, seed=0, positive=False):
    values = np.random.default_rng(seed).standard_normal(shape)
    return cr.tensor(np.abs(values) + 0.5 if positive else values, requires_grad=True)


CASES = {
    "linear": (lambda x, w, b: F.linear(x, w, b), [(3, 4), (2, 4), (2,)]),
    "bilinear": (lambda x1, x2, w: F.bilinear(x1, x2, w), [(2, 3), (2, 2), (2, 3, 2)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)]),
    "group_norm": (lambda x, w: F.group_norm(x, 2, w), [(2, 4, 3), (4,)]),
    "instance_norm": (lambda x: F.instance_norm(x), [(2, 2, 5)]),
    "batch_norm (training)": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(4, 3), (3,), (3,)]),
    "conv1d": (lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), [(1, 2, 6), (3, 2, 3), (3,)]),
    "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1), [(1, 2, 3, 3), (2, 1, 3, 3)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [(1, 1, 4, 4)]),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (2, 3)), [(1, 1, 5, 4)]),
    "scaled_dot_product_attention": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                                     [(1, 3, 2), (1, 3, 2), (1, 3, 2)]),
    "embedding": (lambda w: F.embedding(cr.tensor([[0, 2], [2, 1]]), w), [(3, 2)]),
    "prelu": (lambda x, w: F.prelu(x, w), [(2, 3, 2), (3,)]),
    "huber_loss": (lambda x, y: F.huber_loss(x, y, delta=0.5), [(3, 2), (3, 2)]),
    "nll_loss": (lambda x: F.nll_loss(x.log_softmax(1), cr.tensor([0, 2])), [(2, 3)]),
    "kl_div": (lambda x: F.kl_div(x.log_softmax(1), cr.tensor([[0.2, 0.8], [0.5, 0.5]], dtype=cr.float64),
                                  reduction="batchmean"), [(2, 2)]),
    "triplet_margin_loss": (lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=5.0), [(2, 3), (2, 3), (2, 3)]),
}


@pytest.mark.parametrize("name", CASES)
def test_functional_gradcheck(name):
    fn, shapes = CASES[name]
    inputs = [t(*s, seed=i) for i, s in enumerate(shapes)]
    assert cr.autograd.gradcheck(fn, inputs)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_recurrent_cells_gradgradcheck(name):
    cell = getattr(nn, name + "Cell")(2, 2).double()
    x, h = t(1, 2), t(1, 2, seed=1)
    if name == "LSTM":
        assert cr.autograd.gradgradcheck(lambda a, b: cell(a, (b, b))[0], (x, h))
    else:
        assert cr.autograd.gradgradcheck(lambda a, b: cell(a, b), (x, h))


LAYERS = {
    "Linear": lambda lib: lib.nn.Linear(300, 200),
    "Bilinear": lambda lib: lib.nn.Bilinear(60, 50, 40),
    "Conv1d": lambda lib: lib.nn.Conv1d(20, 30, 5),
    "Conv2d": lambda lib: lib.nn.Conv2d(16, 32, 3),
    "ConvTranspose2d": lambda lib: lib.nn.ConvTranspose2d(16, 32, 3),
    "Embedding": lambda lib: lib.nn.Embedding(200, 100),
    "LSTM": lambda lib: lib.nn.LSTM(50, 60),
    "GRU": lambda lib: lib.nn.GRU(50, 60),
    "RNN": lambda lib: lib.nn.RNN(50, 60),
    "MultiheadAttention": lambda lib: lib.nn.MultiheadAttention(64, 4),
    "PReLU": lambda lib: lib.nn.PReLU(8),
    "BatchNorm2d": lambda lib: lib.nn.BatchNorm2d(16),
    "LayerNorm": lambda lib: lib.nn.LayerNorm(16),
    "GroupNorm": lambda lib: lib.nn.GroupNorm(4, 16),
}


@pytest.mark.parametrize("name", LAYERS)
def test_default_initialization_statistics_match_torch(name):
    cr.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = LAYERS[name](cr), LAYERS[name](torch)
    their_params = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(their_params)
    for pname, p in ours.named_parameters():
        a, b = p.detach().numpy(), their_params[pname].detach().numpy()
        assert a.shape == b.shape, pname
        if b.std() == 0:
            np.testing.assert_array_equal(a, b, err_msg=pname)   # constant initializations
        else:  # same distribution: spread and centre agree within sampling error (4 sigma)
            n = a.size
            assert abs(a.std() / b.std() - 1) < 4 / np.sqrt(2 * n), pname
            assert abs(a.mean() - b.mean()) < 4 * b.std() * np.sqrt(2 / n), pname
            assert (a.min() < 0) == (b.min() < 0), pname
