"""``chainrule.backends``: PyTorch's backend queries (``backends.mps.is_available()``)."""
from . import mps  # noqa: F401
