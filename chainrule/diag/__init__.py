"""Diagnostics: tools for when training goes wrong (docs/debugging.md walks through them).

``chainrule.diag`` is also PyTorch's ``diag`` op: ``chainrule.diag(x)`` calls ``x.diag()``, so
code written for ``torch.diag`` runs unchanged while ``chainrule.diag.summary`` and the other
tools stay where they are.
"""
import sys
import types

from .summary import summary, ModelSummary, LayerRow  # noqa: F401
from .sanity import check_init, overfit_batch, gradcheck_module, chance_level, CheckResult  # noqa: F401
from .profiler import profile, Profile  # noqa: F401
from .graph import draw_graph, to_dot, record_modules  # noqa: F401
from .monitor import Monitor, MonitorCallback  # noqa: F401


class _DiagnosticsAndDiagOp(types.ModuleType):
    """The diagnostics package, callable as the ``diag`` op."""

    def __call__(self, input, diagonal=0):
        """A 1-D input becomes a square matrix with it on ``diagonal``; a 2-D input gives that diagonal."""
        return input.diag(diagonal)


sys.modules[__name__].__class__ = _DiagnosticsAndDiagOp
