"""Ops that return a view of their input in PyTorch (the comparator checks that chainrule's
result shares memory with the input exactly when PyTorch's does)."""
import math

from .base import Op, literal


def factor_shape(g, count):
    """A random shape with ``count`` elements (at most 3 dims), sometimes with one -1."""
    if count == 0:
        return g.pick([(0,), (0, 2), (2, 0, 1)])
    dims = []
    rest = count
    while rest > 1 and len(dims) < 2:
        divisors = [d for d in range(2, rest + 1) if rest % d == 0]
        size = g.pick(divisors)
        dims.append(size)
        rest //= size
    if rest > 1:
        dims.append(rest)
    if g.chance(30):
        dims.insert(g.integer(0, len(dims)), 1)
    shape = tuple(dims)
    if shape and g.chance(30):
        hole = g.integer(0, len(shape) - 1)
        shape = tuple(-1 if i == hole else size for i, size in enumerate(shape))
    return shape


def reshaping(name):
    def build(ctx):
        x = ctx.tensor()
        if x is None:
            return None
        shape = factor_shape(ctx.g, ctx.meta(x).numel)
        expr, label = ctx.call(name, x, literal(shape))
        return ctx.define(expr, label, (x,), kind="view")
    return build


def as_other(name, same=lambda a, b: a.numel == b.numel):
    def build(ctx):
        x = ctx.tensor()
        if x is None:
            return None
        other = ctx.tensor(prefer=lambda m: same(m, ctx.meta(x)))
        expr, label = ctx.call(name, x, other)
        return ctx.define(expr, label, (x, other), kind="view")
    return build


def expanded_shape(g, shape):
    grown = tuple(g.pick([2, 3]) if size == 1 and g.chance(70) else size for size in shape)
    if g.chance(40):
        grown = (g.pick([2, 1]),) + grown
    return grown


def expanding(name):
    def build(ctx):
        x = ctx.tensor()
        if x is None:
            return None
        shape = ctx.meta(x).shape
        target = expanded_shape(ctx.g, shape)
        if name == "expand" and ctx.g.chance(30):
            offset = len(target) - len(shape)
            target = tuple(-1 if i >= offset and size == shape[i - offset] else size
                           for i, size in enumerate(target))
        expr, label = ctx.call(name, x, literal(target))
        return ctx.define(expr, label, (x,), kind="view")
    return build


def permutation(g, ndim):
    order = list(range(ndim))
    for i in range(ndim - 1, 0, -1):
        j = g.integer(0, i)
        order[i], order[j] = order[j], order[i]
    return tuple(order)


def permute(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    order = permutation(ctx.g, ctx.meta(x).ndim)
    if order and ctx.g.chance(50):   # the method also takes the dims one by one
        return ctx.define(f"{x}.permute({', '.join(map(str, order))})", ".permute", (x,), kind="view")
    expr, label = ctx.call("permute", x, literal(order))
    return ctx.define(expr, label, (x,), kind="view")


def two_dims(name):
    def build(ctx):
        x = ctx.tensor()
        if x is None:
            return None
        expr, label = ctx.call(name, x, ctx.dim(x), ctx.dim(x))
        return ctx.define(expr, label, (x,), kind="view")
    return build


def attribute(name):
    def build(ctx):
        x = ctx.tensor()
        if x is None:
            return None
        return ctx.define(f"{x}.{name}", "." + name, (x,), kind="view")
    return build


def no_args(name):
    def build(ctx):
        x = ctx.tensor()
        if x is None:
            return None
        expr, label = ctx.call(name, x)
        return ctx.define(expr, label, (x,), kind="view")
    return build


def unsqueeze(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    ndim = ctx.meta(x).ndim
    expr, label = ctx.call("unsqueeze", x, ctx.g.integer(-ndim - 1, ndim))
    return ctx.define(expr, label, (x,), kind="view")


def squeeze(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    how = ctx.g.pick(["all", "dim", "dims"])
    args = () if how == "all" else (ctx.dim(x),) if how == "dim" else (literal(ctx.dims(x)),)
    expr, label = ctx.call("squeeze", x, *args)
    return ctx.define(expr, label, (x,), kind="view")


def flatten(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    args = (ctx.dim(x), ctx.dim(x)) if ctx.g.chance(50) else ()
    expr, label = ctx.call("flatten", x, *args)
    return ctx.define(expr, label, (x,), kind="view")


def unflatten(ctx):
    x = ctx.tensor(prefer=lambda m: m.ndim > 0)
    if x is None or ctx.meta(x).ndim == 0:
        return None
    dim = ctx.dim(x)
    size = ctx.meta(x).shape[dim] if -ctx.meta(x).ndim <= dim < ctx.meta(x).ndim else 1
    expr, label = ctx.call("unflatten", x, dim, literal(factor_shape(ctx.g, size)))
    return ctx.define(expr, label, (x,), kind="view")


def movedim(name):
    def build(ctx):
        x = ctx.tensor()
        if x is None:
            return None
        expr, label = ctx.call(name, x, ctx.dim(x), ctx.dim(x))
        return ctx.define(expr, label, (x,), kind="view")
    return build


def _size_of(ctx, x, dim):
    shape = ctx.meta(x).shape
    return shape[dim] if -len(shape) <= dim < len(shape) else 1


def narrow(ctx):
    x = ctx.tensor(prefer=lambda m: m.ndim > 0)
    if x is None:
        return None
    dim = ctx.dim(x)
    size = _size_of(ctx, x, dim)
    start = ctx.g.integer(0, size)
    length = ctx.g.integer(0, size - start)
    if ctx.g.chance(20):
        start -= size
    expr, label = ctx.call("narrow", x, dim, start, length)
    return ctx.define(expr, label, (x,), kind="view")


def diagonal(ctx):
    x = ctx.tensor(prefer=lambda m: m.ndim >= 2)
    if x is None:
        return None
    kwargs = {}
    if ctx.g.chance(40):
        kwargs["offset"] = ctx.g.pick([1, -1, 2])
    if ctx.g.chance(40):
        kwargs["dim1"], kwargs["dim2"] = ctx.dim(x), ctx.dim(x)
    expr, label = ctx.call("diagonal", x, **kwargs)
    return ctx.define(expr, label, (x,), kind="view")


def select(ctx):
    x = ctx.tensor(prefer=lambda m: m.ndim > 0)
    if x is None:
        return None
    dim = ctx.dim(x)
    size = _size_of(ctx, x, dim)
    index = ctx.g.integer(-size, max(size - 1, 0)) if not ctx.g.chance(5) else size
    expr, label = ctx.call("select", x, dim, index)
    return ctx.define(expr, label, (x,), kind="view")


def pieces(name):
    """``unbind``, ``split`` and ``chunk``, and one of the pieces."""
    def build(ctx):
        x = ctx.tensor(prefer=lambda m: m.ndim > 0)
        if x is None:
            return None
        dim = ctx.dim(x)
        size = _size_of(ctx, x, dim)
        if name == "unbind":
            args, count = (dim,), size
        elif name == "split":
            split = ctx.g.integer(1, max(size, 1))
            args, count = (split, dim), max(math.ceil(size / split), 1)
        else:
            chunks = ctx.g.integer(1, 3)
            per = max(math.ceil(size / chunks), 1)
            args, count = (chunks, dim), max(math.ceil(size / per), 1)
        expr, label = ctx.call(name, x, *args)
        piece = ctx.g.integer(-count, count - 1)
        return ctx.define(f"{expr}[{piece}]" if expr else None, label, (x,), kind="view")
    return build


def tensor_split(ctx):
    x = ctx.tensor(prefer=lambda m: m.ndim > 0)
    if x is None:
        return None
    dim = ctx.dim(x)
    if ctx.g.chance(50):
        how = count = ctx.g.integer(1, 3)
    else:
        how = sorted({ctx.g.integer(0, 3) for _ in range(ctx.g.integer(1, 2))})
        count = len(how) + 1
    expr, label = ctx.call("tensor_split", x, literal(how), dim=dim)
    piece = ctx.g.integer(-count, count - 1)
    return ctx.define(f"{expr}[{piece}]" if expr else None, label, (x,), kind="view")


def meshgrid(ctx):
    a = ctx.tensor(prefer=lambda m: m.ndim <= 1)
    if a is None:
        return None
    b = ctx.tensor(prefer=lambda m: m.ndim <= 1)
    indexing = ctx.g.pick(["ij", "xy"])
    piece = ctx.g.integer(0, 1)
    return ctx.define(f"lib.meshgrid({a}, {b}, indexing={indexing!r})[{piece}]", "meshgrid", (a, b), kind="view")


def broadcast_tensors(ctx):
    a = ctx.tensor()
    if a is None:
        return None
    b, used = ctx.operand(a, tensor_percent=100)
    piece = ctx.g.integer(0, 1)
    return ctx.define(f"lib.broadcast_tensors({a}, {b})[{piece}]", "broadcast_tensors", (a,) + used, kind="view")


def table():
    return [
        Op("tensor_split", "view", tensor_split), Op("meshgrid", "view", meshgrid, weight=1),
        Op("broadcast_tensors", "view", broadcast_tensors, weight=1),
        Op("view", "view", reshaping("view"), weight=3), Op("reshape", "view", reshaping("reshape"), weight=3),
        Op("view_as", "view", as_other("view_as"), weight=1),
        Op("reshape_as", "view", as_other("reshape_as"), weight=1),
        Op("expand", "view", expanding("expand"), weight=3),
        Op("broadcast_to", "view", expanding("broadcast_to")),
        Op("expand_as", "view", as_other("expand_as", same=lambda a, b: a.ndim >= b.ndim), weight=1),
        Op("permute", "view", permute, weight=3),
        Op("transpose", "view", two_dims("transpose"), weight=3),
        Op("swapaxes", "view", two_dims("swapaxes"), weight=1),
        Op("swapdims", "view", two_dims("swapdims"), weight=1),
        Op("t", "view", no_args("t")), Op("T", "view", attribute("T")), Op("mT", "view", attribute("mT")),
        Op("contiguous", "view", no_args("contiguous"), weight=1),
        Op("detach", "view", no_args("detach"), weight=1),
        Op("unsqueeze", "view", unsqueeze, weight=3), Op("squeeze", "view", squeeze, weight=3),
        Op("flatten", "view", flatten), Op("unflatten", "view", unflatten, weight=1),
        Op("movedim", "view", movedim("movedim"), weight=1), Op("moveaxis", "view", movedim("moveaxis"), weight=1),
        Op("narrow", "view", narrow, weight=3), Op("diagonal", "view", diagonal, weight=3),
        Op("select", "view", select, weight=3), Op("unbind", "view", pieces("unbind"), weight=3),
        Op("split", "view", pieces("split")), Op("chunk", "view", pieces("chunk")),
    ]
