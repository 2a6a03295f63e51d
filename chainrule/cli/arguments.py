"""Argument types of the command line: a bad value is a usage error (exit code 2) naming the range."""
import argparse


def _integer(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: '{text}'") from None


def positive_int(text):
    """An integer of at least 1 (epochs, batch sizes, steps)."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def seed(text):
    """A seed: an integer in [0, 2**32) (NumPy's generators take no negative seeds)."""
    value = _integer(text)
    if not 0 <= value < 2 ** 32:
        raise argparse.ArgumentTypeError(f"a seed must be in [0, 2**32), got {value}")
    return value
