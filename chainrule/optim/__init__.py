"""Optimizers, one algorithm per file, each with its update rule in its docstring."""
from .optimizer import Optimizer  # noqa: F401
from .sgd import SGD  # noqa: F401
from .adam import Adam, AdamW  # noqa: F401
from .rmsprop import RMSprop  # noqa: F401
from .adagrad import Adagrad, Adadelta  # noqa: F401
from .nadam import NAdam, RAdam  # noqa: F401
from . import lr_scheduler  # noqa: F401
from .regularization import l1_penalty  # noqa: F401
