"""A long run: many seeded programs, each finding shrunk once per group and counted.

Findings are grouped by (kind, op) (``verdict.group_of``). The first finding of a
group before shrinking is shrunk (``shrink.Shrinker``, which may only keep programs
whose steps are among the original ones, so that it does not slide onto another
bug); later findings that map to an already shrunk group are only counted.
"""
import time
from dataclasses import dataclass, field

from .choices import RandomChoices
from .program import generate
from .shrink import Shrinker
from .verdict import group_of, judge, same_finding


@dataclass
class Group:
    kind: str
    op: str
    program: object              # the shrunk program
    difference: object           # its first difference
    first_seed: str
    count: int = 0


@dataclass
class Campaign:
    seed: int
    programs: int = 0
    with_differences: int = 0
    accepted: dict = field(default_factory=dict)      # key -> programs
    groups: dict = field(default_factory=dict)        # (kind, op) -> Group
    aliases: dict = field(default_factory=dict)       # unshrunk group -> shrunk group
    crashes: list = field(default_factory=list)       # (seed, error) of the fuzzer itself
    seconds: float = 0.0


def run_one(campaign, seed_text, shrink_budget):
    choices = RandomChoices(seed_text)
    program = generate(choices)
    verdict = judge(program)
    campaign.programs += 1
    if verdict.differences:
        campaign.with_differences += 1
    if verdict.accepted:
        campaign.accepted[verdict.accepted] = campaign.accepted.get(verdict.accepted, 0) + 1
    if verdict.finding is None:
        return
    raw = group_of(verdict.finding, program)
    key = campaign.aliases.get(raw)
    if key is None:
        still = same_finding(verdict.finding, program)
        shrunk = Shrinker(still, budget=shrink_budget).shrink(choices.record, program)
        found = judge(shrunk).finding
        if found is None:        # cannot happen when the shrinker checks each step; kept as a guard
            shrunk, found = program, verdict.finding
        key = group_of(found, shrunk)
        campaign.aliases[raw] = key
        if key not in campaign.groups:
            campaign.groups[key] = Group(key[0], key[1], shrunk, found, seed_text)
    campaign.groups[key].count += 1


def run_campaign(seed, programs, shrink_budget=300, progress=None, every=1000):
    campaign = Campaign(seed)
    start = time.time()
    for index in range(programs):
        seed_text = f"{seed}-{index}"
        try:
            run_one(campaign, seed_text, shrink_budget)
        except Exception as error:     # a fuzzer bug must not end a long run
            campaign.crashes.append((seed_text, f"{type(error).__name__}: {error}"))
        if progress is not None and (index + 1) % every == 0:
            campaign.seconds = time.time() - start
            progress(campaign)
    campaign.seconds = time.time() - start
    return campaign
