"""The ``model`` section -> a Module: ``layers`` (a stack, as nn.Sequential) or ``graph``
(named layers with named inputs, for branches, joins and several heads)."""
from .. import nn
from .graph import GraphModel
from .errors import did_you_mean
from .layers import parse_layer, build_layer


def _names(source, value, path, what):
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise source.error(f"{what} must be a name or a non-empty list of names, got {value!r}", path)


def build_model(source, section, data_inputs):
    """(model, specs by layer name); ``data_inputs``: the data columns the model is fed."""
    path = ("model",)
    has_layers, has_graph = "layers" in section, "graph" in section
    if has_layers == has_graph:
        raise source.error("the model needs exactly one of 'layers' (a stack) or 'graph' (named layers "
                           "with inputs)", path)
    key = "layers" if has_layers else "graph"
    entries = section[key]
    if not isinstance(entries, list) or not entries:
        raise source.error(f"model.{key} must be a non-empty list of layers", path + (key,))
    specs = [parse_layer(source, entry, path + (key, i), default_name=str(i)) for i, entry in enumerate(entries)]
    _check_unique(source, specs)
    if has_layers:
        for spec in specs:
            if spec.inputs is not None:
                raise source.error(f"layer '{spec.name}': 'inputs' is for model.graph; in model.layers each "
                                   f"layer takes the previous layer's output", spec.path)
        modules = {spec.name: build_layer(source, spec) for spec in specs}
        return nn.Sequential(modules), {spec.name: spec for spec in specs}
    inputs = _names(source, section.get("inputs", data_inputs), path + ("inputs",), "model.inputs")
    if sorted(inputs) != sorted(data_inputs):
        raise source.error(f"model.inputs {inputs} must be the data's inputs {data_inputs} (data.inputs)",
                           path + ("inputs",))
    if "outputs" not in section:
        raise source.error("a graph model needs 'outputs': the names of the layers whose outputs the model "
                           "returns", path)
    outputs = _names(source, section["outputs"], path + ("outputs",), "model.outputs")
    wiring = _wire(source, specs, inputs)
    for i, name in enumerate(outputs):
        if name not in wiring:
            raise source.error(f"output '{name}' is not a layer of the graph; layers: "
                               f"{', '.join(wiring)}", path + ("outputs", i) if len(outputs) > 1 else
                               path + ("outputs",))
    modules = {spec.name: build_layer(source, spec) for spec in specs}
    return GraphModel(inputs, modules, wiring, outputs), {spec.name: spec for spec in specs}


def _check_unique(source, specs):
    seen = {}
    for spec in specs:
        if spec.name in seen:
            raise source.error(f"layer name '{spec.name}' is used twice (first at {source.locate(seen[spec.name])})",
                               spec.path)
        seen[spec.name] = spec.path


def _wire(source, specs, inputs):
    """Each layer's sources; a layer without 'inputs' takes the previous layer (or the only input).
    Layers may be listed in any order: they are sorted so that each runs after its sources."""
    known = set(inputs) | {spec.name for spec in specs}
    clash = set(inputs) & {spec.name for spec in specs}
    if clash:
        name = sorted(clash)[0]
        spec = next(s for s in specs if s.name == name)
        raise source.error(f"layer '{name}' has the name of a model input; rename it", spec.path)
    wiring = {}
    for index, spec in enumerate(specs):
        if spec.inputs is None:
            if index == 0 and len(inputs) != 1:
                raise source.error(f"layer '{spec.name}' needs 'inputs': the model has several inputs {inputs}",
                                   spec.path)
            sources = [specs[index - 1].name] if index else list(inputs)
        else:
            sources = spec.inputs
        for name in sources:
            if name not in known:
                raise source.error(
                    f"layer '{spec.name}' takes input '{name}', which is neither a model input ({', '.join(inputs)}) "
                    f"nor a layer{did_you_mean(name, known)}", spec.path)
        wiring[spec.name] = sources
    order = _topological_order(source, specs, wiring, inputs)
    return {name: wiring[name] for name in order}


def _topological_order(source, specs, wiring, inputs):
    by_name = {spec.name: spec for spec in specs}
    state, order = {}, []               # state: 1 = on the current path, 2 = done

    def visit(name, trail):
        if name in inputs or state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = trail[trail.index(name):] + [name]       # consumers first: reverse for data flow
            raise source.error(f"the graph has a cycle: {' -> '.join(reversed(cycle))}; a layer cannot "
                               f"depend on its own output", by_name[name].path)
        state[name] = 1
        for parent in wiring[name]:
            visit(parent, trail + [name])
        state[name] = 2
        order.append(name)

    for spec in specs:
        visit(spec.name, [])
    return order
