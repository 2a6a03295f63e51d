"""The ``solver`` section -> optimizer, learning-rate schedule and loop settings."""
from .. import optim
from ..optim import lr_scheduler
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


def build_schedule(source, solver, optimizer, steps_per_epoch):
    """(scheduler or None, interval 'epoch' or 'step')."""
    entry = solver.get("schedule")
    if entry is None:
        return None, "epoch"
    path = ("solver", "schedule")
    spec = parse_layer(source, entry, path, default_name="schedule", extra_keys=())
    if spec.type not in SCHEDULES:
        raise source.error(unknown_key("schedule", spec.type, SCHEDULES), spec.path)
    args, arg_paths = dict(spec.args), dict(spec.arg_paths)
    default_interval = "step" if spec.type == "OneCycleLR" else "epoch"
    interval = args.pop("interval", default_interval)
    if interval not in ("epoch", "step"):
        raise source.error(f"interval must be 'epoch' or 'step', got {interval!r}", arg_paths.get("interval", path))
    epochs = solver.get("epochs", 10)
    if spec.type == "OneCycleLR" and "total_steps" not in args:
        args.setdefault("epochs", epochs)
        args.setdefault("steps_per_epoch", steps_per_epoch)
    if spec.type == "CosineAnnealingLR" and "T_max" not in args:   # one cosine over the whole run
        args["T_max"] = epochs * (steps_per_epoch if interval == "step" else 1)
    scheduler = construct(source, getattr(lr_scheduler, spec.type), args, arg_paths, spec.path,
                          f"schedule {spec.type}", leading=(optimizer,))
    return scheduler, interval
