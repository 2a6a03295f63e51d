"""Dense layers and shape layers: Linear, Bilinear, Identity, Flatten, Unflatten."""
import math

from .. import creation
from .._errors import at_user_line, ShapeError
from ..ops.linalg import MatMul, einsum
from . import init
from .module import Module
from .parameter import Parameter


def linear(input, weight, bias=None):
    """x W^T + b: (*, in) with W (out, in) -> (*, out)."""
    x, w = input._data, weight._data
    if x.ndim >= 2 and w.ndim == 2 and x.shape[-1] == w.shape[1] and x.dtype == w.dtype and x.dtype.kind != "b":
        # the transpose as a flag of the product: W's gradient comes out as G^T X, already
        # in W's (out, in) layout, so storing it is a plain copy rather than a transposing one
        out = MatMul.apply(input, weight, tb=True)
    else:
        out = input @ weight.mT      # vectors, and the shape and dtype errors of matmul
    return out + bias if bias is not None else out


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T A_k x2 + b_k: (*, in1), (*, in2) with A (out, in1, in2) -> (*, out)."""
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out + bias if bias is not None else out


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features).

    Shape: (*, in_features) -> (*, out_features). Weights and bias start
    uniform in [-1/sqrt(in_features), 1/sqrt(in_features)], as in PyTorch.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(creation.empty(out_features, in_features, dtype=dtype))
        self.bias = Parameter(creation.empty(out_features, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):  # (*, in) -> (*, out)
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ShapeError(at_user_line(
                f"{self!r}: expected input of shape (*, {self.in_features}), got {tuple(input.shape)}; "
                f"the last dimension must equal in_features"))
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """y = x1^T A x2 + b, with A of shape (out, in1, in2)."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        self.weight = Parameter(creation.empty(out_features, in1_features, in2_features, dtype=dtype))
        self.bias = Parameter(creation.empty(out_features, dtype=dtype)) if bias else None
        bound = 1 / math.sqrt(in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):  # (*, in1), (*, in2) -> (*, out)
        if input1.shape[-1:] != (self.in1_features,) or input2.shape[-1:] != (self.in2_features,):
            raise ShapeError(at_user_line(
                f"{self!r}: expected inputs of shapes (*, {self.in1_features}) and (*, {self.in2_features}), got "
                f"{tuple(input1.shape)} and {tuple(input2.shape)}"))
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Identity(Module):
    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
