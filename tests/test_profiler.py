"""``chainrule.diag.profile`` counts every op's forward and backward calls, splits op time into
array work and overhead, and leaves the ops as they were."""
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.diag import profile
from chainrule.ops.linalg import MatMul


def train_steps(steps):
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    x, y = cr.randn(8, 16), cr.randint(0, 4, (8,))
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model


def test_counts_and_totals():
    original = MatMul.__dict__["forward"]
    original_apply = cr.function.Function.__dict__["apply"]
    with profile() as prof:
        train_steps(3)
    rows = {row[0]: row for row in prof.rows()}
    name, forward_calls, forward_s, backward_calls, backward_s, array_s = rows["matmul"]
    assert forward_calls == 2 * 3 and backward_calls == 2 * 3          # two Linear layers, three steps
    assert rows["relu"][1] == 3 and rows["relu"][3] == 3
    assert forward_s > 0 and backward_s > 0 and 0 < array_s <= forward_s + backward_s
    totals = prof.totals()
    assert 0 < totals["array_s"] <= totals["in_ops_s"] <= totals["wall_s"]
    assert totals["op_overhead_s"] == pytest.approx(totals["in_ops_s"] - totals["array_s"])
    table = prof.table()
    assert table.splitlines()[0].split()[:3] == ["op", "fwd", "calls"]
    assert "chainrule overhead" in table and "outside ops" in table
    assert MatMul.__dict__["forward"] is original and cr.function.profiler[0] is None
    assert cr.function.Function.__dict__["apply"] is original_apply


def test_profiling_changes_no_result():
    with profile():
        profiled = train_steps(2)
    plain = train_steps(2)
    for a, b in zip(profiled.parameters(), plain.parameters()):
        assert (a.detach().numpy() == b.detach().numpy()).all()


def test_profiles_do_not_nest():
    with profile():
        with pytest.raises(RuntimeError, match=r"another profile\(\) block is already running"):
            with profile():
                pass
    assert cr.function.profiler[0] is None
