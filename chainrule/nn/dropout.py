"""Dropout layers: active in training mode, the identity in eval mode."""
from ..ops.random import random_array
from ..tensor import Tensor
from .._errors import at_user_line, shape_str, ShapeError
from .module import Module


def _keep_mask(rng, shape, p, scale, np_dtype):
    """``scale`` where a uniform draw is at least ``p``, else 0 (drawn by the RandomDraw op)."""
    return ((rng.random(shape) >= p) * scale).astype(np_dtype)


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
    scale = random_array(_keep_mask, tuple(input.shape), p, 1.0 / (1.0 - p), input._data.dtype)
    return input * Tensor._make(scale)


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
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    scale = random_array(_keep_mask, shape, p, 0.0 if p == 1.0 else 1.0 / (1.0 - p), input._data.dtype)
    return input * Tensor._make(scale)


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
    keep = Tensor._make(random_array(_keep_mask, tuple(input.shape), p, 1.0, input._data.dtype))
    return input * (keep * a) + ((1 - keep) * (a * alpha) + b)


class Dropout2d(Dropout):
    """Zero whole channels: each (sample, channel) map of an (N, C, H, W) or (N, C, L) input."""

    def forward(self, input):
        return dropout2d(input, self.p, self.training)


class AlphaDropout(Dropout):
    """Dropout that keeps the self-normalizing statistics of SELU networks."""

    def forward(self, input):
        return alpha_dropout(input, self.p, self.training)
