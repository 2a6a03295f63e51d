"""Whole models: a PyTorch state_dict loads into the chainrule twin and gives the same outputs."""
import numpy as np
import torch

import chainrule as cr


def lenet(lib):
    n = lib.nn
    return n.Sequential(
        n.Conv2d(1, 6, 5, padding=2), n.ReLU(), n.MaxPool2d(2),
        n.Conv2d(6, 16, 5), n.ReLU(), n.MaxPool2d(2),
        n.Flatten(), n.Linear(400, 120), n.ReLU(), n.Linear(120, 84), n.ReLU(), n.Linear(84, 10))


class SequenceModel:
    """An embedding, a 2-layer bidirectional LSTM and a classifier on the last step."""

    @staticmethod
    def build(lib):
        n = lib.nn

        class Model(n.Module):
            def __init__(self):
                super().__init__()
                self.embed = n.Embedding(20, 8)
                self.lstm = n.LSTM(8, 12, num_layers=2, bidirectional=True, batch_first=True)
                self.head = n.Linear(24, 3)

            def forward(self, tokens):
                out, _ = self.lstm(self.embed(tokens))
                return self.head(out[:, -1])
        return Model()


def check_twin(make, inputs, rtol=1e-4, atol=1e-5):
    torch.manual_seed(0)
    theirs, ours = make(torch), make(cr)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    out, ref = ours(cr.tensor(inputs)), theirs(torch.tensor(inputs))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)
    out.sum().backward()
    ref.sum().backward()
    their_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), their_params[name].grad.numpy(), rtol=rtol * 10, atol=atol,
                                   err_msg=name)


def test_lenet_twin():
    images = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    check_twin(lenet, images)


def test_lstm_model_twin():
    tokens = np.random.default_rng(0).integers(0, 20, (3, 7))
    check_twin(SequenceModel.build, tokens)
