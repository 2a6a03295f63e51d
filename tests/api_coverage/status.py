"""The status in chainrule of each PyTorch name that pytorch/examples uses.

Decided at test time, from the installed chainrule and this repository's tests:

* **present**: the name resolves in chainrule, with ``torch`` replaced by ``chainrule``
  (``torch.nn.init.zeros_`` -> ``chainrule.nn.init.zeros_``, ``torch.Tensor.view`` ->
  ``chainrule.Tensor.view``), following attributes and importing submodules on the way.
* **deliberately absent**: not present, and listed in ``DELIBERATELY_ABSENT`` below with the
  reason (a key ending in ``.*`` covers every name under that prefix).
* **missing**: neither.

A name that becomes present is reported present even if it is still listed as absent.

"Tested against PyTorch" (a heuristic): the name's last component appears on the chainrule
side of a test file under ``tests/`` that imports ``torch``: as an attribute in a dotted
chain not rooted at ``torch`` (``cr.zeros``, ``cr.nn.Linear``, ``F.relu`` with ``F`` from
chainrule, ``lib.add`` in a test run for both libraries, ``x.view(``), or as a string literal
(``"add"`` in an op table; ``tests/op_catalog.py`` names ops this way). It is a hint that a
test exercises the name next to PyTorch, not a proof (a same-named method of another class
also counts).
"""
import importlib
import json
import re
import types
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
USAGE_FILE = HERE / "examples_usage.json"

NAMESPACES = ("torch", "torch.Tensor", "torch.nn", "torch.nn.functional", "torch.optim", "torch.utils.data",
              "torch.autograd")
# Most specific first: a name belongs to the first of these that prefixes it.
_ROOTS = ("torch.Tensor", "torch.nn.functional", "torch.utils.data", "torch.autograd", "torch.optim", "torch.nn",
          "torch")

PRESENT, ABSENT, MISSING = "present", "deliberately absent", "missing"

_CUDA = "CUDA-only: chainrule runs on the CPU only (docs/differences-from-pytorch.md, Devices)"
_DIST = "distributed training: chainrule runs in one process and has no process groups, RPC or sharding"
_MP = ("multi-process training (Hogwild, per-GPU workers): chainrule tensors are NumPy arrays owned by one "
       "process, with no shared-memory storage")

DELIBERATELY_ABSENT = {
    "torch.distributed.*": _DIST,
    "torch.futures.*": "futures of asynchronous RPC calls (torch.distributed.rpc): " + _DIST,
    "torch.nn.parallel.DistributedDataParallel": _DIST,
    "torch.utils.data.DistributedSampler": _DIST,
    "torch.nn.DataParallel": "multi-GPU data parallelism: " + _CUDA,
    "torch.nn.parallel.data_parallel": "multi-GPU data parallelism: " + _CUDA,
    "torch.multiprocessing.*": _MP,
    "torch.cuda.*": _CUDA + "; chainrule.cuda answers only the availability queries and seeding",
    "torch.version.cuda": _CUDA,
    "torch.backends.cudnn.*": "cuDNN settings: " + _CUDA,
    "torch.Tensor.cuda": _CUDA,
    "torch.GradScaler": "float16 loss scaling for GPU mixed precision: " + _CUDA,
    "torch.autocast": ("automatic mixed precision: on the CPU it computes in bfloat16, which NumPy lacks; "
                       "on GPUs it is CUDA-only"),
    "torch.bfloat16": "NumPy, chainrule's array library, has no bfloat16",
    "torch.jit.*": "TorchScript: chainrule.compile is chainrule's compiler (docs/compile.md); no TorchScript "
                   "programs or archives",
    "torch.fx.*": "FX graph capture and rewriting: chainrule.compile has its own tracer and passes "
                  "(docs/compile.md), not torch.fx's Graph/Node/Tracer API",
    "torch.classes.*": "loads C++ extension libraries (TorchScript custom classes)",
    "torch.serialization.safe_globals": ("chainrule.load never unpickles arbitrary globals: its restricted "
                                         "unpickler allows tensors and plain containers only, so there is no "
                                         "allow-list to extend (docs/serialization.md)"),
    "torch.nn.modules.linear.NonDynamicallyQuantizableLinear": (
        "internal class of nn.MultiheadAttention; the example names it only in a torch.load safe_globals "
        "allow-list"),
}

# torch.Tensor heuristic hits checked by hand: none of the uses is a tensor (left out of the table).
NOT_TENSOR_USES = {
    "torch.Tensor.name": "`.name` of ONNX Runtime session inputs, torch.fx Nodes and RPC WorkerInfo",
    "torch.Tensor.resize": "PIL `Image.resize`",
    "torch.Tensor.trace": "torch.fx `Tracer.trace`",
}


def load_usage():
    with open(USAGE_FILE) as f:
        return json.load(f)


def namespace(name):
    """The table a name is listed in (``torch.Tensor`` itself, the class, is in ``torch``)."""
    return next((r for r in _ROOTS if name.startswith(r + ".")), "torch")


def in_chainrule(name):
    """Whether ``name`` (a torch qualified name) resolves in chainrule."""
    parts = name.split(".")[1:]
    obj = importlib.import_module("chainrule")
    path = ["chainrule"]
    for part in parts:
        path.append(part)
        try:
            obj = getattr(obj, part)
            continue
        except AttributeError:
            pass
        except Exception:
            return False
        if not isinstance(obj, types.ModuleType):
            return False
        try:
            obj = importlib.import_module(".".join(path))
        except Exception:
            return False
    return True


def absent_reason(name):
    if name in DELIBERATELY_ABSENT:
        return DELIBERATELY_ABSENT[name]
    for key, reason in DELIBERATELY_ABSENT.items():
        if key.endswith(".*") and name.startswith(key[:-1]):
            return reason
    return None


def status(name):
    """(status, reason) of one name."""
    if in_chainrule(name):
        return PRESENT, ""
    reason = absent_reason(name)
    if reason is not None:
        return ABSENT, reason
    return MISSING, ""


_CHAIN = re.compile(r"[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)+")
_STRING = re.compile(r"""["']([A-Za-z_]\w*)["']""")
_IMPORTS_TORCH = re.compile(r"^\s*(?:import torch\b|from torch\b)", re.M)


@lru_cache(maxsize=1)
def tested_identifiers():
    """Identifiers used on the chainrule side of the test files that import torch."""
    seen = set()
    for path in sorted(TESTS.rglob("*.py")):
        if HERE in path.parents or path.name == "test_api_coverage.py":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if not _IMPORTS_TORCH.search(text):
            continue
        for m in _CHAIN.finditer(text):
            parts = [p.strip() for p in m.group(0).split(".")]
            if parts[0] != "torch":
                seen.update(parts[1:])
        seen.update(_STRING.findall(text))
    return frozenset(seen)


def tested_against_pytorch(name):
    return name.rsplit(".", 1)[1] in tested_identifiers()


def rows():
    """One dict per used name (hand-checked heuristic misses left out), with its status."""
    usage = load_usage()["usage"]
    out = []
    for name, programs in usage.items():
        if name in NOT_TENSOR_USES:
            continue
        st, reason = status(name)
        out.append({"name": name, "namespace": namespace(name), "programs": programs, "status": st,
                    "reason": reason, "tested": st == PRESENT and tested_against_pytorch(name)})
    return out
