"""Functional forms of layer math (PyTorch's ``torch.nn.functional``).

Activations, softmax and pad are the same functions as ``chainrule.<name>``;
layers in ``chainrule.nn`` are thin wrappers around the functions here.
"""
from .. import backend as B
from ..tensor import Tensor
from ..ops.unary import (relu, relu6, leaky_relu, elu, selu, celu, gelu, silu, mish, softplus,  # noqa: F401
                         logsigmoid, softsign, hardtanh, hardsigmoid, hardswish, sigmoid, tanh)
from ..ops.fused import softmax, log_softmax  # noqa: F401
from ..ops.pad import pad  # noqa: F401
from .loss_functions import (mse_loss, l1_loss, smooth_l1_loss, huber_loss, nll_loss,  # noqa: F401
                             cross_entropy, binary_cross_entropy, binary_cross_entropy_with_logits,
                             kl_div, cosine_embedding_loss, margin_ranking_loss, triplet_margin_loss)
from .embedding import embedding  # noqa: F401,E402
from .dropout import dropout2d, alpha_dropout  # noqa: F401,E402
from .activation import prelu  # noqa: F401,E402
from .norm import batch_norm, layer_norm, group_norm, instance_norm  # noqa: F401,E402


def linear(input, weight, bias=None):
    """x W^T + b: (*, in) with W (out, in) -> (*, out)."""
    out = input @ weight.mT if weight.ndim == 2 else input @ weight.t()
    return out + bias if bias is not None else out


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T A_k x2 + b_k: (*, in1), (*, in2) with A (out, in1, in2) -> (*, out)."""
    from ..ops.linalg import einsum
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out + bias if bias is not None else out


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) (training only)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = B.rng().random(input.shape) >= p
    mask = Tensor._make((keep / (1.0 - p)).astype(input._data.dtype))
    return input * mask


from .conv import conv1d, conv2d, conv_transpose2d  # noqa: F401,E402
from .pooling import (max_pool1d, max_pool2d, avg_pool1d, avg_pool2d, adaptive_avg_pool2d,  # noqa: F401,E402
                      adaptive_max_pool2d)
from ..ops.conv import unfold, fold  # noqa: F401,E402
from .attention import scaled_dot_product_attention  # noqa: F401,E402
