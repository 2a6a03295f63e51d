"""The op table: one entry per op (or operator, or kind of index), each with a builder that
writes a call the same way for both libraries and draws arguments from the op's domain.

Families: ``elementwise`` (math, activations, binary ops and operators, where/lerp/clamp),
``reduce`` (reductions, scans, softmax, sorting), ``search`` (cummax, diff, searchsorted,
unique, ...), ``views``, ``indexing`` (``x[...]`` and the index ops), ``copies`` (joins,
repeats, padding, conversions), ``linalg`` and ``inplace``.
"""
from . import copies, elementwise, indexing, inplace, linalg, reduce, search, views

FAMILIES = (elementwise, reduce, search, views, indexing, copies, linalg, inplace)

# Public chainrule ops the fuzzer leaves out, and why.
NOT_FUZZED = {
    "sum_to_shape": "chainrule's own helper; PyTorch has no op of that name",
}


def table():
    entries = []
    for family in FAMILIES:
        entries.extend(family.table())
    return entries


TABLE = table()
STEP_KINDS = {
    "value": [op for op in TABLE if op.family not in ("view", "index", "inplace")],
    "view": [op for op in TABLE if op.family == "view"],
    "index": [op for op in TABLE if op.family == "index"],
    "inplace": [op for op in TABLE if op.family == "inplace"],
}
