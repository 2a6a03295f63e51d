"""The import layering of docs/architecture.md: lower layers never import higher ones."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "chainrule"


def imported_modules(path):
    """The chainrule modules ``path`` imports (anywhere in the file, functions included), as dotted names."""
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - (node.level - 1)] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("chainrule")}


@pytest.mark.parametrize("lower, higher", [
    ("backend.py", "chainrule.tensor"),
    ("tracing_slot.py", "chainrule."),
    ("module_calls.py", "chainrule."),
    ("layouts.py", "chainrule."),
    ("autograd/anomaly.py", "chainrule.nn"),
])
def test_a_lower_layer_does_not_import_a_higher_one(lower, higher):
    offending = sorted(name for name in imported_modules(ROOT / lower) if name.startswith(higher))
    assert not offending, f"{lower} imports {offending}"
