"""What counts as the same result, and the list of differences of one run.

Values: shapes and dtypes exactly; bool and integer elements exactly; floating
elements NaN where NaN, the same infinities, and finite ones within
``atol + rtol * |torch|`` plus ``8 * eps * scale``, where ``scale`` is the largest
finite magnitude among the tensors the value was computed from, through every
earlier step, and the numbers written in those steps (so a sum that
cancels 1e30 against -1e30 is judged on the scale of its inputs); when that scale
is within a factor 64 of the dtype's largest number, where one element is inf,
-inf or nan in either library is not compared (the order of a sum decides which).
Both exactly zero with different signs is its own kind, ``signed-zero``; both
non-finite but different (inf against nan) is ``non-finite``. A value
computed through a less precise float dtype gets that dtype's tolerance.
Gradients get ten times the tolerance and the whole program's scale (they gather
rounding from every step).

Aliasing: the result of a view op (``view``, ``x[0]``, ``transpose``, ``.float()`` of a
float32 tensor, ...) shares memory with its input exactly when PyTorch's does; the
result of any other op must not share memory where PyTorch's does not (PyTorch
sharing memory there, as ``einsum('->', x)`` does, is an implementation detail).
A write must keep its target the same object (``x //= y`` is not ``x = x // y``).

When PyTorch's backward refuses because a tensor it saved was changed in place
and chainrule's backward runs, chainrule's gradients are compared with PyTorch's
computed with saved tensors copied as they are saved: equal, it is a plain
``error-only-torch``; different, a ``stale-gradient`` (a wrong gradient, silently).

Errors: both libraries raising on the same line is agreement when the classes
match under this mapping (PyTorch's class -> chainrule classes accepted):

- ``RuntimeError`` -> ``RuntimeError`` (``chainrule.ShapeError`` included),
  ``ValueError``, ``IndexError``: PyTorch raises RuntimeError for almost every
  bad shape, dtype or autograd use; NumPy's own ValueError/IndexError for the
  same mistake is as catchable by ``except (RuntimeError, ValueError)`` code;
- ``IndexError`` -> ``IndexError`` only (users catch it for out-of-range indices);
- ``ValueError`` -> ``ValueError`` only;
- ``TypeError`` -> ``TypeError`` only (wrong argument types);
- anything else chainrule raises (AttributeError, KeyError, AssertionError,
  ZeroDivisionError, OverflowError, ...) is a crash, never agreement.
"""
from dataclasses import dataclass

import chainrule
import numpy as np
import torch

from .execute import execute
from .observe import Seen, describe

TOLERANCE = {   # dtype -> (rtol, atol, eps)
    "float16": (5e-3, 1e-3, 2.0 ** -10),
    "float32": (2e-5, 1e-6, 2.0 ** -23),
    "float64": (1e-9, 1e-12, 2.0 ** -52),
}
SCALE_ULPS = 8
OVERFLOW_MARGIN = 64    # inputs this close to the dtype's largest number may overflow either way
GRAD_LOOSENESS = 10
ACCEPTED_ERRORS = {
    RuntimeError: (RuntimeError, ValueError, IndexError),
    IndexError: (IndexError,),
    ValueError: (ValueError,),
    TypeError: (TypeError,),
    NameError: (NameError,),        # a shrunk program that lost a line it needed: not a difference
}
# What chainrule's side of an error-only-torch says when its gradients passed that check (see above).
KEPT_SAVED_AGREES = "the gradient equals PyTorch's with saved tensors kept"
# Kinds, in the order the first difference of a line is chosen; value kinds get an area prefix.
KINDS = ("error-only-chainrule", "error-only-torch", "error-class", "stale-gradient", "aliasing", "rebinds",
         "type", "none", "shape", "dtype", "requires-grad", "value", "non-finite", "signed-zero")
AREAS = ("", "input-", "grad-", "grad2-")


@dataclass
class Difference:
    kind: str        # one of KINDS, values ones prefixed by an area ("input-value", "grad-none", ...)
    line: int        # index of the line where it shows
    what: str        # a name, "x0 (input)", "x0.grad", or the code of the line that raised
    when: str        # "line": right after ``line`` ran; "end": at the end of the program
    op: str          # the op label of that line
    theirs: str      # PyTorch's result, shortly
    ours: str        # chainrule's

    @property
    def bare_kind(self):
        for area in AREAS[1:]:
            if self.kind.startswith(area):
                return self.kind[len(area):]
        return self.kind

    @property
    def rank(self):
        area = self.kind[:len(self.kind) - len(self.bare_kind)]
        return (self.line, self.when != "line", AREAS.index(area), KINDS.index(self.bare_kind))


def errors_agree(theirs, ours):
    for torch_class, accepted in ACCEPTED_ERRORS.items():
        if isinstance(theirs, torch_class):
            return isinstance(ours, accepted)
    return False


def describe_error(error):
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {first[:200]}"


def _close_floats(theirs, ours, dtype, scale, looseness):
    rtol, atol, eps = TOLERANCE[dtype]
    theirs, ours = theirs.astype(np.float64), ours.astype(np.float64)
    if scale * OVERFLOW_MARGIN > float(np.finfo(dtype).max):   # the order of a sum decides inf or nan
        finite = np.isfinite(theirs) & np.isfinite(ours)
        theirs, ours = theirs[finite], ours[finite]
    finite = np.isfinite(theirs)
    if not np.array_equal(finite, np.isfinite(ours)):
        return "value"
    a, b = theirs[finite], ours[finite]
    allowed = looseness * (atol + rtol * np.abs(a) + SCALE_ULPS * eps * scale)
    if np.any(np.abs(a - b) > allowed):
        return "value"
    # non-finite in both, but inf against nan or against the other infinity
    if not np.array_equal(theirs[~finite], ours[~finite], equal_nan=True):
        return "non-finite"
    zeros = (a == 0) & (b == 0)
    if np.any(np.signbit(a[zeros]) != np.signbit(b[zeros])):
        return "signed-zero"
    return None


def _tolerance_dtype(dtype, precision):
    """The value's own float dtype, or a less precise one it was computed through."""
    if precision in TOLERANCE and TOLERANCE[precision][2] > TOLERANCE[dtype][2]:
        return precision
    return dtype


def seen_aspect(theirs, ours, scale, precision, looseness):
    if theirs.shape != ours.shape:
        return "shape"
    if theirs.dtype != ours.dtype:
        return "dtype"
    if theirs.requires_grad != ours.requires_grad:
        return "requires-grad"
    if theirs.dtype in TOLERANCE:
        dtype = _tolerance_dtype(theirs.dtype, precision)
        return _close_floats(theirs.array, ours.array, dtype, scale, looseness)
    return None if np.array_equal(theirs.array, ours.array) else "value"


def aspect(theirs, ours, scale=0.0, precision=None, looseness=1):
    """How chainrule's observed value differs from PyTorch's, or None."""
    if isinstance(theirs, Seen) or isinstance(ours, Seen):
        if theirs is None or ours is None:
            return "none"
        if not (isinstance(theirs, Seen) and isinstance(ours, Seen)):
            return "type"
        return seen_aspect(theirs, ours, scale, precision, looseness)
    if theirs is None or ours is None:
        return None if theirs is ours else "none"
    if isinstance(theirs, tuple):
        if not isinstance(ours, tuple):
            return "type"
        if len(theirs) != len(ours):
            return "shape"
        for a, b in zip(theirs, ours):
            found = aspect(a, b, scale, precision, looseness)
            if found:
                return found
        return None
    return _python_aspect(theirs, ours)


def _python_aspect(theirs, ours):
    if type(theirs) is not type(ours):
        return "type"
    if isinstance(theirs, float):
        same = theirs == ours or (np.isnan(theirs) and np.isnan(ours)) or abs(theirs - ours) <= 1e-6 * abs(theirs)
        return None if same else "value"
    return None if theirs == ours else "value"


def differences(program):
    """Run ``program`` in both libraries; every difference, first ones first."""
    return compare_run(program, execute(program))


def compare_run(program, run):
    found = error_differences(program, run)
    for line, name, used, theirs, ours in run.aliasing:
        if _aliasing_differs(program.lines[line], theirs, ours):
            found.append(Difference("aliasing", line, f"{name} shares memory with {used}", "line",
                                    program.lines[line].op, str(theirs), str(ours)))
    for line, target, theirs, ours in run.rebound:
        if theirs != ours:
            found.append(Difference("rebinds", line, f"{target} is still the same object", "line",
                                    program.lines[line].op, str(theirs), str(ours)))
    for seen in run.observations:
        looseness = GRAD_LOOSENESS if seen.area in ("grad-", "grad2-") else 1
        kind = aspect(seen.theirs, seen.ours, seen.scale, seen.precision, looseness)
        if kind is not None:
            found.append(Difference(seen.area + kind, seen.line, seen.what, seen.when, program.lines[seen.line].op,
                                    describe(seen.theirs), describe(seen.ours)))
    return sorted(found, key=lambda d: d.rank)


def _aliasing_differs(line, theirs, ours):
    """A view op must share memory exactly when PyTorch's does; any other op must not share
    memory where PyTorch's result does not (PyTorch sharing there is an implementation detail)."""
    if line.kind == "view":
        return theirs != ours
    return ours and not theirs


def error_differences(program, run):
    if run.stopped_at is None:
        return []
    index = run.stopped_at
    line = program.lines[index]
    theirs, ours = run.errors.get(torch), run.errors.get(chainrule)
    if theirs is not None and ours is not None:
        if errors_agree(theirs, ours):
            return []
        kind = "error-class"
    elif ours is None and run.kept_saved is not None:
        return [_against_kept_saved(program, run, line)]
    else:
        kind = "error-only-torch" if theirs is not None else "error-only-chainrule"
    return [Difference(kind, index, line.code, "line", line.op, _outcome(theirs), _outcome(ours))]


def _against_kept_saved(program, run, line):
    """PyTorch refused a backward because a saved tensor changed; chainrule ran it. Its gradient
    is right when it equals PyTorch's computed with every saved tensor copied when saved."""
    index = run.stopped_at
    for seen in run.kept_saved:   # stale means other numbers (not another zero sign or requires_grad)
        if aspect(seen.theirs, seen.ours, seen.scale, seen.precision, GRAD_LOOSENESS) not in \
                (None, "requires-grad", "signed-zero"):
            return Difference("stale-gradient", index, seen.what, "line", line.op,
                              describe(seen.theirs) + " (PyTorch with saved tensors kept; PyTorch itself: "
                              + describe_error(run.errors[torch]) + ")", describe(seen.ours))
    return Difference("error-only-torch", index, line.code, "line", line.op, describe_error(run.errors[torch]),
                      "no error; " + KEPT_SAVED_AGREES)


def _outcome(error):
    return "no error" if error is None else describe_error(error)
