"""``python -m tests.fuzz --seed S --programs N [--out report.md]``: a long fuzzing run.

Prints progress and a summary (programs run, differences by kind and by op) and,
with ``--out``, writes a markdown report with a minimal reproducer per group.
Several seeds may be given (``--seed 0 1 2``); each runs ``--programs`` programs.
"""
import argparse
import sys
from pathlib import Path

from .campaign import run_campaign
from .report import markdown, summary


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, nargs="+", default=[0], help="campaign seeds (default 0)")
    parser.add_argument("--programs", type=int, default=20000, help="programs per seed (default 20000)")
    parser.add_argument("--out", type=Path, help="write the markdown report here")
    parser.add_argument("--shrink-budget", type=int, default=300,
                        help="programs tried when shrinking one finding (default 300)")
    parser.add_argument("--every", type=int, default=1000, help="print progress every N programs")
    return parser.parse_args(argv)


def progress(campaign):
    found = sum(group.count for group in campaign.groups.values())
    print(f"  seed {campaign.seed}: {campaign.programs} programs, {campaign.seconds:.0f} s, "
          f"{found} findings in {len(campaign.groups)} groups", flush=True)


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    campaigns = []
    for seed in args.seed:
        campaign = run_campaign(seed, args.programs, args.shrink_budget, progress, args.every)
        campaigns.append(campaign)
        print(summary(campaign), flush=True)
        if args.out:
            args.out.write_text(markdown(campaigns), encoding="utf-8")
    if args.out:
        print(f"report: {args.out}")
    return 0
