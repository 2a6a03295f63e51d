"""Callbacks for ``Trainer``: History, EarlyStopping, ModelCheckpoint, LearningRateMonitor, TerminateOnNaN.

A callback overrides any of ``on_train_begin/end(trainer)``, ``on_epoch_begin(trainer, epoch)``,
``on_epoch_end(trainer, epoch, logs)``, ``on_batch_end(trainer, step, logs)`` and
``on_before/after_optimizer_step(trainer)``; setting
``trainer.stop_training = True`` ends training after the current step or epoch.
"""
import json
import math
import os

from ..io import save_state_dict, atomic_write


def jsonable(value):
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


class Callback:
    def state_dict(self):
        """(JSON-able state, dict of arrays) for checkpoints; by default every JSON-able attribute."""
        return {k: v for k, v in vars(self).items() if jsonable(v)}, {}

    def load_state_dict(self, state, arrays):
        vars(self).update(state)

    def on_train_begin(self, trainer):
        pass

    def on_train_end(self, trainer):
        pass

    def on_epoch_begin(self, trainer, epoch):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_batch_end(self, trainer, step, logs):
        pass

    def on_before_optimizer_step(self, trainer):
        """After backward (and clipping), before ``optimizer.step()``: the gradients are there."""

    def on_after_optimizer_step(self, trainer):
        """After ``optimizer.step()``, before the gradients are zeroed."""


class History(Callback):
    """Every logged value, per epoch (``epochs``: a list of dicts) and per step (``steps``)."""

    def __init__(self):
        self.epochs, self.steps = [], []

    def on_epoch_end(self, trainer, epoch, logs):
        self.epochs.append(dict(logs, epoch=epoch))

    def on_batch_end(self, trainer, step, logs):
        self.steps.append(dict(logs, step=step))

    def __getitem__(self, key):
        """The per-epoch series of one metric: ``history['val_loss']``."""
        return [entry[key] for entry in self.epochs if key in entry]

    def plot(self, path, metrics=None):
        """Write a PNG of the learning curves (one panel per metric, train vs validation)."""
        from .plots import plot_history
        plot_history(self, path, metrics)


def _improved(value, best, mode, min_delta):
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs; the best
    weights are restored when training ends, however it ended."""

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, mode="min", restore_best_weights=True):
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got '{mode}'")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, patience, min_delta, mode
        self.restore_best_weights = restore_best_weights
        self.best, self.best_epoch, self.wait, self.best_state = None, None, 0, None

    def state_dict(self):
        state, _ = super().state_dict()
        arrays = {f"best_state.{k}": v for k, v in (self.best_state or {}).items()}
        return state, arrays

    def load_state_dict(self, state, arrays):
        super().load_state_dict(state, arrays)
        prefix = "best_state."
        best = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
        self.best_state = best or None

    def on_epoch_end(self, trainer, epoch, logs):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping monitors '{self.monitor}', which is not among the logged values "
                           f"{sorted(logs)}; pass val_loader to fit() or monitor a training metric")
        value = logs[self.monitor]
        if _improved(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_state = {k: v.numpy().copy() for k, v in trainer.model.state_dict().items()}
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.stop_training = True

    def on_train_end(self, trainer):
        if self.restore_best_weights and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)


class ModelCheckpoint(Callback):
    """Save the model's weights (safetensors) after every epoch as ``last``, and as ``best`` when
    ``monitor`` improves; a JSON file beside them records the epoch and the metrics."""

    def __init__(self, dirpath, monitor="val_loss", mode="min", save_best=True, save_last=True):
        self.dirpath, self.monitor, self.mode = dirpath, monitor, mode
        self.save_best, self.save_last, self.best = save_best, save_last, None

    def _save(self, trainer, name, epoch, logs):
        save_state_dict(trainer.model.state_dict(), os.path.join(self.dirpath, f"{name}.safetensors"))
        info = json.dumps({"epoch": epoch, "metrics": logs}, indent=2)
        atomic_write(os.path.join(self.dirpath, f"{name}.json"), lambda path: _write_text(path, info))

    def on_epoch_end(self, trainer, epoch, logs):
        if self.save_last:
            self._save(trainer, "last", epoch, logs)
        if self.save_best and self.monitor in logs and _improved(logs[self.monitor], self.best, self.mode, 0.0):
            self.best = logs[self.monitor]
            self._save(trainer, "best", epoch, logs)


def _write_text(path, text):
    with open(path, "w") as handle:
        handle.write(text)


class LearningRateMonitor(Callback):
    """Log the learning rate of every parameter group (``lr``, or ``lr_0``, ``lr_1``, ...)."""

    def _rates(self, trainer):
        groups = trainer.optimizer.param_groups
        if len(groups) == 1:
            return {"lr": groups[0]["lr"]}
        return {f"lr_{i}": g["lr"] for i, g in enumerate(groups)}

    def on_batch_end(self, trainer, step, logs):
        logs.update(self._rates(trainer))

    def on_epoch_end(self, trainer, epoch, logs):
        logs.update(self._rates(trainer))


class TerminateOnNaN(Callback):
    """Stop as soon as the loss is NaN or infinite, with a report naming the step and the last
    finite loss (kept in ``report`` and printed)."""

    def __init__(self):
        self.last_finite, self.last_finite_step, self.report = None, None, None

    def on_batch_end(self, trainer, step, logs):
        loss = logs.get("loss")
        if loss is None:
            return
        if math.isfinite(loss):
            self.last_finite, self.last_finite_step = loss, step
            return
        self.report = (f"TerminateOnNaN: the loss became {loss} at step {step}; the last finite loss was "
                       f"{self.last_finite} at step {self.last_finite_step}. Lower the learning rate, clip "
                       f"gradients, or look for log(0) / division by zero in the loss.")
        print(self.report)
        trainer.stop_training = True
