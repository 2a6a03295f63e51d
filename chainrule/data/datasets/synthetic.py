"""Synthetic datasets generated on the spot: xor, spirals, moons, linear_regression."""
import math

from ... import backend as B
from ._split import train_test

xp = B.xp


def xor(n=400, noise=0.1, test_fraction=0.25, seed=0):
    """Points around the four corners of the unit square; label = x1 XOR x2. Inputs (n, 2)."""
    rng = xp.random.default_rng(seed)
    corners = rng.integers(0, 2, (n, 2))
    x = corners + rng.normal(0, noise, (n, 2))
    return train_test(x, corners[:, 0] ^ corners[:, 1], test_fraction, seed)


def spirals(n=600, classes=3, noise=0.2, test_fraction=0.25, seed=0):
    """``classes`` interleaved spiral arms in 2-D (the classic CS231n toy set)."""
    rng = xp.random.default_rng(seed)
    per = n // classes
    xs, ys = [], []
    for c in range(classes):
        r = xp.linspace(0.0, 1.0, per)
        theta = xp.linspace(c * 4.0, (c + 1) * 4.0, per) + rng.normal(0, noise, per)
        xs.append(xp.stack([r * xp.sin(theta), r * xp.cos(theta)], 1))
        ys.append(xp.full(per, c))
    return train_test(xp.concatenate(xs), xp.concatenate(ys), test_fraction, seed)


def moons(n=400, noise=0.1, test_fraction=0.25, seed=0):
    """Two interleaving half circles."""
    rng = xp.random.default_rng(seed)
    half = n // 2
    t = rng.uniform(0, math.pi, n)
    upper = xp.stack([xp.cos(t[:half]), xp.sin(t[:half])], 1)
    lower = xp.stack([1 - xp.cos(t[half:]), 0.5 - xp.sin(t[half:])], 1)
    x = xp.concatenate([upper, lower]) + rng.normal(0, noise, (n, 2))
    y = xp.concatenate([xp.zeros(half, int), xp.ones(n - half, int)])
    return train_test(x, y, test_fraction, seed)


def linear_regression(n=200, features=3, noise=0.1, test_fraction=0.25, seed=0):
    """y = x w + b + noise with fixed true w and b; targets (n, 1)."""
    rng = xp.random.default_rng(seed)
    w, b = rng.normal(0, 1, (features, 1)), rng.normal()
    x = rng.normal(0, 1, (n, features))
    return train_test(x, x @ w + b + rng.normal(0, noise, (n, 1)), test_fraction, seed)
