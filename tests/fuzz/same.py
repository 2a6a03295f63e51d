"""``assert_same(run)``: run ``run(lib)`` with ``lib = torch`` and ``lib = chainrule`` and
compare what it returns (or raises) under the fuzzer's rules (``compare.py``: error
classes, shapes, dtypes, requires_grad, values with the tolerance it gives gradients).
The regression tests are written this way: each is a minimal reproducer of a finding."""
import chainrule
import torch

from .compare import GRAD_LOOSENESS, aspect, describe_error, errors_agree
from .observe import describe, observe
from .program import quiet


def outcome(run, lib):
    """(error, observed value) of ``run(lib)``."""
    try:
        with quiet():
            return None, observe(run(lib))
    except Exception as error:
        return error, None


def difference(run, looseness=GRAD_LOOSENESS):
    """None when both libraries agree, else what differs."""
    theirs_error, theirs = outcome(run, torch)
    ours_error, ours = outcome(run, chainrule)
    if theirs_error is not None or ours_error is not None:
        if theirs_error is not None and ours_error is not None and errors_agree(theirs_error, ours_error):
            return None
        return f"torch: {_said(theirs_error, theirs)}\nchainrule: {_said(ours_error, ours)}"
    kind = aspect(theirs, ours, looseness=looseness)
    if kind is None:
        return None
    return f"{kind}\ntorch: {describe(theirs)}\nchainrule: {describe(ours)}"


def _said(error, value):
    return describe_error(error) if error is not None else describe(value)


def assert_same(run):
    found = difference(run)
    assert found is None, found
