"""Neural-network building blocks: ``Module``, layers, losses, initializers.

Functional forms live in ``chainrule.nn.functional``; layers are thin wrappers.
"""
from . import functional, init, utils  # noqa: F401
from .parameter import Parameter  # noqa: F401
from .module import Module  # noqa: F401
from .containers import Sequential, ModuleList, ModuleDict  # noqa: F401
from .linear import Linear, Bilinear, Identity, Flatten, Unflatten  # noqa: F401
from .activation import (ReLU, ReLU6, Sigmoid, Tanh, SiLU, Mish, SELU, Softsign, LogSigmoid,  # noqa: F401
                         Hardsigmoid, Hardswish, LeakyReLU, ELU, CELU, GELU, Softplus, Hardtanh,
                         Softmax, LogSoftmax, PReLU)
from .dropout import Dropout, Dropout2d, AlphaDropout  # noqa: F401
from .loss import (MSELoss, L1Loss, SmoothL1Loss, HuberLoss, NLLLoss, CrossEntropyLoss,  # noqa: F401
                   BCELoss, BCEWithLogitsLoss, KLDivLoss, CosineEmbeddingLoss, MarginRankingLoss,
                   TripletMarginLoss)
from .embedding import Embedding, EmbeddingBag  # noqa: F401
from .norm import (BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, InstanceNorm1d,  # noqa: F401
                   InstanceNorm2d)
from .conv import Conv1d, Conv2d, ConvTranspose2d  # noqa: F401
from .pooling import (MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool2d,  # noqa: F401
                      AdaptiveMaxPool2d)
from .recurrent import RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell  # noqa: F401
from .attention import MultiheadAttention, TransformerEncoderLayer, TransformerEncoder  # noqa: F401
from .transformer import Transformer, TransformerDecoderLayer, TransformerDecoder  # noqa: F401
from .padding import (ZeroPad1d, ZeroPad2d, ZeroPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,  # noqa: F401
                      ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
                      ReplicationPad3d, CircularPad1d, CircularPad2d, CircularPad3d)
from .pixel_shuffle import PixelShuffle, PixelUnshuffle  # noqa: F401
