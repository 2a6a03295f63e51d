"""Layer entries of a config -> modules.

A layer is written as a bare type name (``ReLU``), as ``{Linear: {in_features: 64,
out_features: 10}}``, or as a mapping with ``type`` and its arguments inline. The
keys ``name`` and ``inputs`` are the layer's own (graph wiring); everything else is a
constructor argument, checked against the class's signature before it is called.
"""
import inspect
from dataclasses import dataclass, field

from .. import nn
from .errors import unknown_key, did_you_mean, without_location
from .extra_layers import EXTRA_LAYERS

_NOT_LAYERS = {"Module", "Sequential", "ModuleList", "ModuleDict", "Parameter"}


def layer_types():
    """Every layer class a config may name: chainrule.nn's modules (not losses) and the graph helpers."""
    types = {name: cls for name, cls in vars(nn).items()
             if isinstance(cls, type) and issubclass(cls, nn.Module) and name not in _NOT_LAYERS
             and not name.endswith("Loss")}
    types.update(EXTRA_LAYERS)
    return types


def loss_types():
    return {name: cls for name, cls in vars(nn).items()
            if isinstance(cls, type) and issubclass(cls, nn.Module) and name.endswith("Loss")}


@dataclass
class LayerSpec:
    name: str
    type: str
    args: dict
    path: tuple                     # where the entry is in the config
    inputs: list = None             # graph wiring; None: the previous layer
    arg_paths: dict = field(default_factory=dict)


def parse_layer(source, entry, path, default_name, extra_keys=("name", "inputs")):
    """A LayerSpec from one config entry (any of the three spellings)."""
    args_path = path
    if isinstance(entry, str):
        type_name, body = entry, {}
    elif isinstance(entry, dict) and "type" in entry:
        type_name, body = entry["type"], {k: v for k, v in entry.items() if k != "type"}
    elif isinstance(entry, dict) and len(entry) == 1:
        type_name, body = next(iter(entry.items()))
        args_path = path + (type_name,)
        body = {} if body is None else body
        if not isinstance(body, dict):
            raise source.error(f"the arguments of {type_name} must be a mapping (name: value), got {body!r}",
                               args_path)
    else:
        raise source.error("a layer is a type name (ReLU), {Type: {arguments}} or a mapping with 'type'; "
                           f"got {entry!r}", path)
    if not isinstance(type_name, str):
        raise source.error(f"a layer type must be a name, got {type_name!r}", path)
    name = body.pop("name", default_name) if "name" in extra_keys else default_name
    inputs = body.pop("inputs", None) if "inputs" in extra_keys else None
    if isinstance(inputs, str):
        inputs = [inputs]
    if inputs is not None and (not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs)):
        raise source.error("inputs must be a name or a list of names", args_path + ("inputs",))
    if not isinstance(name, str):
        raise source.error(f"a layer name must be a string, got {name!r}", args_path + ("name",))
    return LayerSpec(name, type_name, body, path, inputs, {k: args_path + (k,) for k in body})


def _expected_type(default):
    """The Python type an argument must have, inferred from its default (None: anything)."""
    if isinstance(default, bool):
        return bool
    if isinstance(default, int):
        return int
    if isinstance(default, float):
        return float
    if isinstance(default, str):
        return str
    return None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _type_ok(value, expected, name):
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is int:
        if isinstance(value, list):       # sizes per dimension: stride: [2, 1]
            return bool(value) and all(_is_int(v) for v in value)
        if name == "padding" and value in ("same", "valid"):
            return True
        return _is_int(value)
    return isinstance(value, expected)


def check_arguments(source, cls, args, arg_paths, path, what, given=0):
    """Unknown, missing and wrongly typed constructor arguments, each at its own line.
    ``given``: how many leading arguments the caller supplies (an optimizer's parameters)."""
    signature = inspect.signature(cls.__init__)
    params = [p for p in list(signature.parameters.values())[1 + given:]
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    accepts_any = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
    names = [p.name for p in params]
    for key, value in args.items():
        if key not in names:
            if accepts_any:
                continue
            raise source.error(f"{what}: {unknown_key('argument', key, names)}", arg_paths.get(key, path))
        default = signature.parameters[key].default
        expected = _expected_type(default) if default is not inspect.Parameter.empty else None
        if expected is not None and value is not None and not _type_ok(value, expected, key):
            raise source.error(f"{what}: argument '{key}' must be {expected.__name__}, got {value!r} "
                               f"({type(value).__name__})", arg_paths.get(key, path))
        problem = _shape_problem(cls, key, value, default)
        if problem:
            raise source.error(f"{what}: argument '{key}' {problem}", arg_paths.get(key, path))
    missing = [p.name for p in params if p.default is inspect.Parameter.empty and p.name not in args]
    if missing:
        listing = ", ".join(f"'{m}'" for m in missing)
        raise source.error(f"{what}: missing required argument{'s' if len(missing) > 1 else ''} {listing} "
                           f"(signature: {cls.__name__}{_signature_text(params)})", path)


def _numbers(value):
    return isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)


def _shape_problem(cls, key, value, default):
    """A list of the wrong length: ``betas: 0.9`` for a pair, ``kernel_size: [3, 3, 3]`` for Conv2d."""
    if isinstance(default, tuple) and default and all(isinstance(v, (int, float)) for v in default):
        if not _numbers(value) or len(value) != len(default):
            return f"must be a list of {len(default)} numbers such as {list(default)}, got {value!r}"
    dims = cls.__name__[-2:]
    if isinstance(value, list) and dims in ("1d", "2d", "3d") and key in _PER_DIMENSION:
        if len(value) != int(dims[0]):
            return (f"must be one number or a list of {dims[0]} (one per spatial dimension of "
                    f"{cls.__name__}), got {value!r}")
    return None


_PER_DIMENSION = ("kernel_size", "stride", "padding", "dilation", "output_padding", "output_size")


def _signature_text(params):
    parts = [p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}" for p in params]
    return "(" + ", ".join(parts) + ")"


def _tuples(value):
    """YAML lists become tuples (kernel sizes, shapes); nested too."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def construct(source, cls, args, arg_paths, path, what, leading=()):
    """``cls(*leading, **args)`` after checking the arguments; a constructor error is reported at ``path``."""
    check_arguments(source, cls, args, arg_paths, path, what, given=len(leading))
    try:
        return cls(*leading, **{key: _tuples(value) for key, value in args.items()})
    except (TypeError, ValueError, RuntimeError) as error:
        raise source.error(f"{what}: {without_location(error)}", path) from None


def build_layer(source, spec):
    types = layer_types()
    if spec.type not in types:
        hint = did_you_mean(spec.type, types)
        if not hint and spec.type in loss_types():
            hint = "; losses go under 'loss' or 'losses', not among the layers"
        listing = "" if hint else "; docs/config.md lists every layer type"
        raise source.error(f"layer '{spec.name}': unknown layer type '{spec.type}'{hint}{listing}",
                           spec.path)
    what = f"layer '{spec.name}' ({spec.type})"
    return construct(source, types[spec.type], spec.args, spec.arg_paths, spec.path, what)
