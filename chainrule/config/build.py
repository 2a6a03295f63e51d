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
from .data import build_datasets, build_transforms
from .model import build_model
from .solver import build_optimizer, build_schedule
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

    def trainer(self, progress=True, callbacks=()):
        """A ``Trainer`` with this config's settings (plus any extra callbacks)."""
        return Trainer(self.model, self.optimizer, self.loss, metrics=self.metrics,
                       callbacks=list(self.callbacks) + list(callbacks), scheduler=self.scheduler,
                       scheduler_interval=self.scheduler_interval, grad_clip_norm=self.grad_clip_norm,
                       accumulate_grad_batches=self.accumulate_grad_batches, progress=progress)

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
            _check_loss(source, loss, prediction, y)
            _check_metrics(source, metrics, prediction, y)
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
    return callbacks, checkpoint


def build(source, config_dir=".", name=None):
    """Validate ``source`` and build its Experiment (raises ConfigError before anything runs)."""
    schema.validate(source)
    config = source.data
    solver = config.get("solver", {})
    seed = solver.get("seed", 0)
    seed_everything(seed)
    train, validation, test, inputs, targets = build_datasets(source, config["data"], seed, config_dir)
    model, specs = build_model(source, config["model"], inputs)
    outputs = model.output_names if isinstance(model, GraphModel) else None
    heads = build_heads(source, config, outputs, targets)
    loss = ConfigLoss(heads, targets, model, float(solver.get("l1", 0.0)))
    metrics = build_metrics(source, config, heads, targets)
    batch_size = solver.get("batch_size", 32)
    train_transform, eval_transform = build_transforms(source, config["data"])
    train_loader = _loader(train, train_transform, batch_size, shuffle=True)
    val_loader = _loader(validation, eval_transform, batch_size, shuffle=False)
    test_loader = _loader(test, eval_transform, batch_size, shuffle=False)
    check_sample_batch(source, model, specs, loss, metrics, _sample_batch(train_loader, batch_size))
    optimizer = build_optimizer(source, solver, model.parameters())
    scheduler, interval = build_schedule(source, solver, optimizer, len(train_loader))
    callbacks, checkpoint_monitor = _callbacks(source, config, metrics, validation is not None)
    seed_everything(seed)   # the sample batch and the checks drew nothing, but start from the seed anyway
    return Experiment(
        name=name or config.get("name") or "run", config=config, model=model, loss=loss, optimizer=optimizer,
        scheduler=scheduler, scheduler_interval=interval, train_data=train, val_data=validation, test_data=test,
        train_loader=train_loader, val_loader=val_loader, test_loader=test_loader, metrics=metrics,
        callbacks=callbacks, epochs=solver.get("epochs", 10), batch_size=batch_size, seed=seed,
        grad_clip_norm=solver.get("grad_clip_norm"), accumulate_grad_batches=solver.get("accumulate_grad_batches", 1),
        inputs=inputs, targets=targets, heads=heads, checkpoint_monitor=checkpoint_monitor)


def default_name(path):
    return os.path.splitext(os.path.basename(path))[0]
