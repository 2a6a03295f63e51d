"""docs/config.md describes every key of the schema and every example config, and its Python
example runs."""
import os
import re

from chainrule.config import schema

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = open(os.path.join(ROOT, "docs", "config.md")).read()


def test_every_key_is_documented():
    sections = dict(schema.SUBSECTIONS, top=schema.TOP)
    missing = [f"{section}.{key}" for section, keys in sections.items() for key in keys
               if f"`{key}`" not in DOC and f"\n{key}:" not in DOC and f"`{key}:" not in DOC]
    missing += [key for key in schema.EARLY_STOPPING + schema.CHECKPOINT + schema.SAMPLE_GRID if key not in DOC]
    assert not missing, f"document these keys in docs/config.md: {missing}"


def test_every_layer_type_is_documented():
    from chainrule.config.layers import layer_types
    missing = [name for name in layer_types() if f"`{name}`" not in DOC]
    assert not missing, f"list these layer types in docs/config.md: {missing}"


def test_every_example_config_is_documented():
    configs = [f for f in os.listdir(os.path.join(ROOT, "examples", "configs")) if f.endswith(".yaml")]
    assert all(f"`{name}`" in DOC for name in configs)


def test_the_python_example_runs(monkeypatch):
    code = re.search(r"## From Python\n\n```python\n(.*?)```", DOC, re.S).group(1)
    monkeypatch.chdir(ROOT)
    exec(compile(code, "docs/config.md", "exec"), {})
