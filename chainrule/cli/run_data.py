"""Data given to a trained run (``eval --data``, ``predict``): read, checked against what the model
was trained on (columns, sample shape, numbers, finite values), and fed through the same
evaluation pipeline as the run's own test set (``Experiment.evaluation_loader``)."""
import os

from .. import backend as B
from .. import config as config_module
from ..config.build import check_class_labels
from ..data.loader import default_collate
from ..config.data import read_table, ColumnDataset, DataFileError, check_finite
from ..config.data import _add_columns as add_columns, _typed as typed_columns
from .errors import UsageError

xp = B.xp


def read_data_file(option, path):
    """The named arrays of a .npz/.csv file; a missing or unreadable file is a usage error."""
    if not os.path.exists(path):
        raise UsageError(f"{option} {path}: no such file")
    if os.path.isdir(path):
        raise UsageError(f"{option} {path} is a directory; give a .npz or .csv file")
    try:
        return read_table(path, path)
    except DataFileError as error:
        raise UsageError(f"{option} {error}") from None
    except (ValueError, OSError) as error:
        raise UsageError(f"{option} {path}: cannot read it: {error}") from None


def run_dataset(experiment, table, shown, with_targets):
    """A ColumnDataset of ``table`` for ``experiment``'s model: the config's ``columns`` and ``derive``
    applied, every needed column present, samples of the trained shape, finite numbers."""
    lines = getattr(table, "lines", None)          # a CSV row's line in the file, for messages
    table = dict(table)
    source = config_module.from_dict(experiment.config, name=shown)
    add_columns(source, experiment.config["data"], table)
    needed = experiment.inputs + (experiment.targets if with_targets else [])
    missing = [name for name in needed if name not in table]
    if missing:
        raise UsageError(f"{shown}: the file has no column(s) {missing}; it has {sorted(table)} (the model "
                         f"takes {experiment.inputs}" + (f", the loss compares with {experiment.targets})"
                                                         if with_targets else ")"))
    _check_samples(experiment, table, shown, needed)
    try:
        check_finite(table, needed, shown, lines=lines)
    except DataFileError as error:
        raise UsageError(str(error)) from None
    columns = typed_columns({name: table[name] for name in needed})
    dataset = ColumnDataset(columns, experiment.inputs, experiment.targets if with_targets else [])
    if with_targets:
        sample = default_collate([experiment.evaluation_loader(dataset).dataset[0][0]])    # a batch of one
        check_class_labels(source, experiment.model, experiment.heads, [dataset], sample)
    return dataset


def _check_samples(experiment, table, shown, needed):
    """Each column: numbers, one row per sample, samples of the shape the model was trained on."""
    trained = experiment.train_data.columns
    rows = {name: len(table[name]) if table[name].ndim else 0 for name in needed}
    for name in needed:
        array = table[name]
        if array.dtype.kind not in "iufb":
            raise UsageError(f"{shown}: '{name}' holds {array.dtype} values; it must hold numbers")
        expected = trained[name].shape[1:]
        if array.ndim == 0 or array.shape[1:] != expected:
            got = array.shape[1:] if array.ndim else "a single number"
            raise UsageError(f"{shown}: '{name}' has samples of shape {got}, the model was trained on samples "
                             f"of shape {expected} (an array of shape (N, {', '.join(map(str, expected))}))"
                             .replace(", )", ")"))
    if len(set(rows.values())) > 1:
        raise UsageError(f"{shown}: the columns have different numbers of rows: {rows}")
    if not any(rows.values()):
        raise UsageError(f"{shown}: the file has no samples")
