"""Functional forms of layer math (PyTorch's ``torch.nn.functional``).

Each layer in ``chainrule.nn`` is a thin wrapper around one of these; the
functions live beside their layers (``nn/linear.py``, ``nn/conv.py``, ...) or
are chainrule ops (activations, softmax, pad), and this module gathers them.
"""
from ..ops.unary import (relu, relu6, leaky_relu, elu, selu, celu, gelu, silu, mish, softplus,  # noqa: F401
                         logsigmoid, softsign, hardtanh, hardsigmoid, hardswish, sigmoid, tanh)
from ..ops.fused import softmax, log_softmax  # noqa: F401
from ..ops.pad import pad  # noqa: F401
from ..ops.conv import unfold, fold  # noqa: F401
from .linear import linear, bilinear  # noqa: F401
from .loss_functions import (mse_loss, l1_loss, smooth_l1_loss, huber_loss, nll_loss,  # noqa: F401
                             cross_entropy, binary_cross_entropy, binary_cross_entropy_with_logits,
                             kl_div, cosine_embedding_loss, margin_ranking_loss, triplet_margin_loss)
from .embedding import embedding  # noqa: F401
from .dropout import dropout, dropout2d, alpha_dropout  # noqa: F401
from .activation import prelu  # noqa: F401
from .norm import batch_norm, layer_norm, group_norm, instance_norm  # noqa: F401
from .pixel_shuffle import pixel_shuffle, pixel_unshuffle  # noqa: F401
from .conv import conv1d, conv2d, conv_transpose2d  # noqa: F401
from .pooling import (max_pool1d, max_pool2d, avg_pool1d, avg_pool2d, adaptive_avg_pool2d,  # noqa: F401
                      adaptive_max_pool2d)
from .attention import scaled_dot_product_attention  # noqa: F401
