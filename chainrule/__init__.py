"""chainrule: a deep learning framework built from the chain rule up.

``import chainrule`` gives the Tensor, the creation functions, every op (as
``chainrule.exp(x)`` and ``x.exp()``), grad modes, and the public submodules
``autograd``, ``nn``, ``optim`` and ``cuda``.
"""
from .backend import (dtype, device, Generator, manual_seed, default_generator,
                      get_default_dtype, set_default_dtype, set_default_device, get_default_device,
                      promote_types,
                      bool_ as bool, uint8, int8, int16, int32, int64, float16, float32, float64)
from .tensor import Tensor, Size
from .grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .creation import *  # noqa: F401,F403
from .creation import __all__ as _creation_names
from . import ops as _ops
from .ops.promotion import result_type
from . import autograd, nn, optim, cuda, data, utils, train, io  # noqa: F401
import sys as _sys
_sys.modules[__name__ + ".utils.data"] = data  # `import chainrule.utils.data` works too
from ._errors import ShapeError
from .seeding import seed_everything  # noqa: F401
from .serialization import save, load  # noqa: F401
from .threads import set_num_threads, get_num_threads  # noqa: F401
from .sampling import multinomial  # noqa: F401
from . import accelerator, backends, distributions  # noqa: F401
from . import sparse  # noqa: F401
from .sparse import sparse_coo_tensor, spmm  # noqa: F401
from .layouts import layout, strided, sparse_coo  # noqa: F401
from .legacy_tensors import LEGACY_TYPES as _LEGACY_TYPES
globals().update(_LEGACY_TYPES)  # FloatTensor, LongTensor, ...
from . import jit  # noqa: F401
from .jit import compile  # noqa: F401  (shadows the builtin here, as torch.compile does)

half, float, double, long, int = float16, float32, float64, int64, int32  # PyTorch's aliases


def _export_ops():
    """Every op family's functions, and the creation functions, as ``chainrule.<name>``; those
    that take ``out=`` in PyTorch take it here too (ops/out_argument.py)."""
    from .ops.out_argument import OUT_FUNCTIONS, with_out
    names = []
    for family in _ops.FAMILIES:
        for name in family.__all__:
            globals()[name] = getattr(family, name)
            names.append(name)
    for name in names + list(_creation_names):
        if name in OUT_FUNCTIONS:
            globals()[name] = with_out(globals()[name], name)
    return names


_op_names = _export_ops()


# Submodules imported on first use (``chainrule.diag.summary``, ``chainrule.config``): every
# public submodule is an attribute of the package, as in torch, without slowing ``import chainrule``.
_LAZY_SUBMODULES = ("diag", "config", "cli", "printing")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'chainrule' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))


def initial_seed():
    return default_generator.initial_seed()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


__version__ = "0.1.0"
__all__ = (["Tensor", "Size", "dtype", "device", "no_grad", "enable_grad", "set_grad_enabled",
            "is_grad_enabled", "manual_seed", "result_type", "autograd", "nn", "optim", "cuda",
            "compile", "jit", "save", "load",
            "set_num_threads", "get_num_threads", "multinomial", "accelerator", "backends", "distributions"] + list(_LEGACY_TYPES)
           + list(_creation_names) + _op_names)
