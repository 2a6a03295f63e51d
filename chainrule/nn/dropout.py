"""Dropout layers: active in training mode, the identity in eval mode."""
from .. import backend as B
from ..tensor import Tensor
from .._errors import at_user_line, shape_str, ShapeError
from .module import Module


def _check_probability(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) (training only)."""
    _check_probability(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = B.rng().random(input.shape) >= p
    return input * Tensor._make((keep / (1.0 - p)).astype(input._data.dtype))


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        _check_probability(p)
        self.p = p

    def forward(self, input):
        return dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace=False"


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) or (N, C, L) input with probability ``p``; scale the rest."""
    _check_probability(p)
    if not training or p == 0.0:
        return input
    if input.ndim not in (3, 4):
        raise ShapeError(at_user_line(
            f"Dropout2d: expected a 3-D (N, C, L) or 4-D (N, C, H, W) input, got shape {shape_str(input.shape)}"))
    keep = B.rng().random(tuple(input.shape[:2]) + (1,) * (input.ndim - 2)) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return input * Tensor._make((keep * scale).astype(input._data.dtype))


_SELU_NEGATIVE_SATURATION = -1.7580993408473766  # -scale * alpha of SELU


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's negative saturation value, and an
    affine correction keeps the mean and variance (Klambauer et al., 2017)."""
    _check_probability(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    alpha = _SELU_NEGATIVE_SATURATION
    a = ((1 - p) * (1 + p * alpha ** 2)) ** -0.5
    b = -a * alpha * p
    keep = (B.rng().random(tuple(input.shape)) >= p).astype(input._data.dtype)
    return input * Tensor._make(a * keep) + Tensor._make((a * alpha * (1 - keep) + b).astype(input._data.dtype))


class Dropout2d(Dropout):
    """Zero whole channels: each (sample, channel) map of an (N, C, H, W) or (N, C, L) input."""

    def forward(self, input):
        return dropout2d(input, self.p, self.training)


class AlphaDropout(Dropout):
    """Dropout that keeps the self-normalizing statistics of SELU networks."""

    def forward(self, input):
        return alpha_dropout(input, self.p, self.training)
