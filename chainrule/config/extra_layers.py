"""Layers that configs need to wire a graph but PyTorch writes as plain code in ``forward``:
joining branches (Add, Concat), reshaping (Reshape, Permute) and picking from a
layer's tuple output (Select, LastStep). Usable from Python too."""
from ..ops.join import cat
from ..nn.module import Module
from .._errors import ShapeError, at_user_line


def _shape(t):
    return tuple(t.shape)


class Add(Module):
    """The sum of its inputs (a residual connection): all of one shape, or broadcastable."""

    def forward(self, *inputs):
        if len(inputs) < 2:
            raise ShapeError(at_user_line(f"Add: needs at least 2 inputs, got {len(inputs)}"))
        total = inputs[0]
        for other in inputs[1:]:
            total = total + other
        return total


class Multiply(Module):
    """The elementwise product of its inputs (gating)."""

    def forward(self, *inputs):
        if len(inputs) < 2:
            raise ShapeError(at_user_line(f"Multiply: needs at least 2 inputs, got {len(inputs)}"))
        product = inputs[0]
        for other in inputs[1:]:
            product = product * other
        return product


class Concat(Module):
    """Its inputs joined along ``dim`` (default 1, the feature or channel dimension)."""

    def __init__(self, dim=1):
        super().__init__()
        self.dim = dim

    def forward(self, *inputs):
        return cat(list(inputs), dim=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Reshape(Module):
    """Each sample reshaped to ``shape`` (the batch dimension is kept): (N, *) -> (N, *shape)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, input):
        return input.reshape((input.shape[0],) + self.shape)

    def extra_repr(self):
        return f"shape={self.shape}"


class Permute(Module):
    """The dimensions reordered, e.g. (N, L, C) -> (N, C, L) with ``dims=[0, 2, 1]``."""

    def __init__(self, dims):
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, input):
        if len(self.dims) != input.ndim:
            raise ShapeError(at_user_line(
                f"Permute(dims={list(self.dims)}): the input has {input.ndim} dimensions {_shape(input)}, "
                f"dims names {len(self.dims)}"))
        return input.permute(*self.dims)

    def extra_repr(self):
        return f"dims={self.dims}"


class Select(Module):
    """Item ``index`` of a tuple output, e.g. the output sequence of an LSTM (index 0)."""

    def __init__(self, index=0):
        super().__init__()
        self.index = index

    def forward(self, input):
        if not isinstance(input, (tuple, list)):
            raise ShapeError(at_user_line(
                f"Select(index={self.index}): expects a tuple (e.g. an LSTM's (output, state)), got a tensor "
                f"of shape {_shape(input)}"))
        return input[self.index]

    def extra_repr(self):
        return f"index={self.index}"


class LastStep(Module):
    """The last time step of a sequence: (N, L, H) -> (N, H); a recurrent layer's tuple output
    is unpacked first, so ``GRU -> LastStep`` reads as in the lectures."""

    def forward(self, input):
        if isinstance(input, (tuple, list)):
            input = input[0]
        if input.ndim != 3:
            raise ShapeError(at_user_line(
                f"LastStep: expects (batch, time, features), got {_shape(input)}; use batch_first=True "
                f"on the recurrent layer"))
        return input[:, -1]


EXTRA_LAYERS = {cls.__name__: cls for cls in (Add, Multiply, Concat, Reshape, Permute, Select, LastStep)}
