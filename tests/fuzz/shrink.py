"""Shrinking a program that shows a difference, for the CLI (the suite lets hypothesis shrink).

A program is regenerated from the list of choices that made it, so shrinking
works on that list, as hypothesis does, in passes: cut the tail, zero runs of
choices, lower each choice toward its simplest value (fewer steps, fewer and
smaller dimensions, ordinary values, the first op of a kind). Then single lines
are dropped from the program text while the difference stays. ``still(program)``
says whether a candidate still shows the same difference.
"""
from .choices import ReplayChoices
from .program import generate


class Shrinker:
    def __init__(self, still, budget=300, line_budget=60):
        self.still = still
        self.budget = budget
        self.line_budget = line_budget

    def shrink(self, record, program):
        self.best = (list(record), program)
        for _ in range(2):
            before = self.best[0]
            self.truncate()
            self.zero_runs()
            self.lower_each()
            if self.best[0] == before:
                break
        return self.drop_lines(self.best[1])

    def attempt(self, record):
        """Keep ``record`` when it still shows the difference and is simpler; True if kept."""
        if self.budget <= 0 or record == self.best[0]:
            return False
        self.budget -= 1
        choices = ReplayChoices(record)
        try:
            program = generate(choices)
        except Exception:        # a replayed list can steer a builder off its usual path
            return False
        if _simpler(choices.used, self.best[0]) and self.still(program):
            self.best = (choices.used, program)
            return True
        return False

    def truncate(self):
        for fraction in (4, 2):
            if self.attempt(self.best[0][:len(self.best[0]) // fraction]):
                return

    def zero_runs(self):
        for size in (16, 4):
            start = 0
            while start < len(self.best[0]):
                record = self.best[0]
                if any(record[start:start + size]):
                    self.attempt(record[:start] + [0] * len(record[start:start + size]) + record[start + size:])
                start += size

    def lower_each(self):
        position = 0
        while position < len(self.best[0]) and self.budget > 0:
            record = self.best[0]
            value = record[position]
            for lower in sorted({0, value // 2, value - 1}):
                if 0 <= lower < value and self.attempt(record[:position] + [lower] + record[position + 1:]):
                    break
            position += 1

    def drop_lines(self, program):
        index = len(program.lines) - 1
        while index >= 0 and self.line_budget > 0:
            candidate = program.without(index)
            self.line_budget -= 1
            if candidate.lines and self.still(candidate):
                program = candidate
            index -= 1
        return program


def _simpler(a, b):
    return (len(a), sum(a)) < (len(b), sum(b))
