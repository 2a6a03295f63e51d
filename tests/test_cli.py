"""The ``chainrule`` command: run directories, exit codes, eval / predict / datasets / summary,
and Ctrl-C followed by --resume continuing bit for bit."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.io import load_state_dict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

XOR = """\
name: xor-test
data:
  dataset: xor
  options: {n: %(n)d}
  validation_fraction: 0.2
model:
  layers:
    - Linear: {in_features: 2, out_features: 8}
    - Tanh
    - Dropout: {p: 0.1}
    - Linear: {in_features: 8, out_features: 2}
loss: CrossEntropyLoss
metrics: [accuracy]
solver:
  optimizer: Adam
  lr: 0.05
  epochs: %(epochs)d
  batch_size: 8
  schedule: {type: StepLR, step_size: 2, gamma: 0.5}
  seed: 3
callbacks:
  checkpoint: {monitor: val_accuracy}
"""


def config(tmp_path, n=200, epochs=3, text=XOR):
    path = tmp_path / "xor.yaml"
    path.write_text(textwrap.dedent(text) % {"n": n, "epochs": epochs})
    return str(path)


def model_arrays(checkpoint):
    arrays = load_state_dict(os.path.join(checkpoint, "arrays.safetensors"))
    return {k: v.numpy() for k, v in arrays.items() if k.startswith("model.")}


def test_train_writes_the_whole_run_directory(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", config(tmp_path), "--out", str(run)]) == 0
    out = capsys.readouterr().out
    assert "test set (" in out and "confusion matrix (output):" in out
    for name in ("config.yaml", "metrics.jsonl", "curves.png", "summary.txt", "report.json",
                 "checkpoints/last/state.json", "checkpoints/last/arrays.safetensors",
                 "checkpoints/best/state.json", "checkpoints/best/arrays.safetensors"):
        assert (run / name).exists(), name
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2, 3]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr"} <= set(lines[0])
    report = json.loads((run / "report.json").read_text())
    assert report["epochs"] == 3 and 0.0 <= report["test"]["accuracy"] <= 1.0
    assert np.asarray(report["confusion_matrix"]["output"]).sum() == report["test"]["samples"] == 50
    assert report["train_samples_per_s"] > 0 and report["run_time_s"] > 0
    best = max(range(3), key=lambda i: (lines[i]["val_accuracy"], -i))
    assert report["best_epoch"] == best + 1
    assert "Linear" in (run / "summary.txt").read_text()
    assert (run / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_the_saved_config_reproduces_the_run(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert main(["train", config(tmp_path), "--out", str(first), "--set", "solver.lr=0.02", "--no-plots"]) == 0
    assert "lr: 0.02" in (first / "config.yaml").read_text()
    assert main(["train", str(first / "config.yaml"), "--out", str(second), "--no-plots"]) == 0
    a, b = model_arrays(first / "checkpoints/last"), model_arrays(second / "checkpoints/last")
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_a_bad_config_exits_2_and_writes_nothing(tmp_path, capsys):
    path = config(tmp_path).replace("xor.yaml", "bad.yaml")
    open(path, "w").write(textwrap.dedent(XOR % {"n": 100, "epochs": 1}).replace("in_features: 8,", "in_features: 9,"))
    run = tmp_path / "run"
    assert main(["train", path, "--out", str(run)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:11: model.layers[3]: layer '3' (Linear) fails on a sample batch" in err
    assert "Traceback" not in err
    assert not run.exists()


def test_argument_errors_exit_2(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "keep.txt").write_text("mine")
    assert main(["train", config(tmp_path), "--out", str(run)]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert (run / "keep.txt").read_text() == "mine"
    assert main(["train", "--resume", str(run), "--set", "solver.lr=1"]) == 2
    assert "only --epochs may be added" in capsys.readouterr().err
    assert main(["train", "--resume", str(run)]) == 2
    assert "is not a run directory with a checkpoint" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--epochs", "many"])
    assert exit_info.value.code == 2
    assert "invalid int value: 'many'" in capsys.readouterr().err


DIVERGING = """\
data: {dataset: linear_regression, options: {n: 200}}
model:
  layers: [{Linear: {in_features: 3, out_features: 1}}]
loss: MSELoss
solver: {optimizer: SGD, lr: 10.0, epochs: 50, batch_size: 10}
"""


def test_a_failure_during_training_exits_1_with_a_report(tmp_path, capsys):
    path = tmp_path / "diverging.yaml"
    path.write_text(DIVERGING)
    run = tmp_path / "run"
    with np.errstate(all="ignore"):
        code = main(["train", str(path), "--out", str(run), "--no-plots"])
    assert code == 1
    report = json.loads((run / "report.json").read_text())
    assert "TerminateOnNaN: the loss became" in report["stopped_on_nan"]
    assert "the last finite loss was" in capsys.readouterr().out
    assert report["epochs"] < 50


@pytest.mark.parametrize("command", [[], ["train"], ["summary"], ["eval"], ["predict"], ["datasets"], ["diagnose"]])
def test_help_on_every_command(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(command + ["--help"])
    assert exit_info.value.code == 0
    assert "usage: chainrule" in capsys.readouterr().out


def test_eval_and_predict_use_the_best_weights(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", config(tmp_path), "--out", str(run), "--no-plots"]) == 0
    report = json.loads((run / "report.json").read_text())
    capsys.readouterr()
    assert main(["eval", str(run), "--json", str(tmp_path / "eval.json")]) == 0
    evaluated = json.loads((tmp_path / "eval.json").read_text())
    assert evaluated["metrics"]["accuracy"] == report["test"]["accuracy"]
    assert evaluated["metrics"]["loss"] == pytest.approx(report["test"]["loss"], rel=1e-12)

    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    np.savez(tmp_path / "points.npz", x=x, y=np.array([0, 1, 1, 0]))
    assert main(["predict", str(run), str(tmp_path / "points.npz"), "--out", str(tmp_path / "pred.npz")]) == 0
    with np.load(tmp_path / "pred.npz") as predictions:
        assert predictions["output"].shape == (4, 2)
        np.testing.assert_allclose(predictions["output_probabilities"].sum(1), 1, rtol=1e-6)
        assert (predictions["output_labels"] == predictions["output"].argmax(1)).all()
    assert main(["eval", str(run), "--data", str(tmp_path / "points.npz")]) == 0
    assert "points.npz (4 samples" in capsys.readouterr().out


def test_predict_and_eval_errors(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", config(tmp_path, epochs=1), "--out", str(run), "--no-plots"]) == 0
    np.savez(tmp_path / "wrong.npz", a=np.zeros((2, 2)), b=np.zeros(2))
    assert main(["predict", str(run), str(tmp_path / "wrong.npz"), "--out", str(tmp_path / "p.npz")]) == 2
    assert "needs the model's input array(s) ['x']; it has ['a', 'b']" in capsys.readouterr().err
    assert not (tmp_path / "p.npz").exists()
    assert main(["eval", str(run), "--data", str(tmp_path / "wrong.npz")]) == 2
    assert "the file has no column(s) ['x', 'y']" in capsys.readouterr().err
    assert main(["eval", str(tmp_path)]) == 2
    assert "is not a run directory (no config.yaml)" in capsys.readouterr().err


def test_datasets_lists_every_builtin(capsys):
    assert main(["datasets", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == {"xor", "spirals", "moons", "linear_regression", "digits", "mnist1d"}
    assert rows["digits"]["package"] == "installed" and rows["xor"]["package"] == "built in"


def test_summary_prints_the_layer_table(tmp_path, capsys):
    assert main(["summary", config(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Linear" in out and "Tanh" in out
    assert "Total params: 42" in out            # (2*8 + 8) + (8*2 + 2)


def _run_module(args, **kwargs):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-m", "chainrule"] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT, **kwargs)


def test_ctrl_c_then_resume_continues_bit_for_bit(tmp_path):
    path = config(tmp_path, n=3000, epochs=5)
    reference = tmp_path / "reference"
    assert main(["train", path, "--out", str(reference), "--no-plots"]) == 0

    run = tmp_path / "run"
    process = _run_module(["train", path, "--out", str(run), "--no-plots"])
    for line in process.stdout:                     # wait until training is under way
        if line.startswith("epoch 1/5"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "checkpoint saved in" in err and f"chainrule train --resume {run}" in err
    state = json.loads((run / "checkpoints/last/state.json").read_text())
    assert state["epoch"] < 5 or not state["epoch_finished"]

    resumed = _run_module(["train", "--resume", str(run), "--no-plots"])
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    a, b = model_arrays(reference / "checkpoints/last"), model_arrays(run / "checkpoints/last")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert (reference / "metrics.jsonl").read_text() == (run / "metrics.jsonl").read_text()
    assert json.loads((reference / "report.json").read_text())["test"] == \
        json.loads((run / "report.json").read_text())["test"]
