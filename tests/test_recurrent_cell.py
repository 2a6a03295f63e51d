"""The fused LSTM cell and the one-op split of a sequence into time steps: values and gradients
against PyTorch's unfused formulas, second derivatives, and one graph node for all steps."""
import numpy as np
import torch

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.ops.recurrent_cell import lstm_cell_state, time_steps


def test_lstm_cell_state_matches_torch_values_and_gradients():
    rng = np.random.default_rng(0)
    gates, c, weights = rng.normal(size=(3, 5, 8)), rng.normal(size=(3, 5, 2)), rng.normal(size=(3, 5, 4))
    g, s = cr.tensor(gates, requires_grad=True), cr.tensor(c, requires_grad=True)
    (lstm_cell_state(g, s) * cr.tensor(weights)).sum().backward()
    gt, st = torch.tensor(gates, requires_grad=True), torch.tensor(c, requires_grad=True)
    i, f, gg, o = gt.chunk(4, -1)
    c_next = f.sigmoid() * st + i.sigmoid() * gg.tanh()
    joined = torch.cat([o.sigmoid() * c_next.tanh(), c_next], -1)
    (joined * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(lstm_cell_state(g, s).detach().numpy(), joined.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(g.grad.numpy(), gt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s.grad.numpy(), st.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_lstm_cell_state_first_and_second_derivatives():
    rng = np.random.default_rng(1)
    g = cr.tensor(rng.normal(size=(2, 12)), requires_grad=True)
    c = cr.tensor(rng.normal(size=(2, 3)), requires_grad=True)
    assert gradcheck(lstm_cell_state, (g, c))
    assert gradgradcheck(lstm_cell_state, (g, c))


def test_lstm_cell_state_shape_error():
    import pytest
    with pytest.raises(cr.ShapeError, match=r"gates \(2, 7\) must be \(\.\.\., 4H\) for a cell state c"):
        lstm_cell_state(cr.ones(2, 7), cr.ones(2, 2))


def test_time_steps_is_one_node_and_its_gradient_stacks():
    x = cr.randn(6, 2, 3, dtype=cr.float64, requires_grad=True)
    steps = time_steps(x)
    assert len(steps) == 6 and len({id(s.grad_fn) for s in steps}) == 1
    weights = [cr.randn(2, 3, dtype=cr.float64) for _ in steps]
    sum((s * w).sum() for s, w in zip(steps[:4], weights)).backward()      # the last two get no gradient
    expected = np.stack([w.numpy() for w in weights[:4]] + [np.zeros((2, 3))] * 2)
    np.testing.assert_allclose(x.grad.numpy(), expected)
    assert gradgradcheck(lambda t: time_steps(t)[2] * time_steps(t)[3], (x.detach().requires_grad_(),))
