"""Program inputs: dtypes, shapes (0-d, size-1 and empty dimensions) and element values
(ordinary numbers mixed with 0, -0.0, +-inf, NaN, large and subnormal ones), and the line of
Python that makes one in either library."""
import math
from dataclasses import dataclass

DTYPES = ("float32", "float64", "int64", "float16", "int32", "bool", "uint8")
FLOATS = ("float16", "float32", "float64")
INTS = ("uint8", "int32", "int64")
_DTYPE_WEIGHTS = (5, 3, 2, 1, 1, 1, 1)

# Ordinary values, simplest first (what shrinking reaches): exact in float16, few ties.
ORDINARY_FLOATS = sorted({k / 4 for k in range(-16, 17)} - {0.0},
                         key=lambda v: (v != int(v), abs(v), v < 0))
SPECIAL_FLOATS = {
    "float16": (0.0, -0.0, math.inf, -math.inf, math.nan, 60000.0, 2.0 ** -24, 1000.0, 65504.0),
    "float32": (0.0, -0.0, math.inf, -math.inf, math.nan, 1e30, 1e-40, 1e8, 3e38),
    "float64": (0.0, -0.0, math.inf, -math.inf, math.nan, 1e300, 5e-324, 1e17, -1e300),
}
SPECIAL_INTS = {
    "uint8": (0, 255, 200, 128),
    "int32": (0, 2 ** 31 - 1, -2 ** 31, 100000),
    "int64": (0, 2 ** 53 + 1, -2 ** 63, 2 ** 62, 2 ** 63 - 1),
}
# Dimension sizes, simplest first; 0 makes an empty tensor.
DIM_SIZES = ((3, 1), (4, 2), (3, 3), (1, 4), (1, 0))
RANKS = ((4, 1), (3, 2), (2, 0), (2, 3), (1, 4))


@dataclass
class Input:
    name: str
    dtype: str
    shape: tuple
    values: list            # flat, row-major
    requires_grad: bool

    def code(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        if 0 in self.shape:
            return f"{self.name} = lib.zeros({self.shape!r}, dtype=lib.{self.dtype}{grad})"
        return f"{self.name} = lib.tensor({nested_literal(self.values, self.shape)}, dtype=lib.{self.dtype}{grad})"


def number_literal(value):
    """Python source for one element: ``inf``, ``-inf`` and ``nan`` are names in every program."""
    if isinstance(value, bool) or isinstance(value, int):
        return repr(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def nested_literal(flat, shape):
    if not shape:
        return number_literal(flat[0])
    step = len(flat) // shape[0]
    rows = [nested_literal(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]
    return "[" + ", ".join(rows) + "]"


def draw_dtype(g):
    return g.weighted(list(zip(_DTYPE_WEIGHTS, DTYPES)))


# Shapes and values always make the same number of choices (unused ones included), so that
# shrinking a shape does not shift the choices that follow it onto other decisions. Hypothesis
# shrinks by spans of choices and needs no fixed blocks of values (``Choices.fixed_blocks``).
MAX_RANK = 4
VALUE_SLOTS = 48       # element choices per input; a larger input repeats them


def draw_shape(g):
    rank = g.weighted(RANKS)
    sizes = [g.weighted(DIM_SIZES) for _ in range(MAX_RANK)]
    return tuple(sizes[:rank])


def related_shape(g, shape):
    """A shape that usually broadcasts with ``shape``: equal, a suffix, some dims 1, 0-d, or free."""
    how = g.weighted([(4, "same"), (2, "ones"), (2, "suffix"), (1, "scalar"), (1, "free")])
    ones = [g.chance(50) for _ in range(MAX_RANK)]
    cut = g.integer(0, MAX_RANK)
    free = draw_shape(g)
    if how == "same":
        return shape
    if how == "ones":
        return tuple(1 if one else size for one, size in zip(ones, shape))
    if how == "suffix":
        return shape[min(cut, len(shape)):]
    if how == "scalar":
        return ()
    return free


def draw_element(g, dtype, special_percent):
    """One element; always two choices (whether special, which value)."""
    special = g.chance(special_percent)
    if dtype == "bool":
        return g.chance(50)
    if dtype in INTS:
        if special:
            return g.pick(SPECIAL_INTS[dtype])
        low = 0 if dtype == "uint8" else -5
        return low + g.integer(0, 9)
    if special:
        return g.pick(SPECIAL_FLOATS[dtype])
    return g.pick(ORDINARY_FLOATS)


def draw_input(g, name, shape, special_percent, dtype=None):
    dtype = dtype or draw_dtype(g)
    requires_grad = g.chance(70) and dtype in FLOATS
    count = VALUE_SLOTS if g.fixed_blocks else max(min(math.prod(shape), VALUE_SLOTS), 1)
    slots = [draw_element(g, dtype, special_percent) for _ in range(count)]
    values = [slots[i % count] for i in range(math.prod(shape))]
    return Input(name, dtype, shape, values, requires_grad)
