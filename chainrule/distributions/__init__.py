"""``chainrule.distributions``: probability distributions with PyTorch's interface."""
from .categorical import Categorical  # noqa: F401

__all__ = ["Categorical"]
