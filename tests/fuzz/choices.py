"""Where the generator's decisions come from.

Every random decision is one call to ``integer(lo, hi)``, and the value that
shrinks best is always ``lo``: index 0 of a ``pick`` is the simplest option, a
``chance`` that shrinks says no. Three sources give the same interface:

- ``RandomChoices``: a seeded generator that records what it returned (the CLI);
- ``ReplayChoices``: plays a recorded list back (the CLI's shrinker edits it);
- ``HypothesisChoices``: draws from hypothesis, which shrinks by itself (the suite).
"""
import random


class Choices:
    fixed_blocks = True     # draw every input's values as a block of fixed length (see values.py)

    def integer(self, lo, hi):
        """An integer in [lo, hi]; ``lo`` when the range is empty or a single value (no draw)."""
        if hi <= lo:
            return lo
        return self.draw(lo, hi)

    def draw(self, lo, hi):
        raise NotImplementedError

    def pick(self, options):
        options = list(options)
        return options[self.integer(0, len(options) - 1)]

    def chance(self, percent):
        """True with probability ``percent``/100; shrinks to False."""
        return self.integer(0, 99) >= 100 - percent

    def weighted(self, pairs):
        """``pairs`` of (weight, option); the first option is the one shrinking reaches."""
        total = sum(weight for weight, _ in pairs)
        roll = self.integer(0, total - 1)
        for weight, option in pairs:
            if roll < weight:
                return option
            roll -= weight
        raise AssertionError("unreachable")


class RandomChoices(Choices):
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.record = []

    def draw(self, lo, hi):
        value = self.rng.randint(lo, hi)
        self.record.append(value - lo)
        return value


class ReplayChoices(Choices):
    """Replays offsets from ``lo``; past the end of the list every choice is the simplest."""

    def __init__(self, record):
        self.record = list(record)
        self.used = []
        self.position = 0

    def draw(self, lo, hi):
        offset = self.record[self.position] if self.position < len(self.record) else 0
        self.position += 1
        value = min(lo + max(offset, 0), hi)
        self.used.append(value - lo)
        return value


class HypothesisChoices(Choices):
    fixed_blocks = False

    def __init__(self, data):
        from hypothesis import strategies as st
        self.data = data
        self.st = st

    def draw(self, lo, hi):
        return lo + self.data.draw(self.st.integers(0, hi - lo))
