"""Ops that make new tensors from old ones: flips and rolls, repeats, joins, padding,
triangles, clones, dtype conversions and the ``*_like`` creations."""
from .base import Op, literal

CONVERSIONS = ("float", "double", "half", "long", "int", "bool")


def _ndim(ctx, x):
    return ctx.meta(x).ndim


def flip(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    dims = ctx.dims(x) or (ctx.dim(x),)
    expr, label = ctx.call("flip", x, literal(dims))
    return ctx.define(expr, label, (x,))


def roll(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    shift = ctx.g.pick([1, -1, 2, 5])
    args = (shift,) if ctx.g.chance(30) else (shift, ctx.dim(x))
    expr, label = ctx.call("roll", x, *args)
    return ctx.define(expr, label, (x,))


def repeat(name):
    def build(ctx):
        x = ctx.tensor()
        if x is None:
            return None
        count = max(_ndim(ctx, x), 1) + (1 if ctx.g.chance(30) else 0)
        if name == "tile":
            count = ctx.g.integer(1, count)
        reps = tuple(ctx.g.pick([1, 2, 0]) for _ in range(count))
        expr, label = ctx.call(name, x, literal(reps))
        return ctx.define(expr, label, (x,))
    return build


def repeat_interleave(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    kwargs = {"dim": ctx.dim(x)} if ctx.g.chance(60) else {}
    expr, label = ctx.call("repeat_interleave", x, ctx.g.pick([2, 1, 0]), **kwargs)
    return ctx.define(expr, label, (x,))


def join(name):
    """cat / stack and friends over two or three pool tensors (often the same one twice)."""
    def build(ctx):
        x = ctx.tensor()
        if x is None:
            return None
        shape = ctx.meta(x).shape
        others = [ctx.tensor(prefer=lambda m: m.ndim == len(shape)) for _ in range(ctx.g.integer(1, 2))]
        group = "[" + ", ".join([x] + others) + "]"
        if name in ("hstack", "vstack"):
            return ctx.define(f"lib.{name}({group})", name, [x] + others)
        dim = ctx.g.integer(-len(shape) - 1, len(shape)) if name == "stack" else ctx.dim(x)
        kwargs = {"dim": dim} if ctx.g.chance(70) else {}
        return ctx.define(f"lib.{name}({group}{''.join(f', {k}={v}' for k, v in kwargs.items())})", name,
                          [x] + others)
    return build


def pad(ctx):
    x = ctx.float_tensor()
    if x is None:
        return None
    ndim = _ndim(ctx, x)
    mode = ctx.g.weighted([(4, "constant"), (1, "reflect"), (1, "replicate"), (1, "circular")])
    pairs = ctx.g.integer(1, max(min(ndim, 3), 1))
    widths = tuple(ctx.g.pick([1, 0, 2, -1]) for _ in range(2 * pairs))
    kwargs = {"mode": literal(mode)}
    if mode == "constant" and ctx.g.chance(50):
        kwargs["value"] = ctx.scalar(["float", "int"])
    flags = ("pad-mode",) if mode != "constant" else ()
    return ctx.define(f"lib.nn.functional.pad({x}, {literal(widths)}, "
                      + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")", "F.pad", (x,), flags=flags)


def triangle(name):
    def build(ctx):
        x = ctx.tensor(prefer=lambda m: m.ndim >= 2)
        if x is None:
            return None
        args = (ctx.g.pick([1, -1, 2]),) if ctx.g.chance(40) else ()
        expr, label = ctx.call(name, x, *args)
        return ctx.define(expr, label, (x,))
    return build


def clone(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    expr, label = ctx.call("clone", x)
    return ctx.define(expr, label, (x,))


def conversion(ctx):
    """``.float()``, ``.to(dtype)``, ``.type(dtype)``: the input itself when the dtype is already
    right, so the line counts as a view for the aliasing check."""
    x = ctx.tensor()
    if x is None:
        return None
    how = ctx.g.pick(["method", "to", "type"])
    if how == "method":
        name = ctx.g.pick(CONVERSIONS)
        return ctx.define(f"{x}.{name}()", "." + name, (x,), kind="view")
    return ctx.define(f"{x}.{how}({ctx.dtype()})", "." + how, (x,), kind="view")


def like(name):
    def build(ctx):
        x = ctx.tensor()
        if x is None:
            return None
        args = (ctx.scalar(["int", "float"]),) if name == "full_like" else ()
        kwargs = {"dtype": ctx.dtype()} if ctx.g.chance(30) else {}
        expr, label = ctx.call(name, x, *args, **kwargs)
        return ctx.define(expr, label, (x,))
    return build


def rot90(ctx):
    x = ctx.tensor(prefer=lambda m: m.ndim >= 2)
    if x is None:
        return None
    dims = (ctx.dim(x), ctx.dim(x))
    expr, label = ctx.call("rot90", x, ctx.g.pick([1, 2, -1, 3]), literal(dims))
    return ctx.define(expr, label, (x,))


def diag(ctx):
    x = ctx.tensor(prefer=lambda m: m.ndim in (1, 2))
    if x is None:
        return None
    args = (ctx.g.pick([1, -1, 2]),) if ctx.g.chance(40) else ()
    expr, label = ctx.call("diag", x, *args)
    return ctx.define(expr, label, (x,))


def trace(ctx):
    x = ctx.tensor(prefer=lambda m: m.ndim == 2)
    if x is None:
        return None
    expr, label = ctx.call("trace", x)
    return ctx.define(expr, label, (x,))


def cross(ctx):
    x = ctx.tensor(prefer=lambda m: 3 in m.shape)
    if x is None:
        return None
    shape = ctx.meta(x).shape
    other = ctx.tensor(prefer=lambda m: m.shape == shape)
    dims = [d for d, size in enumerate(shape) if size == 3] or [0]
    expr, label = ctx.call("cross", x, other, dim=ctx.g.pick(dims))
    return ctx.define(expr, label, (x, other))


def table():
    return [
        Op("rot90", "copy", rot90), Op("diag", "copy", diag), Op("trace", "copy", trace, weight=1),
        Op("cross", "copy", cross, weight=1),
        Op("flip", "copy", flip), Op("roll", "copy", roll),
        Op("repeat", "copy", repeat("repeat")), Op("tile", "copy", repeat("tile")),
        Op("repeat_interleave", "copy", repeat_interleave),
        Op("cat", "join", join("cat"), weight=3), Op("concat", "join", join("concat"), weight=1),
        Op("concatenate", "join", join("concatenate"), weight=1), Op("stack", "join", join("stack"), weight=3),
        Op("hstack", "join", join("hstack"), weight=1), Op("vstack", "join", join("vstack"), weight=1),
        Op("pad", "copy", pad), Op("tril", "copy", triangle("tril")), Op("triu", "copy", triangle("triu")),
        Op("clone", "copy", clone, weight=6), Op("conversion", "copy", conversion, weight=3),
        Op("zeros_like", "copy", like("zeros_like"), weight=1), Op("ones_like", "copy", like("ones_like"), weight=1),
        Op("full_like", "copy", like("full_like"), weight=1),
    ]
