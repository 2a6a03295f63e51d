"""``chainrule summary``, ``eval``, ``predict`` and ``datasets``."""
import importlib.util
import io
import json
import os

from .. import backend as B
from .. import config as config_module
from ..grad_mode import no_grad
from ..io import atomic_write
from ..tensor import Tensor
from ..train import CheckpointError
from ..train.checkpoint import resolve_checkpoint
from .errors import UsageError
from .report import evaluate, format_report
from .run_data import read_data_file, run_dataset
from .run_files import checkpoint_dir, write_json, check_output_path, load_model_weights

xp = B.xp


def summary(args):
    """The layer table of a config's model: from ``model.input_shape`` without touching the data
    when it is given, otherwise from the first training sample."""
    from ..diag import summary as model_summary
    from ..config.input_shape import model_without_data
    source = config_module.read_config(args.config, args.set)
    found = model_without_data(source)
    if found is not None:
        model, batch = found
        name = source.data.get("name") or config_module.default_name(args.config)
        print(f"{name} (shapes for a batch of 1, from model.input_shape)\n")
        print(model_summary(model, input=batch))
        return 0
    experiment = config_module.build(source, os.path.dirname(os.path.abspath(args.config)),
                                     name=config_module.default_name(args.config))
    print(f"{experiment.name} (shapes for a batch of 1)\n")
    print(model_summary(experiment.model, input=experiment.sample_input()))
    return 0


def load_run(run_dir, which="best"):
    """The Experiment of a run directory with the weights of its best (or last) checkpoint."""
    path = os.path.join(run_dir, "config.yaml")
    if not os.path.isfile(path):
        raise UsageError(f"{run_dir} is not a run directory (no config.yaml); `chainrule train` makes one")
    checkpoint = _find_checkpoint(run_dir, which)
    experiment = config_module.load(path)
    try:
        load_model_weights(experiment, checkpoint)
    except CheckpointError as error:
        raise CheckpointError(f"{error} (was {path} edited after training?)" if "different model" in str(error)
                              else str(error)) from None
    return experiment, checkpoint


def _find_checkpoint(run_dir, which):
    """``which`` (best falls back to last: a run without a validation split has no best)."""
    for name in (which, "last") if which == "best" else (which,):
        try:
            return resolve_checkpoint(checkpoint_dir(run_dir, name))
        except CheckpointError:
            continue
    raise UsageError(f"{run_dir} has no checkpoint {which}/ (train it first)")


def evaluate_run(args):
    outputs = [args.json] if args.json else []
    inputs = [args.data] if args.data else []
    for output in outputs:
        check_output_path("--json", output, inputs + [os.path.join(args.run_dir, "config.yaml")])
    experiment, checkpoint = load_run(args.run_dir, args.checkpoint)
    loader, title = experiment.test_loader, "test set"
    if args.data:
        table = read_data_file("--data", args.data)
        dataset = run_dataset(experiment, table, args.data, with_targets=True)
        loader, title = experiment.evaluation_loader(dataset), args.data
    result, matrices = evaluate(experiment, loader)
    print(format_report(f"{title} ({result['samples']} samples, weights from {checkpoint}):", result, matrices))
    if args.json:
        write_json(args.json, {"data": title, "checkpoint": checkpoint, "metrics": result,
                               "confusion_matrix": matrices})
    return 0


def predict(args):
    check_output_path("--out", args.out, [args.input, os.path.join(args.run_dir, "config.yaml")])
    experiment, _ = load_run(args.run_dir, args.checkpoint)
    table = read_data_file("input", args.input)
    names = experiment.inputs
    if len(names) == 1 and names[0] not in table and len(table) == 1:     # one unnamed array: the input
        table = {names[0]: next(iter(table.values()))}
    missing = [n for n in names if n not in table]
    if missing:
        raise UsageError(f"{args.input} needs the model's input array(s) {names}; it has {sorted(table)}")
    dataset = run_dataset(experiment, table, args.input, with_targets=False)
    experiment.model.eval()
    parts = []
    with no_grad():
        for x, _ in experiment.evaluation_loader(dataset):
            output = experiment.model(x)
            parts.append({"output": output} if not isinstance(output, dict) else output)
    result = {}
    classification = {h.output or "output" for h in experiment.classification_heads()}
    for name in parts[0]:
        logits = Tensor._make(xp.concatenate([part[name].numpy() for part in parts]))
        result[name] = logits.numpy()
        if name in classification:
            result[f"{name}_probabilities"] = logits.softmax(dim=1).numpy()
            result[f"{name}_labels"] = result[name].argmax(1)
    _save_npz(args.out, result)
    shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in result.items())
    print(f"wrote {args.out}: {shapes}")
    return 0


def _save_npz(path, arrays):
    def write(temporary):
        buffer = io.BytesIO()
        xp.savez(buffer, **arrays)
        with open(temporary, "wb") as handle:
            handle.write(buffer.getvalue())
            handle.flush()
            os.fsync(handle.fileno())
    atomic_write(path, write)


def datasets(args):
    from ..data.datasets import AVAILABLE, INFO
    rows = []
    for name in AVAILABLE:
        info = INFO[name]
        package = info["package"]
        installed = "built in" if package is None else (
            "installed" if importlib.util.find_spec(package["module"]) else f"missing: pip install {package['pip']}")
        rows.append((name, info["inputs"], info["targets"], installed, info["about"]))
    if args.json:
        print(json.dumps([dict(zip(("name", "inputs", "targets", "package", "about"), r)) for r in rows], indent=2))
        return 0
    headers = ("name", "inputs (per sample)", "targets", "package", "about")
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(4)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)) + "  " + headers[4])
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)) + "  " + row[4])
    return 0
