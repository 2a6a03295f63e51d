"""Special functions on backend arrays (NumPy has no erf).

erf uses W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
approximations for the error function", Math. Comp. 23 (1969) 631-637), with
the coefficients of his published CALERF program, for y = |x|:

    y <= 0.46875:      erf(x)  = x * A(y^2) / B(y^2)
    y > 0.46875:       erfc(y) = exp(-y^2) * C(y) / D(y),  erf(x) = sign(x) (1 - erfc(y))

Cody uses C/D up to y = 4 and an asymptotic series beyond; for erf (not erfc)
C/D stays exact in float64 up to y = 6, where erf rounds to 1. The relative
error is below 1e-15 in float64; other dtypes are computed in float64 and
rounded once. Arrays of fewer than 512 elements use Python's math.erf (as
accurate, and faster at that size).
"""
import math

from .. import backend as B

xp = B.xp

_PER_ELEMENT_BELOW = 512  # below this, math.erf per element is faster than ~30 array passes
_SMALL = 0.46875
_SATURATED = 6.0  # erfc(6) ~ 2e-17: erf is 1.0 in float64 from here on

# erf on [0, 0.46875]: numerator A (highest power first), denominator B (monic)
_A = (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
      3.77485237685302021e02, 3.20937758913846947e03)
_B = (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
# erfc * exp(y^2) on (0.46875, 4] (and, for erf, up to 6)
_C = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
      6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
      1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03)
_D = (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)


def _polynomial(coefficients, z):
    """Horner's rule, in place on one new array; coefficients from the highest power down."""
    total = z * coefficients[0]
    total += coefficients[1]
    for c in coefficients[2:]:
        total *= z
        total += c
    return total


def _erf_small(x):
    z = x * x
    out = _polynomial(_A, z)
    out /= _polynomial(_B, z)
    out *= x
    return out


def _exp_minus_square(y):
    e = y * y
    xp.negative(e, out=e)
    return xp.exp(e, out=e)


def _erf_medium(y):
    """erf(y) = 1 - erfc(y) for 0.46875 < y <= 6."""
    erfc = _polynomial(_C, y)
    erfc /= _polynomial(_D, y)
    erfc *= _exp_minus_square(y)
    return xp.subtract(1.0, erfc, out=erfc)


def erf_array(a):
    """erf of a floating array, computed in float64 and returned in ``a``'s dtype."""
    if a.size < _PER_ELEMENT_BELOW:
        values = [math.erf(v) for v in a.ravel().tolist()]
        return xp.asarray(values, dtype=a.dtype).reshape(a.shape)
    x = xp.asarray(a, dtype=xp.float64)
    y = xp.abs(x)
    small = y <= _SMALL
    if small.all():
        return _erf_small(x).astype(a.dtype, copy=False)
    out = _erf_medium(xp.clip(y, _SMALL, _SATURATED))  # NaN stays NaN, inf gives 1
    xp.copysign(out, x, out=out)
    if small.any():
        inside = xp.flatnonzero(small)
        out.put(inside, _erf_small(x.take(inside)))
    return out.astype(a.dtype, copy=False)
