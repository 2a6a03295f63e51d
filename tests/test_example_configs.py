"""Every config in examples/configs trains from the command line (two short epochs here; the
full runs are in the README's results table) and its training loss falls."""
import glob
import json
import os

import pytest

from chainrule.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = sorted(glob.glob(os.path.join(ROOT, "examples", "configs", "*.yaml")))
SMALLER = {"mnist1d_cnn.yaml": ["data.options.num_samples=600"],
           "mnist1d_gru.yaml": ["data.options.num_samples=300"]}


def test_the_examples_are_all_there():
    names = {os.path.basename(c) for c in CONFIGS}
    assert {"digits_mlp.yaml", "lenet_digits.yaml", "mnist1d_cnn.yaml", "mnist1d_gru.yaml",
            "multitask_digits.yaml", "autoencoder_digits.yaml", "xor.yaml"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_example_config_trains(path, tmp_path):
    run = tmp_path / "run"
    overrides = []
    for assignment in SMALLER.get(os.path.basename(path), []):
        overrides += ["--set", assignment]
    assert main(["train", path, "--epochs", "2", "--out", str(run), "--no-plots"] + overrides) == 0
    epochs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert len(epochs) == 2 and epochs[1]["loss"] < epochs[0]["loss"]
    assert (run / "report.json").exists() and (run / "checkpoints/last/state.json").exists()
    if "autoencoder" in path:
        assert (run / "samples.png").read_bytes()[:4] == b"\x89PNG"
