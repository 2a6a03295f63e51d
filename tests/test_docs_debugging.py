"""docs/debugging.md: its Python blocks run in order, and each prints what the page shows."""
import contextlib
import io
import os
import re
import warnings

import numpy as np
import pytest

from chainrule.autograd import AnomalyError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = open(os.path.join(ROOT, "docs", "debugging.md")).read()
BLOCKS = list(re.finditer(r"```(\w*)\n(.*?)```", PAGE, re.S))
# (python block, the output block right after it, or "")
PAIRS = [(block.group(2), following.group(2) if following is not None and following.group(1) == "" and
          not PAGE[block.end():following.start()].strip() else "")
         for block, following in zip(BLOCKS, BLOCKS[1:] + [None]) if block.group(1) == "python"]


def masked(text):
    """Numbers replaced by '#' and runs of spaces by one space."""
    return re.sub(r" +", " ", re.sub(r"\d[\d.,]*%?", "#", text))


def first_lines(text, n=2):
    return [line.strip() for line in text.strip().splitlines()[:n]]


def test_the_blocks_print_what_the_page_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    checked = 0
    for code, shown in PAIRS:
        output = io.StringIO()
        with contextlib.redirect_stdout(output), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                exec(compile(code, "debugging.md", "exec"), namespace)
                printed = output.getvalue()
            except (AnomalyError, RuntimeError) as error:
                printed = f"{type(error).__name__}: {error}"
        if not shown.strip() or shown.startswith("$"):
            continue
        timings = "fwd ms" in shown                      # times vary run to run: compare the layout
        for line in first_lines(shown):
            if "called at" in line or line.startswith("at "):
                continue
            if timings:
                line, printed = masked(line), masked(printed)
            assert line in printed, f"the page shows {line!r}; the code printed:\n{printed}"
        checked += 1
    assert checked >= 7
    assert (tmp_path / "monitors.png").exists() and (tmp_path / "graph.dot").exists()
