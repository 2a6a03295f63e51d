"""A whole config -> an ``Experiment``: model, loss, optimizer, schedule, data, callbacks.

Everything is checked before it is returned, including one sample batch run through
the model and the loss, so that a config that loads is a config that trains.
"""
import os
from dataclasses import dataclass, field

from .. import nn
from ..grad_mode import no_grad
from ..data import DataLoader
from ..data.loader import default_collate
from ..data.transforms import TransformDataset
from ..seeding import seed_everything
from ..train import EarlyStopping, TerminateOnNaN, LearningRateMonitor, Trainer
from .data import build_datasets, build_transforms, check_labels
from .model import build_model
from .input_shape import check_data_shape
from .solver import build_optimizer, build_schedule
from ..optim.lr_scheduler import ReduceLROnPlateau
from .losses import build_heads, build_metrics, ConfigLoss, CLASSIFICATION_LOSSES
from .graph import GraphModel
from . import schema
from .errors import without_location


@dataclass
class Experiment:
    """What a config describes, ready for ``Trainer`` or for a plain Python loop."""
    name: str
    config: dict
    model: nn.Module
    loss: ConfigLoss
    optimizer: object
    scheduler: object
    scheduler_interval: str
    train_data: object
    val_data: object
    test_data: object
    train_loader: DataLoader
    val_loader: DataLoader
    test_loader: DataLoader
    metrics: dict
    callbacks: list
    epochs: int
    batch_size: int
    seed: int
    grad_clip_norm: float = None
    accumulate_grad_batches: int = 1
    inputs: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    heads: list = field(default_factory=list)
    checkpoint_monitor: tuple = ("val_loss", "min")
    scheduler_monitor: str = "val_loss"
    eval_transform: object = None

    def trainer(self, progress=True, callbacks=()):
        """A ``Trainer`` with this config's settings (plus any extra callbacks)."""
        return Trainer(self.model, self.optimizer, self.loss, metrics=self.metrics,
                       callbacks=list(self.callbacks) + list(callbacks), scheduler=self.scheduler,
                       scheduler_interval=self.scheduler_interval, scheduler_monitor=self.scheduler_monitor,
                       grad_clip_norm=self.grad_clip_norm, accumulate_grad_batches=self.accumulate_grad_batches,
                       progress=progress)

    def evaluation_loader(self, dataset):
        """The one way data reaches a trained model (validation, test, ``eval --data``, ``predict``):
        the config's evaluation transforms (``Normalize``, ...; not the ``Random*`` ones), in order."""
        return _loader(dataset, self.eval_transform, self.batch_size, shuffle=False)

    def sample_input(self):
        """The first training sample's input as a batch of one (for summaries)."""
        x, _ = self.train_data[0]
        return {k: v.unsqueeze(0) for k, v in x.items()} if isinstance(x, dict) else x.unsqueeze(0)

    def classification_heads(self):
        """Heads whose loss is a classification loss (these get a confusion matrix in reports)."""
        return [h for h in self.heads if h.loss_type in CLASSIFICATION_LOSSES]


def _loader(dataset, transform, batch_size, shuffle):
    if dataset is None:
        return None
    if transform is not None:
        dataset = TransformDataset(dataset, transform)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)


def _sample_batch(loader, batch_size):
    """The first samples in file order (no random numbers drawn, so training is unchanged)."""
    dataset = loader.dataset
    return default_collate([dataset[i] for i in range(min(batch_size, len(dataset)))])


def _shapes(args):
    def one(value):
        if isinstance(value, (tuple, list)):
            return "(" + ", ".join(one(v) for v in value) + ")"
        return str(tuple(value.shape)) if hasattr(value, "shape") else type(value).__name__
    return ", ".join(one(a) for a in args)


def check_sample_batch(source, model, specs, loss, metrics, batch):
    """Run one batch through every layer, the loss and the metrics; a failure names the layer,
    its config line and the shapes."""
    x, y = batch
    prediction = run_layers(source, model, specs, x)
    _check_loss(source, loss, prediction, y)
    _check_metrics(source, metrics, prediction, y)
    return prediction


def run_layers(source, model, specs, x):
    """The model's output for the batch ``x``, in eval mode and without grad; a layer that fails
    is named, with its config line and the shapes it got."""
    current = {}

    def observe(name, args):
        current["name"], current["args"] = name, args

    was_training = model.training
    model.eval()
    try:
        with no_grad():
            try:
                if isinstance(model, GraphModel):
                    values = model.run(x, observe)
                    outputs = model.output_names
                    prediction = values[outputs[0]] if len(outputs) == 1 else {o: values[o] for o in outputs}
                else:
                    prediction = x
                    for name, layer in model.named_children():
                        observe(name, [prediction])
                        prediction = layer(prediction)
            except Exception as error:  # noqa: BLE001 - any failure here is a config error
                spec = specs[current["name"]]
                raise source.error(f"layer '{spec.name}' ({spec.type}) fails on a sample batch: it got input "
                                   f"{_shapes(current['args'])}: {without_location(error)}", spec.path) from None
    finally:
        model.train(was_training)
    return prediction


def _check_loss(source, loss, prediction, y):
    targets = y if isinstance(y, dict) else {loss.target_names[0]: y}
    for head in loss.heads:
        output = prediction if head.output is None else prediction[head.output]
        path = ("loss",) if head.output is None else ("losses", head.output)
        try:
            head.loss(output, targets[head.target])
        except Exception as error:  # noqa: BLE001
            shown = "the model's output" if head.output is None else f"output '{head.output}'"
            raise source.error(
                f"{head.loss_type} cannot compare {shown} of shape {tuple(output.shape)} with target "
                f"'{head.target}' of shape {tuple(targets[head.target].shape)} "
                f"(dtype {targets[head.target].dtype}): {without_location(error)}", path) from None


def _check_metrics(source, metrics, prediction, y):
    for name, fn in metrics.items():
        try:
            fn(prediction, y)
        except Exception as error:  # noqa: BLE001
            raise source.error(f"metric '{name}' cannot be computed on this model's output: {without_location(error)}",
                               ("metrics",)) from None


def _check_transforms(source, dataset, train_transform, eval_transform):
    """Each transform on the first training sample, in order; training and evaluation must give
    samples of one shape (Random* transforms run in training only)."""
    if train_transform is None:
        return
    sample, _ = dataset[0]
    shapes = {}
    for name, compose in (("training", train_transform), ("evaluation", eval_transform)):
        x = sample
        for transform in (compose.transforms if compose is not None else []):
            index = train_transform.transforms.index(transform)          # its place in data.transforms
            try:
                x = transform(x)
            except Exception as error:  # noqa: BLE001 - any failure here is a config error
                shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
                raise source.error(f"transform {type(transform).__name__} fails on a sample of shape {shape}: "
                                   f"{without_location(error)}", ("data", "transforms", index)) from None
        shapes[name] = tuple(x.shape) if hasattr(x, "shape") else None
    if shapes["training"] != shapes["evaluation"]:
        raise source.error(f"the transforms give training samples of shape {shapes['training']} but evaluation "
                           f"samples of shape {shapes['evaluation']} (Random* transforms only run in training): "
                           f"the model must see one shape", ("data", "transforms"))


def check_class_labels(source, model, heads, datasets, sample):
    """The labels of every classification head, in every split, are whole numbers in [0, classes):
    the classes are the width of the head's output on ``sample`` (a batch of inputs). A label out of
    range would otherwise fail mid-training, or with NLLLoss on some backends silently read
    garbage. A model that cannot run the sample is left to check_sample_batch to report."""
    classifiers = [head for head in heads if head.loss_type in CLASSIFICATION_LOSSES]
    if not classifiers:
        return
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            prediction = model(sample)
    except Exception:  # noqa: BLE001 - reported with its layer by check_sample_batch
        return
    finally:
        model.train(was_training)
    for head in classifiers:
        output = prediction if head.output is None else prediction[head.output]
        if output.ndim < 2:
            continue                    # the loss check reports a classifier without a class dimension
        path = ("loss",) if head.output is None else ("losses", head.output)
        check_labels(source, datasets, head.target, output.shape[1], path)


def _check_sample_grid(source, config, sample, prediction):
    """report.sample_grid shows inputs and outputs as images of ``image_shape``: both must fit it."""
    options = config.get("report", {}).get("sample_grid")
    if not options:
        return
    path = ("report", "sample_grid")
    count = options.get("count", 8)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise source.error(f"count must be an integer of at least 1, got {count!r}", path + ("count",))
    shape = options.get("image_shape")
    if not isinstance(shape, list) or not shape or not all(isinstance(n, int) and not isinstance(n, bool)
                                                           and n >= 1 for n in shape):
        raise source.error(f"image_shape must be a list of positive sizes such as [8, 8], got {shape!r}",
                           path + ("image_shape",))
    pixels = 1
    for n in shape:
        pixels *= n
    if isinstance(sample, dict) or isinstance(prediction, dict):
        raise source.error("sample_grid is for one-input, one-output models (autoencoders)", path)
    sizes = {"input": sample.numel(), "output": prediction[0].numel()}
    for what, size in sizes.items():
        if size != pixels:
            raise source.error(f"image_shape {shape} holds {pixels} values but each {what} has {size}",
                               path + ("image_shape",))


def _callbacks(source, config, metrics, has_validation):
    section = config.get("callbacks", {})
    logged = {"loss", "lr"} | set(metrics)
    if has_validation:
        logged |= {f"val_{k}" for k in {"loss"} | set(metrics)}

    def check_monitor(options, path, default_mode="min"):
        monitor = options.get("monitor", "val_loss" if has_validation else "loss")
        mode = options.get("mode", "max" if "accuracy" in monitor or "f1" in monitor else default_mode)
        if monitor not in logged:
            hint = "; set data.validation_fraction above 0 to log val_* values" if monitor.startswith("val_") \
                and not has_validation else ""
            raise source.error(f"cannot monitor '{monitor}': the run logs {sorted(logged)}{hint}",
                               path + ("monitor",))
        if mode not in ("min", "max"):
            raise source.error(f"mode must be 'min' or 'max', got {mode!r}", path + ("mode",))
        return monitor, mode

    callbacks = []
    stopping = section.get("early_stopping")
    if stopping:
        options = stopping if isinstance(stopping, dict) else {}
        monitor, mode = check_monitor(options, ("callbacks", "early_stopping"))
        callbacks.append(EarlyStopping(monitor=monitor, mode=mode, patience=options.get("patience", 5),
                                       min_delta=options.get("min_delta", 0.0)))
    if section.get("terminate_on_nan", True):
        callbacks.append(TerminateOnNaN())
    if section.get("lr_monitor", True):
        callbacks.append(LearningRateMonitor())
    checkpoint = check_monitor(section.get("checkpoint", {}), ("callbacks", "checkpoint"))
    return callbacks, checkpoint, logged


def _check_schedule_monitor(source, schedule, logged, has_validation):
    """A ReduceLROnPlateau must monitor a value the run logs before its schedule steps (lr is not one)."""
    if not isinstance(schedule.scheduler, ReduceLROnPlateau):
        return
    if schedule.interval != "epoch":
        raise source.error("ReduceLROnPlateau steps once per epoch, on a monitored value: remove 'interval: step'",
                           ("solver", "schedule"))
    if schedule.monitor not in logged - {"lr"}:
        hint = ("; the run has no validation split (data.validation_fraction is 0): monitor 'loss' or set "
                "data.validation_fraction above 0") if not has_validation else ""
        raise source.error(f"ReduceLROnPlateau cannot monitor '{schedule.monitor}': the run logs "
                           f"{sorted(logged - {'lr'})}{hint}", ("solver", "schedule"))


def build(source, config_dir=".", name=None):
    """Validate ``source`` and build its Experiment (raises ConfigError before anything runs)."""
    schema.validate(source)
    config = source.data
    solver = config.get("solver", {})
    seed = solver.get("seed", 0)
    seed_everything(seed)
    train, validation, test, inputs, targets = build_datasets(source, config["data"], seed, config_dir)
    model, specs = build_model(source, config["model"], inputs)
    check_data_shape(source, config["model"], inputs, train[0][0])
    outputs = model.output_names if isinstance(model, GraphModel) else None
    heads = build_heads(source, config, outputs, targets)
    loss = ConfigLoss(heads, targets, model, float(solver.get("l1", 0.0)))
    metrics = build_metrics(source, config, heads, targets)
    batch_size = solver.get("batch_size", 32)
    train_transform, eval_transform = build_transforms(source, config["data"])
    _check_transforms(source, train, train_transform, eval_transform)
    train_loader = _loader(train, train_transform, batch_size, shuffle=True)
    val_loader = _loader(validation, eval_transform, batch_size, shuffle=False)
    test_loader = _loader(test, eval_transform, batch_size, shuffle=False)
    check_class_labels(source, model, heads, [train, validation, test], _sample_batch(train_loader, 1)[0])
    prediction = check_sample_batch(source, model, specs, loss, metrics, _sample_batch(train_loader, batch_size))
    _check_sample_grid(source, config, train_loader.dataset[0][0], prediction)
    optimizer = build_optimizer(source, solver, model.parameters())
    schedule = build_schedule(source, solver, optimizer, len(train_loader))
    callbacks, checkpoint_monitor, logged = _callbacks(source, config, metrics, validation is not None)
    _check_schedule_monitor(source, schedule, logged, validation is not None)
    callbacks += schedule.callbacks()
    seed_everything(seed)   # the sample batch and the checks drew nothing, but start from the seed anyway
    return Experiment(
        name=name or config.get("name") or "run", config=config, model=model, loss=loss, optimizer=optimizer,
        scheduler=schedule.scheduler, scheduler_interval=schedule.interval, scheduler_monitor=schedule.monitor,
        eval_transform=eval_transform, train_data=train, val_data=validation, test_data=test,
        train_loader=train_loader, val_loader=val_loader, test_loader=test_loader, metrics=metrics,
        callbacks=callbacks, epochs=solver.get("epochs", 10), batch_size=batch_size, seed=seed,
        grad_clip_norm=solver.get("grad_clip_norm"), accumulate_grad_batches=solver.get("accumulate_grad_batches", 1),
        inputs=inputs, targets=targets, heads=heads, checkpoint_monitor=checkpoint_monitor)


def default_name(path):
    return os.path.splitext(os.path.basename(path))[0]
