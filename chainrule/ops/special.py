"""Special functions on backend arrays (NumPy has no erf).

erf(x) for |x| < 2.5 sums its Maclaurin series
    erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)),
and for |x| >= 2.5 uses erf = 1 - erfc with the continued fraction
    erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))),
evaluated from a fixed depth. Both are accurate to about 1e-15 in float64.
"""
import math

from .. import backend as B

xp = B.xp

_SERIES_TERMS = 60
_FRACTION_DEPTH = 80
_SPLIT = 2.5


def _erf_series(x):
    x2 = x * x
    term = x.copy()          # x^(2n+1) (-1)^n / n!
    total = x.copy()
    for n in range(1, _SERIES_TERMS):
        term = term * (-x2 / n)
        total = total + term / (2 * n + 1)
    return total * (2 / math.sqrt(math.pi))


def _erfc_fraction(x):
    tail = x.copy()
    for k in range(_FRACTION_DEPTH, 0, -1):
        tail = x + (k / 2) / tail
    return xp.exp(-x * x) / (math.sqrt(math.pi) * tail)


def erf_array(a):
    """erf of a floating array, computed in float64 and returned in ``a``'s dtype."""
    x = a.astype(xp.float64)
    magnitude = xp.abs(x)
    small = magnitude < _SPLIT
    out = xp.empty_like(x)
    if small.any():
        out[small] = _erf_series(x[small])
    if (~small).any():
        big = magnitude[~small]
        out[~small] = xp.sign(x[~small]) * (1 - _erfc_fraction(big))
    return out.astype(a.dtype, copy=False)
