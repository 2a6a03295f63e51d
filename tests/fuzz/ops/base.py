"""What every op entry is made of: the entry itself, and the context its builder draws from.

An entry's ``build(ctx)`` returns one ``Line`` (or None when the pool has nothing it
can use). It does not have to be valid: the generator runs the line in PyTorch and
keeps an invalid one only now and then, to compare the errors.
"""
import functools
from dataclasses import dataclass
from typing import Callable

import chainrule
import torch

from ..line import Line
from ..values import DTYPES, number_literal

INT_SCALARS = (2, 1, 0, -1, 3, -3)
FLOAT_SCALARS = (0.5, 2.0, -1.5, 0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e10, 3.25)
BIG_INT_SCALARS = (2 ** 31, 300, -129, 2 ** 63 - 1, 2 ** 40)


@dataclass(frozen=True)
class Op:
    name: str                        # the op's own name (chainrule's, which is PyTorch's)
    family: str
    build: Callable
    weight: int = 2


def _has(obj, name):
    return hasattr(obj, name) and callable(getattr(obj, name))


@functools.lru_cache(maxsize=None)
def forms(name):
    """The spellings both libraries have: ``lib.name(x)``, ``x.name()``, ``lib.nn.functional.name(x)``."""
    found = []
    if _has(torch, name) and _has(chainrule, name):
        found.append("function")
    if _has(torch.Tensor, name) and _has(chainrule.Tensor, name):
        found.append("method")
    if _has(torch.nn.functional, name) and _has(chainrule.nn.functional, name):
        found.append("functional")
    return found


def join_args(args, kwargs):
    parts = [str(a) for a in args] + [f"{key}={value}" for key, value in kwargs.items()]
    return ", ".join(parts)


def literal(value):
    """Python source for a number, string, None, bool, or a list or tuple of them."""
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, str):
        return repr(value)
    if value is None or isinstance(value, bool):
        return repr(value)
    return number_literal(value)


def broadcasts(a, b):
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            return False
    return True


class Ctx:
    """What a builder sees: the choices, the pool, PyTorch's values, and fresh names."""

    def __init__(self, g, pool, namespace, new_name):
        self.g = g
        self.pool = pool
        self.namespace = namespace      # the PyTorch values of the program so far
        self.new_name = new_name

    # ---------------------------------------------------------------- picking tensors

    def tensor(self, prefer=None, where=None):
        """A pool tensor name; ``prefer`` is honoured nine times in ten, ``where`` always."""
        names = self.pool.names(where)
        if not names:
            return None
        if prefer is not None:
            preferred = [n for n in names if prefer(self.pool[n])]
            if preferred and not self.g.chance(10):
                names = preferred
        return self.g.pick(names)

    def float_tensor(self, where=None):
        return self.tensor(prefer=lambda m: m.is_float, where=where)

    def meta(self, name):
        return self.pool[name]

    def value(self, name):
        return self.namespace[name]

    def operand(self, x, tensor_percent=60, prefer=None):
        """Second operand of a binary op, as (source, names used): a pool tensor that broadcasts
        with ``x`` (``prefer`` honoured nine times in ten), or a Python scalar."""
        shape = self.pool[x].shape
        names = self.pool.names(lambda m: broadcasts(m.shape, shape))
        if names and self.g.chance(tensor_percent):
            if prefer is not None:
                preferred = [n for n in names if prefer(self.pool[n])]
                names = preferred if preferred and not self.g.chance(10) else names
            name = self.g.pick(names)
            return name, (name,)
        return self.scalar(), ()

    # ---------------------------------------------------------------- numbers and dims

    def scalar(self, kinds=None):
        """A Python number: an int, a float (inf and nan too), a bool, or an int too big for int32."""
        if kinds is None:
            kind = self.g.weighted([(3, "int"), (4, "float"), (1, "bool"), (1, "big")])
        else:
            kind = self.g.pick(kinds)
        if kind == "int":
            return literal(self.g.pick(INT_SCALARS))
        if kind == "float":
            return literal(self.g.pick(FLOAT_SCALARS))
        if kind == "bool":
            return literal(self.g.chance(50))
        return literal(self.g.pick(BIG_INT_SCALARS))

    def dim(self, x, out_of_range_percent=3):
        ndim = self.pool[x].ndim
        if self.g.chance(out_of_range_percent):
            return self.g.pick([max(ndim, 1), -max(ndim, 1) - 1])
        if ndim == 0:
            return self.g.pick([0, -1])
        return self.g.pick(list(range(ndim)) + list(range(-ndim, 0)))

    def dims(self, x):
        """A tuple of distinct dims (possibly empty) of ``x``."""
        ndim = self.pool[x].ndim
        chosen = [d for d in range(ndim) if self.g.chance(50)]
        return tuple(d - ndim if self.g.chance(30) else d for d in chosen)

    def dtype(self, names=None):
        return "lib." + self.g.pick(names or DTYPES)

    # ---------------------------------------------------------------- writing lines

    def call(self, name, x, *args, **kwargs):
        """``name`` applied to ``x`` in one of the spellings both libraries have: (source, op label)."""
        available = forms(name)
        if not available:
            return None, None
        form = self.g.pick(available)
        rest = join_args(args, kwargs)
        if form == "method":
            return f"{x}.{name}({rest})", "." + name
        prefix = "lib." if form == "function" else "lib.nn.functional."
        inner = join_args((x,) + args, kwargs)
        return f"{prefix}{name}({inner})", name if form == "function" else "F." + name

    def define(self, expr, op, uses, kind="value", outputs=1, flags=()):
        if expr is None:
            return None
        names = tuple(self.new_name() for _ in range(outputs))
        return Line(f"{', '.join(names)} = {expr}", op, kind, defines=names, uses=tuple(uses),
                    flags=frozenset(flags))

    def statement(self, code, op, uses, target, kind="inplace", flags=()):
        return Line(code, op, kind, uses=tuple(uses), target=target, flags=frozenset(flags))
