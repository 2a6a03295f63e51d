"""RNN, LSTM, GRU and cells against PyTorch, with PyTorch's state_dict loaded unchanged."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


def run_both(name, kwargs, input_shape, with_state=False, dtype=np.float64, rtol=1e-9, atol=1e-11):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(**kwargs).to(torch.float64 if dtype == np.float64 else torch.float32)
    ours = getattr(nn, name)(**kwargs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    if dtype == np.float64:
        ours.double()
    rng = np.random.default_rng(0)
    x = rng.standard_normal(input_shape).astype(dtype)
    xs, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    args_ours, args_theirs = [xs], [xt]
    if with_state:
        directions = 2 if kwargs.get("bidirectional") else 1
        batch = input_shape[0] if kwargs.get("batch_first") else input_shape[1]
        h = rng.standard_normal((kwargs.get("num_layers", 1) * directions, batch, kwargs["hidden_size"])).astype(dtype)
        if name == "LSTM":
            c = rng.standard_normal(h.shape).astype(dtype)
            args_ours.append((cr.tensor(h), cr.tensor(c)))
            args_theirs.append((torch.tensor(h), torch.tensor(c)))
        else:
            args_ours.append(cr.tensor(h))
            args_theirs.append(torch.tensor(h))
    out, state = ours(*args_ours)
    ref, ref_state = theirs(*args_theirs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)
    states = state if name == "LSTM" else (state,)
    ref_states = ref_state if name == "LSTM" else (ref_state,)
    for s, r in zip(states, ref_states):
        np.testing.assert_allclose(s.detach().numpy(), r.detach().numpy(), rtol=rtol, atol=atol)
    loss = out.sum() + sum(s.sum() for s in states) * 0.5
    ref_loss = ref.sum() + sum(r.sum() for r in ref_states) * 0.5
    loss.backward()
    ref_loss.backward()
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    their_params = dict(theirs.named_parameters())
    for n, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), their_params[n].grad.numpy(), rtol=rtol, atol=atol, err_msg=n)
    assert repr(ours) == repr(theirs)


CONFIGS = [
    dict(input_size=3, hidden_size=4),
    dict(input_size=3, hidden_size=4, num_layers=2),
    dict(input_size=3, hidden_size=4, bidirectional=True),
    dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, batch_first=True),
    dict(input_size=3, hidden_size=4, bias=False),
]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kwargs", CONFIGS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_recurrent_layers_match_torch(name, kwargs):
    shape = (2, 5, 3) if kwargs.get("batch_first") else (5, 2, 3)
    run_both(name, kwargs, shape, with_state=True)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_recurrent_unbatched_float32_and_relu(name):
    run_both(name, dict(input_size=3, hidden_size=2), (4, 3), dtype=np.float32, rtol=1e-4, atol=1e-5)
    if name == "RNN":
        run_both(name, dict(input_size=3, hidden_size=2, nonlinearity="relu"), (4, 2, 3))


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(name):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(3, 4).double()
    ours = getattr(nn, name)(3, 4)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.double()
    x = np.random.default_rng(0).standard_normal((2, 3))
    xs, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(xs), theirs(xt)
    if name == "LSTMCell":
        out, ref = out[0] + out[1], ref[0] + ref[1]
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-10)
    assert repr(ours) == repr(theirs)


def test_recurrent_dropout_between_layers_only_in_training():
    cr.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = cr.randn(5, 2, 3)
    first, _ = lstm(x)
    second, _ = lstm(x)
    assert not np.allclose(first.detach().numpy(), second.detach().numpy())
    lstm.eval()
    np.testing.assert_array_equal(lstm(x)[0].detach().numpy(), lstm(x)[0].detach().numpy())


def test_lstm_fed_the_wrong_feature_size():
    with pytest.raises(RuntimeError, match=r"LSTM: expected input of shape \(L, N, 8\).*got \(5, 2, 3\).*input_size=8"):
        nn.LSTM(8, 4)(cr.ones(5, 2, 3))
    with pytest.raises(RuntimeError, match=r"expected hidden state of shape \(1, 2, 4\), got \(1, 3, 4\)"):
        nn.GRU(3, 4)(cr.ones(5, 2, 3), cr.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
