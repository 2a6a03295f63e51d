"""Diagnostics: tools for when training goes wrong."""
from .summary import summary, ModelSummary, LayerRow  # noqa: F401
