"""The deliberate differences, read from the one place they are written down: the table
"Differences the op fuzzer accepts" at the end of ``docs/differences-from-pytorch.md``.

A difference is deliberate when the rule of some row (``classify.RULES[key]``)
recognises it and blames an op listed in that row (``*``: any op).
"""
import functools
from dataclasses import dataclass
from pathlib import Path

from .classify import RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "differences-from-pytorch.md"
SECTION = "## Differences the op fuzzer accepts"
COLUMNS = ["key", "ops", "what differs", "why"]


@dataclass(frozen=True)
class Entry:
    key: str
    ops: frozenset
    what: str
    why: str

    def covers(self, blamed):
        return bool(blamed) and ("*" in self.ops or bool(self.ops & blamed))


def _cells(row):
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def _code(cell):
    return cell.strip("`").strip()


def parse(text):
    """The table's rows, by key; a ValueError names what is malformed."""
    if SECTION not in text:
        raise ValueError(f"no section {SECTION!r}")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.strip().startswith("|")]
    if len(rows) < 2 or _cells(rows[0]) != COLUMNS:
        raise ValueError(f"the table must start with the header | {' | '.join(COLUMNS)} |")
    entries = {}
    for row in rows[2:]:
        cells = _cells(row)
        if len(cells) != len(COLUMNS) or not all(cells):
            raise ValueError(f"malformed row: {row}")
        key, ops, what, why = _code(cells[0]), _code(cells[1]), cells[2], cells[3]
        if key in entries:
            raise ValueError(f"duplicate key {key!r}")
        names = frozenset(_code(name) for name in ops.split(",") if name.strip())
        entries[key] = Entry(key, names, what, why)
    return entries


@functools.lru_cache(maxsize=1)
def entries():
    return parse(DOC.read_text(encoding="utf-8"))


def deliberate(difference, program):
    """The key of the row that accepts ``difference``, or None."""
    for key, entry in entries().items():
        rule = RULES.get(key)
        if rule is not None and entry.covers(rule(difference, program)):
            return key
    return None
