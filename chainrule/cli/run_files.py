"""The files of a run directory, written as training goes (each one atomically):

    config.yaml      the resolved config (includes, --set and flags applied; a resume records its
                     new epoch count here)
    metrics.jsonl    one JSON line per epoch
    curves.png       learning curves
    checkpoints/     last/ and best/: full checkpoints (safetensors + JSON); --resume uses last/
    summary.txt      the layer table
    report.json      final test metrics, confusion matrix, run time, throughput
"""
import json
import math
import os
import time

from ..io import atomic_write
from ..train import Callback
from .errors import UsageError

_MAX_SUFFIX = 1000          # runs/<name>-<time>-2, -3, ...: runs started in the same second


def write_text(path, text):
    def write(temporary):
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
    atomic_write(path, write)


def json_safe(value):
    """``value`` with NaN and infinities as null: JSON has no such numbers (a bare NaN is invalid)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def json_line(value):
    return json.dumps(json_safe(value), allow_nan=False)


def _json(value, indent=0):
    """Indented JSON whose lists of numbers (confusion-matrix rows) stay on one line."""
    value = json_safe(value)
    pad = "  " * (indent + 1)
    if isinstance(value, dict) and value:
        items = [f"{pad}{json.dumps(str(k))}: {_json(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, list) and value and not all(isinstance(v, (int, float)) for v in value):
        items = [f"{pad}{_json(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + "  " * indent + "]"
    return json.dumps(value, allow_nan=False)


def write_json(path, value):
    write_text(path, _json(value) + "\n")


def checkpoint_dir(run_dir, which):
    return os.path.join(run_dir, "checkpoints", which)


def claim_run_directory(path, chosen):
    """Create the run directory so that no other run can have it: ``os.mkdir`` either creates it
    or fails, atomically. A default name that is taken (a run started in the same second) gets a
    suffix; a directory the user chose (``--out``) must be new or empty. An empty one is claimed
    by creating its ``checkpoints/``, which again only one run can do."""
    candidates = [path] if chosen else [path] + [f"{path}-{i}" for i in range(2, _MAX_SUFFIX)]
    parent = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create the run directory's parent {parent}: {error.strerror}") from None
    for candidate in candidates:
        try:
            os.mkdir(candidate)
        except FileExistsError:
            if not chosen:
                continue
            _check_reusable(candidate)
        except OSError as error:
            raise UsageError(f"cannot create the run directory {candidate}: {error.strerror}"
                             f"{'; choose another --out' if chosen else ''}") from None
        try:
            os.mkdir(os.path.join(candidate, "checkpoints"))
        except FileExistsError:
            if not chosen:
                continue
            raise UsageError(f"the run directory {candidate} was just taken by another run; choose another "
                             f"--out") from None
        except OSError as error:
            raise UsageError(f"cannot write in the run directory {candidate}: {error.strerror}") from None
        return candidate
    raise UsageError(f"{path}: {_MAX_SUFFIX} runs of this name started in the same second; give --out")


def _check_reusable(path):
    if not os.path.isdir(path):
        raise UsageError(f"--out {path} exists and is not a directory; choose another --out")
    if os.listdir(path):
        raise UsageError(f"the run directory {path} already exists and is not empty; choose another --out "
                         f"or continue it with --resume {path}")


def resolved_config(data, config_dir, name):
    """The config as trained: include-free, overrides applied, named, data files as absolute paths."""
    import copy
    data = {"name": name, **copy.deepcopy(data)}
    for key in ("file", "test_file"):
        value = data.get("data", {}).get(key)
        if isinstance(value, str) and not os.path.isabs(value):
            data["data"][key] = os.path.abspath(os.path.join(config_dir, value))
    return data


def config_yaml(data):
    import yaml
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None)


def check_output_path(option, path, inputs):
    """An output file must not be a directory or one of the command's inputs (it would be replaced)."""
    if os.path.isdir(path):
        raise UsageError(f"{option} {path} is a directory; give a file name")
    target = os.path.realpath(path)
    for given in inputs:
        if os.path.realpath(given) == target or (os.path.exists(path) and os.path.exists(given)
                                                 and os.path.samefile(path, given)):
            raise UsageError(f"{option} {path} is also an input of this command; writing it would replace the "
                             f"input: give another file name")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"{option} {path}: the directory {parent} does not exist")


def load_model_weights(experiment, checkpoint):
    """The model weights of ``checkpoint`` into ``experiment.model``; a damaged file or weights of
    another model (an edited config.yaml) raise CheckpointError naming the file."""
    from ..train.checkpoint import read_model_arrays
    experiment.model.load_state_dict(read_model_arrays(checkpoint, experiment.model))


class RunRecorder(Callback):
    """After every epoch: metrics.jsonl, the last checkpoint, and the best one when the monitored
    value improves; curves.png at most every ``plot_every_s`` seconds (drawing takes about half a
    second) and when training ends. Placed after History, so each checkpoint holds its epoch."""

    def __init__(self, run_dir, monitor, mode, plots=True, plot_every_s=30.0, config=None):
        self.run_dir, self.monitor, self.mode, self.plots = run_dir, monitor, mode, plots
        self.best, self.best_epoch = None, None
        self.plot_every_s, self._last_plot = plot_every_s, time.perf_counter()
        self.config = config            # as trained: a resume compares config.yaml with it

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch, "config": self.config}, {}

    def load_state_dict(self, state, arrays):
        self.best, self.best_epoch = state["best"], state["best_epoch"]     # the config stays the new one

    def plot(self, trainer):
        if self.plots and trainer.history.epochs:
            trainer.history.plot(os.path.join(self.run_dir, "curves.png"))
            self._last_plot = time.perf_counter()

    def on_train_end(self, trainer):
        self.plot(trainer)

    def _improved(self, value):
        if self.best is None:
            return True
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, trainer, epoch, logs):
        history = trainer.history.epochs
        write_text(os.path.join(self.run_dir, "metrics.jsonl"), "".join(json_line(e) + "\n" for e in history))
        if time.perf_counter() - self._last_plot > self.plot_every_s:
            self.plot(trainer)
        value = logs.get(self.monitor)
        improved = value is not None and self._improved(value)
        if improved:
            self.best, self.best_epoch = value, epoch
        trainer.save_checkpoint(checkpoint_dir(self.run_dir, "last"))   # after best/best_epoch are updated
        if improved:
            trainer.save_checkpoint(checkpoint_dir(self.run_dir, "best"))
