"""The README's example runs and prints what it promises."""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_readme_example_trains_and_takes_second_derivatives():
    source = (ROOT / "README.md").read_text()
    code = re.findall(r"```python\n(.*?)```", source, re.S)[0]
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["loss"].item() < 1e-6
    assert namespace["w"].detach().numpy().ravel() == pytest.approx([2.0, -1.0, 0.5], abs=1e-3)
    assert namespace["h"].item() == pytest.approx(12.0)


def test_xor_demo_learns(capsys):
    code = (ROOT / "examples" / "xor.py").read_text()
    exec(compile(code, "xor.py", "exec"), {"__name__": "__main__"})
    out = capsys.readouterr().out
    assert "XOR learned: yes" in out
    losses = [float(m) for m in re.findall(r"loss (\d+\.\d+)", out)]
    assert losses[-1] < losses[0] / 100


def test_readme_trainer_example_learns_spirals():
    source = (ROOT / "README.md").read_text()
    code = re.findall(r"```python\n(.*?)```", source, re.S)[1]
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["history"]["val_accuracy"][-1] > 0.9


def test_the_main_job_command_trains_the_default_config(tmp_path):
    """`make train` runs the installed `chainrule` script on the default config; here for 2 epochs."""
    import json
    import os
    import shutil
    import subprocess
    import sys
    assert "$(BIN)/chainrule train\n" in (ROOT / "Makefile").read_text()
    script = shutil.which("chainrule", path=os.path.dirname(sys.executable))
    assert script is not None, "the chainrule console script is not installed: pip install -e ."
    run = tmp_path / "run"
    result = subprocess.run([script, "train", "--epochs", "2", "--out", str(run)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "test set (449 samples" in result.stdout
    for name in ("config.yaml", "metrics.jsonl", "curves.png", "summary.txt", "report.json",
                 "checkpoints/best/arrays.safetensors", "checkpoints/last/state.json"):
        assert (run / name).exists(), name
    assert json.loads((run / "report.json").read_text())["test"]["accuracy"] > 0.5
