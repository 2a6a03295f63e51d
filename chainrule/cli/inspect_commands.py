"""``chainrule summary``, ``eval``, ``predict`` and ``datasets``."""
import importlib.util
import io
import json
import os

from .. import backend as B
from .. import config as config_module
from ..grad_mode import no_grad
from ..io import atomic_write, load_state_dict
from ..tensor import Tensor
from .errors import UsageError
from .report import evaluate, format_report
from .run_files import checkpoint_dir, write_json

xp = B.xp


def summary(args):
    from ..diag import summary as model_summary
    source = config_module.read_config(args.config, args.set)
    experiment = config_module.build(source, os.path.dirname(os.path.abspath(args.config)),
                                     name=config_module.default_name(args.config))
    print(f"{experiment.name} (shapes for a batch of 1)\n")
    print(model_summary(experiment.model, input=experiment.sample_input()))
    return 0


def load_run(run_dir, which="best"):
    """The Experiment of a run directory with the weights of its best (or last) checkpoint."""
    path = os.path.join(run_dir, "config.yaml")
    if not os.path.exists(path):
        raise UsageError(f"{run_dir} is not a run directory (no config.yaml); `chainrule train` makes one")
    checkpoint = checkpoint_dir(run_dir, which)
    if not os.path.exists(checkpoint):
        fallback = checkpoint_dir(run_dir, "last")
        if which == "best" and os.path.exists(fallback):
            checkpoint = fallback
        else:
            raise UsageError(f"{run_dir} has no checkpoint {which}/ (train it first)")
    experiment = config_module.load(path)
    arrays = load_state_dict(os.path.join(checkpoint, "arrays.safetensors"))
    experiment.model.load_state_dict({k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")})
    return experiment, checkpoint


def evaluate_run(args):
    experiment, checkpoint = load_run(args.run_dir, args.checkpoint)
    loader, title = experiment.test_loader, "test set"
    if args.data:
        loader, title = _file_loader(experiment, args.data), args.data
    result, matrices = evaluate(experiment, loader)
    print(format_report(f"{title} ({result['samples']} samples, weights from {checkpoint}):", result, matrices))
    if args.json:
        write_json(args.json, {"data": title, "checkpoint": checkpoint, "metrics": result,
                               "confusion_matrix": matrices})
    return 0


def _file_loader(experiment, path):
    """A loader over a .npz/.csv file with the config's column names (columns and derive applied)."""
    from ..config.data import read_table, ColumnDataset, _add_columns, _typed
    from ..data import DataLoader
    if not os.path.exists(path):
        raise UsageError(f"--data {path}: no such file")
    try:
        table = read_table(path, path)
    except (ValueError, OSError) as error:
        raise UsageError(f"--data {path}: {error}") from None
    source = config_module.from_dict(experiment.config, name=path)
    _add_columns(source, experiment.config["data"], table)
    missing = [c for c in experiment.inputs + experiment.targets if c not in table]
    if missing:
        raise UsageError(f"--data {path}: the file has no column(s) {missing}; it has {sorted(table)}")
    dataset = ColumnDataset(_typed(table), experiment.inputs, experiment.targets)
    return DataLoader(dataset, batch_size=experiment.batch_size)


def predict(args):
    experiment, _ = load_run(args.run_dir, args.checkpoint)
    if not os.path.exists(args.input):
        raise UsageError(f"{args.input}: no such file")
    try:
        with xp.load(args.input, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError) as error:
        raise UsageError(f"{args.input}: cannot read it as .npz: {error}") from None
    names = experiment.inputs
    if len(names) == 1 and names[0] not in arrays and len(arrays) == 1:
        arrays = {names[0]: next(iter(arrays.values()))}
    missing = [n for n in names if n not in arrays]
    if missing:
        raise UsageError(f"{args.input} needs the model's input array(s) {names}; it has {sorted(arrays)}")
    dtype = B.get_default_dtype().np
    tensors = {n: Tensor._make(xp.ascontiguousarray(arrays[n], dtype=dtype)) for n in names}
    experiment.model.eval()
    with no_grad():
        output = experiment.model(tensors[names[0]] if len(names) == 1 else tensors)
    outputs = {"output": output} if not isinstance(output, dict) else output
    result = {}
    classification = {h.output or "output" for h in experiment.classification_heads()}
    for name, tensor in outputs.items():
        result[name] = tensor.numpy()
        if name in classification:
            result[f"{name}_probabilities"] = tensor.softmax(dim=1).numpy()
            result[f"{name}_labels"] = tensor.numpy().argmax(1)
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
