"""Declarative models and solvers: a YAML file describes data, model, loss and solver.

    experiment = chainrule.config.load("model.yaml")
    for x, y in experiment.train_loader:
        loss = experiment.loss(experiment.model(x), y)
        ...

``load`` checks everything before returning (unknown keys, types, graph wiring, a
sample batch through the model), raising ``ConfigError`` with the file and line.
docs/config.md describes every key.
"""
import os

from .errors import ConfigError  # noqa: F401
from .source import read, from_dict, apply_override, Source  # noqa: F401
from .build import build, Experiment, default_name  # noqa: F401
from .extra_layers import Add, Multiply, Concat, Reshape, Permute, Select, LastStep  # noqa: F401

DEFAULT_CONFIG = os.path.join(os.path.dirname(__file__), "default.yaml")


def read_config(path_or_dict, overrides=()):
    """The config (a ``Source``) with its includes and ``key=value`` overrides applied."""
    if isinstance(path_or_dict, dict):
        source = from_dict(path_or_dict)
    else:
        source = read(path_or_dict)
    for assignment in overrides:
        apply_override(source, assignment)
    return source


def load(path_or_dict, overrides=()):
    """Build the Experiment a config describes (model, loss, optimizer, schedule, loaders)."""
    source = read_config(path_or_dict, overrides)
    is_path = not isinstance(path_or_dict, dict)
    config_dir = os.path.dirname(os.path.abspath(path_or_dict)) if is_path else "."
    name = default_name(path_or_dict) if is_path else None
    return build(source, config_dir, name=source.data.get("name") or name)
