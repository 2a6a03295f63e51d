"""``model.input_shape``: the shape of one input sample, given in the config.

With it a model can be summarized and checked without its data (``chainrule summary``, like
Caffe's ``input_shape`` and Keras's ``Input(shape=)``), and training checks that the data's
samples have that shape before the first step.
"""
from .. import creation

PATH = ("model", "input_shape")


def read_input_shapes(source, section, inputs):
    """``{input name: shape tuple}`` from ``model.input_shape``, or None when it is not given.
    A list is the shape of the one input; a mapping gives one shape per input of a graph."""
    value = section.get("input_shape")
    if value is None:
        return None
    if isinstance(value, list):
        if len(inputs) != 1:
            raise source.error(f"the model has {len(inputs)} inputs {inputs}: give input_shape as "
                               f"{{input: shape}}, one shape per input", PATH)
        return {inputs[0]: _shape(source, value, PATH)}
    unknown = sorted(set(value) - set(inputs))
    missing = sorted(set(inputs) - set(value))
    if unknown or missing:
        raise source.error(f"input_shape must give a shape for each model input {inputs}"
                           + (f"; unknown: {unknown}" if unknown else "") + (f"; missing: {missing}" if missing else ""),
                           PATH)
    return {name: _shape(source, value[name], PATH + (name,)) for name in inputs}


def _shape(source, value, path):
    if (not isinstance(value, list) or not value
            or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in value)):
        raise source.error(f"an input shape is a non-empty list of positive integers (one sample, without "
                           f"the batch dimension), e.g. [1, 28, 28]; got {value!r}", path)
    return tuple(value)


def zeros_batch(shapes):
    """A batch of one sample of zeros for each input: the model's input for a summary."""
    batch = {name: creation.zeros((1,) + shape) for name, shape in shapes.items()}
    return next(iter(batch.values())) if len(batch) == 1 else batch


def check_data_shape(source, section, inputs, sample):
    """The data's first input sample must have ``model.input_shape`` when it is given."""
    shapes = read_input_shapes(source, section, inputs)
    if shapes is None:
        return
    samples = sample if isinstance(sample, dict) else {inputs[0]: sample}
    for name, shape in shapes.items():
        found = tuple(samples[name].shape)
        if found != shape:
            where = PATH + (name,) if len(shapes) > 1 else PATH
            raise source.error(f"model.input_shape says one sample of '{name}' has shape {list(shape)}, but the "
                               f"data's samples have shape {list(found)}: fix input_shape or the data", where)


def model_without_data(source):
    """(model, batch of zeros) of a config whose model gives ``input_shape``, built and run once
    (each failing layer named with its line) without reading any data. None without input_shape."""
    from . import schema
    from .build import run_layers
    from .model import build_model, _names
    config = source.data
    section = config.get("model")
    if not isinstance(section, dict) or "input_shape" not in section:
        return None
    schema.validate(source, model_only=True)
    data_inputs = _names(source, config.get("data", {}).get("inputs", "x"), ("data", "inputs"), "data.inputs")
    inputs = _names(source, section.get("inputs", data_inputs), ("model", "inputs"), "model.inputs")
    model, specs = build_model(source, section, inputs)
    batch = zeros_batch(read_input_shapes(source, section, inputs))
    run_layers(source, model, specs, batch)
    return model, batch
