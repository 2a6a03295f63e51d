"""Hypothesis mutates a valid config (values of other types and ranges, deleted keys, duplicated
lines) and ``chainrule train`` must end with exit code 0, 1 or 2 and never a traceback."""
import math
import os

import numpy as np
import yaml
from hypothesis import given, settings, strategies as st, HealthCheck

from chainrule.cli import main

VALID = {
    "name": "fuzz",
    "data": {"dataset": "xor", "options": {"n": 40}, "validation_fraction": 0.25},
    "model": {"layers": [{"Linear": {"in_features": 2, "out_features": 4}}, "Tanh",
                         {"Linear": {"in_features": 4, "out_features": 2}}]},
    "loss": "CrossEntropyLoss",
    "metrics": ["accuracy"],
    "solver": {"optimizer": "Adam", "lr": 0.05, "epochs": 1, "batch_size": 16, "seed": 0,
               "schedule": {"type": "StepLR", "step_size": 1}},
    "callbacks": {"early_stopping": {"patience": 2}},
}
# Small values only: a mutated size must not allocate gigabytes.
VALUES = st.sampled_from([None, -1, 0, 1, 2, 3, 0.5, -0.5, 1.5, math.nan, math.inf, "abc", "", True, [], {},
                          [1, 2], [0.9, 0.999], {"type": "Adam"}, "ReLU"])


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, path + (index,))


PATHS = [p for p in _paths(VALID) if p]


def _mutated(config, path, action, value):
    import copy
    config = copy.deepcopy(config)
    parent = config
    for part in path[:-1]:
        parent = parent[part]
    if action == "delete":
        del parent[path[-1]]
    elif action == "rename" and isinstance(parent, dict):
        parent[str(path[-1]) + "x"] = parent.pop(path[-1])
    else:
        parent[path[-1]] = value
    return config


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(["set", "delete", "rename"]), VALUES),
                          min_size=1, max_size=3),
       duplicate_line=st.one_of(st.none(), st.integers(0, 40)))
def test_mutated_configs_end_with_an_exit_code_not_a_traceback(tmp_path_factory, capsys, mutations, duplicate_line):
    config = VALID
    for path, action, value in mutations:
        try:
            config = _mutated(config, path, action, value)
        except (KeyError, IndexError, TypeError):       # an earlier mutation removed the path
            continue
    text = yaml.safe_dump(config, sort_keys=False)
    lines = text.splitlines(keepends=True)
    if duplicate_line is not None and lines:
        index = duplicate_line % len(lines)
        lines.insert(index, lines[index])
    directory = tmp_path_factory.mktemp("fuzz")
    (directory / "model.yaml").write_text("".join(lines))
    with np.errstate(all="ignore"):
        code = main(["train", str(directory / "model.yaml"), "--out", str(directory / "run"), "--no-plots"])
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (code, out, err)
    assert "unexpected" not in err, err                             # an input no check caught
    assert "Traceback" not in out + err
    if code == 2:
        assert not os.path.exists(directory / "run"), err          # bad input writes nothing
