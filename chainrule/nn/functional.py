"""Functional forms of activations and other layer math (PyTorch's ``torch.nn.functional``)."""
from ..ops.unary import relu, sigmoid, tanh  # noqa: F401
