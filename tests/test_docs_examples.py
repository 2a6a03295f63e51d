"""The examples in docs/nn.md run."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_nn_examples_run():
    code = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "nn.md").read_text(), re.S)[0]
    namespace = {}
    exec(compile(code, "docs/nn.md", "exec"), namespace)
    assert len(list(namespace["Tower"]().parameters())) == 6
    assert tuple(namespace["output"].shape) == (4, 10, 32)
