"""``loss`` / ``losses`` and ``metrics`` -> a loss function and named metric functions.

One output: ``loss: CrossEntropyLoss``. Several heads: ``losses: {head: {type, target,
weight, ...}}``; the training loss is the weighted sum, and metrics are logged per head
(``digit_accuracy``).
"""
from ..optim import l1_penalty
from ..train import metrics as metric_module
from .errors import unknown_key
from .layers import parse_layer, construct, loss_types

METRICS = ("accuracy", "top_k_accuracy", "precision", "recall", "f1", "mse", "mae")
CLASSIFICATION_LOSSES = ("CrossEntropyLoss", "NLLLoss")


class Head:
    """One output's loss: ``weight * loss(output, target column)``."""

    def __init__(self, output, loss, loss_type, target, weight):
        self.output, self.loss, self.loss_type, self.target, self.weight = output, loss, loss_type, target, weight


def _build_loss(source, entry, path, extra=()):
    spec = parse_layer(source, entry, path, default_name="loss", extra_keys=())
    types = loss_types()
    if spec.type not in types:
        raise source.error(unknown_key("loss", spec.type, types), spec.path)
    args = {k: v for k, v in spec.args.items() if k not in extra}
    return construct(source, types[spec.type], args, spec.arg_paths, spec.path, f"loss {spec.type}"), spec


def build_heads(source, config, outputs, targets):
    """The Head of every model output; ``outputs`` is None for a one-output model."""
    if "loss" in config:
        if outputs is not None and len(outputs) > 1:
            raise source.error(f"the model has several outputs {outputs}: use 'losses' with one entry per "
                               f"output", ("loss",))
        if len(targets) != 1:
            raise source.error(f"one loss needs one target column, data.targets has {targets}; use 'losses' "
                               f"for several heads", ("loss",))
        loss, spec = _build_loss(source, config["loss"], ("loss",))
        return [Head(None, loss, spec.type, targets[0], 1.0)]
    section = config["losses"]
    if outputs is None or len(outputs) < 2:
        raise source.error("'losses' is for a graph model with several outputs; use 'loss' for one output",
                           ("losses",))
    heads = []
    for name, entry in section.items():
        path = ("losses", name)
        if name not in outputs:
            raise source.error(unknown_key("model output", name, outputs), path)
        if not isinstance(entry, dict) or "type" not in entry:
            raise source.error("each head needs {type: <Loss>, target: <column>, weight: <number>}", path)
        target = entry.get("target", targets[0] if len(targets) == 1 else None)
        if target not in targets:
            raise source.error(f"target must be one of data.targets {targets}, got {target!r}", path + ("target",))
        weight = entry.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise source.error(f"weight must be a number, got {weight!r}", path + ("weight",))
        loss, spec = _build_loss(source, entry, path, extra=("target", "weight"))
        heads.append(Head(name, loss, spec.type, target, float(weight)))
    missing = [o for o in outputs if o not in section]
    if missing:
        raise source.error(f"model outputs {missing} have no loss; add them under 'losses'", ("losses",))
    return heads


class ConfigLoss:
    """The training loss of a config: the heads' weighted sum, plus the L1 penalty."""

    def __init__(self, heads, target_names, model=None, l1=0.0):
        self.heads, self.target_names, self.model, self.l1 = heads, target_names, model, l1

    def __call__(self, prediction, target):
        targets = target if isinstance(target, dict) else {self.target_names[0]: target}
        total = None
        for head in self.heads:
            output = prediction if head.output is None else prediction[head.output]
            term = head.loss(output, targets[head.target])
            term = term if head.weight == 1.0 else term * head.weight
            total = term if total is None else total + term
        if self.l1:
            total = total + l1_penalty(self.model.parameters(), self.l1)
        return total


def _metric(fn, head, target_names):
    def metric(predictions, targets):
        output = predictions if head.output is None else predictions[head.output]
        truth = targets if not isinstance(targets, dict) else targets[head.target]
        return fn(output, truth)
    return metric


def build_metrics(source, config, heads, target_names):
    """{log name: fn(predictions, targets)}."""
    section = config.get("metrics", [])
    by_output = {head.output: head for head in heads}
    if isinstance(section, list):
        if len(heads) > 1 and section:
            raise source.error("with several heads, give metrics per output: {head: [accuracy]}", ("metrics",))
        section = {heads[0].output: section} if section else {}
    result = {}
    for output, names in section.items():
        path = ("metrics",) if output is None else ("metrics", output)
        if output not in by_output:
            raise source.error(unknown_key("model output", output, [h.output for h in heads]), path)
        if not isinstance(names, list):
            raise source.error(f"metrics must be a list of names, got {names!r}", path)
        for i, name in enumerate(names):
            if name not in METRICS:
                raise source.error(unknown_key("metric", name, METRICS), path + (i,))
            key = name if output is None else f"{output}_{name}"
            result[key] = _metric(getattr(metric_module, name), by_output[output], target_names)
    return result
