"""The fit loop: ``Trainer``, callbacks and metrics."""
from . import metrics  # noqa: F401
from .trainer import Trainer  # noqa: F401
from .callbacks import (Callback, History, EarlyStopping, ModelCheckpoint, LearningRateMonitor,  # noqa: F401
                        TerminateOnNaN)
from .plots import plot_history, save_image_grid  # noqa: F401
from .checkpoint import (save_checkpoint, load_checkpoint, resolve_checkpoint, read_checkpoint_state,  # noqa: F401
                         CheckpointError)
from .interrupt import TrainingInterrupted  # noqa: F401
