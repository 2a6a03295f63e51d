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


# ---------------------------------------------------------------- erfc

# Cody's erfc for y > 4: erfc(y) = exp(-y^2) / y * (1/sqrt(pi) - R(1/y^2)), R = P/Q rational
_P = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
      1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4)
_Q = (1.0, 2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_ONE_OVER_SQRT_PI = 5.6418958354775628695e-1
_ERFC_ZERO = 27.3  # erfc(y) is below the smallest float64 from here on


def _exp_minus_square_split(y):
    """exp(-y^2) with y^2 split as a^2 + (y - a)(y + a), a = y rounded down to 1/16: the
    rounding of y^2 would otherwise cost up to y^2 * 1e-16 of relative accuracy."""
    a = xp.floor(y * 16.0) / 16.0
    return xp.exp(-a * a) * xp.exp(-(y - a) * (y + a))


def _erfc_tail(y):
    """erfc(y) for y > 4 (Cody's asymptotic rational form)."""
    z = 1.0 / (y * y)
    ratio = _polynomial(_P, z) / _polynomial(_Q, z)
    return _exp_minus_square_split(y) * (_ONE_OVER_SQRT_PI - z * ratio) / y


def erfc_array(a):
    """erfc = 1 - erf of a float64 array, accurate in relative terms also where it is tiny."""
    y = xp.abs(a)
    out = xp.empty_like(y)
    small = y <= _SMALL
    medium = (y > _SMALL) & (y <= 4.0)
    large = y > 4.0                                        # NaN falls in none of the three
    out[small] = 1.0 - _erf_small(y[small])
    ym = y[medium]
    out[medium] = _polynomial(_C, ym) / _polynomial(_D, ym) * _exp_minus_square_split(ym)
    yl = xp.minimum(y[large], _ERFC_ZERO)
    out[large] = xp.where(y[large] >= _ERFC_ZERO, 0.0, _erfc_tail(yl))
    out[xp.isnan(y)] = xp.nan
    negative = a < 0
    out[negative] = 2.0 - out[negative]                      # erfc(-y) = 2 - erfc(y)
    return out


# ---------------------------------------------------------------- erfinv

_ERFINV_A = 0.147  # Winitzki's constant: a closed form good to ~2e-3, refined below


def _erfinv_start(x):
    """A first guess for erfinv(x), 0 <= x < 1: a cubic Taylor polynomial near 0, else
    Winitzki's closed form y^2 = sqrt(t^2 - l / a) - t, t = 2 / (pi a) + l / 2, l = ln(1 - x^2)."""
    l = xp.log((1.0 - x) * (1.0 + x))
    t = 2.0 / (math.pi * _ERFINV_A) + 0.5 * l
    closed = xp.sqrt(xp.maximum(xp.sqrt(t * t - l / _ERFINV_A) - t, 0.0))
    taylor = 0.5 * math.sqrt(math.pi) * (x + math.pi / 12.0 * x ** 3)
    return xp.where(x < 0.1, taylor, closed)


def erfinv_array(a):
    """The y with erf(y) = x, for x in [-1, 1] (NaN outside; +-inf at +-1), in ``a``'s dtype.

    Three Halley steps on f(y) = erf(y) - |x| from a ~2e-3 first guess reach float64
    accuracy (the error is cubed each step). Beyond |x| = 0.5 the residual is written as
    (1 - |x|) - erfc(y): both terms are exact enough there, where erf(y) - |x| would lose
    the digits that decide y as |x| approaches 1.
    """
    x = xp.asarray(a, dtype=xp.float64)
    ax = xp.abs(x)
    inside = ax < 1.0                                          # NaN is not inside
    v = xp.where(inside, ax, 0.0)
    y = _erfinv_start(v)
    tail = v > 0.5
    for _ in range(3):
        residual = xp.where(tail, (1.0 - v) - erfc_array(y), erf_array(y) - v)
        slope = 2.0 / math.sqrt(math.pi) * xp.exp(-y * y)     # f'(y); f''(y) = -2 y f'(y)
        step = residual / slope
        y = y - step / (1.0 + y * step)
    out = xp.where(inside, y, xp.nan)
    out = xp.where(ax == 1.0, xp.inf, out)
    out = xp.copysign(out, x)                                  # odd; keeps -0.0
    return out.astype(a.dtype, copy=False)


# ---------------------------------------------------------------- log-gamma and polygamma

_EULER_GAMMA = 0.57721566490153286061
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)
# Bernoulli numbers B_2, B_4, ..., B_20
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330)
_ASYMPTOTIC_FROM = 10.0  # Stirling / asymptotic series from here (errors below 1e-17)
_INTEGER_ABOVE = 2.0 ** 52  # every float64 beyond this is an integer


def _zeta_minus_one(s):
    """zeta(s) - 1 for an integer s >= 2: a direct sum to N - 1, then Euler-Maclaurin."""
    n = 10
    head = math.fsum(k ** -s for k in range(2, n))
    tail = n ** (1 - s) / (s - 1) + 0.5 * n ** -s
    rising = s           # s (s + 1) ... (s + 2j - 2)
    factorial = 2        # (2j)!
    for j, b in enumerate(_BERNOULLI[:6], start=1):
        tail += b / factorial * rising * n ** (-s - 2 * j + 1)
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        factorial *= (2 * j + 1) * (2 * j + 2)
    return head + tail


# lgamma(2 + z) = (1 - gamma) z + sum_{k>=2} (-1)^k (zeta(k) - 1) / k z^k, for |z| <= 1/2
_LGAMMA_SERIES = tuple((-1) ** k * _zeta_minus_one(k) / k for k in range(2, 32))


def _lgamma_near_two(z):
    """lgamma(2 + z) for |z| <= 1/2: the series above (its terms fall like (z/2)^k / k)."""
    total = xp.zeros_like(z)
    for c in reversed(_LGAMMA_SERIES):
        total = (total + c) * z
    return (total + (1.0 - _EULER_GAMMA)) * z


def _stirling(x):
    """lgamma(x) for x >= 10: (x - 1/2) ln x - x + ln(2 pi) / 2 + sum_k B_2k / (2k (2k-1) x^(2k-1))."""
    inverse = 1.0 / x
    square = inverse * inverse
    total = xp.zeros_like(x)
    for k in range(8, 0, -1):
        total = total * square + _BERNOULLI[k - 1] / (2 * k * (2 * k - 1))
    return (x - 0.5) * xp.log(x) - x + _HALF_LOG_2PI + total * inverse


def _lgamma_positive(x):
    """lgamma(x) for x >= 1/2 (a float64 array)."""
    out = xp.empty_like(x)
    big = x >= _ASYMPTOTIC_FROM
    out[big] = _stirling(x[big])
    low = x < 1.5                       # lgamma(x) = lgamma(1 + x) - ln x
    out[low] = _lgamma_near_two(x[low] - 1.0) - xp.log1p(x[low] - 1.0)
    middle = ~big & ~low                # shift down into [1.5, 2.5): Gamma(x) = (x-1) Gamma(x-1)
    xm = x[middle]
    steps = xp.floor(xm - 1.5)
    product = xp.ones_like(xm)
    for j in range(1, 9):
        product *= xp.where(steps >= j, xm - j, 1.0)
    out[middle] = _lgamma_near_two(xm - steps - 2.0) + xp.log(product)
    return out


def _abs_sin_pi(x):
    """|sin(pi x)|, exact at the integers: x is reduced to [-1/2, 1/2] first (without rounding)."""
    return xp.abs(xp.sin(math.pi * (x - xp.round(x))))


def lgamma_array(a):
    """ln |Gamma(x)| of a floating array, computed in float64, returned in ``a``'s dtype.

    x >= 10: Stirling's series. [1/2, 10): steps down to [3/2, 5/2) (Gamma(x) = (x-1) Gamma(x-1))
    and a power series around 2, whose zero there (and at 1) it keeps exact in relative terms.
    |x| < 1/2: lgamma(x) = lgamma(2 + x) - ln(1 + x) - ln|x|. x < -1/2: the reflection
    ln|Gamma(x)| = ln pi - ln|sin(pi x)| - lgamma(1 - x). Poles (0, -1, ...) and +-inf give inf.
    """
    x = xp.asarray(a, dtype=xp.float64)
    out = xp.full(x.shape, xp.inf)
    out[xp.isnan(x)] = xp.nan
    with xp.errstate(divide="ignore", over="ignore", invalid="ignore"):
        positive = (x >= 0.5) & (x < xp.inf)
        out[positive] = _lgamma_positive(x[positive])
        near_zero = (xp.abs(x) < 0.5) & (x != 0)
        xz = x[near_zero]
        out[near_zero] = _lgamma_near_two(xz) - xp.log1p(xz) - xp.log(xp.abs(xz))
        negative = (x <= -0.5) & (x > -_INTEGER_ABOVE)
        xn = x[negative]
        sine = _abs_sin_pi(xn)
        values = _LOG_PI - xp.log(sine) - _lgamma_positive(1.0 - xn)
        out[negative] = xp.where(sine == 0, xp.inf, values)
    return out.astype(a.dtype, copy=False)


def _digamma_asymptotic(x):
    """psi(x) ~ ln x - 1/(2x) - sum_k B_2k / (2k x^2k), for x >= 10."""
    square = 1.0 / (x * x)
    total = xp.zeros_like(x)
    for k in range(8, 0, -1):
        total = (total + _BERNOULLI[k - 1] / (2 * k)) * square
    return xp.log(x) - 0.5 / x - total


def _polygamma_asymptotic(n, x):
    """psi^(n)(x) for n >= 1, x >= 10:
    (-1)^(n+1) [(n-1)!/x^n + n!/(2 x^(n+1)) + sum_k B_2k (2k+n-1)! / ((2k)! x^(2k+n))]."""
    total = xp.zeros_like(x)
    square = 1.0 / (x * x)
    for k in range(8, 0, -1):
        coefficient = _BERNOULLI[k - 1] * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
        total = (total + coefficient) * square
    total = total + math.factorial(n - 1) + math.factorial(n) / (2.0 * x)
    return (-1) ** (n + 1) * total / x ** n


def _polygamma_positive(n, x):
    """psi^(n)(x) for x > 0: step up past 10 with psi^(n)(x) = psi^(n)(x+1) + (-1)^(n+1) n! / x^(n+1)."""
    steps = xp.maximum(xp.ceil(_ASYMPTOTIC_FROM - x), 0.0)
    shift = xp.zeros_like(x)
    for j in range(int(steps.max(initial=0))):
        term = 1.0 / (x + j) if n == 0 else (x + j) ** -(n + 1.0)
        shift += xp.where(steps > j, term, 0.0)
    if n == 0:
        return _digamma_asymptotic(x + steps) - shift
    return _polygamma_asymptotic(n, x + steps) + (-1) ** (n + 1) * math.factorial(n) * shift


def _cot_derivative_polynomial(n):
    """Coefficients (lowest power first) of C_n with d^n/dx^n cot(pi x) = pi^n C_n(cot(pi x)):
    C_0(c) = c and C_(k+1)(c) = -(1 + c^2) C_k'(c)."""
    poly = [0.0, 1.0]
    for _ in range(n):
        derivative = [i * c for i, c in enumerate(poly)][1:] or [0.0]
        poly = [0.0] * (len(derivative) + 2)
        for i, c in enumerate(derivative):
            poly[i] -= c
            poly[i + 2] -= c
    return poly


def polygamma_array(n, a):
    """The n-th derivative of digamma, psi^(n) (n = 0: digamma itself), in ``a``'s dtype.

    x > 0: the recurrence up to x >= 10, then the asymptotic series. x < 0: the reflection
    psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) C_n(cot(pi x)) (n derivatives of
    psi(1 - x) - psi(x) = pi cot(pi x)). Poles at 0, -1, ...: as PyTorch gives them.
    """
    x = xp.asarray(a, dtype=xp.float64)
    out = xp.full(x.shape, xp.nan)
    with xp.errstate(divide="ignore", over="ignore", invalid="ignore"):
        positive = (x > 0) & (x < xp.inf)
        out[positive] = _polygamma_positive(n, x[positive])
        negative = (x < 0) & (x > -_INTEGER_ABOVE)
        xn = x[negative]
        reduced = xn - xp.round(xn)
        cot = 1.0 / xp.tan(math.pi * reduced)
        coefficients = _cot_derivative_polynomial(n)
        cot_term = xp.polynomial.polynomial.polyval(cot, coefficients)
        values = (-1) ** n * _polygamma_positive(n, 1.0 - xn) - math.pi ** (n + 1) * cot_term
        out[negative] = xp.where(reduced == 0, xp.nan if n == 0 else _pole(n), values)
        out[x == xp.inf] = xp.inf if n == 0 else 0.0
        zero = x == 0
        out[zero] = -xp.copysign(xp.inf, x[zero]) if n == 0 else _pole(n)
    return out.astype(a.dtype, copy=False)


def _pole(n):
    return xp.inf if n % 2 else -xp.inf
