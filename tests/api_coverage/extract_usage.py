"""Count the PyTorch names that the programs of pytorch/examples use (static analysis).

This is how ``tests/api_coverage/examples_usage.json`` was made; it is kept for the
record and for a later refresh. CI never runs it (it needs a checkout of
pytorch/examples and the network to get one):

    git clone https://github.com/pytorch/examples /tmp/examples
    python -m tests.api_coverage.extract_usage /tmp/examples > tests/api_coverage/examples_usage.json

(``--commit HASH`` names the commit when the checkout is not a git work tree, e.g.
files exported with ``git show``.) Then regenerate the table:
``python -m tests.api_coverage.render > docs/api-coverage.md``.

What is counted (Python ``ast``, no code is run):

* A *program* is a top-level directory of the repository holding ``.py`` files
  (``dcgan``, ``vae``, ``distributed``, ...); ``docs`` (the Sphinx ``conf.py``) is left out.
  A name's count is the number of programs with at least one use in any of their files.
* Imports of ``torch`` and its submodules bind aliases to qualified names
  (``import torch.nn as nn`` -> ``nn`` = ``torch.nn``, ``from torch import optim``,
  ``from torch.nn import functional as F``, ``from torch.utils.data import DataLoader``).
  Aliases are per file, whatever the scope of the import.
* Every attribute chain rooted at such an alias (``torch.zeros``, ``nn.Linear``,
  ``F.relu``, ``optim.lr_scheduler.StepLR``, ``torch.cuda.is_available``) and every
  ``from torch... import X`` is resolved against the installed torch: the chain is
  followed while it names modules and stops at the first non-module, so
  ``torch.float32.itemsize`` counts ``torch.float32`` and ``nn.Linear.forward`` counts
  ``torch.nn.Linear``. Chains that end on a module (``torch.nn`` itself), that do not
  exist in the installed torch, or that pass through a private component
  (``torch.distributed._tensor...``) are not counted.
* ``torch.Tensor`` methods and attributes (a heuristic; it over-counts): a call
  ``x.foo(...)`` counts ``torch.Tensor.foo`` when ``foo`` is public and
  ``hasattr(torch.Tensor, foo)``, and a non-call access ``x.foo`` counts it when
  ``foo`` is a data attribute of ``torch.Tensor`` (``shape``, ``grad``, ``data``,
  ``device``, ...). The receiver ``x`` must not start from a name imported from outside
  torch (``np.zeros(3).sum()``, ``os.path.join(a, b).split()``: the chain of attributes,
  calls and subscripts is followed back to its first name), be a string literal, or be
  bare ``self`` (an imported name that the file also assigns or takes as a parameter
  does not exclude: ``import data`` next to ``def batchify(data, bsz)``). A chain on a
  torch alias itself (``F.relu(...)``) is a torch name, not a tensor call, while
  ``F.relu(x).view(...)`` counts ``view``. Any other receiver counts, so
  ``model.to(device)`` counts ``torch.Tensor.to`` and ``line.split()`` counts
  ``torch.Tensor.split``; names that are not Tensor attributes (``append``,
  ``zero_grad``, ``items``) never count.
"""
import argparse
import ast
import importlib
import inspect
import json
import subprocess
import sys
import types
from pathlib import Path

EXCLUDED_DIRS = {"docs": "Sphinx configuration of the examples' documentation, not a program"}


def resolve(root, parts):
    """Follow ``parts`` from the module named ``root`` (``torch`` or ``chainrule``).

    Returns the qualified name up to and including the first non-module object, ``""``
    when the whole chain names a module, or ``None`` when some component does not exist.
    """
    obj = importlib.import_module(root)
    path = [root]
    for part in parts:
        if not isinstance(obj, types.ModuleType):
            break
        name = ".".join(path + [part])
        try:
            nxt = getattr(obj, part)
        except Exception:
            nxt = None
            try:
                nxt = importlib.import_module(name)
            except Exception:
                return None
        obj = nxt
        path.append(part)
    if isinstance(obj, types.ModuleType):
        return ""
    return ".".join(path)


# The namespaces of the coverage table, most specific first.
NAMESPACE_ROOTS = ("torch.nn.functional", "torch.utils.data", "torch.autograd", "torch.optim", "torch.nn", "torch")


def canonical(qualified):
    """``torch.nn.modules.linear.Linear`` -> ``torch.nn.Linear``: a class or function
    reached through an implementation submodule is named by the shortest module path,
    within its table namespace, that exports the same object under the same name."""
    root = next(r for r in NAMESPACE_ROOTS if qualified == r or qualified.startswith(r + "."))
    parts = qualified.split(".")
    leaf = parts[-1]
    obj = importlib.import_module(parts[0])
    for part in parts[1:]:
        if hasattr(obj, part):
            obj = getattr(obj, part)
        else:
            obj = importlib.import_module(f"{obj.__name__}.{part}")
    if not (inspect.isclass(obj) or inspect.isroutine(obj)):
        return qualified
    for end in range(len(root.split(".")), len(parts) - 1):
        try:
            module = importlib.import_module(".".join(parts[:end]))
        except Exception:
            continue
        if getattr(module, leaf, None) is obj:
            return ".".join(parts[:end] + [leaf])
    return qualified


def _tensor_attrs():
    import torch
    methods, data = set(), set()
    for name in dir(torch.Tensor):
        if name.startswith("_"):
            continue
        raw = inspect.getattr_static(torch.Tensor, name)
        if inspect.isdatadescriptor(raw) or isinstance(raw, property):
            data.add(name)
        elif callable(getattr(torch.Tensor, name)):
            methods.add(name)
        else:
            data.add(name)
    return methods, data


def _chain(node):
    """``a.b.c`` -> ["a", "b", "c"]; None when the chain is not rooted at a plain name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def _root(node):
    """The name an expression starts from: ``np.zeros(3)[0].sum`` -> ``np``."""
    while True:
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return node


class _Cache:
    def __init__(self):
        self.memo = {}

    def qualify(self, dotted):
        if dotted not in self.memo:
            parts = dotted.split(".")
            q = None if any(p.startswith("_") for p in parts) else resolve(parts[0], parts[1:])
            if q and any(p.startswith("_") for p in q.split(".")):
                q = None
            if q:
                q = canonical(q)
            self.memo[dotted] = q
        return self.memo[dotted]


def names_in_source(source, cache, tensor_methods, tensor_data):
    """The qualified torch names one file uses."""
    tree = ast.parse(source)
    torch_alias, other_alias = {}, set()
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "torch" or a.name.startswith("torch."):
                    if a.asname:
                        torch_alias[a.asname] = a.name
                    else:
                        torch_alias["torch"] = "torch"
                else:
                    other_alias.add(a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            is_torch = node.level == 0 and (mod == "torch" or mod.startswith("torch."))
            for a in node.names:
                if a.name == "*":
                    continue
                bound = a.asname or a.name
                if is_torch:
                    torch_alias[bound] = f"{mod}.{a.name}"
                    q = cache.qualify(f"{mod}.{a.name}")
                    if q:
                        used.add(q)
                else:
                    other_alias.add(bound)

    # A non-torch import whose name is also a parameter or assigned somewhere in the file
    # (``import data`` and ``def batchify(data, bsz)``) may be either; it does not exclude.
    rebound = {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
    rebound |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    other_alias -= rebound
    call_funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        parts = _chain(node)
        if parts and parts[0] in torch_alias:
            q = cache.qualify(".".join([torch_alias[parts[0]]] + parts[1:]))
            if q:
                used.add(q)
            continue
        # torch.Tensor heuristic
        name = node.attr
        if name.startswith("_"):
            continue
        is_call = id(node) in call_funcs
        if not (name in tensor_methods if is_call else name in tensor_data):
            continue
        recv = node.value
        root = _root(recv)
        if isinstance(root, ast.Name) and root.id in other_alias:
            continue
        if isinstance(recv, (ast.Constant, ast.JoinedStr)):
            continue
        if isinstance(recv, ast.Name) and recv.id == "self":
            continue
        used.add(f"torch.Tensor.{name}")
    return used


def extract(checkout):
    checkout = Path(checkout)
    cache = _Cache()
    methods, data = _tensor_attrs()
    usage, programs, unparsed = {}, set(), []
    for path in sorted(checkout.rglob("*.py")):
        rel = path.relative_to(checkout)
        if len(rel.parts) < 2 or rel.parts[0].startswith(".") or rel.parts[0] in EXCLUDED_DIRS:
            continue
        program = rel.parts[0]
        programs.add(program)
        try:
            names = names_in_source(path.read_text(encoding="utf-8", errors="replace"), cache, methods, data)
        except SyntaxError:
            unparsed.append(str(rel))
            continue
        for n in names:
            usage.setdefault(n, set()).add(program)
    return {n: sorted(p) for n, p in sorted(usage.items())}, sorted(programs), unparsed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkout", help="a local checkout of https://github.com/pytorch/examples")
    ap.add_argument("--commit", help="the commit analysed (default: git rev-parse HEAD in the checkout)")
    args = ap.parse_args(argv)
    commit = args.commit
    if not commit:
        commit = subprocess.run(["git", "-C", args.checkout, "rev-parse", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
    import torch
    usage, programs, unparsed = extract(args.checkout)
    out = {
        "source": "https://github.com/pytorch/examples",
        "commit": commit,
        "torch_version": torch.__version__,
        "made_by": "python -m tests.api_coverage.extract_usage <checkout of pytorch/examples>",
        "programs": programs,
        "excluded_directories": EXCLUDED_DIRS,
        "unparsed_files": unparsed,
        "usage": usage,
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
