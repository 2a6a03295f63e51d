"""docs/api-coverage.md is what tests/api_coverage/render.py makes of chainrule as it is now.

Offline and fast: the pytorch/examples usage counts are committed in
tests/api_coverage/examples_usage.json; only the statuses are recomputed.
"""
import difflib
import textwrap

from api_coverage import render, status
from api_coverage.extract_usage import _Cache, _tensor_attrs, names_in_source


def test_doc_is_up_to_date():
    expected = render.render()
    current = render.DOC.read_text() if render.DOC.exists() else ""
    if current != expected:
        diff = "".join(list(difflib.unified_diff(current.splitlines(True), expected.splitlines(True),
                                                 "docs/api-coverage.md (committed)", "render.py (now)"))[:60])
        raise AssertionError(f"docs/api-coverage.md is out of date. Regenerate it with\n\n    {render.COMMAND}\n\n"
                             f"(from the repository root) and commit the result. First lines of the diff:\n{diff}")


def test_usage_data_names_its_source():
    data = status.load_usage()
    assert len(data["commit"]) == 40 and data["programs"] and data["usage"]
    for name, programs in data["usage"].items():
        assert name.startswith("torch."), name
        assert programs and set(programs) <= set(data["programs"]), name


def test_every_deliberately_absent_entry_matches_a_used_name():
    used = status.load_usage()["usage"]
    for key in status.DELIBERATELY_ABSENT:
        if key.endswith(".*"):
            assert any(n.startswith(key[:-1]) for n in used), f"stale DELIBERATELY_ABSENT entry {key}"
        else:
            assert key in used, f"stale DELIBERATELY_ABSENT entry {key}"
    for key in status.NOT_TENSOR_USES:
        assert key in used, f"stale NOT_TENSOR_USES entry {key}"


def test_statuses():
    assert status.status("torch.nn.Linear")[0] == status.PRESENT
    assert status.status("torch.utils.data.DataLoader")[0] == status.PRESENT
    assert status.status("torch.distributed.init_process_group")[0] == status.ABSENT
    assert status.status("torch.no_such_name")[0] == status.MISSING
    assert status.namespace("torch.nn.functional.relu") == "torch.nn.functional"
    assert status.namespace("torch.nn.init.zeros_") == "torch.nn"
    assert status.namespace("torch.Tensor.view") == "torch.Tensor"
    assert status.namespace("torch.Tensor") == "torch"
    assert status.namespace("torch.cuda.is_available") == "torch"


def test_extraction_resolves_aliases_and_counts_tensor_calls():
    source = textwrap.dedent("""
        import os
        import numpy as np
        import torch
        import torch.nn as nn
        from torch.nn import functional as F
        from torch import optim
        from torch.utils.data import DataLoader
        from torch.optim.lr_scheduler import StepLR

        class Net(nn.Module):
            def forward(self, x):
                self.to("cpu")
                return F.relu(x).view(-1).shape

        x = torch.zeros(3)
        x.unsqueeze(0).items.append(1)
        np.zeros(3).sum()
        os.path.join("a", "b").split()
        "a b".split()
        opt = optim.Adam([x])
        if torch.cuda.is_available():
            pass
        y = torch.nn.modules.linear.Linear
    """)
    methods, data = _tensor_attrs()
    names = names_in_source(source, _Cache(), methods, data)
    assert names == {
        "torch.nn.Module", "torch.nn.functional.relu", "torch.Tensor.view", "torch.Tensor.shape",
        "torch.zeros", "torch.Tensor.unsqueeze", "torch.optim.Adam", "torch.cuda.is_available",
        "torch.utils.data.DataLoader", "torch.optim.lr_scheduler.StepLR", "torch.nn.Linear",
    }
