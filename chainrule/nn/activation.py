"""Activation layers: each holds its options and calls the function of the same name."""
from .. import creation
from ..ops import unary
from ..ops.fused import softmax, log_softmax
from .module import Module
from .parameter import Parameter
from .._errors import at_user_line, shape_str, ShapeError


class _Activation(Module):
    """A layer around ``fn(input, **options)``; ``inplace`` is accepted for PyTorch compatibility."""

    fn = None

    def __init__(self, inplace=False, **options):
        super().__init__()
        self.__dict__.update(options)   # attributes, as in PyTorch: setting one changes the layer
        self._option_names = tuple(options)

    def forward(self, input):
        return type(self).fn(input, **{name: getattr(self, name) for name in self._option_names})

    def extra_repr(self):
        return ", ".join(f"{name}={getattr(self, name)}" for name in self._option_names)


class ReLU(_Activation):
    fn = unary.relu


class ReLU6(_Activation):
    fn = unary.relu6


class Sigmoid(_Activation):
    fn = unary.sigmoid


class Tanh(_Activation):
    fn = unary.tanh


class SiLU(_Activation):
    fn = unary.silu


class Mish(_Activation):
    fn = unary.mish


class SELU(_Activation):
    fn = unary.selu


class Softsign(_Activation):
    fn = unary.softsign


class LogSigmoid(_Activation):
    fn = unary.logsigmoid


class Hardsigmoid(_Activation):
    fn = unary.hardsigmoid


class Hardswish(_Activation):
    fn = unary.hardswish


class LeakyReLU(_Activation):
    fn = unary.leaky_relu

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__(negative_slope=negative_slope)


class ELU(_Activation):
    fn = unary.elu

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(alpha=alpha)


class CELU(_Activation):
    fn = unary.celu

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(alpha=alpha)


class GELU(_Activation):
    fn = unary.gelu

    def __init__(self, approximate="none"):
        super().__init__(approximate=approximate)


class Softplus(_Activation):
    fn = unary.softplus

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__(beta=beta, threshold=threshold)


class Hardtanh(_Activation):
    fn = unary.hardtanh

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__(min_val=min_val, max_val=max_val)


class Softmax(_Activation):
    fn = softmax

    def __init__(self, dim=None):
        super().__init__(dim=dim)


class LogSoftmax(_Activation):
    fn = log_softmax

    def __init__(self, dim=None):
        super().__init__(dim=dim)


def prelu(input, weight):
    """max(0, x) + a * min(0, x); ``weight`` holds one slope, or one per channel (dim 1)."""
    if weight.numel() > 1:
        weight = weight.reshape([-1] + [1] * (input.ndim - 2))
    return input.relu() - weight * (-input).relu()


class PReLU(Module):
    """max(0, x) + a * min(0, x) with a learned slope ``a`` (one, or one per channel)."""

    def __init__(self, num_parameters=1, init=0.25, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(creation.full((num_parameters,), init, dtype=dtype))

    def forward(self, input):
        if self.num_parameters > 1 and (input.ndim < 2 or input.shape[1] != self.num_parameters):
            raise ShapeError(at_user_line(
                f"{self!r}: expected input with {self.num_parameters} channels in dim 1 (one slope each), got "
                f"{shape_str(input.shape)}"))
        return prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"
