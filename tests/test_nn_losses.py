"""Losses against PyTorch: every option, gradients, stability at large logits, shape errors."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


def both(array, requires_grad=True):
    return cr.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad)


def check_loss(make_ours, make_theirs, input_array, target_array, rtol=1e-10, atol=1e-12):
    x, xt = both(input_array)
    y, yt = both(target_array, requires_grad=target_array.dtype.kind == "f")
    ours, theirs = make_ours()(x, y), make_theirs()(xt, yt)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)
    seed = np.random.default_rng(1).standard_normal(theirs.shape)
    ours.backward(cr.tensor(seed))
    theirs.backward(torch.tensor(seed))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    if yt.requires_grad:
        np.testing.assert_allclose(y.grad.numpy(), yt.grad.numpy(), rtol=rtol, atol=atol)


RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 4))
Y = RNG.standard_normal((6, 4))
PROBS = 1 / (1 + np.exp(-X))
BINARY = (RNG.random((6, 4)) > 0.5).astype(np.float64)
LABELS = RNG.integers(0, 4, 6)
LABELS_IGNORED = np.where(np.arange(6) % 3 == 0, -100, LABELS)
WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])
SOFT = np.exp(Y) / np.exp(Y).sum(1, keepdims=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,kwargs", [("MSELoss", {}), ("L1Loss", {}), ("SmoothL1Loss", {"beta": 0.5}),
                                         ("HuberLoss", {"delta": 0.7})])
def test_regression_losses(name, kwargs, reduction):
    check_loss(lambda: getattr(nn, name)(reduction=reduction, **kwargs),
               lambda: getattr(torch.nn, name)(reduction=reduction, **kwargs), X, Y)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [{}, {"weight": WEIGHT}, {"label_smoothing": 0.1},
                                     {"weight": WEIGHT, "label_smoothing": 0.2}, {"ignore_index": -100}])
@pytest.mark.parametrize("targets", ["indices", "indices with ignored", "probabilities"])
def test_cross_entropy(options, reduction, targets):
    target = {"indices": LABELS, "indices with ignored": LABELS_IGNORED, "probabilities": SOFT}[targets]

    def make(lib):
        opts = {k: (lib.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in options.items()}
        return lambda: lib.nn.CrossEntropyLoss(reduction=reduction, **opts)
    check_loss(make(cr), make(torch), X, target)


def test_cross_entropy_with_k_dimensional_inputs():
    x = RNG.standard_normal((2, 4, 3, 5))
    target = RNG.integers(0, 4, (2, 3, 5))
    check_loss(lambda: nn.CrossEntropyLoss(), lambda: torch.nn.CrossEntropyLoss(), x, target)
    check_loss(lambda: nn.CrossEntropyLoss(label_smoothing=0.1, reduction="none"),
               lambda: torch.nn.CrossEntropyLoss(label_smoothing=0.1, reduction="none"), x, target)


def test_cross_entropy_unbatched():
    check_loss(lambda: nn.CrossEntropyLoss(), lambda: torch.nn.CrossEntropyLoss(), X[0], np.array(2))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss(reduction):
    log_p = X - np.log(np.exp(X).sum(1, keepdims=True))
    check_loss(lambda: nn.NLLLoss(weight=cr.tensor(WEIGHT), reduction=reduction),
               lambda: torch.nn.NLLLoss(weight=torch.tensor(WEIGHT), reduction=reduction), log_p, LABELS_IGNORED)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("with_weight", [False, True])
def test_binary_cross_entropy(reduction, with_weight):
    w = RNG.random(4) if with_weight else None
    check_loss(lambda: nn.BCELoss(weight=cr.tensor(w) if with_weight else None, reduction=reduction),
               lambda: torch.nn.BCELoss(weight=torch.tensor(w) if with_weight else None, reduction=reduction),
               PROBS, BINARY)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("pos_weight", [None, np.array([1.0, 2.0, 0.5, 3.0])])
def test_binary_cross_entropy_with_logits(reduction, pos_weight):
    def make(lib):
        pw = lib.tensor(pos_weight) if pos_weight is not None else None
        return lambda: lib.nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=pw)
    check_loss(make(cr), make(torch), X * 3, BINARY)


def test_losses_are_stable_at_logits_of_a_thousand():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 5.0]], dtype=np.float32)
    check_loss(lambda: nn.CrossEntropyLoss(), lambda: torch.nn.CrossEntropyLoss(), logits, np.array([1, 1]),
               rtol=1e-5, atol=1e-5)
    check_loss(lambda: nn.BCEWithLogitsLoss(), lambda: torch.nn.BCEWithLogitsLoss(), logits,
               np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]], dtype=np.float32), rtol=1e-5, atol=1e-5)


def test_bce_of_exact_zero_and_one_is_clamped_like_torch():
    check_loss(lambda: nn.BCELoss(), lambda: torch.nn.BCELoss(), np.array([0.0, 1.0, 0.5]),
               np.array([1.0, 0.0, 1.0]), rtol=1e-7)  # gradients of ~1e11: rounding order differs


def test_functional_losses_pass_gradcheck():
    F = nn.functional
    x = cr.tensor(X[:2, :3], requires_grad=True)
    y = cr.tensor(Y[:2, :3])
    assert cr.autograd.gradcheck(lambda a: F.mse_loss(a, y), (x,))
    assert cr.autograd.gradcheck(lambda a: F.cross_entropy(a, cr.tensor([0, 2]), label_smoothing=0.1), (x,))
    assert cr.autograd.gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, cr.tensor(BINARY[:2, :3])), (x,))
    assert cr.autograd.gradgradcheck(lambda a: F.cross_entropy(a, cr.tensor([1, 0])), (x,))


def test_broadcasting_target_is_refused_with_both_shapes():
    with pytest.raises(RuntimeError, match=r"mse_loss: input shape \(4, 1\) and target shape \(4,\) differ.*view_as"):
        nn.MSELoss()(cr.ones(4, 1), cr.ones(4))
    with pytest.raises(RuntimeError, match=r"binary_cross_entropy_with_logits: input shape \(4,\) and target shape \(4, 1\)"):
        nn.BCEWithLogitsLoss()(cr.ones(4), cr.ones(4, 1))


def test_classification_loss_errors():
    with pytest.raises(RuntimeError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)"):
        nn.CrossEntropyLoss()(cr.ones(3, 4), cr.tensor([0, 1]))
    with pytest.raises(IndexError, match=r"Target 7 is out of bounds \(there are 4 classes\)"):
        nn.CrossEntropyLoss()(cr.ones(2, 4), cr.tensor([0, 7]))
    with pytest.raises(RuntimeError, match=r"weight tensor should be defined either for all 4 classes"):
        nn.CrossEntropyLoss(weight=cr.ones(3))(cr.ones(2, 4), cr.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1.*with_logits"):
        nn.BCELoss()(cr.tensor([1.5]), cr.tensor([1.0]))
    with pytest.raises(ValueError, match="avg is not a valid value for reduction; use 'mean', 'sum' or 'none'"):
        nn.MSELoss(reduction="avg")(cr.ones(2), cr.ones(2))
    with pytest.raises(RuntimeError, match="expected target of class indices"):
        nn.NLLLoss()(cr.ones(2, 3), cr.ones(2))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    log_p = X - np.log(np.exp(X).sum(1, keepdims=True))
    target = np.log(SOFT) if log_target else SOFT
    check_loss(lambda: nn.KLDivLoss(reduction=reduction, log_target=log_target),
               lambda: torch.nn.KLDivLoss(reduction=reduction, log_target=log_target), log_p, target)
    # zero probabilities in the target contribute 0 (forward; torch's target gradient there is nan)
    sparse = SOFT * (RNG.random(SOFT.shape) > 0.3)
    ours = nn.KLDivLoss(reduction=reduction)(cr.tensor(log_p), cr.tensor(sparse))
    theirs = torch.nn.KLDivLoss(reduction=reduction)(torch.tensor(log_p), torch.tensor(sparse))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_pair_and_triplet_losses(reduction):
    a, b, c = X, Y, RNG.standard_normal((6, 4))
    signs = np.array([1.0, -1.0, 1.0, -1.0, -1.0, 1.0])
    for name, kwargs, args in [("CosineEmbeddingLoss", {"margin": 0.1}, (a, b, signs)),
                               ("MarginRankingLoss", {"margin": 0.2}, (a[:, 0], b[:, 0], signs)),
                               ("TripletMarginLoss", {"margin": 0.5}, (a, b, c)),
                               ("TripletMarginLoss", {"p": 1.0, "swap": True}, (a, b, c))]:
        ours_in = [cr.tensor(x, requires_grad=True) for x in args]
        theirs_in = [torch.tensor(x, requires_grad=True) for x in args]
        out = getattr(nn, name)(reduction=reduction, **kwargs)(*ours_in)
        ref = getattr(torch.nn, name)(reduction=reduction, **kwargs)(*theirs_in)
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-9, atol=1e-11, err_msg=name)
        out.sum().backward()
        ref.sum().backward()
        for o, t in zip(ours_in[:2], theirs_in[:2]):
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-9, err_msg=name)
