"""docs/compile.md: its Python blocks run in order, and each prints what the page shows."""
import contextlib
import io
import logging
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = open(os.path.join(ROOT, "docs", "compile.md")).read()
BLOCKS = list(re.finditer(r"```(\w*)\n(.*?)```", PAGE, re.S))
# (python block, the output block right after it)
PAIRS = [(block.group(2), following.group(2))
         for block, following in zip(BLOCKS, BLOCKS[1:])
         if block.group(1) == "python" and following.group(1) == "" and not PAGE[block.end():following.start()].strip()]


def masked(line):
    """A line with file:line locations as FILE and numbers as '#', runs of spaces as one."""
    line = re.sub(r"\S+\.(py|md):\d+", "FILE", line)
    return re.sub(r" +", " ", re.sub(r"\d[\d.,]*", "#", line)).strip()


def shows(actual, shown):
    """Every run of shown lines between '...' lines appears in the output, in order."""
    actual = [masked(line) for line in actual.strip().splitlines()]
    position = 0
    for run in re.split(r"^\.\.\.$", shown.strip(), flags=re.M):
        wanted = [masked(line) for line in run.strip().splitlines()]
        while position + len(wanted) <= len(actual) and actual[position:position + len(wanted)] != wanted:
            position += 1
        if position + len(wanted) > len(actual):
            return False
        position += len(wanted)
    return True


@pytest.fixture
def compile_log_into():
    """The chainrule.compile log at INFO, written into a given stream (as the page's basicConfig would)."""
    logger = logging.getLogger("chainrule.compile")
    level, handlers = logger.level, []

    def attach(stream):
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        handlers.append(handler)
    logger.setLevel(logging.INFO)
    yield attach
    for handler in handlers:
        logger.removeHandler(handler)
    logger.setLevel(level)


def test_the_page_has_its_examples():
    assert len(PAIRS) >= 7


def test_the_blocks_print_what_the_page_shows(compile_log_into):
    namespace = {}
    for code, shown in PAIRS:
        output = io.StringIO()
        compile_log_into(output)
        with contextlib.redirect_stdout(output):
            exec(compile(code, "train.py", "exec"), namespace)
        assert shows(output.getvalue(), shown), f"the block\n{code}\nprinted\n{output.getvalue()}\nnot\n{shown}"


def test_the_matcher_can_fail():
    assert shows("a 1\nb\nc\nd 2", "a 7\n...\nd 3")
    assert not shows("a 1\nb\nc", "a 1\n...\nz")
    assert not shows("a\nb", "b\na")
