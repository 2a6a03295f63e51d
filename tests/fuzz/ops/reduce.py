"""Reductions (with dim, keepdim and dtype), scans, softmax, and the sorting ops.

Ops that return the index of one of several equal values (sort, topk, kthvalue,
median, mode) leave the choice open in PyTorch's documentation; they only run on
inputs without ties, so that indices and gradients are comparable.
"""
import torch

from .base import Op, literal

FLOAT_DTYPES = ("float32", "float64", "float16")


def _is_float(meta):
    return meta.is_float


def tie_free(value):
    flat = value.detach().reshape(-1).to(torch.float64)
    flat = torch.where(flat == 0, torch.zeros_like(flat), flat)   # -0.0 ties with 0.0
    finite = flat[~torch.isnan(flat)]
    return flat.numel() - finite.numel() <= 1 and torch.unique(finite).numel() == finite.numel()


def _dim_kwargs(ctx, x, tuple_dims=True, keepdim=True):
    """Some of dim= (int or tuple) and keepdim=, or nothing (a full reduction)."""
    kwargs = {}
    if ctx.g.chance(70):
        dims = ctx.dims(x) if tuple_dims and ctx.g.chance(30) else ctx.dim(x)
        kwargs["dim"] = literal(dims)
        if keepdim and ctx.g.chance(40):
            kwargs["keepdim"] = "True"
    return kwargs


def summing(name, dtypes):
    def build(ctx):
        x = ctx.tensor(prefer=_is_float)
        if x is None:
            return None
        kwargs = _dim_kwargs(ctx, x, tuple_dims=name != "prod")
        if ctx.g.chance(20):
            kwargs["dtype"] = ctx.dtype(dtypes)
        expr, label = ctx.call(name, x, **kwargs)
        return ctx.define(expr, label, (x,))
    return build


def spread(name):
    """var, std, var_mean, std_mean: dim, correction (or unbiased) and keepdim."""
    def build(ctx):
        x = ctx.float_tensor()
        if x is None:
            return None
        kwargs = _dim_kwargs(ctx, x)
        which = ctx.g.pick(["default", "correction", "unbiased"])
        if which == "correction":
            kwargs["correction"] = literal(ctx.g.pick([0, 1, 2, 5]))
        elif which == "unbiased":
            kwargs["unbiased"] = literal(ctx.g.chance(50))
        expr, label = ctx.call(name, x, **kwargs)
        return ctx.define(expr, label, (x,), outputs=2 if name.endswith("_mean") else 1)
    return build


def scan(name):
    def build(ctx):
        x = ctx.tensor(prefer=_is_float)
        if x is None:
            return None
        kwargs = {"dtype": ctx.dtype(("float64", "int64", "float32"))} if ctx.g.chance(25) else {}
        expr, label = ctx.call(name, x, ctx.dim(x), **kwargs)
        return ctx.define(expr, label, (x,))
    return build


def extreme(name):
    """amax, amin, argmax, argmin, aminmax, any, all, count_nonzero, logsumexp: dim and keepdim."""
    def build(ctx):
        x = ctx.tensor(prefer=_is_float if name != "any" and name != "all" else None)
        if x is None:
            return None
        tuple_dims = name in ("amax", "amin", "logsumexp", "count_nonzero")
        keepdim = name != "count_nonzero"
        kwargs = _dim_kwargs(ctx, x, tuple_dims=tuple_dims, keepdim=keepdim)
        if name == "logsumexp" and "dim" not in kwargs:
            kwargs["dim"] = literal(ctx.dim(x))
        expr, label = ctx.call(name, x, **kwargs)
        return ctx.define(expr, label, (x,), outputs=2 if name == "aminmax" else 1)
    return build


def max_min(name):
    """``x.max()``, ``x.max(dim)`` (values and indices), or ``lib.max(x, other)``."""
    def build(ctx):
        x = ctx.tensor(prefer=_is_float)
        if x is None:
            return None
        how = ctx.g.pick(["dim", "all", "binary"])
        if how == "all":
            expr, label = ctx.call(name, x)
            return ctx.define(expr, label, (x,))
        if how == "binary":
            other, used = ctx.operand(x, tensor_percent=100)
            expr, label = ctx.call(name, x, other)
            return ctx.define(expr, label + "(other)", (x,) + used)
        kwargs = {"keepdim": "True"} if ctx.g.chance(30) else {}
        expr, label = ctx.call(name, x, ctx.dim(x), **kwargs)
        return ctx.define(expr, label + "(dim)", (x,), outputs=2)
    return build


def median(ctx):
    x = ctx.tensor(prefer=_is_float)
    if x is None or not tie_free(ctx.value(x)):
        return None
    if ctx.g.chance(40):
        expr, label = ctx.call("median", x)
        return ctx.define(expr, label, (x,))
    kwargs = {"keepdim": "True"} if ctx.g.chance(30) else {}
    expr, label = ctx.call("median", x, ctx.dim(x), **kwargs)
    return ctx.define(expr, label + "(dim)", (x,), outputs=2)


def mode(ctx):
    x = ctx.tensor(where=lambda m: not m.requires_grad)
    if x is None:
        return None
    expr, label = ctx.call("mode", x, ctx.dim(x))
    return ctx.define(f"{expr}[0]" if expr else None, label, (x,))


def norm(ctx):
    x = ctx.float_tensor()
    if x is None:
        return None
    kwargs = {}
    if ctx.g.chance(70):
        kwargs["p"] = literal(ctx.g.pick([2, 1, float("inf"), 3, 0, "fro", float("-inf")]))
    kwargs.update(_dim_kwargs(ctx, x))
    expr, label = ctx.call("norm", x, **kwargs)
    return ctx.define(expr, label, (x,))


def softmax(name):
    def build(ctx):
        x = ctx.float_tensor()
        if x is None:
            return None
        kwargs = {"dtype": ctx.dtype(FLOAT_DTYPES)} if ctx.g.chance(20) else {}
        expr, label = ctx.call(name, x, ctx.dim(x), **kwargs)
        return ctx.define(expr, label, (x,))
    return build


def nonzero(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    expr, label = ctx.call("nonzero", x)
    return ctx.define(expr, label, (x,))


def sort(name):
    def build(ctx):
        x = ctx.tensor(prefer=_is_float)
        if x is None or not tie_free(ctx.value(x)):
            return None
        args, kwargs, outputs = [], {}, 1
        if name == "msort":
            pass
        elif name in ("topk", "kthvalue"):
            size = max(ctx.meta(x).shape[-1:] or (1,))
            args.append(ctx.g.integer(1, size) if not ctx.g.chance(5) else size + 1)
            if ctx.g.chance(60):
                args.append(ctx.dim(x))
            if name == "topk" and ctx.g.chance(30):
                kwargs["largest"] = "False"
            if name == "kthvalue" and ctx.g.chance(30):
                kwargs["keepdim"] = "True"
            outputs = 2
        else:
            if ctx.g.chance(60):
                kwargs["dim"] = literal(ctx.dim(x))
            if ctx.g.chance(40):
                kwargs["descending"] = "True"
            outputs = 2 if name == "sort" else 1
        expr, label = ctx.call(name, x, *args, **kwargs)
        return ctx.define(expr, label, (x,), outputs=outputs)
    return build


def table():
    return [
        Op("sum", "reduce", summing("sum", ("float64", "float32", "int64", "float16")), weight=4),
        Op("mean", "reduce", summing("mean", FLOAT_DTYPES), weight=3),
        Op("nansum", "reduce", summing("nansum", ("float64", "float32"))),
        Op("nanmean", "reduce", summing("nanmean", FLOAT_DTYPES)),
        Op("prod", "reduce", summing("prod", ("float64", "int64", "float32"))),
        Op("var", "reduce", spread("var")), Op("std", "reduce", spread("std")),
        Op("var_mean", "reduce", spread("var_mean"), weight=1),
        Op("std_mean", "reduce", spread("std_mean"), weight=1),
        Op("cumsum", "reduce", scan("cumsum")), Op("cumprod", "reduce", scan("cumprod")),
        Op("max", "reduce", max_min("max"), weight=3), Op("min", "reduce", max_min("min"), weight=2),
        Op("median", "reduce", median), Op("mode", "reduce", mode, weight=1),
        Op("norm", "reduce", norm), Op("nonzero", "reduce", nonzero, weight=1),
        Op("softmax", "reduce", softmax("softmax")), Op("log_softmax", "reduce", softmax("log_softmax")),
    ] + [Op(name, "reduce", extreme(name)) for name in
         ("amax", "amin", "argmax", "argmin", "aminmax", "any", "all", "count_nonzero", "logsumexp")
         ] + [Op(name, "sort", sort(name)) for name in ("sort", "argsort", "topk", "kthvalue", "msort")]
