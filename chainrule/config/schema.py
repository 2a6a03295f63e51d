"""Every key a config may have, with its type: checked before anything is built.

Sections are nested dicts of ``key -> Key``; free-form mappings (dataset options,
layer arguments) are checked where they are used, against the real signatures.
"""
from dataclasses import dataclass

from .errors import unknown_key
from .ranges import check_ranges

NUMBER = (int, float)


@dataclass
class Key:
    types: tuple
    doc: str
    default: object = None


def _section(**keys):
    return keys


DATA = _section(
    dataset=Key((str,), "a built-in dataset: digits, mnist1d, xor, spirals, moons, linear_regression"),
    options=Key((dict,), "keyword arguments of the built-in dataset (e.g. num_samples)", {}),
    file=Key((str,), "a .npz (named arrays) or .csv (header row of names) file, relative to the config"),
    test_file=Key((str,), "a second file for the test split (otherwise test_fraction of file)"),
    test_fraction=Key(NUMBER, "share of file held out for testing", 0.2),
    validation_fraction=Key(NUMBER, "share of the training split held out for validation (0: none)", 0.1),
    columns=Key((dict,), "new columns stacked from scalar ones: {x: [a, b, c]}", {}),
    derive=Key((dict,), "new columns computed from one: {parity: {from: y, mod: 2}}", {}),
    inputs=Key((str, list), "the column(s) fed to the model", "x"),
    targets=Key((str, list), "the column(s) the losses compare with", "y"),
    transforms=Key((list,), "transforms of the input; Random* ones augment training only", []),
)

MODEL = _section(
    layers=Key((list,), "a stack of layers, each fed the previous one's output"),
    graph=Key((list,), "named layers with 'inputs' (branches, joins, heads)"),
    inputs=Key((str, list), "graph: the model's inputs (the data's input columns)"),
    outputs=Key((str, list), "graph: the layers whose outputs the model returns"),
    input_shape=Key((list, dict), "the shape of one input sample, without the batch dim ([1, 28, 28]; "
                                  "{input: shape} for a graph): summary runs without data, and "
                                  "training checks the data against it"),
)

SOLVER = _section(
    optimizer=Key((str, dict), "SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, NAdam, RAdam (+ arguments)", "SGD"),
    lr=Key(NUMBER, "learning rate"),
    momentum=Key(NUMBER, "momentum (SGD, RMSprop)"),
    weight_decay=Key(NUMBER, "L2 weight decay, as the optimizer defines it"),
    l1=Key(NUMBER, "weight of an L1 penalty on all parameters added to the loss", 0.0),
    epochs=Key((int,), "passes over the training data", 10),
    batch_size=Key((int,), "samples per step", 32),
    grad_clip_norm=Key(NUMBER + (type(None),), "clip the total gradient norm to this value"),
    accumulate_grad_batches=Key((int,), "batches summed per optimizer step", 1),
    schedule=Key((str, dict, type(None)), "a learning-rate schedule (+ arguments, interval: epoch or step)"),
    seed=Key((int,), "seed of every random number (initialization, shuffling, dropout)", 0),
)

CALLBACKS = _section(
    early_stopping=Key((dict, bool, type(None)), "{monitor, patience, min_delta, mode}: stop when no better"),
    checkpoint=Key((dict,), "{monitor, mode}: which epoch is 'best'", {"monitor": "val_loss", "mode": "min"}),
    terminate_on_nan=Key((bool,), "stop with a report when the loss is NaN or infinite", True),
    lr_monitor=Key((bool,), "log the learning rate every epoch", True),
)

REPORT = _section(
    sample_grid=Key((dict, type(None)), "{count, image_shape}: inputs and outputs side by side in samples.png"),
)

TOP = _section(
    name=Key((str,), "the run's name (default: the file's name)"),
    data=Key((dict,), "where the samples come from", None),
    model=Key((dict,), "the network", None),
    loss=Key((str, dict), "the loss of a one-output model (+ arguments)"),
    losses=Key((dict,), "several heads: {output: {type, target, weight, ...}}"),
    metrics=Key((list, dict), "metric names, or {output: [names]} for several heads", []),
    solver=Key((dict,), "optimizer, schedule and loop settings", {}),
    callbacks=Key((dict,), "early stopping and checkpoints", {}),
    report=Key((dict,), "extra outputs of a run", {}),
)

SUBSECTIONS = {"data": DATA, "model": MODEL, "solver": SOLVER, "callbacks": CALLBACKS, "report": REPORT}
EARLY_STOPPING = ("monitor", "patience", "min_delta", "mode")
CHECKPOINT = ("monitor", "mode")
SAMPLE_GRID = ("count", "image_shape")
REQUIRED = ("data", "model")


def _type_names(types):
    names = {int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a mapping",
             bool: "true/false", type(None): "null"}
    return " or ".join(dict.fromkeys(names[t] for t in types))


def _check_type(source, value, key, path):
    if isinstance(value, bool) and bool not in key.types:
        ok = False                      # YAML's true is not a number
    else:
        ok = isinstance(value, key.types)
    if not ok:
        raise source.error(f"must be {_type_names(key.types)}, got {value!r} ({type(value).__name__})", path)


def _check_mapping(source, mapping, spec, path):
    for name, value in mapping.items():
        if name not in spec:
            raise source.error(unknown_key("key", name, spec), path + (name,))
        _check_type(source, value, spec[name], path + (name,))


def _check_small(source, mapping, allowed, path):
    if isinstance(mapping, dict):
        for name in mapping:
            if name not in allowed:
                raise source.error(unknown_key("key", name, allowed), path + (name,))


def validate(source, model_only=False):
    """Unknown keys (with the closest valid one), wrong types, missing sections. ``model_only``:
    the config is only read for its model (``chainrule summary`` with ``model.input_shape``), so
    data and a loss need not be there."""
    config = source.data
    _check_mapping(source, config, TOP, ())
    for name in ("model",) if model_only else REQUIRED:
        if name not in config:
            raise source.error(f"the config has no '{name}' section; every config needs "
                               f"{' and '.join(REQUIRED)}", ())
    if not model_only and ("loss" in config) == ("losses" in config):
        raise source.error("give exactly one of 'loss' (one output) or 'losses' (several heads)", ())
    for name, spec in SUBSECTIONS.items():
        if name in config:
            _check_mapping(source, config[name], spec, (name,))
    callbacks = config.get("callbacks", {})
    _check_small(source, callbacks.get("early_stopping"), EARLY_STOPPING, ("callbacks", "early_stopping"))
    _check_small(source, callbacks.get("checkpoint"), CHECKPOINT, ("callbacks", "checkpoint"))
    _check_small(source, config.get("report", {}).get("sample_grid"), SAMPLE_GRID, ("report", "sample_grid"))
    if "name" in config:
        _check_name(source, config["name"])
    seed = config.get("solver", {}).get("seed")
    if seed is not None and not 0 <= seed < 2 ** 32:
        raise source.error(f"a seed must be in [0, 2**32), got {seed}", ("solver", "seed"))
    check_ranges(source)


def _check_name(source, name):
    """A run's name becomes a directory name under runs/: a name, not a path."""
    bad = [c for c in ("/", "\\", "\0") if c in name]
    if not name.strip() or bad or name in (".", "..") or name.startswith("."):
        raise source.error(f"a run name must be a plain name (no path separators, not empty, not starting "
                           f"with '.'), got {name!r}", ("name",))
