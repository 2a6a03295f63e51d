"""Index expressions for ``x[...]`` and ``x[...] = v``, and index tensors for gather, scatter
and the index_* ops. ``unique`` indices are used by writes: with a repeated index PyTorch
does not say which write wins."""
from dataclasses import dataclass

from ..values import nested_literal


@dataclass
class Index:
    text: str               # what goes between the brackets
    label: str              # "[int]", "[basic]", "[adv]", "[bool]", "[...]", "[list-of-lists]"
    uses: tuple = ()
    flags: tuple = ()


def index_positions(g, size, count, unique):
    """``count`` positions into a dim of ``size`` (negative ones too); rarely one out of range."""
    if size == 0:
        return [0] * count if g.chance(10) else []
    if unique:
        pool = list(range(size))
        chosen = [pool.pop(g.integer(0, len(pool) - 1)) for _ in range(min(count, size))]
    else:
        chosen = [g.integer(0, size - 1) for _ in range(count)]
    chosen = [p - size if g.chance(25) else p for p in chosen]
    if chosen and g.chance(3):
        chosen[-1] = size
    return chosen


def tensor_literal(values, shape, dtype=None):
    dtype_arg = f", dtype=lib.{dtype}" if dtype else ""
    if 0 in shape:
        return f"lib.zeros({shape!r}, dtype=lib.{dtype or 'int64'})"
    return f"lib.tensor({nested_literal(values, shape)}{dtype_arg})"


def _int_index(g, shape):
    if not shape:
        return Index("()", "[()]")
    count = g.integer(1, len(shape)) if g.chance(30) else 1
    parts = []
    for size in shape[:count]:
        position = index_positions(g, size, 1, False)
        parts.append(str(position[0] if position else 0))
    return Index(", ".join(parts), "[int]")


def _slice(g, size):
    start = g.pick(["", "1", "-1", "0", "2", str(-size - 1)])
    stop = g.pick(["", "-1", "2", "1", str(size + 2)])
    step = g.pick(["", "2", "-1"]) if g.chance(30) else ""
    return f"{start}:{stop}" + (f":{step}" if step else "")


def _basic_index(g, shape):
    parts = []
    ellipsis_used = False
    for size in shape:
        what = g.weighted([(5, "slice"), (2, "int"), (1, "none"), (1, "ellipsis")])
        if what == "slice":
            parts.append(_slice(g, size))
        elif what == "int":
            position = index_positions(g, size, 1, False)
            parts.append(str(position[0]) if position else ":")
        elif what == "none":
            parts.append("None")
        elif not ellipsis_used:
            parts.append("...")
            ellipsis_used = True
            break
    if not parts or g.chance(20):
        parts.append("None")
    return Index(", ".join(parts), "[basic]")


def _ellipsis_index(g, shape):
    form = g.weighted([(4, "..."), (3, "..., None"), (3, "..., 0"), (2, "None, ..."), (1, "..., ...")])
    if form == "..., 0" and not shape:
        form = "..."
    flags = ("two-ellipses",) if form.count("...") == 2 else ()
    return Index(form, "[...]", flags=flags)


def _advanced_index(g, shape, unique):
    size = shape[0]
    count = g.integer(1, 3)
    positions = index_positions(g, size, count, unique)
    form = g.weighted([(3, "list"), (3, "tensor"), (1, "list-of-lists"), (2, "two")])
    if form == "list":
        return Index(repr(positions), "[adv]")
    if form == "tensor":
        return Index(tensor_literal(positions, (len(positions),)), "[adv]")
    if form == "list-of-lists":
        half = len(positions) // 2 or 1
        rows = [positions[:half], positions[half:2 * half] or positions[:half]]
        if unique or len(rows[1]) != len(rows[0]):
            rows = [positions]
        return Index(repr(rows), "[list-of-lists]", flags=("list-of-lists",))
    if len(shape) < 2:
        return Index(repr(positions), "[adv]")
    other = index_positions(g, shape[-1], len(positions), unique)
    if len(other) != len(positions):
        return Index(repr(positions), "[adv]")
    middle = ", :" * (len(shape) - 2)
    return Index(f"{positions!r}{middle}, {other!r}", "[adv]")


def _bool_index(g, name, meta, pool):
    form = g.weighted([(3, "compare"), (2, "pool"), (1, "python"), (1, "list")])
    if form == "compare":
        return Index(f"{name} > 0" if meta.dtype != "bool" else name, "[bool]", uses=(name,))
    if form == "pool":
        masks = pool.names(lambda m: m.dtype == "bool" and m.shape == meta.shape[:m.ndim] and m.ndim > 0)
        if masks:
            mask = g.pick(masks)
            return Index(mask, "[bool]", uses=(mask,))
    if form == "list" and meta.shape:
        return Index(repr([g.chance(50) for _ in range(meta.shape[0])]), "[bool]")
    return Index(g.pick(["True", "False"]), "[bool]")


def draw_index(g, name, meta, pool, unique=False):
    """An index for ``pool[name]``; ``unique`` for writes."""
    kinds = [(4, "int"), (4, "basic"), (2, "ellipsis"), (3, "bool")]
    if meta.ndim:
        kinds.append((4, "advanced"))
    kind = g.weighted(kinds)
    if kind == "int":
        return _int_index(g, meta.shape)
    if kind == "basic":
        return _basic_index(g, meta.shape)
    if kind == "ellipsis":
        return _ellipsis_index(g, meta.shape)
    if kind == "advanced":
        return _advanced_index(g, meta.shape, unique)
    return _bool_index(g, name, meta, pool)


def gather_index(g, shape, dim, unique, sizes=None):
    """An int64 index tensor for gather/scatter along ``dim`` of ``shape``, as (source, its shape):
    at most ``shape``'s sizes (or ``sizes``) in the other dims; unique along ``dim`` when asked."""
    ndim = len(shape)
    dim = dim % ndim if ndim else 0
    limits = sizes or shape
    index_shape = []
    for d in range(ndim):
        if d == dim:
            top = shape[d] if unique else 3
            index_shape.append(g.integer(min(1, top), max(top, 0)) if top else 0)
        else:
            index_shape.append(g.integer(min(1, limits[d]), limits[d]))
    index_shape = tuple(index_shape)
    values = _rows_along(g, index_shape, dim, shape[dim] if ndim else 1, unique)
    return tensor_literal(values, index_shape), index_shape


def _rows_along(g, index_shape, dim, size, unique):
    """Flat values of an index of ``index_shape`` whose entries along ``dim`` point into ``size``."""
    if not index_shape:
        return [0]
    count = 1
    for s in index_shape:
        count *= s
    if count == 0:
        return []
    length = index_shape[dim]
    inner = 1
    for s in index_shape[dim + 1:]:
        inner *= s
    values = [0] * count
    outer = count // (length * inner)
    for o in range(outer):
        for i in range(inner):
            row = index_positions(g, size, length, unique) if size else [0] * length
            row = [p % size if size else 0 for p in row] + [0] * (length - len(row))
            for k in range(length):
                values[(o * length + k) * inner + i] = row[k]
    return values
