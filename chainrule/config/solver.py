"""The ``solver`` section -> optimizer, learning-rate schedule and loop settings."""
import json

from .. import optim
from ..optim import lr_scheduler
from ..train import Callback
from .errors import unknown_key
from .layers import parse_layer, construct

OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "NAdam", "RAdam")
# LambdaLR and SequentialLR take Python objects and so stay in Python code.
SCHEDULES = ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "OneCycleLR",
             "ReduceLROnPlateau")
OPTIMIZER_SHORTCUTS = ("lr", "momentum", "weight_decay")   # solver keys passed to the optimizer


def build_optimizer(source, solver, parameters):
    entry = solver.get("optimizer", "SGD")
    spec = parse_layer(source, entry, ("solver", "optimizer"), default_name="optimizer", extra_keys=())
    if spec.type not in OPTIMIZERS:
        raise source.error(unknown_key("optimizer", spec.type, OPTIMIZERS), spec.path)
    args, arg_paths = dict(spec.args), dict(spec.arg_paths)
    for key in OPTIMIZER_SHORTCUTS:
        if key in solver:
            if key in args:
                raise source.error(f"'{key}' is given both in solver and in solver.optimizer; keep one",
                                   ("solver", key))
            args[key], arg_paths[key] = solver[key], ("solver", key)
    return construct(source, getattr(optim, spec.type), args, arg_paths, spec.path, f"optimizer {spec.type}",
                     leading=(parameters,))


class Schedule:
    """A config's learning-rate schedule: the scheduler, when it steps, what a ReduceLROnPlateau
    monitors, and the sizes it took from ``solver.epochs`` (``T_max``, OneCycleLR's steps)."""

    def __init__(self, scheduler=None, interval="epoch", monitor="val_loss", sized=()):
        self.scheduler, self.interval, self.monitor, self.sized = scheduler, interval, monitor, tuple(sized)

    def callbacks(self):
        return [KeepScheduleSized(self.scheduler, self.sized)] if self.sized else []


class KeepScheduleSized(Callback):
    """When training starts (or resumes), the schedule's sizes that follow from ``solver.epochs``
    take the values the config gives now. A run resumed with ``--epochs 8`` after 5 then follows
    the 8-epoch schedule its config.yaml describes, not the 5-epoch one in its checkpoint."""

    def __init__(self, scheduler, attributes):
        self.scheduler = scheduler
        self.sizes = {name: _plain(getattr(scheduler, name)) for name in attributes}

    def state_dict(self):
        return {}, {}

    def load_state_dict(self, state, arrays):
        pass

    def on_train_begin(self, trainer):
        if all(_plain(getattr(self.scheduler, name)) == size for name, size in self.sizes.items()):
            return                      # a fresh run, or a resume with the same epochs: nothing moves
        for name, size in self.sizes.items():
            setattr(self.scheduler, name, size)
        self.scheduler._apply(self.scheduler.last_epoch)     # the rate at this position of the new schedule


def _plain(value):
    """A checkpoint's view of a value (tuples become lists), so that sizes compare equal after a resume."""
    return json.loads(json.dumps(value))


def build_schedule(source, solver, optimizer, steps_per_epoch):
    """A ``Schedule`` (its scheduler None when the config has none)."""
    entry = solver.get("schedule")
    if entry is None:
        return Schedule()
    path = ("solver", "schedule")
    spec = parse_layer(source, entry, path, default_name="schedule", extra_keys=())
    if spec.type not in SCHEDULES:
        raise source.error(unknown_key("schedule", spec.type, SCHEDULES), spec.path)
    args, arg_paths = dict(spec.args), dict(spec.arg_paths)
    default_interval = "step" if spec.type == "OneCycleLR" else "epoch"
    interval = args.pop("interval", default_interval)
    if interval not in ("epoch", "step"):
        raise source.error(f"interval must be 'epoch' or 'step', got {interval!r}", arg_paths.get("interval", path))
    monitor = args.pop("monitor", "val_loss")
    if spec.type != "ReduceLROnPlateau" and "monitor" in spec.args:
        raise source.error(f"{spec.type} follows the epoch count; 'monitor' is for ReduceLROnPlateau",
                           arg_paths["monitor"])
    epochs = solver.get("epochs", 10)
    sized = []
    if spec.type == "OneCycleLR" and "total_steps" not in args:
        if "epochs" not in args:
            args["epochs"] = epochs
            sized = ["total_steps", "phases"]
        args.setdefault("steps_per_epoch", steps_per_epoch)
    if spec.type == "CosineAnnealingLR" and "T_max" not in args:   # one cosine over the whole run
        args["T_max"] = epochs * (steps_per_epoch if interval == "step" else 1)
        sized = ["T_max"]
    scheduler = construct(source, getattr(lr_scheduler, spec.type), args, arg_paths, spec.path,
                          f"schedule {spec.type}", leading=(optimizer,))
    return Schedule(scheduler, interval, monitor, sized)
