"""A fixed fuzzing budget in the suite: random programs, chainrule against PyTorch.

Hypothesis draws every decision of the generator (``choices.HypothesisChoices``)
from a derandomized seed, so the suite always runs the same programs, and shrinks
each finding to a minimal program. Each group of findings raises its own exception
class, so hypothesis shrinks the groups separately. The test fails listing a
minimal reproducer per group of differences that no row of the docs table
("Differences the op fuzzer accepts") explains.

Once it has found a difference, hypothesis soon stops drawing new programs, so a
failing run lists the groups found up to then; ``make fuzz`` runs a long campaign
that reports every group. With no difference the run takes about 45 s (4500
programs on a 2-core machine). There is no time cap inside the search: a program
that stopped drawing early on a busy machine would make hypothesis's replays
inconsistent (FlakyStrategyDefinition).
"""
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from .choices import HypothesisChoices
from .program import generate
from .render import reproducer
from .shrink import Shrinker
from .verdict import group_of, judge, same_finding

EXAMPLES = 4500            # about 45 s on a 2-core machine when nothing is found
_FINDING_CLASSES = {}


def finding_class(group):
    """One exception class per group: hypothesis shrinks distinct classes separately."""
    if group not in _FINDING_CLASSES:
        _FINDING_CLASSES[group] = type("FuzzFinding", (AssertionError,), {"group": group})
    return _FINDING_CLASSES[group]


def smaller(program, other):
    return other is None or (len(program.lines), len(str(program.lines))) < (len(other[0].lines),
                                                                             len(str(other[0].lines)))


def search(found):
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.shrink),
              report_multiple_bugs=True)
    @given(st.data())
    def one_program(data):
        program = generate(HypothesisChoices(data))
        finding = judge(program).finding
        if finding is None:
            return
        group = group_of(finding, program)
        if smaller(program, found.get(group)):
            found[group] = (program, finding)
        raise finding_class(group)(f"{group[0]} in {group[1]}")

    one_program()


def without_unneeded_lines(program, finding):
    """Hypothesis cannot drop an input or a middle step; drop the lines the finding does not need."""
    program = Shrinker(same_finding(finding, program)).drop_lines(program)
    return program, judge(program).finding or finding


def regrouped(found):
    """The findings with their unneeded lines dropped, one per group (groups that shrank into
    the same one merge)."""
    groups = {}
    for program, finding in (without_unneeded_lines(*found[group]) for group in sorted(found)):
        group = group_of(finding, program)
        if smaller(program, groups.get(group)):
            groups[group] = (program, finding)
    return groups


def describe(found):
    groups = regrouped(found)
    parts = [f"{len(groups)} groups of differences that no row of the docs table explains:"]
    for (kind, op), (program, finding) in sorted(groups.items()):
        parts += ["", f"== {kind} in {op}", f"torch:     {finding.theirs[:300]}",
                  f"chainrule: {finding.ours[:300]}", reproducer(program, finding)]
    return "\n".join(parts)


def test_fuzz_budget():
    found = {}
    try:
        search(found)
    except BaseException as error:       # hypothesis re-raises the findings; they are in `found`
        if not found:
            raise error
    assert not found, describe(found)
