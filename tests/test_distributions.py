"""multinomial, distributions.Categorical and the accelerator queries, against PyTorch."""
import numpy as np
import pytest
import torch

import chainrule as cr


def test_multinomial_with_replacement_draws_with_the_weights():
    cr.manual_seed(0)
    weights = cr.tensor([[1.0, 2.0, 7.0], [5.0, 0.0, 5.0]])   # need not sum to 1
    draws = cr.multinomial(weights, 20000, replacement=True)
    assert draws.dtype == cr.int64 and tuple(draws.shape) == (2, 20000)
    for row, expected in zip(draws.numpy(), ([0.1, 0.2, 0.7], [0.5, 0.0, 0.5])):
        frequencies = np.bincount(row, minlength=3) / row.size
        np.testing.assert_allclose(frequencies, expected, atol=0.015)  # about 4.5 standard errors


def test_multinomial_without_replacement_draws_distinct_indices_with_the_right_first_draw():
    cr.manual_seed(1)
    weights = cr.tensor([0.1, 0.6, 0.3, 0.0])
    firsts = []
    for _ in range(4000):
        draw = cr.multinomial(weights, 3).tolist()
        assert sorted(draw) == [0, 1, 2]   # distinct, and the zero-weight index never drawn
        firsts.append(draw[0])
    np.testing.assert_allclose(np.bincount(firsts, minlength=4) / 4000, [0.1, 0.6, 0.3, 0.0], atol=0.03)


def test_multinomial_shapes_match_torch():
    for weights, n, replacement in (([0.2, 0.8], 5, True), ([[1.0, 1.0, 1.0]], 2, False)):
        ours = cr.multinomial(cr.tensor(weights), n, replacement)
        theirs = torch.multinomial(torch.tensor(weights), n, replacement)
        assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == cr.int64


@pytest.mark.parametrize("weights, n, replacement, words", [
    ([0.5, -0.1], 1, True, r"probability tensor contains either `inf`, `nan` or element < 0"),
    ([0.5, float("nan")], 1, True, r"`inf`, `nan` or element < 0"),
    ([0.0, 0.0], 1, True, r"sum of probabilities <= 0"),
    ([0.5, 0.5], 3, False, r"cannot sample n_sample > prob_dist.size\(-1\) samples without replacement"),
    ([0.5, 0.5], 0, True, r"cannot sample num_samples=0"),
])
def test_multinomial_refuses_what_pytorch_refuses(weights, n, replacement, words):
    with pytest.raises(RuntimeError, match=words):
        cr.multinomial(cr.tensor(weights), n, replacement)
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(weights), n, replacement)


@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_categorical_log_prob_and_entropy_and_their_gradients_match_torch(kind):
    rng = np.random.default_rng(0)
    raw = rng.uniform(0.1, 2.0, (4, 5))
    values = rng.integers(0, 5, (3, 4))
    results = []
    for lib in (cr, torch):
        param = lib.tensor(raw, requires_grad=True)
        dist = lib.distributions.Categorical(**{kind: param})
        log_prob = dist.log_prob(lib.tensor(values))                # (3, 4): broadcast over the batch
        loss = log_prob.sum() + dist.entropy().sum()
        loss.backward()
        results.append((log_prob.detach().numpy(), dist.entropy().detach().numpy(), param.grad.numpy(),
                        tuple(dist.batch_shape), dist.probs.detach().numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_categorical_samples_follow_the_probabilities_and_shapes():
    cr.manual_seed(0)
    dist = cr.distributions.Categorical(probs=cr.tensor([[0.2, 0.8], [0.9, 0.1]]))
    draws = dist.sample((5000,))
    assert tuple(draws.shape) == (5000, 2) and not draws.requires_grad
    np.testing.assert_allclose(draws.float().mean(0).numpy(), [0.8, 0.1], atol=0.03)
    assert tuple(dist.sample().shape) == tuple(torch.distributions.Categorical(
        probs=torch.tensor([[0.2, 0.8], [0.9, 0.1]])).sample().shape) == (2,)


def test_categorical_errors():
    with pytest.raises(ValueError, match="either `probs` or `logits` must be specified, but not both"):
        cr.distributions.Categorical()
    with pytest.raises(ValueError, match="`probs` must be finite and non-negative"):
        cr.distributions.Categorical(probs=cr.tensor([0.5, -0.5]))
    with pytest.raises(ValueError, match=r"values must be in 0..2"):
        cr.distributions.Categorical(logits=cr.zeros(3)).log_prob(cr.tensor(3))


def test_the_device_selection_line_of_pytorchs_examples_picks_the_cpu():
    def pick(lib):
        return lib.accelerator.current_accelerator() if lib.accelerator.is_available() else "cpu"
    assert pick(cr) == "cpu" and cr.accelerator.device_count() == 0
    assert not cr.backends.mps.is_available() and not cr.zeros(1).is_xpu
    with pytest.raises(RuntimeError, match="there is no accelerator"):
        cr.accelerator.set_device_index(0)


def test_without_replacement_zero_weights_come_after_every_positive_one():
    for lib in (cr, torch):
        assert sorted(lib.multinomial(lib.tensor([0.5, 0.0, 0.5]), 3).tolist()[:2]) == [0, 2]
