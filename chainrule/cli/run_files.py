"""The files of a run directory, written as training goes (each one atomically):

    config.yaml      the resolved config (includes, --set and flags applied)
    metrics.jsonl    one JSON line per epoch
    curves.png       learning curves
    checkpoints/     last/ and best/: full checkpoints (safetensors + JSON); --resume uses last/
    summary.txt      the layer table
    report.json      final test metrics, confusion matrix, run time, throughput
"""
import json
import os
import time

from ..io import atomic_write
from ..train import Callback


def write_text(path, text):
    def write(temporary):
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
    atomic_write(path, write)


def _json(value, indent=0):
    """Indented JSON whose lists of numbers (confusion-matrix rows) stay on one line."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict) and value:
        items = [f"{pad}{json.dumps(str(k))}: {_json(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, list) and value and not all(isinstance(v, (int, float)) for v in value):
        items = [f"{pad}{_json(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + "  " * indent + "]"
    return json.dumps(value)


def write_json(path, value):
    write_text(path, _json(value) + "\n")


def checkpoint_dir(run_dir, which):
    return os.path.join(run_dir, "checkpoints", which)


class RunRecorder(Callback):
    """After every epoch: metrics.jsonl, the last checkpoint, and the best one when the monitored
    value improves; curves.png at most every ``plot_every_s`` seconds (drawing takes about half a
    second) and when training ends. Placed after History, so each checkpoint holds its epoch."""

    def __init__(self, run_dir, monitor, mode, plots=True, plot_every_s=30.0):
        self.run_dir, self.monitor, self.mode, self.plots = run_dir, monitor, mode, plots
        self.best, self.best_epoch = None, None
        self.plot_every_s, self._last_plot = plot_every_s, time.perf_counter()

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch}, {}

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
        write_text(os.path.join(self.run_dir, "metrics.jsonl"), "".join(json.dumps(e) + "\n" for e in history))
        if time.perf_counter() - self._last_plot > self.plot_every_s:
            self.plot(trainer)
        value = logs.get(self.monitor)
        improved = value is not None and self._improved(value)
        if improved:
            self.best, self.best_epoch = value, epoch
        trainer.save_checkpoint(checkpoint_dir(self.run_dir, "last"))   # after best/best_epoch are updated
        if improved:
            trainer.save_checkpoint(checkpoint_dir(self.run_dir, "best"))
