"""Functional forms of layer math (PyTorch's ``torch.nn.functional``).

Each name here is the same function as ``chainrule.<name>``; ``nn`` layers
(``nn.ReLU``, ...) are thin wrappers around them.
"""
from ..ops.unary import (relu, relu6, leaky_relu, elu, selu, celu, gelu, silu, mish, softplus,  # noqa: F401
                         logsigmoid, softsign, hardtanh, hardsigmoid, hardswish, sigmoid, tanh)
from ..ops.fused import softmax, log_softmax  # noqa: F401
from ..ops.pad import pad  # noqa: F401
