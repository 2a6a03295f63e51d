"""Trainer, callbacks and checkpoint files."""
import io
import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.train import (Trainer, EarlyStopping, ModelCheckpoint, LearningRateMonitor, TerminateOnNaN,
                             Callback)


def regression_data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1
    return TensorDataset(cr.tensor(x), cr.tensor(y))


def linear_model():
    cr.manual_seed(0)
    return nn.Linear(3, 1).double()


def test_fit_learns_and_reports_metrics_per_epoch():
    cr.manual_seed(0)
    train, test = cr.data.datasets.xor(n=400)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    trainer = Trainer(model, cr.optim.Adam(model.parameters(), lr=0.05), nn.CrossEntropyLoss(),
                      metrics=["accuracy", "f1"], progress=False)
    history = trainer.fit(DataLoader(train, 32, shuffle=True), DataLoader(test, 100), epochs=15)
    assert history["loss"][-1] < history["loss"][0] / 3
    assert history["val_accuracy"][-1] >= 0.95
    assert set(history.epochs[0]) >= {"loss", "accuracy", "f1", "val_loss", "val_accuracy", "val_f1", "epoch"}
    assert len(history.steps) == 15 * math.ceil(300 / 32)
    assert trainer.evaluate(DataLoader(test, 100))["accuracy"] == pytest.approx(history["val_accuracy"][-1])
    assert trainer.predict(DataLoader(test, 30)).shape == (100, 2)


def test_gradient_accumulation_equals_one_big_batch():
    data = regression_data(n=32)
    a, b = linear_model(), linear_model()
    Trainer(a, cr.optim.SGD(a.parameters(), lr=0.1), nn.MSELoss(), accumulate_grad_batches=4,
            progress=False).fit(DataLoader(data, 8), epochs=3)
    Trainer(b, cr.optim.SGD(b.parameters(), lr=0.1), nn.MSELoss(), progress=False).fit(DataLoader(data, 32), epochs=3)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-12)


def test_last_short_window_divides_by_its_real_number_of_batches():
    data = regression_data(n=24)   # batches of 8: windows of 2 batches, then a last window of 1
    a, b = linear_model(), linear_model()
    Trainer(a, cr.optim.SGD(a.parameters(), lr=0.1), nn.MSELoss(), accumulate_grad_batches=2,
            progress=False).fit(DataLoader(data, 8), epochs=1)
    opt = cr.optim.SGD(b.parameters(), lr=0.1)
    x, y = data.tensors
    for chunk in (slice(0, 16), slice(16, 24)):
        nn.MSELoss()(b(x[chunk]), y[chunk]).backward()
        opt.step()
        opt.zero_grad()
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-12)


def test_gradient_clipping_and_scheduler_per_step():
    model = linear_model()
    opt = cr.optim.SGD(model.parameters(), lr=1.0)
    seen = []

    class Spy(Callback):
        def on_batch_end(self, trainer, step, logs):
            seen.append(opt.param_groups[0]["lr"])
    scheduler = cr.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    trainer = Trainer(model, opt, nn.MSELoss(), scheduler=scheduler, scheduler_interval="step",
                      grad_clip_norm=1e-3, callbacks=[Spy(), LearningRateMonitor()], progress=False)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    trainer.fit(DataLoader(regression_data(), 8), epochs=1)
    assert seen == [0.5, 0.25, 0.125, 0.0625]
    moved = np.sqrt(sum(((p.detach().numpy() - b) ** 2).sum() for p, b in zip(model.parameters(), before)))
    assert moved <= 1.0 * 1e-3 * 4 + 1e-9   # each step moves at most lr * max_norm
    assert "lr" in trainer.history.epochs[0]


def test_early_stopping_restores_the_best_weights():
    model = linear_model()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    stopper = EarlyStopping(monitor="val_loss", patience=2)

    class Diverge(Callback):  # after epoch 3 the weights get worse every epoch
        def on_epoch_begin(self, trainer, epoch):
            if epoch > 3:
                for g in opt.param_groups:
                    g["lr"] = 3.0
    trainer = Trainer(model, opt, nn.MSELoss(), callbacks=[Diverge(), stopper], progress=False)
    history = trainer.fit(DataLoader(regression_data(), 8), DataLoader(regression_data(seed=1), 32), epochs=20)
    assert len(history.epochs) < 20 and stopper.best_epoch <= 4
    final = trainer.evaluate(DataLoader(regression_data(seed=1), 32))["loss"]
    assert final == pytest.approx(stopper.best)


def test_terminate_on_nan_names_the_step_and_last_finite_loss(capsys):
    model = linear_model()
    stop = TerminateOnNaN()
    trainer = Trainer(model, cr.optim.SGD(model.parameters(), lr=1e3), nn.MSELoss(), callbacks=[stop],
                      progress=False)
    trainer.fit(DataLoader(regression_data(n=256), 8), epochs=5)
    assert "the loss became" in stop.report and "the last finite loss was" in stop.report
    assert len(trainer.history.steps) < 5 * 32
    assert "TerminateOnNaN" in capsys.readouterr().out


def test_model_checkpoint_writes_best_and_last(tmp_path):
    model = linear_model()
    trainer = Trainer(model, cr.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(),
                      callbacks=[ModelCheckpoint(tmp_path)], progress=False)
    trainer.fit(DataLoader(regression_data(), 8), DataLoader(regression_data(seed=1), 32), epochs=3)
    assert {p.name for p in tmp_path.iterdir()} == {"best.safetensors", "best.json", "last.safetensors",
                                                     "last.json"}
    weights = cr.io.load_state_dict(str(tmp_path / "last.safetensors"))
    np.testing.assert_array_equal(weights["weight"].numpy(), model.weight.detach().numpy())
    assert json.loads((tmp_path / "last.json").read_text())["epoch"] == 3


def test_progress_is_one_line_per_epoch_when_not_a_terminal():
    model = linear_model()
    stream = io.StringIO()
    trainer = Trainer(model, cr.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss())
    trainer.progress.stream = stream
    trainer.fit(DataLoader(regression_data(), 8), epochs=2)
    lines = stream.getvalue().strip().split("\n")
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2  loss") and "samples/s" in lines[0]


def test_trainer_errors():
    model = linear_model()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        Trainer(model, opt, nn.MSELoss(), metrics=["auc"])
    with pytest.raises(ValueError, match="accumulate_grad_batches must be at least 1"):
        Trainer(model, opt, nn.MSELoss(), accumulate_grad_batches=0)
    with pytest.raises(KeyError, match="EarlyStopping monitors 'val_loss'.*pass val_loader"):
        Trainer(model, opt, nn.MSELoss(), callbacks=[EarlyStopping()], progress=False).fit(
            DataLoader(regression_data(), 8), epochs=1)


def test_seed_everything_gives_the_same_run_twice():
    import random

    def run():
        cr.seed_everything(123)
        model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 1)).double()
        trainer = Trainer(model, cr.optim.Adam(model.parameters(), lr=0.01), nn.MSELoss(), progress=False)
        trainer.fit(DataLoader(regression_data(), 8, shuffle=True), epochs=2)
        return [p.detach().numpy().copy() for p in model.parameters()], random.random(), np.random.rand()
    first, second = run(), run()
    for a, b in zip(first[0], second[0]):
        np.testing.assert_array_equal(a, b)
    assert first[1:] == second[1:]


def test_history_plot_and_image_grid_write_pngs(tmp_path):
    model = linear_model()
    trainer = Trainer(model, cr.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), metrics=["mae"], progress=False)
    history = trainer.fit(DataLoader(regression_data(), 8), DataLoader(regression_data(seed=1), 32), epochs=3)
    history.plot(str(tmp_path / "curves.png"))
    cr.train.save_image_grid(cr.rand(10, 1, 8, 8), str(tmp_path / "grid.png"), columns=5, titles=list(range(10)))
    for name in ["curves.png", "grid.png"]:
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
