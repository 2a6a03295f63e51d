"""The fuzzer's own contracts: the docs table of deliberate differences parses and each of its
keys is a rule of the comparator (and each rule a key); every public op is in the op table;
the comparator's sameness and error-class rules; a deliberate difference is recognised."""
import chainrule
import numpy as np
import pytest
import torch

from .classify import RULES, op_name
from .compare import aspect, errors_agree
from .known import entries, parse
from .line import Line
from .observe import observe
from .ops import NOT_FUZZED, TABLE
from .program import Program
from .verdict import judge


def test_the_docs_table_parses():
    table = entries()
    assert table, "no rows in the table"
    for entry in table.values():
        assert entry.ops and entry.what and entry.why, entry


def test_every_key_of_the_table_is_a_rule_of_the_comparator_and_back():
    keys, rules = set(entries()), set(RULES)
    assert keys - rules == set(), f"rows without a rule in tests/fuzz/classify.py: {sorted(keys - rules)}"
    assert rules - keys == set(), f"rules without a row in the docs table: {sorted(rules - keys)}"


@pytest.mark.parametrize("text, words", [
    ("# doc\nno table here\n", "no section"),
    ("## Differences the op fuzzer accepts\n| a | b |\n|---|---|\n", "header"),
    ("## Differences the op fuzzer accepts\n| key | ops | what differs | why |\n|---|---|---|---|\n| k | | x | y |\n",
     "malformed"),
])
def test_a_malformed_table_is_an_error_that_says_what(text, words):
    with pytest.raises(ValueError, match=words):
        parse(text)


def test_every_public_op_is_in_the_op_table():
    fuzzed = {op.name for op in TABLE}
    missing = sorted(name for family in chainrule.ops.FAMILIES for name in family.__all__
                     if name not in fuzzed and name not in NOT_FUZZED)
    assert not missing, (f"ops the fuzzer does not run: {missing}; add an entry in tests/fuzz/ops/ "
                         f"(or a reason in NOT_FUZZED)")


@pytest.mark.parametrize("label, name", [(".add", "add"), ("F.pad", "pad"), (".max(dim)", "max"),
                                         ("[()]", "[()]"), ("[int]=", "[int]="), ("//=", "//=")])
def test_op_names_from_line_labels(label, name):
    assert op_name(label) == name


def seen(lib, values, dtype):
    return observe(lib.tensor(values, dtype=getattr(lib, dtype)))


@pytest.mark.parametrize("theirs, ours, dtype, expected", [
    ([1.0, float("nan")], [1.0, float("nan")], "float32", None),
    ([1.0, float("inf")], [1.0, float("-inf")], "float32", "non-finite"),
    ([1.0, float("inf")], [float("nan"), float("inf")], "float32", "value"),
    ([0.0], [-0.0], "float64", "signed-zero"),
    ([1.0], [1.0 + 1e-6], "float32", None),
    ([1.0], [1.0 + 1e-6], "float64", "value"),
    ([1.0], [1.001], "float16", None),
    ([3], [4], "int64", "value"),
])
def test_values_are_compared_with_a_tolerance_by_dtype(theirs, ours, dtype, expected):
    assert aspect(seen(torch, theirs, dtype), seen(chainrule, ours, dtype)) == expected


def test_shape_dtype_and_requires_grad_are_compared_exactly():
    base = observe(torch.zeros(2))
    assert aspect(base, observe(chainrule.zeros(3))) == "shape"
    assert aspect(base, observe(chainrule.zeros(2, dtype=chainrule.float64))) == "dtype"
    assert aspect(base, observe(chainrule.zeros(2, requires_grad=True))) == "requires-grad"
    assert aspect(base, None) == "none"


@pytest.mark.parametrize("theirs, ours, agree", [
    (RuntimeError(), chainrule.ShapeError(), True),
    (RuntimeError(), ValueError(), True),
    (IndexError(), IndexError(), True),
    (IndexError(), RuntimeError(), False),
    (TypeError(), RuntimeError(), False),
    (RuntimeError(), AttributeError(), False),
    (RuntimeError(), np.exceptions.AxisError(1, 1), True),
])
def test_error_classes_agree_under_the_documented_mapping(theirs, ours, agree):
    assert errors_agree(theirs, ours) is agree


def program(*codes, flags=()):
    lines = [Line("x0 = lib.tensor([1.0, 2.0, 3.0])", "input", "input", defines=("x0",))]
    for code in codes:
        label = "[...]" if "..." in code else "[list-of-lists]"
        lines.append(Line(code, label, "view", defines=("v1",), uses=("x0",), flags=frozenset(flags)))
    return Program(lines)


def test_a_deliberate_difference_is_accepted_and_named():
    verdict = judge(program("v1 = x0[..., ...]", flags=("two-ellipses",)))
    assert verdict.differences and verdict.finding is None
    assert verdict.accepted == "two-ellipses"


def test_the_same_difference_without_its_flag_is_a_finding():
    verdict = judge(program("v1 = x0[..., ...]"))
    assert verdict.finding is not None and verdict.finding.kind == "error-only-chainrule"
