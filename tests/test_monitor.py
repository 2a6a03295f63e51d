"""Monitors flag dead ReLUs, vanishing and exploding gradients and saturation on broken models,
stay quiet on a healthy one, and record what the Trainer does."""
import json
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.diag import Monitor, MonitorCallback


def data(seed=0):
    cr.manual_seed(seed)
    return cr.randn(64, 8), cr.randint(0, 4, (64,))


def run(model, lr=0.05, steps=20, every=5):
    x, y = data()
    optimizer = cr.optim.SGD(model.parameters(), lr=lr)
    monitor = Monitor(model, every=every)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for _ in range(steps):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            monitor.step(optimizer)
    return monitor


def mlp(seed=1):
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4))


def test_healthy_model_is_quiet_and_recorded_every_n_steps():
    model = mlp()
    monitor = run(model)
    assert monitor.flags == []
    steps = sorted({r["step"] for r in monitor.history})
    assert steps == [0, 5, 10, 15]
    first = next(r for r in monitor.history if r["layer"] == "0 (Linear)" and r["step"] == 0)
    expected = math.sqrt(sum(float((p.detach().numpy().astype(np.float64) ** 2).sum())
                             for p in mlp().children().__next__().parameters()))
    assert first["weight_norm"] == pytest.approx(expected)
    assert 0 < first["update_ratio"] < 0.1 and first["grad_norm"] > 0
    relu = next(r for r in monitor.history if r["layer"] == "1 (ReLU)")
    assert 0 <= relu["dead_fraction"] < 0.5


def test_dead_relus_after_a_bad_bias_init_are_flagged():
    model = mlp()
    with cr.no_grad():
        model[0].bias.fill_(-20.0)
    messages = [m for _, m in run(model).flags]
    assert any("1 (ReLU): 100% of the units are dead" in m for m in messages)
    assert any("0 (Linear): gradient norm 0 is 0 of the weight norm: gradients vanish" in m for m in messages)


def test_exploding_gradients_with_a_large_learning_rate_are_flagged():
    model = mlp()
    messages = [m for _, m in run(model, lr=1e4, steps=12, every=2).flags]
    assert any("explode" in m or "exploded" in m for m in messages)


def test_saturated_tanh_is_flagged():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4))
    with cr.no_grad():
        model[0].weight.mul_(100)
    messages = [m for _, m in run(model).flags]
    assert any("1 (Tanh):" in m and "saturated" in m for m in messages)


def test_trainer_callback_writes_jsonl_and_png(tmp_path):
    x, y = data()
    model = mlp()
    loader = cr.data.DataLoader(cr.data.TensorDataset(x, y), batch_size=16)
    callback = MonitorCallback(every=2, dirpath=str(tmp_path))
    trainer = cr.train.Trainer(model, cr.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(),
                               callbacks=[callback], progress=False)
    trainer.fit(loader, epochs=2)                            # 8 optimizer steps
    records = [json.loads(line) for line in (tmp_path / "monitors.jsonl").read_text().splitlines()]
    assert sorted({r["step"] for r in records}) == [0, 2, 4, 6]
    assert (tmp_path / "monitors.png").read_bytes()[:4] == b"\x89PNG"
    assert not model[0]._forward_hooks                      # hooks removed at the end
