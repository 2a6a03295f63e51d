"""The ``data`` section -> train / validation / test datasets of named columns.

Data starts as a table of named arrays: a built-in dataset gives ``x`` and ``y``;
a ``.npz`` file gives its arrays; a ``.csv`` file gives one column per header name.
``columns`` stacks scalar columns into one feature array, ``derive`` makes new
targets from existing ones (``{from: y, mod: 2}``), and ``inputs`` / ``targets`` pick
what the model is fed and what the losses compare with.
"""
import inspect
import os

from .. import backend as B
from ..tensor import Tensor
from ..data import transforms as transform_module
from ..data.datasets import AVAILABLE
from .errors import unknown_key
from .layers import parse_layer, construct

xp = B.xp

DERIVE_OPERATIONS = {
    "mod": lambda a, k: a % k, "floordiv": lambda a, k: a // k,
    "eq": lambda a, k: a == k, "ne": lambda a, k: a != k, "lt": lambda a, k: a < k,
    "le": lambda a, k: a <= k, "gt": lambda a, k: a > k, "ge": lambda a, k: a >= k,
}


class ColumnDataset:
    """Samples (inputs, targets) from named columns: one name gives a tensor, several a dict."""

    def __init__(self, columns, inputs, targets):
        self.columns, self.inputs, self.targets = columns, list(inputs), list(targets)
        self._tensors = {name: Tensor._make(array) for name, array in columns.items()}

    def __len__(self):
        return len(next(iter(self.columns.values())))

    def _pick(self, names, index):
        if len(names) == 1:
            return self._tensors[names[0]][index]
        return {name: self._tensors[name][index] for name in names}

    def __getitem__(self, index):
        return self._pick(self.inputs, index), self._pick(self.targets, index)

    def get_batch(self, indices):
        """The samples at ``indices`` already stacked (DataLoader's fast path)."""
        rows = xp.asarray(indices, dtype=xp.int64)
        pick = lambda names: (Tensor._make(self.columns[names[0]][rows]) if len(names) == 1  # noqa: E731
                              else {n: Tensor._make(self.columns[n][rows]) for n in names})
        return pick(self.inputs), pick(self.targets)

    def arrays(self, names):
        return {name: self.columns[name] for name in names}


def _names(source, value, path):
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise source.error(f"must be a column name or a list of column names, got {value!r}", path)


def _builtin(source, section):
    name = section["dataset"]
    if name not in AVAILABLE:
        raise source.error(unknown_key("dataset", name, AVAILABLE) + " (`chainrule datasets` lists them)",
                           ("data", "dataset"))
    options = section.get("options", {}) or {}
    function = AVAILABLE[name]
    accepted = list(inspect.signature(function).parameters)
    for key in options:
        if key not in accepted:
            raise source.error(f"dataset '{name}': {unknown_key('option', key, accepted)}", ("data", "options", key))
    try:
        train, test = function(**options)
    except ImportError as error:
        raise source.error(str(error), ("data", "dataset")) from None
    as_columns = lambda dataset: {"x": dataset.tensors[0].numpy(), "y": dataset.tensors[1].numpy()}  # noqa: E731
    return as_columns(train), as_columns(test)


def read_table(path, shown):
    """Named arrays from a .npz or .csv file (CSV: a header row of names, numbers below)."""
    if path.endswith(".npz"):
        with xp.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    if path.endswith(".csv"):
        table = xp.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
        columns = {}
        for name in table.dtype.names:
            column = xp.asarray(table[name])
            if column.dtype.kind not in "iufb":
                raise ValueError(f"{shown}: column '{name}' is not numeric (dtype {column.dtype})")
            columns[name] = column.reshape(-1)
        return columns
    raise ValueError(f"{shown}: data files must be .npz or .csv")


def _load_file(source, section, key, config_dir):
    name = section[key]
    path = name if os.path.isabs(name) else os.path.join(config_dir, name)
    if not os.path.exists(path):
        raise source.error(f"data file '{name}' does not exist (looked at {path})", ("data", key))
    try:
        return read_table(path, name)
    except (ValueError, OSError) as error:
        raise source.error(f"cannot read '{name}': {error}", ("data", key)) from None


def _split(columns, fraction, seed):
    n = len(next(iter(columns.values())))
    order = xp.random.default_rng(seed).permutation(n)
    cut = int(round(n * fraction))
    return ({k: v[order[cut:]] for k, v in columns.items()}, {k: v[order[:cut]] for k, v in columns.items()})


def _check_lengths(source, columns, path):
    lengths = {name: len(array) for name, array in columns.items()}
    if len(set(lengths.values())) > 1:
        raise source.error(f"the columns have different numbers of rows: {lengths}", path)


def _add_columns(source, section, columns):
    for name, parts in (section.get("columns") or {}).items():
        path = ("data", "columns", name)
        names = _names(source, parts, path)
        for i, part in enumerate(names):
            if part not in columns:
                raise source.error(unknown_key("column", part, columns), path + (i,) if len(names) > 1 else path)
        columns[name] = xp.stack([columns[p].astype(xp.float64) for p in names], axis=1)
    for name, rule in (section.get("derive") or {}).items():
        path = ("data", "derive", name)
        if not isinstance(rule, dict) or "from" not in rule or len(rule) != 2:
            raise source.error("derive needs {from: column, <operation>: value} with one operation of "
                               f"{', '.join(DERIVE_OPERATIONS)}", path)
        origin = rule["from"]
        if origin not in columns:
            raise source.error(unknown_key("column", origin, columns), path + ("from",))
        operation, value = next((k, v) for k, v in rule.items() if k != "from")
        if operation not in DERIVE_OPERATIONS:
            raise source.error(unknown_key("derive operation", operation, DERIVE_OPERATIONS), path + (operation,))
        result = DERIVE_OPERATIONS[operation](columns[origin], value)
        columns[name] = result.astype(xp.int64) if result.dtype == bool else result


def _typed(columns):
    """Floats in the default dtype, integer labels as int64 (what the losses expect)."""
    float_dtype = B.get_default_dtype().np
    return {name: xp.ascontiguousarray(a.astype(xp.int64) if a.dtype.kind in "iub" else a.astype(float_dtype))
            for name, a in columns.items()}


def load_tables(source, section, seed, config_dir):
    """(train, test) column tables with the derived columns added."""
    if ("dataset" in section) == ("file" in section):
        raise source.error("data needs exactly one of 'dataset' (a built-in name) or 'file' (.npz or .csv)",
                           ("data",))
    if "dataset" in section:
        train, test = _builtin(source, section)
    else:
        table = _load_file(source, section, "file", config_dir)
        _check_lengths(source, table, ("data", "file"))
        if "test_file" in section:
            train, test = table, _load_file(source, section, "test_file", config_dir)
        else:
            train, test = _split(table, section.get("test_fraction", 0.2), seed)
    for table in (train, test):
        _add_columns(source, section, table)
    return _typed(train), _typed(test)


def build_transforms(source, section):
    """(train transform, eval transform): ``Random*`` transforms only augment training data."""
    specs = section.get("transforms") or []
    if not isinstance(specs, list):
        raise source.error("transforms must be a list", ("data", "transforms"))
    names = [n for n, c in vars(transform_module).items() if isinstance(c, type) and n not in
             ("Compose", "TransformDataset", "Tensor")]
    train, evaluation = [], []
    for i, entry in enumerate(specs):
        spec = parse_layer(source, entry, ("data", "transforms", i), default_name=str(i), extra_keys=())
        if spec.type not in names:
            raise source.error(unknown_key("transform", spec.type, names), spec.path)
        transform = construct(source, getattr(transform_module, spec.type), spec.args, spec.arg_paths,
                              spec.path, f"transform {spec.type}")
        train.append(transform)
        if not spec.type.startswith("Random"):
            evaluation.append(transform)
    compose = lambda items: transform_module.Compose(items) if items else None  # noqa: E731
    return compose(train), compose(evaluation)


def build_datasets(source, section, seed, config_dir):
    """(train, validation or None, test) ColumnDatasets and the input and target names."""
    train, test = load_tables(source, section, seed, config_dir)
    inputs = _names(source, section.get("inputs", "x"), ("data", "inputs"))
    targets = _names(source, section.get("targets", "y"), ("data", "targets"))
    for key, names in (("inputs", inputs), ("targets", targets)):
        for i, name in enumerate(names):
            if name not in train:
                path = ("data", key, i) if len(names) > 1 else ("data", key)
                raise source.error(unknown_key("column", name, train), path)
    _check_lengths(source, train, ("data",))
    fraction = section.get("validation_fraction", 0.1)
    validation = None
    if fraction > 0:
        train, held_out = _split(train, fraction, seed + 1)
        validation = ColumnDataset(held_out, inputs, targets)
    return ColumnDataset(train, inputs, targets), validation, ColumnDataset(test, inputs, targets), inputs, targets
