"""Exact resume: stopping at any step, saving a checkpoint and resuming gives, bit for bit,
the parameters of an uninterrupted run (shuffling, dropout, Adam, schedule, accumulation)."""
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.train import Trainer, Callback, EarlyStopping


def make_trainer(seed=0, loader_generator=False):
    cr.seed_everything(seed)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 4)).astype(np.float32)
    y = (x[:, :1] * 2 - x[:, 1:2]).astype(np.float32)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1))
    optimizer = cr.optim.Adam(model.parameters(), lr=0.01)
    scheduler = cr.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    trainer = Trainer(model, optimizer, nn.MSELoss(), metrics=["mae"], scheduler=scheduler,
                      accumulate_grad_batches=2, callbacks=[EarlyStopping("val_loss", patience=50)],
                      progress=False)
    generator = cr.Generator().manual_seed(seed + 7) if loader_generator else None
    train = DataLoader(TensorDataset(cr.tensor(x[:48]), cr.tensor(y[:48])), batch_size=5, shuffle=True,
                       generator=generator)
    val = DataLoader(TensorDataset(cr.tensor(x[48:]), cr.tensor(y[48:])), batch_size=12)
    return trainer, train, val


class StopAt(Callback):
    """Save a checkpoint after global step ``step`` and stop, like a crash right after saving."""

    def __init__(self, step, path):
        self.step, self.path = step, path

    def on_batch_end(self, trainer, step, logs):
        if step == self.step:
            trainer.save_checkpoint(self.path)
            trainer.stop_training = True


EPOCHS = 4


def final_parameters(trainer):
    return [p.detach().numpy().copy() for p in trainer.model.parameters()]


@pytest.mark.parametrize("stop_step,loader_generator", [(3, False), (10, False), (17, False), (24, False),
                                                        (13, True)])  # mid-window, epoch end, later epochs
def test_resume_is_bit_for_bit(tmp_path, stop_step, loader_generator):
    trainer, train, val = make_trainer(loader_generator=loader_generator)
    trainer.fit(train, val, EPOCHS)
    expected = final_parameters(trainer)
    expected_history = trainer.history.epochs

    first, train, val = make_trainer(loader_generator=loader_generator)
    path = str(tmp_path / "ckpt")
    first.callbacks.insert(0, StopAt(stop_step, path))
    first.fit(train, val, EPOCHS)
    assert os.path.exists(os.path.join(path, "state.json"))

    resumed, train, val = make_trainer(seed=99, loader_generator=loader_generator)  # all state from the file
    resumed.fit(train, val, EPOCHS, resume_from=path)
    for a, b in zip(final_parameters(resumed), expected):
        np.testing.assert_array_equal(a, b)
    assert [e["val_loss"] for e in resumed.history.epochs] == [e["val_loss"] for e in expected_history]
    assert resumed.optimizer.param_groups[0]["lr"] == trainer.optimizer.param_groups[0]["lr"]


def test_a_failed_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    trainer, train, val = make_trainer()
    path = str(tmp_path / "ckpt")
    trainer.fit(train, val, 1)
    trainer.save_checkpoint(path)
    before = open(os.path.join(path, "state.json")).read()

    def broken(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr("chainrule.train.checkpoint.save_state_dict", broken)
    with pytest.raises(OSError, match="disk full"):
        trainer.save_checkpoint(path)
    assert open(os.path.join(path, "state.json")).read() == before
    assert [p for p in os.listdir(tmp_path) if p.startswith(".tmp")] == []
