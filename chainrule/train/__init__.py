"""The fit loop: ``Trainer``, callbacks and metrics."""
from . import metrics  # noqa: F401
from .trainer import Trainer  # noqa: F401
from .callbacks import (Callback, History, EarlyStopping, ModelCheckpoint, LearningRateMonitor,  # noqa: F401
                        TerminateOnNaN)
