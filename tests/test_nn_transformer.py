"""nn.Transformer and its decoder against PyTorch: the same weights give the same outputs and gradients."""
import numpy as np
import pytest
import torch

import chainrule as cr


def twins(batch_first, norm_first, activation="relu"):
    torch.manual_seed(0)
    kwargs = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16, dropout=0.0,
                  activation=activation, batch_first=batch_first, norm_first=norm_first)
    theirs = torch.nn.Transformer(**kwargs).double().eval()
    ours = cr.nn.Transformer(**kwargs).double().eval()
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)  # PyTorch's names in PyTorch's order
    ours.load_state_dict({k: v.numpy() for k, v in state.items()})
    return ours, theirs


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_torch_with_masks(batch_first, norm_first):
    ours, theirs = twins(batch_first, norm_first, activation="gelu" if norm_first else "relu")
    rng = np.random.default_rng(0)
    shape_src, shape_tgt = ((3, 5, 8), (3, 4, 8)) if batch_first else ((5, 3, 8), (4, 3, 8))
    src, tgt = rng.standard_normal(shape_src), rng.standard_normal(shape_tgt)
    padding = np.zeros((3, 5), dtype=bool)
    padding[1, 3:] = True                               # the second source is two tokens shorter
    outputs, grads = [], []
    for lib, model in ((cr, ours), (torch, theirs)):
        s = lib.tensor(src, requires_grad=True)
        t = lib.tensor(tgt, requires_grad=True)
        mask = model.generate_square_subsequent_mask(4, dtype=lib.float64)
        out = model(s, t, tgt_mask=mask, src_key_padding_mask=lib.tensor(padding),
                    memory_key_padding_mask=lib.tensor(padding))
        (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape))).sum().backward()
        outputs.append(out.detach().numpy())
        grads.append([s.grad.numpy(), t.grad.numpy()] + [p.grad.numpy() for p in model.parameters()])
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-10, atol=1e-10)
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_the_subsequent_mask_matches_torch():
    np.testing.assert_array_equal(cr.nn.Transformer.generate_square_subsequent_mask(4).detach().numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())


def test_initialization_is_xavier_for_matrices():
    cr.manual_seed(0)
    model = cr.nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32)
    weight = model.encoder.layers[0].linear1.weight.detach().numpy()   # (32, 16): Xavier bound sqrt(6 / 48)
    assert np.abs(weight).max() <= np.sqrt(6 / 48) and weight.std() > 0.5 * np.sqrt(6 / 48) / np.sqrt(3)


def test_mismatched_batches_and_widths_are_named():
    model = cr.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)
    with pytest.raises(cr.ShapeError, match=r"the batch number of src and tgt must be equal \(src \(5, 3, 8\), tgt "
                                            r"\(4, 2, 8\), batch dim 1\)"):
        model(cr.zeros(5, 3, 8), cr.zeros(4, 2, 8))
    with pytest.raises(cr.ShapeError, match=r"must be equal to d_model=8"):
        model(cr.zeros(5, 3, 6), cr.zeros(4, 3, 6))


def test_an_unknown_activation_is_named():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        cr.nn.TransformerDecoderLayer(8, 2, activation="tanh")
