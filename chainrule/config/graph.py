"""``GraphModel``: named layers wired by named inputs (branches, joins, several heads)."""
from ..nn.module import Module
from ..nn.containers import ModuleDict


class GraphModel(Module):
    """Runs ``layers`` in ``order``; node ``n`` gets the outputs of ``wiring[n]`` (names of
    model inputs or of earlier nodes).

    The model is called with one tensor (one input) or a dict of tensors keyed by input
    name, and returns one tensor (one output) or a dict keyed by output name.
    """

    def __init__(self, inputs, layers, wiring, outputs):
        super().__init__()
        self.input_names, self.output_names = list(inputs), list(outputs)
        self.layers = ModuleDict(layers)          # name -> Module, in execution order
        self.wiring = {name: list(sources) for name, sources in wiring.items()}

    def run(self, inputs, observe=None):
        """Every value by name; ``observe(name, args)`` is called before each node runs."""
        if not isinstance(inputs, dict):
            if len(self.input_names) != 1:
                raise TypeError(f"this model has inputs {self.input_names}: call it with a dict of tensors")
            inputs = {self.input_names[0]: inputs}
        values = dict(inputs)
        for name, layer in self.layers.items():
            args = [values[source] for source in self.wiring[name]]
            if observe is not None:
                observe(name, args)
            values[name] = layer(*args)
        return values

    def forward(self, inputs):
        values = self.run(inputs)
        if len(self.output_names) == 1:
            return values[self.output_names[0]]
        return {name: values[name] for name in self.output_names}

    def extra_repr(self):
        return f"inputs={self.input_names}, outputs={self.output_names}"
