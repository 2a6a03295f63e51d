"""``chainrule diagnose`` gives a verdict per check; ``chainrule train --debug`` turns on anomaly
mode and monitors."""
import json
import textwrap
import warnings

import numpy as np
import pytest

from chainrule.cli import main

HEALTHY = """\
data: {dataset: xor, options: {n: 200}}
model:
  layers:
    - Linear: {in_features: 2, out_features: 8}
    - Tanh
    - Linear: {in_features: 8, out_features: 2}
loss: CrossEntropyLoss
metrics: [accuracy]
solver: {optimizer: Adam, lr: 0.05, epochs: 2, batch_size: 16}
"""


def write(tmp_path, text, name="model.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_diagnose_a_healthy_config(tmp_path, capsys):
    assert main(["diagnose", write(tmp_path, HEALTHY)]) == 0
    out = capsys.readouterr().out
    assert "check_init: ok: initial loss" in out and "near chance level 0.6931" in out
    assert "overfit_batch: ok" in out and "gradcheck_module: ok" in out
    assert "verdict: every check passed" in out


def test_diagnose_a_model_that_cannot_learn(tmp_path, capsys):
    stuck = HEALTHY.replace("    - Linear: {in_features: 8, out_features: 2}",
                            "    - Linear: {in_features: 8, out_features: 2}\n    - Hardtanh: {min_val: 5.0, max_val: 5.0}")
    assert main(["diagnose", write(tmp_path, stuck)]) == 1
    out = capsys.readouterr().out
    assert "overfit_batch: FAILED: the loss of one batch fell only 1x" in out
    assert "verdict: overfit_batch failed" in out


def test_train_debug_writes_monitors(tmp_path):
    run = tmp_path / "run"
    assert main(["train", write(tmp_path, HEALTHY), "--out", str(run), "--debug"]) == 0
    records = [json.loads(line) for line in (run / "monitors.jsonl").read_text().splitlines()]
    assert {"0 (Linear)", "1 (Tanh)", "2 (Linear)"} <= {r["layer"] for r in records}
    assert (run / "monitors.png").exists()


DIVERGING = """\
data: {dataset: linear_regression, options: {n: 200}}
model:
  layers: [{Linear: {in_features: 3, out_features: 1}}]
loss: MSELoss
solver: {optimizer: SGD, lr: 10.0, epochs: 50, batch_size: 10}
"""


def test_train_debug_names_the_first_op_that_overflows(tmp_path, capsys):
    run = tmp_path / "run"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        assert main(["train", write(tmp_path, DIVERGING), "--out", str(run), "--debug", "--no-plots"]) == 1
    err = capsys.readouterr().err
    assert "training failed in epoch" in err and "AnomalyError: anomaly (" in err
    assert "produced an infinity" in err or "produced NaN" in err
    assert "anomaly (" in (run / "error.txt").read_text()
