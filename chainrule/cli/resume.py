"""``chainrule train --resume RUN_DIR [--epochs N]``: the checks before a run continues.

Before anything is loaded or written: the run directory holds a config and an intact
checkpoint (``last``, or ``last.old`` when a save was killed half-way); config.yaml is the
config the run was trained with (an edited one is refused with the list of differences,
unless ``--allow-changed-config``); the run has something left to train. A new epoch
count is recorded in config.yaml when training starts, so the printed continue-command
(``--resume RUN_DIR``) is always right.
"""
import json
import os
import sys

from .. import config as config_module
from ..train import CheckpointError
from ..train.checkpoint import resolve_checkpoint, read_checkpoint_state, read_model_arrays
from .errors import UsageError
from ..config.errors import format_path
from .run_files import checkpoint_dir, write_text, config_yaml

DEFAULT_EPOCHS = 10
_IGNORED = (("solver", "epochs"), ("name",), ("report",))    # may change between sessions of a run
_SHOWN_DIFFERENCES = 12


class Resume:
    """A run about to continue: ``source`` is its config.yaml with the new epoch count applied."""

    def __init__(self, args):
        if args.config or args.set or args.seed is not None or args.out:
            raise UsageError("--resume continues a run with its own config: only --epochs may be added")
        self.run_dir = args.resume
        self.config_path = os.path.join(self.run_dir, "config.yaml")
        if not os.path.isfile(self.config_path):
            raise UsageError(f"{self.run_dir} is not a run directory with a checkpoint (needs config.yaml and "
                             f"checkpoints/last/)")
        self.resume_from = self._checkpoint()
        state = self._state()
        self.source = config_module.read_config(self.config_path)
        self.config_dir = os.path.dirname(os.path.abspath(self.config_path))
        self.name = self.source.data.get("name") or os.path.basename(os.path.normpath(self.run_dir))
        self._check_config(state, args.allow_changed_config)
        solver = self.source.data.get("solver")
        written = solver.get("epochs", DEFAULT_EPOCHS) if isinstance(solver, dict) else DEFAULT_EPOCHS
        self.epochs_before = written
        self.epochs = args.epochs if args.epochs is not None else written
        self.finished_message = self._finished(state, args.epochs)
        if args.epochs is not None:
            config_module.apply_override(self.source, f"solver.epochs={args.epochs}")
        self.recorded_config = self.source.data

    def _checkpoint(self):
        last = checkpoint_dir(self.run_dir, "last")
        if not os.path.exists(last) and not os.path.exists(last + ".old"):
            raise UsageError(f"{self.run_dir} is not a run directory with a checkpoint (needs config.yaml and "
                             f"checkpoints/last/)")
        try:
            path = resolve_checkpoint(last)
        except CheckpointError as error:
            raise CheckpointError(f"{error}{self._other_checkpoint()}") from None
        if path != last:
            print(f"{last} is missing (a save was stopped half-way): resuming from {path}", file=sys.stderr)
        return path

    def _state(self):
        try:
            return read_checkpoint_state(self.resume_from)
        except CheckpointError as error:
            raise CheckpointError(f"{error}{self._other_checkpoint()}") from None

    def _other_checkpoint(self):
        """'; the best checkpoint ... is intact' when it is, so the user knows what is left."""
        best = checkpoint_dir(self.run_dir, "best")
        try:
            state = read_checkpoint_state(resolve_checkpoint(best))
        except CheckpointError:
            return f"; no other intact checkpoint in {self.run_dir}"
        return (f"; the checkpoint {best} (epoch {state['epoch']}) is intact: copy it over "
                f"{checkpoint_dir(self.run_dir, 'last')} to continue from there")

    def _check_config(self, state, allowed):
        trained = state.get("callbacks", {}).get("RunRecorder.0", {}).get("config")
        if trained is None:             # a checkpoint from before configs were recorded in it
            return
        differences = config_differences(trained, self.source.data)
        if not differences:
            return
        listing = "\n".join(f"  {line}" for line in differences[:_SHOWN_DIFFERENCES])
        more = len(differences) - _SHOWN_DIFFERENCES
        listing += f"\n  ... and {more} more" if more > 0 else ""
        if not allowed:
            raise UsageError(f"{self.config_path} differs from the config {self.run_dir} was trained with:\n"
                             f"{listing}\nrestore it, train a new run with it, or resume anyway with "
                             f"--allow-changed-config")
        print(f"warning: resuming with a changed config ({self.config_path}):\n{listing}", file=sys.stderr)

    def _finished(self, state, requested):
        """None when there is training left; else the message that says why not (exit code 0)."""
        done = state["epoch"] if state["epoch_finished"] else state["epoch"] - 1
        least = done if state["epoch_finished"] else state["epoch"]
        if requested is not None and requested < least:
            raise UsageError(f"--epochs {requested}: the run has already trained {done} epochs"
                             f"{'' if state['epoch_finished'] else ' and is in epoch ' + str(least)}; "
                             f"--epochs must be at least {least}")
        if state["epoch_finished"] and state["stop_training"]:
            return (f"{self.run_dir} was stopped by a callback (early stopping) after epoch {state['epoch']}; "
                    f"nothing to continue, nothing changed")
        if state["epoch_finished"] and done >= self.epochs:
            return (f"{self.run_dir} has finished its {done} epochs; nothing changed (train more with "
                    f"chainrule train --resume {self.run_dir} --epochs N, N > {done})")
        return None

    def check_weights(self, experiment):
        """The checkpoint's weights fit the model (a damaged file is found before anything is written)."""
        try:
            read_model_arrays(self.resume_from, experiment.model)
        except CheckpointError as error:
            raise CheckpointError(f"{error}{self._other_checkpoint()}") from None

    def claim(self):
        """The run directory is already ours; record a new epoch count in its config.yaml."""
        if self.epochs != self.epochs_before:
            write_text(self.config_path, config_yaml(self.source.data))
            print(f"solver.epochs: {self.epochs_before} -> {self.epochs} (recorded in {self.config_path})")
        return self.run_dir


def config_differences(trained, current):
    """'solver.lr: 0.05 when trained, 0.1 now' for every key path whose value differs."""
    trained, current = _plain(trained), _plain(current)
    lines = []

    def walk(a, b, path):
        if path in _IGNORED:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(a) + [k for k in b if k not in a]:
                walk(a.get(key, _MISSING), b.get(key, _MISSING), path + (key,))
        elif a != b:
            shown = format_path(path)
            lines.append(f"{shown}: {_show(a)} when trained, {_show(b)} now")

    walk(trained, current, ())
    return lines


_MISSING = object()


def _show(value):
    return "(absent)" if value is _MISSING else json.dumps(value)


def _plain(value):
    """JSON's view of a config (what a checkpoint stores): tuples are lists, keys are strings."""
    return json.loads(json.dumps(value))
