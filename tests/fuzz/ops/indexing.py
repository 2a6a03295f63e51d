"""Reading by index: ``x[...]`` in all its kinds, and the gather / scatter / index_* /
masked_* / take ops (their in-place forms are in ``inplace.py``)."""
from .base import Op, literal
from .indices import draw_index, gather_index, index_positions, tensor_literal


def getitem(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    index = draw_index(ctx.g, x, ctx.meta(x), ctx.pool)
    kind = "view" if index.label in ("[int]", "[basic]", "[...]", "[()]") else "index"
    return ctx.define(f"{x}[{index.text}]", index.label, (x,) + index.uses, kind=kind, flags=index.flags)


def _dim_and_size(ctx, x):
    dim = ctx.dim(x, out_of_range_percent=2)
    shape = ctx.meta(x).shape
    size = shape[dim] if -len(shape) <= dim < len(shape) else (1 if not shape else 0)
    return dim, size


def index_vector(ctx, size, unique=False):
    positions = index_positions(ctx.g, size, ctx.g.integer(1, 3), unique)
    return tensor_literal(positions, (len(positions),))


def index_select(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    dim, size = _dim_and_size(ctx, x)
    expr, label = ctx.call("index_select", x, dim, index_vector(ctx, size))
    return ctx.define(expr, label, (x,), kind="index")


def take(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    expr, label = ctx.call("take", x, index_vector(ctx, ctx.meta(x).numel))
    return ctx.define(expr, label, (x,), kind="index")


def gather(name):
    def build(ctx):
        x = ctx.tensor()
        if x is None:
            return None
        dim = ctx.dim(x, out_of_range_percent=0)
        index, _ = gather_index(ctx.g, ctx.meta(x).shape, dim, unique=False)
        if name == "take_along_dim":
            expr, label = ctx.call(name, x, index, dim=dim)
        else:
            expr, label = ctx.call(name, x, dim, index)
        return ctx.define(expr, label, (x,), kind="index")
    return build


def source_for(ctx, x, prefer_same_dtype=True):
    """A pool tensor to copy or add from: same ndim as ``x`` (same dtype, mostly)."""
    meta = ctx.meta(x)
    return ctx.tensor(prefer=lambda m: m.ndim == meta.ndim and (m.dtype == meta.dtype or not prefer_same_dtype)
                      and all(a >= b for a, b in zip(m.shape, meta.shape)))


# The *_call helpers give (expression, op label, names used, flags) for ``name`` applied to
# ``x``; ``name`` may be the in-place form (``scatter_``), which ``inplace.py`` uses.

def scatter_call(ctx, x, name):
    meta = ctx.meta(x)
    dim = ctx.dim(x, out_of_range_percent=0)
    if not name.startswith("scatter_add") and ctx.g.chance(30):
        index, _ = gather_index(ctx.g, meta.shape, dim, unique=True)
        expr, label = ctx.call(name, x, dim, index, ctx.scalar(["int", "float"]))
        return expr, label, (x,), ()
    src = source_for(ctx, x)
    same_rank = ctx.meta(src).ndim == meta.ndim
    sizes = tuple(min(a, b) for a, b in zip(meta.shape, ctx.meta(src).shape)) if same_rank else None
    index, index_shape = gather_index(ctx.g, meta.shape, dim, unique="add" not in name, sizes=sizes)
    flags = ("src-larger",) if ctx.meta(src).shape != index_shape else ()
    expr, label = ctx.call(name, x, dim, index, src)
    return expr, label, (x, src), flags


def index_fill_call(ctx, x, name):
    dim, size = _dim_and_size(ctx, x)
    value = ctx.scalar(["int", "float", "big"])
    expr, label = ctx.call(name, x, dim, index_vector(ctx, size), value)
    return expr, label, (x,), ()


def index_rows(ctx, x, unique):
    """(dim, index, source) for the index_* ops: a source with one row along ``dim`` per index."""
    meta = ctx.meta(x)
    dim, size = _dim_and_size(ctx, x)
    count = ctx.g.integer(1, max(min(size, 3), 1))
    positions = index_positions(ctx.g, size, count, unique=unique)
    source_shape = list(meta.shape)
    if source_shape:
        source_shape[dim % meta.ndim] = len(positions)
    source = ctx.tensor(prefer=lambda m: m.shape == tuple(source_shape) and m.dtype == meta.dtype)
    return dim, tensor_literal(positions, (len(positions),)), source


def index_add_call(ctx, x, name):
    """index_add / index_copy (positions unique for a copy: PyTorch keeps no order)."""
    dim, index, source = index_rows(ctx, x, unique=name.startswith("index_copy"))
    kwargs = {"alpha": ctx.scalar(["int", "float"])} if name.startswith("index_add") and ctx.g.chance(30) else {}
    expr, label = ctx.call(name, x, dim, index, source, **kwargs)
    return expr, label, (x, source), ()


def masked_call(ctx, x, name):
    meta = ctx.meta(x)
    masks = ctx.pool.names(lambda m: m.dtype == "bool" and m.ndim <= meta.ndim)
    if masks and ctx.g.chance(60):
        mask = ctx.g.pick(masks)
        uses = (x, mask)
    else:
        mask, uses = (f"{x} > 0" if meta.dtype != "bool" else x), (x,)
    args = (mask,) if name.startswith("masked_select") else (mask, ctx.scalar(["int", "float", "big", "bool"]))
    expr, label = ctx.call(name, x, *args)
    return expr, label, uses, ()


def index_put_call(ctx, x, name):
    meta = ctx.meta(x)
    if not meta.ndim:
        return None, None, (), ()
    positions = index_positions(ctx.g, meta.shape[0], ctx.g.integer(1, 3), unique=True)
    index = tensor_literal(positions, (len(positions),))
    values, uses = ctx.operand(x, tensor_percent=40)
    if not uses:
        values = f"lib.tensor({values}, dtype=lib.{meta.dtype})"
    kwargs = {"accumulate": "True"} if ctx.g.chance(30) else {}
    expr, label = ctx.call(name, x, f"({index},)", values, **kwargs)
    return expr, label, (x,) + uses, ()


def scatter_reduce_call(ctx, x, name):
    meta = ctx.meta(x)
    dim = ctx.dim(x, out_of_range_percent=0)
    src = source_for(ctx, x)
    same_rank = ctx.meta(src).ndim == meta.ndim
    sizes = tuple(min(a, b) for a, b in zip(meta.shape, ctx.meta(src).shape)) if same_rank else None
    index, index_shape = gather_index(ctx.g, meta.shape, dim, unique=False, sizes=sizes)
    reduce = literal(ctx.g.pick(["sum", "prod", "mean", "amax", "amin"]))
    expr, label = ctx.call(name, x, dim, index, src, reduce, include_self=literal(ctx.g.chance(70)))
    flags = ("src-larger",) if ctx.meta(src).shape != index_shape else ()
    return expr, label, (x, src), flags


def index_reduce_call(ctx, x, name):
    dim, index, source = index_rows(ctx, x, unique=False)
    reduce = literal(ctx.g.pick(["prod", "mean", "amax", "amin"]))
    expr, label = ctx.call(name, x, dim, index, source, reduce, include_self=literal(ctx.g.chance(70)))
    return expr, label, (x, source), ()


def masked_scatter_call(ctx, x, name):
    meta = ctx.meta(x)
    masks = ctx.pool.names(lambda m: m.dtype == "bool" and m.ndim <= meta.ndim)
    if masks and ctx.g.chance(50):
        mask = ctx.g.pick(masks)
        uses = (mask,)
    else:
        mask, uses = f"{x} > 0", ()
    apart = set(ctx.pool.aliases(x)) | {x}     # PyTorch reads a source it overwrites as it goes
    source = ctx.tensor(prefer=lambda m: m.numel >= meta.numel and m.dtype == meta.dtype,
                        where=lambda m: not name.endswith("_") or m.name not in apart)
    if source is None:
        return None, None, (), ()
    expr, label = ctx.call(name, x, mask, source)
    return expr, label, (x, source) + uses, ()


def out_of_place(make_call, name, prefer=None):
    def build(ctx):
        x = ctx.tensor(prefer=prefer)
        if x is None:
            return None
        expr, label, uses, flags = make_call(ctx, x, name)
        return ctx.define(expr, label, uses, kind="index", flags=flags)
    return build


def table():
    return [
        Op("getitem", "index", getitem, weight=12),
        Op("index_select", "index", index_select), Op("take", "index", take, weight=1),
        Op("gather", "index", gather("gather")), Op("take_along_dim", "index", gather("take_along_dim")),
        Op("scatter", "index", out_of_place(scatter_call, "scatter")),
        Op("scatter_add", "index", out_of_place(scatter_call, "scatter_add")),
        Op("index_fill", "index", out_of_place(index_fill_call, "index_fill")),
        Op("index_add", "index", out_of_place(index_add_call, "index_add")),
        Op("index_copy", "index", out_of_place(index_add_call, "index_copy")),
        Op("masked_fill", "index", out_of_place(masked_call, "masked_fill")),
        Op("masked_select", "index", out_of_place(masked_call, "masked_select")),
        Op("index_put", "index", out_of_place(index_put_call, "index_put", prefer=lambda m: m.ndim > 0)),
        Op("scatter_reduce", "index", out_of_place(scatter_reduce_call, "scatter_reduce")),
        Op("index_reduce", "index", out_of_place(index_reduce_call, "index_reduce")),
        Op("masked_scatter", "index", out_of_place(masked_scatter_call, "masked_scatter")),
    ]
