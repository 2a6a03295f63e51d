"""``chainrule.diag.summary``: parameter counts and output shapes equal PyTorch's; multiply-adds
by hand; the model is left as it was, even when its forward fails."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.diag import summary


def torch_rows(model, x):
    """(path, type, output shape, own params) of every torch module, by forward hooks."""
    shapes = {}

    def record(path):
        def hook(module, args, output):       # returns None: the output stays as it is
            shapes.setdefault(path, tuple((output[0] if isinstance(output, tuple) else output).shape))
        return hook
    handles = [m.register_forward_hook(record(p)) for p, m in model.named_modules()]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return [(p, type(m).__name__, shapes.get(p), sum(q.numel() for q in m.parameters(recurse=False)))
            for p, m in model.named_modules()]


def chainrule_rows(report):
    shape = lambda s: tuple(s[0]) if isinstance(s, list) else s  # noqa: E731 - tuple outputs: the first
    return [("" if row.depth == 0 else row.path, row.type, shape(row.output_shape), row.params)
            for row in report.rows]


@pytest.mark.parametrize("build,shape", [
    (lambda lib: lib.nn.Sequential(lib.nn.Linear(64, 32), lib.nn.ReLU(), lib.nn.Linear(32, 10)), (2, 64)),
    (lambda lib: lib.nn.Sequential(lib.nn.Conv2d(1, 6, 3, padding=1), lib.nn.ReLU(), lib.nn.MaxPool2d(2),
                                   lib.nn.Conv2d(6, 16, 3), lib.nn.Flatten(), lib.nn.Linear(16 * 2 * 2, 10)),
     (2, 1, 8, 8)),
    (lambda lib: lib.nn.Sequential(lib.nn.BatchNorm1d(12), lib.nn.Linear(12, 4)), (3, 12)),
], ids=["mlp", "cnn", "batchnorm"])
def test_rows_match_torch(build, shape):
    cr_model, torch_model = build(cr), build(torch)
    report = summary(cr_model, shape)
    assert chainrule_rows(report) == torch_rows(torch_model, torch.zeros(shape))
    assert report.total_params == sum(p.numel() for p in torch_model.parameters())
    assert report.param_bytes == 4 * report.total_params


def test_recurrent_rows_match_torch_and_count_gates():
    cr_lstm = nn.LSTM(5, 7, num_layers=2, batch_first=True, bidirectional=True)
    torch_lstm = torch.nn.LSTM(5, 7, num_layers=2, batch_first=True, bidirectional=True)
    report = summary(cr_lstm, (3, 4, 5))                      # batch 3, 4 steps, 5 features
    row = report.rows[0]
    assert row.params == sum(p.numel() for p in torch_lstm.parameters())
    assert row.output_shape[0] == (3, 4, 14)
    # layer 1: 2 directions x 12 step-samples x 4 gates x 7 x (5 + 7); layer 2 reads 14 features
    assert row.mult_adds == 2 * 12 * 4 * 7 * (5 + 7) + 2 * 12 * 4 * 7 * (14 + 7)


def test_mult_adds_of_linear_conv_and_attention():
    linear = summary(nn.Linear(10, 3), (4, 10)).rows[0]
    assert linear.mult_adds == 4 * 3 * 10
    conv = summary(nn.Conv2d(2, 4, 3, groups=2), (1, 2, 5, 5)).rows[0]
    assert conv.mult_adds == (4 * 3 * 3) * (2 // 2) * 9      # output elements x in/groups x kernel
    attention = nn.MultiheadAttention(8, 2, batch_first=True)
    q = cr.randn(2, 5, 8)
    rows = summary(attention, input=(q, q, q)).rows
    # projections: q, k, v and out (4 x 5 x 8 x 8 per sample); scores and weighted sum: 2 x 5 x 5 x 8
    assert rows[0].mult_adds == 2 * (4 * 5 * 8 * 8 + 2 * 5 * 5 * 8)


def test_shared_and_frozen_parameters():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared, nn.Linear(4, 2))
    model[3].weight.requires_grad_(False)
    report = summary(model, (1, 4))
    assert report.total_params == 20 + 10                     # the shared layer once
    assert report.trainable_params == 20 + 2 and report.non_trainable_params == 8
    assert [row.trainable for row in report.rows] == [None, True, None, False]
    text = str(report)
    for line in ("Total params: 30", "Trainable params: 22", "Non-trainable params: 8", "Parameter memory: 120 B"):
        assert line in text


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        return self.fc(x) @ cr.ones(5, 5)


def test_a_failing_forward_raises_and_leaves_the_model_as_it_was():
    model = Broken()
    model.train()
    with pytest.raises(RuntimeError):
        summary(model, (2, 3))
    assert model.training and model.fc.training
    assert not model.fc._forward_hooks
    out = model.fc(cr.ones(1, 3))
    assert tuple(out.shape) == (1, 3)


def test_summary_needs_a_shape_or_an_input():
    with pytest.raises(ValueError, match=r"give input_shape \(with the batch dimension"):
        summary(nn.Linear(2, 2))
    np.testing.assert_equal(summary(nn.Linear(2, 2), input=cr.ones(1, 2)).total_params, 6)
