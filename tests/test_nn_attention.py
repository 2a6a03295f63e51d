"""Attention and the Transformer encoder against PyTorch, with PyTorch's weights loaded."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

RNG = np.random.default_rng(0)


def load_from_torch(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.double()
    theirs.double()


@pytest.mark.parametrize("case", ["plain", "bool mask", "float mask", "causal", "scale"])
def test_scaled_dot_product_attention_matches_torch(case):
    q, k, v = (RNG.standard_normal(s) for s in [(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)])
    kwargs = {}
    if case == "bool mask":
        mask = RNG.random((4, 5)) > 0.3
        mask[:, 0] = True
        kwargs["attn_mask"] = mask
    elif case == "float mask":
        kwargs["attn_mask"] = RNG.standard_normal((4, 5))
    elif case == "causal":
        kwargs["is_causal"] = True
        k, v = k[:, :, :4], v[:, :, :4]
    elif case == "scale":
        kwargs["scale"] = 0.3
    ours_in = [cr.tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    to = lambda lib, x: lib.tensor(x) if isinstance(x, np.ndarray) else x  # noqa: E731
    out = nn.functional.scaled_dot_product_attention(*ours_in, **{k_: to(cr, x) for k_, x in kwargs.items()})
    ref = torch.nn.functional.scaled_dot_product_attention(*theirs_in, **{k_: to(torch, x) for k_, x in kwargs.items()})
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    ref.sum().backward()
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "key padding", "bool attn mask", "float attn mask", "causal"])
@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention_matches_torch(batch_first, masks, average):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first)
    ours = nn.MultiheadAttention(8, 2, batch_first=batch_first)
    load_from_torch(ours, theirs)
    shape_q, shape_kv = ((3, 4, 8), (3, 5, 8)) if batch_first else ((4, 3, 8), (5, 3, 8))
    q, kv = RNG.standard_normal(shape_q), RNG.standard_normal(shape_kv)
    kwargs = {}
    if masks == "key padding":
        pad = np.zeros((3, 5), dtype=bool)
        pad[0, -2:] = True
        kwargs["key_padding_mask"] = pad
    elif masks == "bool attn mask":
        mask = RNG.random((4, 5)) > 0.7
        mask[:, 0] = False
        kwargs["attn_mask"] = mask
    elif masks == "float attn mask":
        kwargs["attn_mask"] = RNG.standard_normal((4, 5))
    elif masks == "causal":
        kv = q.copy()
        kwargs["attn_mask"] = np.triu(np.ones((4, 4), dtype=bool), 1)
    qs, kvs = cr.tensor(q, requires_grad=True), cr.tensor(kv, requires_grad=True)
    qt, kvt = torch.tensor(q, requires_grad=True), torch.tensor(kv, requires_grad=True)
    out, weights = ours(qs, kvs, kvs, average_attn_weights=average, **{k: cr.tensor(v) for k, v in kwargs.items()})
    ref, ref_weights = theirs(qt, kvt, kvt, average_attn_weights=average,
                              **{k: torch.tensor(v) for k, v in kwargs.items()})
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(weights.detach().numpy(), ref_weights.detach().numpy(), rtol=1e-9, atol=1e-11)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(qs.grad.numpy(), qt.grad.numpy(), rtol=1e-8, atol=1e-10)
    their_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), their_params[name].grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_transformer_encoder_matches_torch(norm_first, activation):
    torch.manual_seed(0)
    layer_t = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                                               batch_first=True, norm_first=norm_first)
    theirs = torch.nn.TransformerEncoder(layer_t, 2, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                                       batch_first=True, norm_first=norm_first)
    ours = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
    assert set(ours.state_dict()) == set(theirs.state_dict())
    load_from_torch(ours, theirs)
    x = RNG.standard_normal((3, 5, 8))
    pad = np.zeros((3, 5), dtype=bool)
    pad[1, -1] = True
    xs, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = ours(xs, src_key_padding_mask=cr.tensor(pad))
    ref = theirs(xt, src_key_padding_mask=torch.tensor(pad))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-8, atol=1e-10)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_encoder_layers_are_independent_copies():
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)
    w0 = encoder.layers[0].linear1.weight
    w1 = encoder.layers[1].linear1.weight
    assert w0 is not w1 and np.array_equal(w0.detach().numpy(), w1.detach().numpy())
    assert len(list(encoder.parameters())) == 2 * len(list(nn.TransformerEncoderLayer(8, 2, 16).parameters()))


def test_attention_errors():
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(8, 2)
    with pytest.raises(RuntimeError, match=r"expected query of shape \(L, N, 8\), got \(4, 3, 6\)"):
        mha(cr.ones(4, 3, 6), cr.ones(4, 3, 6), cr.ones(4, 3, 6))
    with pytest.raises(RuntimeError, match=r"expected key_padding_mask of shape \(3, 4\), got \(3, 5\)"):
        mha(cr.ones(4, 3, 8), cr.ones(4, 3, 8), cr.ones(4, 3, 8), key_padding_mask=cr.zeros(3, 5, dtype=cr.bool))
    with pytest.raises(RuntimeError, match="must have the same last dimension"):
        nn.functional.scaled_dot_product_attention(cr.ones(2, 4), cr.ones(3, 5), cr.ones(3, 5))
