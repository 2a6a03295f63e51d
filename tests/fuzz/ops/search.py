"""Scans that carry indices or differences (cummax, cummin, logcumsumexp, diff) and the
searching and counting ops (searchsorted, bucketize, unique, isin, bincount, argwhere)."""
from .base import Op, literal
from .reduce import tie_free


def _is_float(meta):
    return meta.is_float


def cumulative_extreme(name):
    def build(ctx):
        x = ctx.tensor(prefer=_is_float)
        if x is None or not tie_free(ctx.value(x)):
            return None
        expr, label = ctx.call(name, x, ctx.dim(x))
        return ctx.define(expr, label, (x,), outputs=2)
    return build


def logcumsumexp(ctx):
    x = ctx.float_tensor()
    if x is None:
        return None
    expr, label = ctx.call("logcumsumexp", x, ctx.dim(x))
    return ctx.define(expr, label, (x,))


def diff(ctx):
    x = ctx.tensor(prefer=_is_float)
    if x is None:
        return None
    kwargs = {}
    if ctx.g.chance(40):
        kwargs["n"] = ctx.g.pick([2, 0, 3])
    if ctx.g.chance(50):
        kwargs["dim"] = ctx.dim(x)
    used = (x,)
    for key in ("prepend", "append"):
        if ctx.g.chance(20):
            other = ctx.tensor(prefer=lambda m: m.ndim == ctx.meta(x).ndim)
            kwargs[key] = other
            used += (other,)
    expr, label = ctx.call("diff", x, **kwargs)
    return ctx.define(expr, label, used)


def searchsorted(ctx):
    boundaries = ctx.tensor(prefer=lambda m: m.ndim == 1)
    if boundaries is None:
        return None
    values = ctx.tensor()
    right = ", right=True" if ctx.g.chance(40) else ""
    expr = f"lib.searchsorted(lib.sort({boundaries}, dim=-1)[0], {values}{right})"
    return ctx.define(expr, "searchsorted", (boundaries, values))


def bucketize(ctx):
    x = ctx.tensor()
    boundaries = ctx.tensor(prefer=lambda m: m.ndim == 1)
    if x is None:
        return None
    right = ", right=True" if ctx.g.chance(40) else ""
    expr = f"lib.bucketize({x}, lib.sort({boundaries}.flatten())[0]{right})"
    return ctx.define(expr, "bucketize", (x, boundaries))


def unique(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    extra = ctx.g.pick(["", "return_inverse", "return_counts"])
    kwargs = {extra: "True"} if extra else {}
    if ctx.g.chance(20) and ctx.meta(x).ndim:
        kwargs["dim"] = ctx.dim(x)
    expr, label = ctx.call("unique", x, **kwargs)
    return ctx.define(expr, label, (x,), outputs=2 if extra else 1)


def isin(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    other = ctx.tensor() if ctx.g.chance(70) else ctx.scalar(["int", "float"])
    used = (x, other) if other in ctx.pool else (x,)
    kwargs = {"invert": "True"} if ctx.g.chance(30) else {}
    expr, label = ctx.call("isin", x, other, **kwargs)
    return ctx.define(expr, label, used)


MAX_BIN = 64     # bincount makes max(x) + 1 bins: a large element would allocate gigabytes


def bincount(ctx):
    x = ctx.tensor(prefer=lambda m: m.ndim == 1 and m.dtype in ("uint8", "int32", "int64"))
    if x is None or _largest(ctx.value(x)) > MAX_BIN:
        return None
    kwargs = {}
    used = (x,)
    if ctx.g.chance(30):
        weights = ctx.tensor(prefer=lambda m: m.shape == ctx.meta(x).shape and m.is_float)
        kwargs["weights"] = weights
        used += (weights,)
    if ctx.g.chance(30):
        kwargs["minlength"] = literal(ctx.g.pick([3, 0, 12]))
    expr, label = ctx.call("bincount", x, **kwargs)
    return ctx.define(expr, label, used)


def _largest(value):
    if value.numel() == 0 or value.dtype.is_floating_point or value.dtype.is_complex:
        return 0
    return int(value.max())


def argwhere(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    expr, label = ctx.call("argwhere", x)
    return ctx.define(expr, label, (x,))


def table():
    return [
        Op("cummax", "reduce", cumulative_extreme("cummax")), Op("cummin", "reduce", cumulative_extreme("cummin")),
        Op("logcumsumexp", "reduce", logcumsumexp), Op("diff", "reduce", diff),
        Op("searchsorted", "search", searchsorted, weight=1), Op("bucketize", "search", bucketize, weight=1),
        Op("unique", "search", unique), Op("isin", "search", isin, weight=1),
        Op("bincount", "search", bincount, weight=1), Op("argwhere", "search", argwhere, weight=1),
    ]
