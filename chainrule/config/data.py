"""The ``data`` section -> train / validation / test datasets of named columns.

Data starts as a table of named arrays: a built-in dataset gives ``x`` and ``y``;
a ``.npz`` file gives its arrays; a ``.csv`` file gives one column per header name.
``columns`` stacks scalar columns into one feature array, ``derive`` makes new
targets from existing ones (``{from: y, mod: 2}``), and ``inputs`` / ``targets`` pick
what the model is fed and what the losses compare with.

Every problem with the data is found before training and names the file, the column and
the row (a CSV row by its line in the file): unreadable or damaged files, text, missing or
non-finite values, a test file without a column the model needs. ``read_table`` raises
``DataFileError`` for a bad file; the config code turns it into a ``ConfigError`` at the
``data`` key that names the file. ``check_labels`` checks class labels once the model's
number of classes is known.
"""
import inspect
import math
import os
from dataclasses import dataclass

from .. import backend as B
from ..tensor import Tensor
from ..data import transforms as transform_module
from ..data.datasets import AVAILABLE
from .errors import unknown_key, without_location
from .layers import parse_layer, construct
from .data_files import DataFileError, Table, read_table, more_text, column_word  # noqa: F401

xp = B.xp

DERIVE_OPERATIONS = {
    "mod": lambda a, k: a % k, "floordiv": lambda a, k: a // k,
    "eq": lambda a, k: a == k, "ne": lambda a, k: a != k, "lt": lambda a, k: a < k,
    "le": lambda a, k: a <= k, "gt": lambda a, k: a > k, "ge": lambda a, k: a >= k,
}
# Built-in dataset options that count something (samples, classes, features): at least 1.
COUNT_OPTIONS = frozenset(("n", "num_samples", "classes", "features"))


@dataclass
class RowOrigin:
    """Where the rows of a table come from, so that a message can point into the file.

    ``shown`` is the file as the config names it, ``word`` what a column is called there
    ("column" in a CSV, "array" in an .npz) and ``numbers`` each row's line in the file
    (CSV, ``unit`` "line") or None while the rows are still in file order (named by index).
    """
    shown: str
    word: str = "column"
    numbers: object = None
    unit: str = "row"

    @classmethod
    def of(cls, table, shown):
        lines = getattr(table, "lines", None)
        if lines is not None:
            return cls(shown, "column", xp.asarray(lines), "line")
        return cls(shown, column_word(shown))

    def row(self, index):
        number = index if self.numbers is None else self.numbers[index]
        return f"{self.unit} {int(number)}"

    def take(self, rows):
        """The origin of the rows ``rows`` of this table (after a shuffled split)."""
        numbers = xp.asarray(rows) if self.numbers is None else self.numbers[rows]
        return RowOrigin(self.shown, self.word, numbers, self.unit)


class ColumnDataset:
    """Samples (inputs, targets) from named columns: one name gives a tensor, several a dict.

    ``origin`` (a ``RowOrigin``, optional) says where each sample came from, for messages."""

    def __init__(self, columns, inputs, targets, origin=None):
        self.columns, self.inputs, self.targets = columns, list(inputs), list(targets)
        self.origin = origin
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


# ---------------------------------------------------------------- built-in datasets

def _option_problem(key, value, default):
    """What is wrong with ``value`` for a dataset option whose default is ``default``, or None.
    The default gives the type; counts must be at least 1, fractions in [0, 1), the rest >= 0."""
    if isinstance(default, bool):
        return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, got {value!r}"
        if key in COUNT_OPTIONS and value < 1:
            return f"must be a whole number of at least 1 (a count), got {value}"
        if value < 0:
            return f"must be at least 0, got {value}"
        return None
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be a number, got {value!r}"
        if not math.isfinite(value):
            return f"must be a finite number, got {value!r}"
        if key.endswith("fraction") and not 0 <= value < 1:
            return f"must be in [0, 1), got {value!r}"
        if value < 0:
            return f"must be at least 0, got {value!r}"
    return None


def _options_path(options):
    """Where a failure of the dataset function points: the option when there is only one."""
    if len(options) == 1:
        return ("data", "options", next(iter(options)))
    return ("data", "options") if options else ("data", "dataset")


def _builtin(source, section):
    name = section["dataset"]
    if name not in AVAILABLE:
        raise source.error(unknown_key("dataset", name, AVAILABLE) + " (`chainrule datasets` lists them)",
                           ("data", "dataset"))
    options = section.get("options", {}) or {}
    function = AVAILABLE[name]
    parameters = inspect.signature(function).parameters
    for key, value in options.items():
        if key not in parameters:
            raise source.error(f"dataset '{name}': {unknown_key('option', key, list(parameters))}",
                               ("data", "options", key))
        problem = _option_problem(key, value, parameters[key].default)
        if problem:
            raise source.error(f"dataset '{name}': option '{key}' {problem}", ("data", "options", key))
    try:
        train, test = function(**options)
    except ImportError as error:
        raise source.error(str(error), ("data", "dataset")) from None
    except (ValueError, TypeError, ArithmeticError, IndexError) as error:
        # the options passed the checks above but the function still refuses them (e.g. n < classes)
        raise source.error(f"dataset '{name}' cannot be made with the options {options}: "
                           f"{without_location(error)}", _options_path(options)) from None
    as_columns = lambda dataset: {"x": dataset.tensors[0].numpy(), "y": dataset.tensors[1].numpy()}  # noqa: E731
    train, test = as_columns(train), as_columns(test)
    if len(train["x"]) == 0:
        raise source.error(f"dataset '{name}' with the options {options} has no training samples; "
                           f"ask for more samples", _options_path(options))
    return train, test


# ---------------------------------------------------------------- reading files

# ---------------------------------------------------------------- checks on the values

def check_finite(columns, names, shown, lines=None):
    """Raise ``DataFileError`` if a column of ``names`` holds NaN or an infinite value.

    The message names the file (``shown``), the column or array, the first bad row and how many
    more there are. ``lines`` gives each row's line in the file; it defaults to a CSV ``Table``'s
    own ``lines``, and without it rows are named by their index (``row 0`` is the first sample).
    """
    if lines is None:
        lines = getattr(columns, "lines", None)
    if lines is None:
        origin = RowOrigin(shown, column_word(shown))
    else:
        origin = RowOrigin(shown, "column", xp.asarray(lines), "line")
    _check_finite(columns, names, origin)


def _check_finite(columns, names, origin):
    for name in names:
        array = columns[name]
        if array.dtype.kind != "f":
            continue                                  # integers and booleans are always finite
        bad = ~xp.isfinite(array)
        if not bad.any():
            continue
        position = xp.unravel_index(int(xp.argmax(bad)), bad.shape)   # the first bad value, in row order
        value = array[position]
        what = "NaN" if xp.isnan(value) else ("inf" if value > 0 else "-inf")
        where = origin.row(position[0])
        if array.ndim > 1:
            where += f" ({name}[{', '.join(str(int(i)) for i in position)}])"
        rows = int(bad.reshape(len(array), -1).any(axis=1).sum())
        raise DataFileError(f"{origin.shown}: {origin.word} '{name}' has {what} at {where}{more_text(rows - 1)}; "
                            f"clean the file or drop those rows")


def check_labels(source, datasets, target, num_classes, path=("data", "targets")):
    """Check and fix the class labels in column ``target`` for a classifier of ``num_classes`` outputs.

    ``datasets`` are ColumnDatasets (train, validation, test; None is skipped). Float labels
    whose values are all whole numbers (a CSV may write ``1.0``) become int64, in place (the
    dataset's ``columns`` and its tensors). A float target of shape (N, num_classes, ...) holds
    class probabilities and is left alone. Raises ``ConfigError`` at ``path`` (``source.error``)
    for labels that are not whole numbers or are outside [0, num_classes), naming the file, the
    column and the row. Returns the datasets as a list.
    """
    datasets = [dataset for dataset in datasets if dataset is not None]
    for dataset in datasets:
        labels = dataset.columns[target]
        if labels.dtype.kind == "f":
            if labels.ndim >= 2 and labels.shape[1] == num_classes:
                continue                              # class probabilities, not class indices
            labels = _whole_labels(source, dataset, target, labels, path)
        _check_label_range(source, dataset, target, labels, num_classes, path)
        if labels is not dataset.columns[target]:
            dataset.columns[target] = labels
            dataset._tensors[target] = Tensor._make(labels)
    return datasets


def _label_at(dataset, target, labels, bad):
    """Where the first of the ``bad`` labels is, e.g. column 'y' holds 12 at line 3 of data.csv (and 2 more rows)."""
    position = xp.unravel_index(int(xp.argmax(bad)), bad.shape)
    value = labels[position]
    shown_value = str(int(value)) if labels.dtype.kind in "iub" else str(value)
    rows = int(bad.reshape(len(labels), -1).any(axis=1).sum())
    origin = dataset.origin
    if origin is None:
        return f"column '{target}' holds {shown_value} at row {int(position[0])}{more_text(rows - 1)}"
    return (f"{origin.word} '{target}' holds {shown_value} at {origin.row(position[0])} of {origin.shown}"
            f"{more_text(rows - 1)}")


def _whole_labels(source, dataset, target, labels, path):
    fractional = labels != xp.floor(labels)           # NaN counts as not whole
    if fractional.any():
        raise source.error(f"labels must be integers: {_label_at(dataset, target, labels, fractional)}", path)
    return labels.astype(xp.int64)


def _check_label_range(source, dataset, target, labels, num_classes, path):
    outside = (labels < 0) | (labels >= num_classes)
    if outside.any():
        raise source.error(f"labels must be in [0, {num_classes}) (the model outputs {num_classes} classes): "
                           f"{_label_at(dataset, target, labels, outside)}", path)


# ---------------------------------------------------------------- tables

@dataclass
class _Part:
    """One table of samples, the ``data`` key that names it (file, test_file, dataset), and its rows' origin."""
    columns: dict
    key: str
    origin: RowOrigin


def _load_file(source, section, key, config_dir):
    name = section[key]
    path = name if os.path.isabs(name) else os.path.join(config_dir, name)
    if not os.path.exists(path):
        raise source.error(f"data file '{name}' does not exist (looked at {path})", ("data", key))
    if os.path.isdir(path):
        raise source.error(f"data file '{name}' is a directory; give a .npz or .csv file", ("data", key))
    try:
        return read_table(path, name)
    except (ValueError, OSError) as error:
        raise source.error(f"cannot read '{name}': {error}", ("data", key)) from None


def _read_parts(source, section, config_dir):
    """(main part, test part or None): the test part is None when it is to be split off the main one."""
    if ("dataset" in section) == ("file" in section):
        raise source.error("data needs exactly one of 'dataset' (a built-in name) or 'file' (.npz or .csv)",
                           ("data",))
    if "dataset" in section:
        train, test = _builtin(source, section)
        shown = f"dataset '{section['dataset']}'"
        return _Part(train, "dataset", RowOrigin(shown)), _Part(test, "dataset", RowOrigin(shown + " (test split)"))
    if section.get("options"):
        raise source.error("options are keyword arguments of a built-in dataset; a data file takes none",
                           ("data", "options"))
    parts = []
    for key in ("file", "test_file"):
        if key in section:
            table = _load_file(source, section, key, config_dir)
            parts.append(_Part(table, key, RowOrigin.of(table, section[key])))
    return parts[0], (parts[1] if len(parts) > 1 else None)


def _split_rows(n, fraction, seed):
    """(kept rows, held-out rows): a seeded shuffle, ``fraction`` of the rows held out."""
    order = xp.random.default_rng(seed).permutation(n)
    cut = int(round(n * fraction))
    return order[cut:], order[:cut]


def _split(part, fraction, seed):
    kept, held = _split_rows(_row_count(part.columns), fraction, seed)
    take = lambda rows: _Part({k: v[rows] for k, v in part.columns.items()}, part.key,  # noqa: E731
                              part.origin.take(rows))
    return take(kept), take(held)


def _row_count(columns):
    return len(next(iter(columns.values())))


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
        shapes = {part: columns[part].shape[1:] for part in names}
        if len(set(shapes.values())) > 1:
            raise source.error(f"cannot stack columns whose samples have different shapes: {shapes}", path)
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
        if not isinstance(value, (int, float)):
            raise source.error(f"the value to {operation} by must be a number, got {value!r}", path + (operation,))
        if operation in ("mod", "floordiv") and value == 0:
            raise source.error(f"cannot {operation} by 0", path + (operation,))
        result = DERIVE_OPERATIONS[operation](columns[origin], value)
        columns[name] = result.astype(xp.int64) if result.dtype == bool else result


def _source_columns(section, names):
    """``names`` after the columns they are made of (through ``columns`` and ``derive``), so that a
    NaN is reported in the column the file holds, at its line."""
    stacked, derived = section.get("columns") or {}, section.get("derive") or {}
    found, seen = [], set()

    def visit(name):
        if not isinstance(name, str) or name in seen:
            return
        seen.add(name)
        if isinstance(derived.get(name), dict):
            visit(derived[name].get("from"))
        elif name in stacked:
            parts = stacked[name]
            for part in ([parts] if isinstance(parts, str) else parts if isinstance(parts, list) else []):
                visit(part)
        found.append(name)

    for name in names:
        visit(name)
    return found


def _check_used_columns(source, part, inputs, targets):
    """Every input and target column exists in this table (a test file is checked like the main one)."""
    for key, names in (("inputs", inputs), ("targets", targets)):
        for i, name in enumerate(names):
            if name in part.columns:
                continue
            if part.key == "test_file":
                raise source.error(f"test file '{part.origin.shown}' has no column '{name}' (it has "
                                   f"{sorted(part.columns)}); the model's {key} must be in it", ("data", "test_file"))
            path = ("data", key, i) if len(names) > 1 else ("data", key)
            raise source.error(unknown_key("column", name, part.columns), path)


def _check_part_finite(source, part, names):
    try:
        _check_finite(part.columns, [name for name in names if name in part.columns], part.origin)
    except DataFileError as error:
        raise source.error(str(error), ("data", part.key)) from None


def _prepare(source, section, part, inputs, targets):
    """Lengths, the ``columns`` and ``derive`` columns, the used columns present and finite."""
    _check_lengths(source, part.columns, ("data", part.key))
    used = inputs + [name for name in targets if name not in inputs]
    _check_part_finite(source, part, _source_columns(section, used))     # the file's own columns first
    _add_columns(source, section, part.columns)
    _check_used_columns(source, part, inputs, targets)
    _check_part_finite(source, part, used)


def _check_test_shapes(source, main, test, names):
    for name in names:
        trained, tested = main.columns[name].shape[1:], test.columns[name].shape[1:]
        if trained != tested:
            raise source.error(f"test file '{test.origin.shown}': {test.origin.word} '{name}' has samples of shape "
                               f"{tested}, the training file's have shape {trained}", ("data", "test_file"))


def _typed(columns):
    """Floats in the default dtype, integer labels as int64 (what the losses expect)."""
    float_dtype = B.get_default_dtype().np
    return {name: xp.ascontiguousarray(a.astype(xp.int64) if a.dtype.kind in "iub" else a.astype(float_dtype))
            for name, a in columns.items()}


def _typed_pair(train, test):
    """``_typed`` of both splits; a column that is float in one split is float in both (a test file
    may write 3 where the training file writes 2.5), so that the losses see one dtype."""
    train, test = dict(train), dict(test)
    for name in train.keys() & test.keys():
        if (train[name].dtype.kind == "f") != (test[name].dtype.kind == "f"):
            train[name], test[name] = train[name].astype(xp.float64), test[name].astype(xp.float64)
    return _typed(train), _typed(test)


def load_tables(source, section, seed, config_dir):
    """(train, test) column tables with the derived columns added."""
    main, test = _read_parts(source, section, config_dir)
    for part in (main, test):
        if part is not None:
            _check_lengths(source, part.columns, ("data", part.key))
            _add_columns(source, section, part.columns)
    if test is None:
        main, test = _split(main, section.get("test_fraction", 0.2), seed)
    return _typed_pair(main.columns, test.columns)


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


def _check_split_sizes(source, section, train, held_out):
    """The training split must keep rows; a validation split that was asked for must get some."""
    if _row_count(train.columns) == 0:
        raise source.error("the training split has no rows: the data is too small for test_fraction "
                           f"{section.get('test_fraction', 0.2)} and validation_fraction "
                           f"{section.get('validation_fraction', 0.1)}", ("data",))
    if held_out is not None and _row_count(held_out.columns) == 0:
        rows = _row_count(train.columns)
        raise source.error(f"validation_fraction {section.get('validation_fraction', 0.1)} of {rows} training "
                           f"rows holds out no rows; raise it, or set it to 0 for no validation",
                           ("data", "validation_fraction"))


def build_datasets(source, section, seed, config_dir):
    """(train, validation or None, test) ColumnDatasets and the input and target names.

    Every input and target column is checked before training, in the main file and in the test
    file: present, and finite (a NaN is reported with its file, column and line)."""
    inputs = _names(source, section.get("inputs", "x"), ("data", "inputs"))
    targets = _names(source, section.get("targets", "y"), ("data", "targets"))
    main, test = _read_parts(source, section, config_dir)
    for part in (main, test):
        if part is not None:
            _prepare(source, section, part, inputs, targets)
    if test is None:
        main, test = _split(main, section.get("test_fraction", 0.2), seed)
    else:
        _check_test_shapes(source, main, test, inputs + targets)
    main_columns, test_columns = _typed_pair(main.columns, test.columns)
    main = _Part(main_columns, main.key, main.origin)
    fraction = section.get("validation_fraction", 0.1)
    held_out = None
    if fraction > 0:
        main, held_out = _split(main, fraction, seed + 1)
    _check_split_sizes(source, section, main, held_out)
    validation = None
    if held_out is not None:
        validation = ColumnDataset(held_out.columns, inputs, targets, held_out.origin)
    return (ColumnDataset(main.columns, inputs, targets, main.origin), validation,
            ColumnDataset(test_columns, inputs, targets, test.origin), inputs, targets)
