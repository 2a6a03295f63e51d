"""The bad-input corpus: every case in tests/cli_bad_inputs/ runs the ``chainrule`` command on a
small bad input and checks its exit code, the words its message must contain, that no
traceback is shown, and (where promised) that nothing was written.

A case is a YAML file:

    about: what the case is
    argv: [train, model.yaml, --no-plots]     # run in a fresh directory holding the files below
    config: |                                 # written to model.yaml (or `from: xor` + `replace:`)
      ...
    files: {name: text}                       # more files (CSV, YAML)
    npz: {name.npz: {array: "numpy expression"}}
    run: trained                              # a trained run copied to run/ first
    mutate: [{truncate: path}, {write: path, text: ...}, {delete: path}, {rename: [a, b]}]
    exit: 2
    says: [words the message must contain]
    writes_nothing: true                      # the directory is unchanged afterwards
"""
import glob
import os
import shutil
import textwrap

import numpy as np
import pytest
import yaml

from chainrule.cli import main

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = sorted(glob.glob(os.path.join(HERE, "cli_bad_inputs", "*.yaml")))

# The base config most cases change a line of (`from: xor`, `replace: [[old, new], ...]`).
XOR = textwrap.dedent("""\
    name: xor
    data:
      dataset: xor
      options: {n: 80}
      validation_fraction: 0.25
    model:
      layers:
        - Linear: {in_features: 2, out_features: 8}
        - Tanh
        - Linear: {in_features: 8, out_features: 2}
    loss: CrossEntropyLoss
    metrics: [accuracy]
    solver:
      optimizer: Adam
      lr: 0.05
      epochs: 2
      batch_size: 16
      seed: 1
    """)
# A config reading its samples from data.csv (`from: csv`): columns a, b and the label y.
CSV = textwrap.dedent("""\
    data:
      file: data.csv
      columns: {x: [a, b]}
      validation_fraction: 0.25
    model:
      layers:
        - Linear: {in_features: 2, out_features: 2}
    loss: CrossEntropyLoss
    solver: {epochs: 1, batch_size: 8}
    """)
BASES = {"xor": XOR, "csv": CSV}


def _case(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """One small trained run, copied by every case that needs one."""
    where = tmp_path_factory.mktemp("trained")
    (where / "model.yaml").write_text(XOR)
    assert main(["train", str(where / "model.yaml"), "--out", str(where / "run"), "--no-plots"]) == 0
    np.savez(where / "points.npz", x=np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32),
             y=np.array([0, 1, 1, 0]))
    return where


def _config_text(case):
    if "config" in case:
        return case["config"]
    text = BASES[case["from"]]
    for old, new in case.get("replace", []):
        assert old in text, f"replace: {old!r} is not in the {case['from']} config"
        text = text.replace(old, new)
    return text


def _set_up(case, directory, trained_run):
    if "config" in case or "from" in case:
        (directory / case.get("config_name", "model.yaml")).write_bytes(_config_text(case).encode("utf-8"))
    for name, text in (case.get("files") or {}).items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(text.encode("utf-8") if isinstance(text, str) else bytes(text))
    for name, arrays in (case.get("npz") or {}).items():
        np.savez(directory / name, **{key: eval(expression, {"np": np}) for key, expression in arrays.items()})
    for index in range(case.get("include_chain", 0)):         # model.yaml <- inc1.yaml <- inc2.yaml ...
        name = "model.yaml" if index == 0 else f"inc{index}.yaml"
        (directory / name).write_text(f"include: inc{index + 1}.yaml\n")
    if case.get("run") == "trained":
        shutil.copytree(trained_run / "run", directory / "run")
        shutil.copy(trained_run / "points.npz", directory / "points.npz")
    for step in case.get("mutate") or []:
        _mutate(directory, step)


def _mutate(directory, step):
    if "truncate" in step:
        path = directory / step["truncate"]
        data = path.read_bytes()
        path.write_bytes(data[:step.get("keep", len(data) // 2)])
    elif "write" in step:
        (directory / step["write"]).write_text(step["text"])
    elif "append" in step:
        with open(directory / step["append"], "a") as handle:
            handle.write(step["text"])
    elif "delete" in step:
        path = directory / step["delete"]
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    elif "rename" in step:
        os.replace(directory / step["rename"][0], directory / step["rename"][1])
    else:
        raise AssertionError(f"unknown mutation {step}")


def _snapshot(directory):
    """Every file and directory under ``directory`` with its size and modification time."""
    found = {}
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = os.path.join(root, name)
            info = os.stat(path)
            found[os.path.relpath(path, directory)] = (info.st_size, info.st_mtime_ns)
    return found


@pytest.mark.parametrize("path", CASES, ids=[os.path.basename(p)[:-5] for p in CASES])
def test_bad_input(path, tmp_path, monkeypatch, capsys, trained_run):
    case = _case(path)
    _set_up(case, tmp_path, trained_run)
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    with np.errstate(all="ignore"):
        try:
            code = main(list(map(str, case["argv"])))
        except SystemExit as exit_info:            # argparse's own usage errors
            code = exit_info.code
    out, err = capsys.readouterr()
    shown = out + err
    assert "Traceback" not in shown, shown
    assert code == case["exit"], f"{case['about']}: exit code {code}\n{shown}"
    for words in case["says"]:
        assert words in shown, f"{case['about']}: {words!r} is not in the message:\n{shown}"
    if case.get("writes_nothing"):
        assert _snapshot(tmp_path) == before, f"{case['about']}: files were written"


def test_the_corpus_covers_every_class():
    classes = [os.path.basename(p).split("_")[0] for p in CASES]
    assert len(CASES) >= 60
    assert {"config", "range", "data", "args", "run", "resume", "predict", "eval", "checkpoint",
            "limits", "diagnose"} <= set(classes)
