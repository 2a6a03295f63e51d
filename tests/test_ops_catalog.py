"""Every public op: an oracle test against PyTorch and gradchecks, from ``op_catalog``."""
import pathlib
import sys

import pytest
import torch

import chainrule as cr
from chainrule import ops
from op_catalog import CATALOG, Op
from oracle import check_op

ROOT = pathlib.Path(__file__).resolve().parent.parent


CASES = [(op, shapes) for op in CATALOG for shapes in op.all_cases()]


@pytest.mark.parametrize("op,shapes", CASES, ids=[f"{op.name}-{shapes}" for op, shapes in CASES])
def test_op_matches_torch(op: Op, shapes):
    check_op(lambda *t: op.fn(cr, *t), shapes, lambda *t: op.fn(torch, *t), low=op.low, high=op.high,
             sampler=op.sampler, grad=op.grad, gradgrad=op.gradgrad)


def covered_names():
    names = set()
    for op in CATALOG:
        names.update(op.name.split())
    return names


def public_op_names():
    return {name for family in ops.FAMILIES for name in family.__all__}


def test_every_public_op_is_in_the_catalog_or_an_alias():
    from op_aliases import ALIASES, HELPERS
    missing = sorted(public_op_names() - covered_names() - set(ALIASES) - set(HELPERS))
    assert not missing, f"add these ops to tests/op_catalog.py (or op_aliases.py): {missing}"
    for alias, target in ALIASES.items():
        assert target in covered_names(), f"alias {alias} points at {target}, which has no catalog entry"


def test_ops_table_is_up_to_date():
    sys.path.insert(0, str(ROOT / "docs"))
    from gen_ops_table import render
    expected = render()
    actual = (ROOT / "docs" / "ops.md").read_text()
    assert actual == expected, "docs/ops.md is stale: run `python docs/gen_ops_table.py`"
