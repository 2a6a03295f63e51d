"""Neural-network building blocks. Functional forms of the ops live in ``nn.functional``."""
from . import functional  # noqa: F401
