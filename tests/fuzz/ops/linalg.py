"""Products: matmul and its fixed-rank forms, the add-products, outer/kron, tensordot, einsum.
A second operand with fitting shape is taken from the pool when there is one, else ``x.mT``."""
from .base import Op, literal

LETTERS = "abcd"


def _float(meta):
    return meta.is_float


def _fits(ctx, x, fits):
    """A pool tensor ``y`` with ``fits(x_meta, y_meta)``, or None."""
    meta = ctx.meta(x)
    names = ctx.pool.names(lambda m: fits(meta, m))
    return ctx.g.pick(names) if names else None


def _inner_fits(a, b):
    if a.ndim == 0 or b.ndim == 0:
        return False
    inner = b.shape[0] if b.ndim == 1 else b.shape[-2]
    return a.shape[-1] == inner


def _right_operand(ctx, x, fits):
    y = _fits(ctx, x, fits)
    if y is not None and not ctx.g.chance(20):
        return y, (y,)
    if ctx.g.chance(50) and ctx.meta(x).ndim >= 2:
        return f"{x}.mT", ()
    y = ctx.tensor()
    return y, (y,)


def product(name, rank=None):
    """matmul, mm, bmm, mv, dot, inner, outer, ger, kron."""
    def build(ctx):
        x = ctx.tensor(prefer=lambda m: _float(m) and (rank is None or m.ndim == rank))
        if x is None:
            return None
        if name in ("outer", "ger", "kron", "inner"):
            y, used = _right_operand(ctx, x, lambda a, b: name != "inner" or a.shape[-1:] == b.shape[-1:])
        else:
            y, used = _right_operand(ctx, x, _inner_fits)
        if name == "matmul" and ctx.g.chance(40):
            return ctx.define(f"{x} @ {y}", "@", (x,) + used)
        expr, label = ctx.call(name, x, y)
        return ctx.define(expr, label, (x,) + used)
    return build


def add_product(name):
    """addmm, addmv, baddbmm, addbmm: input + alpha * product, with beta scaling the input."""
    def build(ctx):
        rank = {"addmm": 2, "addmv": 2, "baddbmm": 3, "addbmm": 3}[name]
        left = ctx.tensor(prefer=lambda m: _float(m) and m.ndim == rank)
        if left is None:
            return None
        right, used = _right_operand(ctx, left, _inner_fits)
        start = ctx.tensor(prefer=_float)
        kwargs = {}
        if ctx.g.chance(30):
            kwargs["beta"] = literal(ctx.g.pick([0.5, 0, 2]))
        if ctx.g.chance(30):
            kwargs["alpha"] = literal(ctx.g.pick([2, -1.5, 0]))
        expr, label = ctx.call(name, start, left, right, **kwargs)
        return ctx.define(expr, label, (start, left) + used)
    return build


def matrix_power(ctx):
    x = ctx.tensor(prefer=lambda m: _float(m) and m.ndim >= 2 and m.shape[-1] == m.shape[-2])
    if x is None:
        return None
    expr, label = ctx.call("matrix_power", x, ctx.g.pick([2, 0, 1, 3]))
    return ctx.define(expr, label, (x,))


def tensordot(ctx):
    x = ctx.float_tensor()
    if x is None:
        return None
    if ctx.g.chance(40):
        y = ctx.tensor()
        return ctx.define(f"lib.tensordot({x}, {y}, dims=0)", "tensordot", (x, y))
    y, used = _right_operand(ctx, x, lambda a, b: a.ndim > 0 and b.ndim > 0 and a.shape[-1] == b.shape[0])
    code = f"lib.tensordot({x}, {y}, dims=([-1], [0]))"
    return ctx.define(code, "tensordot", (x,) + used)


def _subscript(g, ndim):
    letters = LETTERS[:ndim]
    if ndim >= 2 and g.chance(20):
        letters = letters[0] + letters[0] + letters[2:]     # a repeated letter: a diagonal
    return letters


def einsum(ctx):
    x = ctx.tensor(prefer=_float)
    if x is None:
        return None
    ndim = ctx.meta(x).ndim
    left = _subscript(ctx.g, ndim)
    kept = "".join(dict.fromkeys(c for c in left if ctx.g.chance(60)))
    if ctx.g.chance(50):
        same = ctx.tensor(prefer=lambda m: m.shape == ctx.meta(x).shape)
        equation = f"{left},{left}->{kept}"
        return ctx.define(f"lib.einsum({equation!r}, {x}, {same})", "einsum", (x, same))
    return ctx.define(f"lib.einsum({left + '->' + kept!r}, {x})", "einsum", (x,))


def table():
    return [
        Op("matmul", "linalg", product("matmul"), weight=4), Op("mm", "linalg", product("mm", 2)),
        Op("bmm", "linalg", product("bmm", 3)), Op("mv", "linalg", product("mv", 2)),
        Op("dot", "linalg", product("dot", 1)), Op("inner", "linalg", product("inner")),
        Op("outer", "linalg", product("outer", 1)), Op("ger", "linalg", product("ger", 1), weight=1),
        Op("kron", "linalg", product("kron")),
        Op("addmm", "linalg", add_product("addmm")), Op("addmv", "linalg", add_product("addmv")),
        Op("baddbmm", "linalg", add_product("baddbmm")), Op("addbmm", "linalg", add_product("addbmm")),
        Op("matrix_power", "linalg", matrix_power),
        Op("tensordot", "linalg", tensordot), Op("einsum", "linalg", einsum, weight=3),
    ]
