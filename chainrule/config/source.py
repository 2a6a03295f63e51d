"""Read a YAML config into plain dicts and lists, remembering the file and line of every key.

Only PyYAML's safe loader is used: a config is data and never runs code. ``include``
merges other files underneath this one, and ``--set key.path=value`` overrides
are applied on top; every value keeps where it came from, so that errors can
point at the line to fix.
"""
import os
import re

from .errors import ConfigError, format_path

# PyYAML reads YAML 1.1, where a float needs a dot and a signed exponent: 1e-3, 1.0e12 and .5e3
# are strings there. YAML 1.2 and every user read them as numbers: every YAML 1.2 float form
# (a dot, an exponent with or without a sign, or both; a leading dot) is a float here.
_YAML_12_FLOAT = re.compile(r"""^[-+]?(?:
      (?:\.[0-9]+|[0-9][0-9_]*\.[0-9_]*)(?:[eE][-+]?[0-9]+)?   # with a dot, any exponent
    | [0-9][0-9_]*[eE][-+]?[0-9]+                                # without a dot, an exponent
)$""", re.X)
_loader = None

# Limits that keep a hostile file from exhausting memory or the stack (a YAML "billion laughs"
# expands a few aliases into billions of values): far above any real config.
MAX_CONFIG_BYTES = 1_000_000
MAX_VALUES = 100_000
MAX_INCLUDE_DEPTH = 20


def _yaml():
    try:
        import yaml
    except ImportError:
        raise ImportError("config files need the optional package 'pyyaml': pip install pyyaml") from None
    return yaml


def loader():
    """PyYAML's safe loader, reading every YAML 1.2 float (1e-3, 1.0e12, .5) as a float."""
    global _loader
    if _loader is None:
        yaml = _yaml()

        class Loader(yaml.SafeLoader):
            pass
        Loader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML_12_FLOAT, list("-+0123456789."))
        _loader = Loader
    return _loader


class Source:
    """A config's values (``data``) and, for each key path, where it was written (``where``)."""

    def __init__(self, data, where):
        self.data, self.where = data, where

    def locate(self, path):
        """'file:line' of ``path`` or of its nearest written parent; a ``--set`` that changed a value
        inside ``path`` is named first, since the error may well be that value's."""
        path = tuple(path)
        overrides = [w for p, w in self.where.items() if p[:len(path)] == path and w.startswith("--set ")]
        while path and path not in self.where:
            path = path[:-1]
        location = self.where.get(path)
        if overrides and location not in overrides:
            return f"{overrides[-1]} ({location})" if location else overrides[-1]
        return location

    def error(self, message, path=()):
        return ConfigError(message, self.locate(path), path)


def _convert(node, file, path, where, constructor, budget):
    """A composed YAML node -> Python value; records ``file:line`` for ``path``. ``budget`` counts the
    values made, since aliases can make one node appear exponentially many times."""
    yaml = _yaml()
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(f"the config expands to more than {MAX_VALUES} values (YAML aliases that repeat "
                          f"each other?); write it out plainly", f"{file}:{node.start_mark.line + 1}")
    where[path] = f"{file}:{node.start_mark.line + 1}"
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node)
            if not isinstance(key, (str, int)):
                raise ConfigError(f"keys must be names, got {key!r}", f"{file}:{key_node.start_mark.line + 1}", path)
            if key in result:
                raise ConfigError(f"key '{key}' is written twice", f"{file}:{key_node.start_mark.line + 1}", path)
            result[key] = _convert(value_node, file, path + (key,), where, constructor, budget)
            where[path + (key,)] = f"{file}:{key_node.start_mark.line + 1}"
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, file, path + (i,), where, constructor, budget) for i, item in enumerate(node.value)]
    return constructor.construct_object(node)


def _parse(text, file):
    yaml = _yaml()
    try:
        node = yaml.compose(text, Loader=loader())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else file
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(f"this is not valid YAML: {problem}", where) from None
    where = {}
    if node is None:
        return {}, where
    data = _convert(node, file, (), where, yaml.constructor.SafeConstructor(), [MAX_VALUES])
    if not isinstance(data, dict):
        raise ConfigError(f"a config must be a mapping of sections (data, model, solver, ...), got a "
                          f"{type(data).__name__}", f"{file}:1")
    return data, where


def _merge(base, base_where, top, top_where, path=()):
    """``top`` over ``base``: mappings merge key by key, anything else is replaced."""
    for key, value in top.items():
        key_path = path + (key,)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], base_where, value, top_where, key_path)
            base_where[key_path] = top_where[key_path]
        else:
            base[key] = value
            for p in [p for p in base_where if p[:len(key_path)] == key_path]:
                del base_where[p]
            base_where.update({p: w for p, w in top_where.items() if p[:len(key_path)] == key_path})


def _read_text(path, shown):
    try:
        if os.path.getsize(path) > MAX_CONFIG_BYTES:
            raise ConfigError(f"the config is {os.path.getsize(path):,} bytes; a config may have at most "
                              f"{MAX_CONFIG_BYTES:,} (data belongs in data files)", shown)
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        raise ConfigError(f"cannot read the config: {error.strerror}", shown) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"the config is not UTF-8 text (byte {error.object[error.start]:#04x} at offset "
                          f"{error.start}); save it as UTF-8", shown) from None


def read(path, _stack=()):
    """The config at ``path`` with its includes merged in."""
    path = os.path.abspath(path)
    shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    if path in _stack:
        chain = " -> ".join(os.path.basename(p) for p in _stack + (path,))
        raise ConfigError(f"include cycle: {chain}", shown)
    if len(_stack) >= MAX_INCLUDE_DEPTH:
        raise ConfigError(f"includes nest more than {MAX_INCLUDE_DEPTH} files deep (from "
                          f"{os.path.basename(_stack[0])}); merge some of them", shown)
    text = _read_text(path, shown)
    data, where = _parse(text, shown)
    includes = data.pop("include", [])
    include_where = where.get(("include",), shown)
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        raise ConfigError("include must be a file name or a list of file names", include_where, ("include",))
    merged, merged_where = {}, {}
    for name in includes:
        included = os.path.join(os.path.dirname(path), name)
        if not os.path.exists(included):
            raise ConfigError(f"included file '{name}' does not exist (looked at {included})",
                              include_where, ("include",))
        source = read(included, _stack + (path,))
        _merge(merged, merged_where, source.data, source.where)
    _merge(merged, merged_where, data, where)
    merged_where[()] = shown
    return Source(merged, merged_where)


def from_dict(data, name="<dict>"):
    """A Source for a config given as a Python dict (every key located at ``name``)."""
    where = {}

    def walk(value, path):
        where[path] = name
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, path + (i,))
    import copy
    data = copy.deepcopy(data)
    walk(data, ())
    return Source(data, where)


def _override_value(text, where):
    """A ``--set`` value read as YAML (with the limits of a config file); not YAML: the text itself."""
    yaml = _yaml()
    if not text.strip():
        return ""
    try:
        node = yaml.compose(text, Loader=loader())
    except yaml.YAMLError:
        return text
    return _convert(node, where, (), {}, yaml.constructor.SafeConstructor(), [MAX_VALUES])


def apply_override(source, assignment):
    """Apply ``key.path=value`` (the value read as YAML: numbers, true/false, lists)."""
    where = f"--set {assignment}"
    if "=" not in assignment:
        raise ConfigError("--set needs key=value, e.g. --set solver.lr=0.01", where)
    key, text = assignment.split("=", 1)
    parts = [int(p) if p.lstrip("-").isdigit() else p for p in key.strip().split(".")]
    if not key.strip() or any(p == "" for p in parts):
        raise ConfigError("--set needs a dotted key path, e.g. --set solver.lr=0.01", where)
    value = _override_value(text, where)
    node = source.data
    for depth, part in enumerate(parts[:-1]):
        prefix = tuple(parts[:depth + 1])
        if isinstance(node, dict):
            node = node.setdefault(part, {})
        elif isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node):
            node = node[part]
        else:
            raise ConfigError(f"cannot set '{key}': {format_path(prefix)} is not a mapping or a list "
                              f"index in range", where)
    last = parts[-1]
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and -len(node) <= last < len(node):
        node[last] = value
    else:
        raise ConfigError(f"cannot set '{key}': its parent is not a mapping or the list index is out of range",
                          where)
    path = tuple(parts)
    for p in [p for p in source.where if p[:len(path)] == path]:
        del source.where[p]
    source.where[path] = where
