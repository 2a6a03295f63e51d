"""The verdict on one program: its differences, and the first one nobody meant.

Differences are ordered by the line where they show. When the first one is
deliberate (a row of the docs table accepts it), the program passes: what
follows may only be its consequence (a list-of-lists index gives a different
shape, and every later value differs with it). Otherwise the first difference
is the finding, and its group is (kind, op): the op of its line, or, for a
difference that shows only in the gradients, the ops of the (shrunk) program
(the writes among them when PyTorch refused a changed saved tensor).
"""
from dataclasses import dataclass

from .classify import op_name
from .compare import differences
from .execute import VERSION_ERROR
from .known import deliberate
from .line import GRAD_KINDS


@dataclass
class Verdict:
    differences: list
    finding: object = None      # the first difference, when it is not deliberate
    accepted: str = None        # the key of the row that accepted the first difference


def judge(program):
    found = differences(program)
    if not found:
        return Verdict(found)
    key = deliberate(found[0], program)
    if key is not None:
        return Verdict(found, accepted=key)
    return Verdict(found, finding=found[0])


def group_of(difference, program):
    """(kind, op) of a finding; a gradient finding is blamed on the program's steps."""
    line = program.lines[difference.line]
    if line.kind not in GRAD_KINDS:
        return difference.kind, op_name(line.op)
    steps = steps_of(program)
    if VERSION_ERROR in difference.theirs:     # blame the writes that changed a saved tensor
        steps = [step for step in steps if step.kind in ("inplace", "setitem")] or steps
    return difference.kind, " + ".join(sorted({op_name(step.op) for step in steps})) or "(no step)"


def steps_of(program):
    return [line for line in program.lines if line.kind not in GRAD_KINDS + ("input",)]


def step_ops(program):
    return {op_name(step.op) for step in steps_of(program)}


def same_finding(original, program):
    """A predicate for the shrinker: the same kind on the same op, using no new ops."""
    kind, op = original.kind, op_name(program.lines[original.line].op)
    allowed = step_ops(program)

    def still(candidate):
        try:
            verdict = judge(candidate)
        except Exception:       # a candidate the shrinker broke is not the same finding
            return False
        found = verdict.finding
        return (found is not None and found.kind == kind and op_name(candidate.lines[found.line].op) == op
                and step_ops(candidate) <= allowed)
    return still
