"""``multinomial``: draw category indices from rows of non-negative weights.

Used to sample the next token of a language model and actions of a policy. The uniform
numbers come through the ``RandomDraw`` op (``ops/random.py``), so a compiled function
draws fresh ones on every call; the weights themselves are only read (no gradient flows
through a draw, as in PyTorch).
"""
import numbers

from . import backend as B
from ._errors import at_user_line, shape_str
from .tensor import Tensor

xp = B.xp


def _uniform(rng, shape):
    return rng.random(shape)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """``num_samples`` indices per row of ``input`` ((n,) or (rows, n) weights, need not sum to 1),
    each index drawn with probability proportional to its weight; int64, shape (num_samples,) or
    (rows, num_samples). Without replacement an index is drawn at most once per row."""
    from .ops.random import random_array
    weights = _checked_weights(input, num_samples, replacement)           # (rows, n)
    rows, n = weights.shape
    if replacement:
        u = random_array(_uniform, (rows, num_samples), generator=generator)   # (rows, num_samples)
        cumulative = xp.cumsum(weights, axis=1)
        cumulative /= cumulative[:, -1:]
        picks = xp.stack([xp.searchsorted(c, row_u, side="right") for c, row_u in zip(cumulative, u)])
        picks = xp.minimum(picks, n - 1)  # a u of exactly 1.0 after rounding stays in range
    else:
        # Exponential race: each category's arrival time is Exp(weight); the first num_samples to
        # arrive are a draw without replacement with the right probabilities. Zero weights arrive
        # last (infinitely late): drawn only once every positive one is, as PyTorch does.
        u = random_array(_uniform, (rows, n), generator=generator)             # (rows, n)
        with xp.errstate(divide="ignore"):
            arrival = -xp.log1p(-u) / weights
        picks = xp.argsort(arrival, axis=1, kind="stable")[:, :num_samples]
    picks = picks.astype(xp.int64)
    return Tensor._make(picks[0] if input.ndim == 1 else picks)


def _checked_weights(input, num_samples, replacement):
    if not isinstance(input, Tensor):
        raise TypeError(at_user_line(f"multinomial(): argument 'input' must be Tensor, not {type(input).__name__}"))
    if input.ndim not in (1, 2):
        raise RuntimeError(at_user_line(
            f"multinomial(): prob_dist must be 1 or 2 dim, got shape {shape_str(input.shape)}"))
    if not input.is_floating_point():
        raise RuntimeError(at_user_line(
            f"multinomial(): only floating-point dtypes are supported for input, got {input.dtype}; "
            f"use input.float()"))
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) or num_samples <= 0:
        raise RuntimeError(at_user_line(f"multinomial(): cannot sample num_samples={num_samples!r} samples; "
                                        f"it must be a positive integer"))
    weights = xp.asarray(input._data, dtype=xp.float64).reshape(-1, input.shape[-1])   # (rows, n)
    n = weights.shape[1]
    if not xp.isfinite(weights).all() or (weights < 0).any():
        raise RuntimeError(at_user_line(
            "multinomial(): probability tensor contains either `inf`, `nan` or element < 0"))
    if (weights.sum(axis=1) <= 0).any():
        raise RuntimeError(at_user_line(
            "multinomial(): invalid multinomial distribution (sum of probabilities <= 0): a row has no "
            "positive weight"))
    if not replacement:
        if num_samples > n:
            raise RuntimeError(at_user_line(
                f"multinomial(): cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                f"({num_samples} > {n}); pass replacement=True"))
    return weights
