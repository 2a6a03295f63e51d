"""Diagnostics: tools for when training goes wrong (docs/debugging.md walks through them)."""
from .summary import summary, ModelSummary, LayerRow  # noqa: F401
from .sanity import check_init, overfit_batch, gradcheck_module, chance_level, CheckResult  # noqa: F401
from .profiler import profile, Profile  # noqa: F401
from .graph import draw_graph, to_dot, record_modules  # noqa: F401
from .monitor import Monitor, MonitorCallback  # noqa: F401
