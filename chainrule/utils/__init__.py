"""``chainrule.utils.data`` is ``chainrule.data`` (PyTorch's ``torch.utils.data`` path)."""
from .. import data  # noqa: F401
