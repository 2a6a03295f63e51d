"""Training helpers. ``metrics`` is here; the Trainer and its callbacks come with the training issue."""
from . import metrics  # noqa: F401
