"""A small classifier trained for a few steps in chainrule and in PyTorch, from the same start."""
import numpy as np

import chainrule as cr
import torch


def train(lib, weights, x, labels, steps=5, lr=0.5):
    """Two-layer MLP, log-softmax cross-entropy via gather, plain SGD: the same code for both."""
    params = [lib.tensor(w, requires_grad=True) for w in weights]
    w1, b1, w2, b2 = params
    x, labels = lib.tensor(x), lib.tensor(labels)
    losses = []
    for _ in range(steps):
        h = (x @ w1 + b1).tanh()                                    # (N, H)
        log_probs = (h @ w2 + b2).log_softmax(dim=1)                # (N, C)
        loss = -log_probs.gather(1, labels.unsqueeze(1)).mean()     # cross-entropy
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
        losses.append(loss.item())
    return losses, [p.detach().numpy() for p in params]


def test_mlp_training_matches_torch_in_float64():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 5))
    labels = rng.integers(0, 3, 16)
    weights = [rng.standard_normal((5, 8)) * 0.5, np.zeros(8), rng.standard_normal((8, 3)) * 0.5, np.zeros(3)]
    ours, our_params = train(cr, weights, x, labels)
    theirs, their_params = train(torch, weights, x, labels)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    for a, b in zip(our_params, their_params):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert ours[-1] < ours[0]
