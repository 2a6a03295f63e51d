"""Every layer with a shape contract refuses a wrong input with a ShapeError that names the module's
path, what it expected, what it got, and the user's line."""
import os

import pytest

import chainrule as cr
from chainrule import nn
from chainrule.config.layers import layer_types

HERE = os.path.basename(__file__)

# every padding layer: a 1-d input has too few dims
PADDING = {name: (lambda name=name: getattr(nn, name)(1), (5,))
           for name in (f"{kind}Pad{d}d" for kind in ("Zero", "Constant", "Reflection", "Replication", "Circular")
                        for d in (1, 2, 3))}

CASES = {
 "Linear": (lambda: nn.Linear(4, 2), (3, 5)),
 "Bilinear": (lambda: nn.Bilinear(3, 4, 2), [(2, 3), (2, 5)]),
 "Conv1d": (lambda: nn.Conv1d(3, 4, 3), (2, 2, 10)),
 "Conv2d": (lambda: nn.Conv2d(3, 4, 3), (2, 2, 8, 8)),
 "ConvTranspose2d": (lambda: nn.ConvTranspose2d(3, 4, 3), (2, 2, 8, 8)),
 "MaxPool1d": (lambda: nn.MaxPool1d(2), (2, 3, 4, 5, 6)),
 "MaxPool2d": (lambda: nn.MaxPool2d(2), (2, 3)),
 "AvgPool1d": (lambda: nn.AvgPool1d(2), (2, 3, 4, 5, 6)),
 "AvgPool2d": (lambda: nn.AvgPool2d(2), (2, 3)),
 "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d(2), (2, 3)),
 "AdaptiveMaxPool2d": (lambda: nn.AdaptiveMaxPool2d(2), (2, 3)),
 "BatchNorm1d": (lambda: nn.BatchNorm1d(4), (2, 5)),
 "BatchNorm2d": (lambda: nn.BatchNorm2d(4), (2, 5, 3, 3)),
 "LayerNorm": (lambda: nn.LayerNorm(4), (2, 5)),
 "GroupNorm": (lambda: nn.GroupNorm(2, 4), (2, 6, 3)),
 "InstanceNorm1d": (lambda: nn.InstanceNorm1d(4, affine=True), (2, 5, 3)),
 "InstanceNorm2d": (lambda: nn.InstanceNorm2d(4, affine=True), (2, 5, 3, 3)),
 "RNN": (lambda: nn.RNN(4, 5), (3, 2, 6)),
 "LSTM": (lambda: nn.LSTM(4, 5), (3, 2, 6)),
 "GRU": (lambda: nn.GRU(4, 5), (3, 2, 6)),
 "RNNCell": (lambda: nn.RNNCell(4, 5), (2, 6)),
 "LSTMCell": (lambda: nn.LSTMCell(4, 5), (2, 6)),
 "GRUCell": (lambda: nn.GRUCell(4, 5), (2, 6)),
 "MultiheadAttention": (lambda: nn.MultiheadAttention(8, 2), [(3, 2, 6)] * 3),
 "TransformerEncoderLayer": (lambda: nn.TransformerEncoderLayer(8, 2, 16), (3, 2, 6)),
 "TransformerEncoder": (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2), (3, 2, 6)),
 "TransformerDecoderLayer": (lambda: nn.TransformerDecoderLayer(8, 2, 16), [(4, 2, 6), (3, 2, 8)]),
 "TransformerDecoder": (lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 2), [(4, 2, 6), (3, 2, 8)]),
 "Transformer": (lambda: nn.Transformer(8, 2, 1, 1, 16), [(3, 2, 6), (4, 2, 6)]),
 "PixelShuffle": (lambda: nn.PixelShuffle(2), (1, 6, 2, 2)),
 "PixelUnshuffle": (lambda: nn.PixelUnshuffle(2), (1, 2, 3, 3)),
 "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), (2, 5)),
 "PReLU": (lambda: nn.PReLU(4), (2, 5)),
}

# Layers that take any shape (elementwise activations, dropout, reshaping helpers) or whose
# wrong input is a dtype error rather than a shape error (embeddings: RuntimeError, as in PyTorch).
SHAPE_FREE = {"Identity", "Flatten", "Dropout", "Dropout2d", "AlphaDropout", "Embedding", "EmbeddingBag",
              "ReLU", "ReLU6", "Sigmoid", "Tanh", "SiLU", "Mish", "SELU", "Softsign", "LogSigmoid", "Hardsigmoid",
              "Hardswish", "LeakyReLU", "ELU", "CELU", "GELU", "Softplus", "Hardtanh", "Softmax", "LogSoftmax",
              "Add", "Multiply", "Concat", "Reshape", "Permute", "Select", "LastStep"}
CASES.update(PADDING)


def test_every_layer_with_a_shape_contract_is_covered():
    missing = set(layer_types()) - SHAPE_FREE - set(CASES)
    assert not missing, f"add a wrong-shape case for {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_wrong_input_names_module_shapes_and_line(name):
    make, shape = CASES[name]
    shapes = shape if isinstance(shape, list) else [shape]
    inputs = [cr.randn(*s) for s in shapes]
    model = nn.Sequential(nn.Identity(), make()) if len(inputs) == 1 else make()
    with pytest.raises(cr.ShapeError) as info:
        model(*inputs)
    message = str(info.value)
    if len(inputs) == 1:
        assert f"in module '1' ({name})" in message or f"in module '1.self_attn'" in message or \
            "in module '1.layers.0.self_attn'" in message
    assert "expected" in message or "must" in message
    assert f"{HERE}:" in message
    assert any(str(tuple(s)) in message or str(list(s)) in message for s in shapes)
