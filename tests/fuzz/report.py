"""The summary of a campaign (printed) and its report (markdown): programs run, differences by
kind and by op, and one minimal reproducer per group with PyTorch's and chainrule's results."""
import re
from collections import Counter, defaultdict

from .render import reproducer

_OP_PREFIX = re.compile(r"^(\w+: )?[\w.]+(\(\))?: ")
_NUMBERS = re.compile(r"-?\d+(\.\d+)?(e[+-]?\d+)?")
_DTYPES = re.compile(r"(chainrule|torch)\.\w+|'\w+'")


def _sorted_groups(campaign):
    return sorted(campaign.groups.values(), key=lambda g: (-g.count, g.kind, g.op))


def summary(campaign):
    lines = [f"seed {campaign.seed}: {campaign.programs} programs in {campaign.seconds:.0f} s, "
             f"{campaign.with_differences} with a difference, "
             f"{sum(g.count for g in campaign.groups.values())} not deliberate, "
             f"in {len(campaign.groups)} groups"]
    if campaign.accepted:
        accepted = ", ".join(f"{key} {count}" for key, count in sorted(campaign.accepted.items()))
        lines.append(f"deliberate (docs table): {accepted}")
    by_kind = Counter()
    for group in campaign.groups.values():
        by_kind[group.kind] += group.count
    if by_kind:
        lines.append("by kind: " + ", ".join(f"{kind} {count}" for kind, count in by_kind.most_common()))
    for group in _sorted_groups(campaign):
        lines.append(f"  {group.count:6d}  {group.kind:24s} {group.op}")
    if campaign.crashes:
        lines.append(f"fuzzer errors: {len(campaign.crashes)} (first: {campaign.crashes[0]})")
    return "\n".join(lines)


def group_section(number, group):
    difference = group.difference
    return "\n".join([
        f"### {number}. {group.kind} in `{group.op}` ({group.count} programs, first: seed {group.first_seed})",
        "",
        f"- compared: `{difference.what}` ({'right after its line' if difference.when == 'line' else 'at the end'})",
        f"- torch: `{_one_line(difference.theirs)}`",
        f"- chainrule: `{_one_line(difference.ours)}`",
        "",
        "```python",
        reproducer(group.program, difference).rstrip(),
        "```",
        "",
    ])


def cause(difference):
    """A rough root cause shared by groups on different ops: the error message with the op's
    name, the numbers and the dtypes taken out; the kind itself for a difference in values."""
    kind = difference.bare_kind
    if kind == "error-class":
        return f"error-class: {difference.theirs.split(':')[0]} in torch, {difference.ours.split(':')[0]} in chainrule"
    if kind not in ("error-only-torch", "error-only-chainrule", "stale-gradient"):
        return difference.kind
    text = difference.theirs if kind != "error-only-chainrule" else difference.ours
    if kind == "stale-gradient":
        text = text.split("PyTorch itself: ", 1)[-1]
    message = text.split(": ", 1)[-1] if ": " in text else text
    message = _OP_PREFIX.sub("", message)
    message = _NUMBERS.sub("#", _DTYPES.sub("<dtype>", message))
    return f"{kind}: {message[:90]}"


def causes_section(groups):
    by_cause = defaultdict(list)
    for group in groups:
        by_cause[cause(group.difference)].append(group)
    lines = [f"## Groups by rough cause ({len(by_cause)})", ""]
    for text, members in sorted(by_cause.items(), key=lambda item: -sum(g.count for g in item[1])):
        ops = ", ".join(f"`{g.op}`" for g in members)
        lines.append(f"- **{sum(g.count for g in members)}** {text} -- {ops}")
    return "\n".join(lines + [""])


def _one_line(text):
    return " ".join(text.split())[:400]


def markdown(campaigns):
    parts = ["# Op fuzzer findings", ""]
    for campaign in campaigns:
        parts += ["```", summary(campaign), "```", ""]
    merged = merge_groups(campaigns)
    parts.append(causes_section(merged))
    parts += [f"## Groups ({len(merged)})", ""]
    for number, group in enumerate(merged, 1):
        parts.append(group_section(number, group))
    return "\n".join(parts)


def merge_groups(campaigns):
    """One group per (kind, op) over several campaigns, the shortest reproducer kept."""
    merged = {}
    for campaign in campaigns:
        for key, group in campaign.groups.items():
            if key not in merged:
                merged[key] = group
                continue
            kept = merged[key]
            shorter = group if len(group.program.lines) < len(kept.program.lines) else kept
            merged[key] = type(group)(group.kind, group.op, shorter.program, shorter.difference,
                                      kept.first_seed, kept.count + group.count)
    return sorted(merged.values(), key=lambda g: (-g.count, g.kind, g.op))
