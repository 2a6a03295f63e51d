"""The ``chainrule`` command never loses a run or reports the wrong one: run directories are
claimed atomically, every path to a trained model uses the evaluation transforms, a resume
records its new epoch count (and resizes its schedule), a finished run is left alone,
outputs never replace inputs, and every exception ends in an exit code and a message."""
import json
import math
import os
import re
import signal
import stat
import threading
import textwrap

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.cli import run_files, train_command
from chainrule.cli.errors import UsageError
from chainrule.io import load_state_dict

XOR = textwrap.dedent("""\
    name: xor
    data: {dataset: xor, options: {n: 120}, validation_fraction: 0.25}
    model:
      layers:
        - Linear: {in_features: 2, out_features: 8}
        - Tanh
        - Linear: {in_features: 8, out_features: 2}
    loss: CrossEntropyLoss
    metrics: [accuracy]
    solver: {optimizer: Adam, lr: 0.05, epochs: %(epochs)d, batch_size: 8, seed: %(seed)d,
             schedule: {type: CosineAnnealingLR}}
    """)


def write_config(tmp_path, epochs=2, seed=1, name="xor.yaml"):
    path = tmp_path / name
    path.write_text(XOR % {"epochs": epochs, "seed": seed})
    return str(path)


def model_arrays(checkpoint):
    arrays = load_state_dict(os.path.join(checkpoint, "arrays.safetensors"))
    return {k: v.numpy() for k, v in arrays.items() if k.startswith("model.")}


# 1. Two runs started in the same second get two directories.

def test_runs_started_in_the_same_second_get_their_own_directories(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(train_command.time, "strftime", lambda fmt: "20261205-120000")
    import yaml
    for seed in (1, 2):                          # two configs, both naming their run "xor"
        assert main(["train", write_config(tmp_path, seed=seed, name=f"{seed}.yaml"), "--no-plots"]) == 0
    runs = sorted(os.listdir(tmp_path / "runs"))
    assert runs == ["xor-20261205-120000", "xor-20261205-120000-2"]
    seeds = [yaml.safe_load((tmp_path / "runs" / run / "config.yaml").read_text())["solver"]["seed"] for run in runs]
    assert seeds == [1, 2]                       # each directory holds its own run
    out = capsys.readouterr().out
    assert "outputs in runs/xor-20261205-120000/" in out and "outputs in runs/xor-20261205-120000-2/" in out


def test_concurrent_claims_never_share_a_directory(tmp_path):
    claimed, errors = [], []

    def claim():
        try:
            claimed.append(run_files.claim_run_directory(str(tmp_path / "runs" / "same"), chosen=False))
        except Exception as error:  # noqa: BLE001
            errors.append(error)
    threads = [threading.Thread(target=claim) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(claimed)) == 16


def test_an_empty_out_directory_is_claimed_by_one_run_only(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert run_files.claim_run_directory(str(out), chosen=True) == str(out)
    with pytest.raises(UsageError, match="not empty|just taken by another run"):
        run_files.claim_run_directory(str(out), chosen=True)


# 2. eval --data and predict use the config's evaluation transforms.

DIGITS = textwrap.dedent("""\
    data:
      dataset: digits
      validation_fraction: 0.1
      transforms: [{Normalize: {mean: [0.3], std: [0.2]}}, {RandomNoise: {std: 0.05}}]
    model:
      layers: [Flatten, {Linear: {in_features: 64, out_features: 10}}]
    loss: CrossEntropyLoss
    metrics: [accuracy]
    solver: {optimizer: Adam, lr: 0.01, epochs: 2, batch_size: 64}
    """)


def test_eval_and_predict_on_a_file_apply_the_evaluation_transforms(tmp_path, capsys):
    import chainrule.config
    (tmp_path / "digits.yaml").write_text(DIGITS)
    run = tmp_path / "run"
    assert main(["train", str(tmp_path / "digits.yaml"), "--out", str(run), "--no-plots"]) == 0
    experiment = chainrule.config.load(str(run / "config.yaml"))
    x, y = experiment.test_data.columns["x"], experiment.test_data.columns["y"]
    np.savez(tmp_path / "test.npz", x=x, y=y)
    capsys.readouterr()
    assert main(["eval", str(run), "--json", str(tmp_path / "own.json")]) == 0
    assert main(["eval", str(run), "--data", str(tmp_path / "test.npz"), "--json", str(tmp_path / "file.json")]) == 0
    own = json.loads((tmp_path / "own.json").read_text())["metrics"]
    from_file = json.loads((tmp_path / "file.json").read_text())["metrics"]
    assert own["accuracy"] == from_file["accuracy"] and own["loss"] == pytest.approx(from_file["loss"], rel=1e-6)
    assert own["accuracy"] > 0.8

    assert main(["predict", str(run), str(tmp_path / "test.npz"), "--out", str(tmp_path / "pred.npz")]) == 0
    weights = model_arrays(run / "checkpoints" / "best")
    normalized = (x.reshape(len(x), -1) - 0.3) / 0.2              # what the model was trained on
    expected = normalized @ weights["model.1.weight"].T + weights["model.1.bias"]
    with np.load(tmp_path / "pred.npz") as predicted:
        np.testing.assert_allclose(predicted["output"], expected, rtol=1e-4, atol=1e-4)
        assert (predicted["output_labels"] == y).mean() == pytest.approx(own["accuracy"])


# 3. A resume records its epochs, so the printed continue-command is right.

def _interrupt_in_epoch(monkeypatch, epoch, step_in_epoch=2):
    """Ctrl-C (a real SIGINT) after a given step of ``epoch``."""
    seen = {"count": 0}

    def on_batch_end(self, trainer, step, logs):
        if trainer.epoch == epoch:
            seen["count"] += 1
            if seen["count"] == step_in_epoch:
                os.kill(os.getpid(), signal.SIGINT)
    monkeypatch.setattr(run_files.RunRecorder, "on_batch_end", on_batch_end, raising=False)


def test_a_resume_with_more_epochs_is_recorded_and_continues_exactly(tmp_path, monkeypatch, capsys):
    config = write_config(tmp_path, epochs=2)
    reference, run = tmp_path / "reference", tmp_path / "run"
    for directory in (reference, run):
        assert main(["train", config, "--out", str(directory), "--no-plots"]) == 0
    assert main(["train", "--resume", str(reference), "--epochs", "4", "--no-plots"]) == 0

    _interrupt_in_epoch(monkeypatch, epoch=4)
    assert main(["train", "--resume", str(run), "--epochs", "4", "--no-plots"]) == 130
    err = capsys.readouterr().err
    assert f"continue with: chainrule train --resume {run} --no-plots" in err
    assert "epochs: 4" in (run / "config.yaml").read_text()
    monkeypatch.undo()
    assert main(["train", "--resume", str(run), "--no-plots"]) == 0       # the printed command

    a, b = model_arrays(reference / "checkpoints/last"), model_arrays(run / "checkpoints/last")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    history = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2, 3, 4]
    # the cosine is resized to the 4 epochs: lr(e) = lr0 (1 + cos(pi e / 4)) / 2 from epoch 3 on
    for entry in history[2:]:
        assert entry["lr"] == pytest.approx(0.05 * (1 + math.cos(math.pi * entry["epoch"] / 4)) / 2)
    state = json.loads((run / "checkpoints/last/state.json").read_text())
    assert state["scheduler"]["T_max"] == 4


# 4. A finished run resumed without more epochs changes nothing.

def test_resuming_a_finished_run_changes_nothing(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", write_config(tmp_path), "--out", str(run), "--no-plots"]) == 0
    report = (run / "report.json").read_bytes()
    assert main(["train", "--resume", str(run), "--no-plots"]) == 0
    assert "has finished its 2 epochs; nothing changed" in capsys.readouterr().out
    assert (run / "report.json").read_bytes() == report


# 5. An output never replaces an input.

def test_predict_refuses_to_overwrite_its_input(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", write_config(tmp_path), "--out", str(run), "--no-plots"]) == 0
    points = tmp_path / "points.npz"
    np.savez(points, x=np.zeros((3, 2), np.float32))
    before = points.read_bytes()
    link = tmp_path / "link.npz"
    os.symlink(points, link)
    for out in (points, link, tmp_path / "." / "points.npz"):
        assert main(["predict", str(run), str(points), "--out", str(out)]) == 2
        assert "is also an input" in capsys.readouterr().err
    assert points.read_bytes() == before


# 7. One error boundary: exit codes, messages, error.txt, Ctrl-C outside training.

def test_an_unexpected_error_in_training_exits_1_with_error_txt(tmp_path, monkeypatch, capsys):
    from chainrule import nn
    calls = {"n": 0}
    forward = nn.Linear.forward

    def failing(self, x):
        calls["n"] += 1
        if calls["n"] > 30:
            raise RuntimeError("the accelerator caught fire")
        return forward(self, x)
    monkeypatch.setattr(nn.Linear, "forward", failing)
    run = tmp_path / "run"
    assert main(["train", write_config(tmp_path), "--out", str(run), "--no-plots"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert re.search(r"training failed in epoch \d+ at step \d+: RuntimeError: the accelerator caught fire", err)
    assert f"the full traceback is in {run / 'error.txt'}" in err
    assert "Traceback (most recent call last)" in (run / "error.txt").read_text()


def test_an_unexpected_error_outside_a_run_has_no_traceback(monkeypatch, capsys):
    from chainrule.cli import inspect_commands

    def broken(args):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(inspect_commands, "datasets", broken)
    assert main(["datasets"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "chainrule datasets: error: failed: ZeroDivisionError: division by zero" in err
    assert "CHAINRULE_TRACEBACK=1" in err
    monkeypatch.setenv("CHAINRULE_TRACEBACK", "1")
    assert main(["datasets"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_ctrl_c_during_start_up_exits_130_and_writes_nothing(tmp_path, monkeypatch, capsys):
    import chainrule.config

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(chainrule.config, "build", interrupted)
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path)
    assert main(["train", config, "--no-plots"]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and "stopped by Ctrl-C; nothing was written" in err
    assert os.listdir(tmp_path) == ["xor.yaml"]


def test_ctrl_c_during_the_final_report_exits_130_and_keeps_the_run(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(train_command, "evaluate", interrupted)
    run = tmp_path / "run"
    assert main(["train", write_config(tmp_path), "--out", str(run), "--no-plots"]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and "stopped by Ctrl-C" in err
    assert (run / "checkpoints" / "last" / "state.json").exists()


# 11. Files of a run follow the user's umask (a teammate can read them).

def test_run_files_follow_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        run = tmp_path / "run"
        assert main(["train", write_config(tmp_path), "--out", str(run), "--no-plots"]) == 0
    finally:
        os.umask(previous)
    for path in (run, run / "checkpoints", run / "checkpoints" / "last"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o755, path
    for path in (run / "config.yaml", run / "report.json", run / "metrics.jsonl",
                 run / "checkpoints" / "last" / "state.json", run / "checkpoints" / "last" / "arrays.safetensors"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644, path


# 9. JSON files are valid JSON: no bare NaN.

def test_reports_of_a_diverged_run_are_valid_json(tmp_path):
    config = tmp_path / "diverging.yaml"
    config.write_text("data: {dataset: linear_regression, options: {n: 100}}\n"
                      "model: {layers: [{Linear: {in_features: 3, out_features: 1}}]}\n"
                      "loss: MSELoss\nsolver: {optimizer: SGD, lr: 10.0, epochs: 30, batch_size: 10}\n")
    run = tmp_path / "run"
    with np.errstate(all="ignore"):
        assert main(["train", str(config), "--out", str(run), "--no-plots"]) == 1

    def strict(text):
        return json.loads(text, parse_constant=lambda name: pytest.fail(f"bare {name} in JSON"))
    strict((run / "report.json").read_text())
    for line in (run / "metrics.jsonl").read_text().splitlines():
        strict(line)
    strict((run / "checkpoints" / "last" / "state.json").read_text())


# 10. Resume messages: a changed config allowed on request, a save killed between its renames.

def test_allow_changed_config_resumes_with_a_warning(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", write_config(tmp_path), "--out", str(run), "--no-plots"]) == 0
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("lr: 0.05", "lr: 0.01"))
    assert main(["train", "--resume", str(run), "--epochs", "3", "--no-plots"]) == 2
    assert "solver.lr: 0.05 when trained, 0.01 now" in capsys.readouterr().err
    assert main(["train", "--resume", str(run), "--epochs", "3", "--no-plots", "--allow-changed-config"]) == 0
    err = capsys.readouterr().err
    assert "warning: resuming with a changed config" in err and "solver.lr: 0.05 when trained, 0.01 now" in err
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 3


def test_resume_falls_back_to_the_old_checkpoint(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", write_config(tmp_path), "--out", str(run), "--no-plots"]) == 0
    last = run / "checkpoints" / "last"
    os.replace(last, str(last) + ".old")              # a save killed between its two renames
    assert main(["train", "--resume", str(run), "--epochs", "3", "--no-plots"]) == 0
    assert f"{last} is missing (a save was stopped half-way): resuming from {last}.old" in capsys.readouterr().err
    assert (last / "state.json").exists() and not os.path.exists(str(last) + ".old")


def test_a_full_disk_during_training_names_the_file(tmp_path, monkeypatch, capsys):
    import errno

    def full(path, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
    run = tmp_path / "run"
    config = write_config(tmp_path)
    monkeypatch.setattr(run_files, "write_text", full)
    assert main(["train", config, "--out", str(run), "--no-plots"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert re.search(r"training failed in epoch 1 at step \d+: cannot use '.*metrics.jsonl': No space left", err)
