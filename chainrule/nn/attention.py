"""Attention: scaled_dot_product_attention, MultiheadAttention, the Transformer encoder."""
import copy
import math

from .. import creation
from .. import backend as B
from ..tensor import Tensor
from .._errors import at_user_line, shape_str, ShapeError
from ..ops.array_op import array_op
from ..ops.fused import softmax
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter
from .linear import Linear
from .dropout import Dropout
from .norm import LayerNorm
from .containers import ModuleList

xp = B.xp


def _additive_mask(mask, dtype, allowed_when_true):
    """A float mask to add to scores: 0 where attention is allowed, -inf where it is not."""
    if mask.dtype.is_floating_point:
        return mask.to(dtype)
    return array_op(_blocked_to_additive, mask, allowed_when_true=allowed_when_true, np_dtype=dtype.np)


def _blocked_to_additive(mask, allowed_when_true, np_dtype):
    blocked = ~mask if allowed_when_true else mask
    return xp.where(blocked, -xp.inf, 0.0).astype(np_dtype)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax(q k^T / sqrt(d) + mask) v over (..., L, E), (..., S, E), (..., S, Ev) -> (..., L, Ev).

    A boolean ``attn_mask`` marks with True the positions that may be attended to (PyTorch's
    convention for this function); a float mask is added to the scores.
    """
    if query.shape[-1] != key.shape[-1]:
        raise ShapeError(at_user_line(
            f"scaled_dot_product_attention: query {shape_str(query.shape)} and key {shape_str(key.shape)} "
            f"must have the same last dimension"))
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.mT) * scale                                   # (..., L, S)
    if is_causal:
        length, source = query.shape[-2], key.shape[-2]
        causal = Tensor._make(xp.tril(xp.ones((length, source), dtype=bool)))
        scores = scores + _additive_mask(causal, scores.dtype, allowed_when_true=True)
    if attn_mask is not None:
        scores = scores + _additive_mask(attn_mask, scores.dtype, allowed_when_true=True)
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = F.dropout(weights, dropout_p, True)
    return weights @ value


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads of size embed_dim / num_heads (PyTorch's parameter names)."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False, dtype=None):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim must be divisible by num_heads (got {embed_dim} and {num_heads})")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads
        self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, dtype=dtype))
        self.in_proj_bias = Parameter(creation.zeros(3 * embed_dim, dtype=dtype)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        init.xavier_uniform_(self.in_proj_weight)
        if bias:
            init.zeros_(self.out_proj.bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        if query.ndim != 3 or query.shape[-1] != self.embed_dim:
            raise ShapeError(at_user_line(
                f"MultiheadAttention: expected query of shape (L, N, {self.embed_dim})"
                f"{' (batch_first: (N, L, E))' if self.batch_first else ''}, got {shape_str(query.shape)}"))
        if self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        length, batch, embed = query.shape
        source = key.shape[0]
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3) if self.in_proj_bias is not None else (None, None, None)
        heads, head_dim = self.num_heads, self.head_dim

        def split(x, w, b, n):  # (n, N, E) -> (N, heads, n, head_dim)
            return F.linear(x, w, b).reshape(n, batch, heads, head_dim).permute(1, 2, 0, 3)

        q, k, v = split(query, w_q, b_q, length), split(key, w_k, b_k, source), split(value, w_v, b_v, source)
        scores = (q @ k.mT) * (1 / math.sqrt(head_dim))                  # (N, heads, L, S)
        if is_causal and attn_mask is None:
            attn_mask = Tensor._make(~xp.tril(xp.ones((length, source), dtype=bool)))
        if attn_mask is not None:  # True = may NOT attend (MultiheadAttention's convention)
            mask = _additive_mask(attn_mask, scores.dtype, allowed_when_true=False)
            scores = scores + (mask if mask.ndim == 2 else mask.reshape(batch, heads, length, source))
        if key_padding_mask is not None:  # (N, S), True = padding
            if tuple(key_padding_mask.shape) != (batch, source):
                raise ShapeError(at_user_line(
                    f"MultiheadAttention: expected key_padding_mask of shape ({batch}, {source}), got "
                    f"{shape_str(key_padding_mask.shape)}"))
            mask = _additive_mask(key_padding_mask, scores.dtype, allowed_when_true=False)
            scores = scores + mask.reshape(batch, 1, 1, source)
        weights = softmax(scores, -1)
        if self.dropout > 0.0 and self.training:
            weights = F.dropout(weights, self.dropout, True)
        out = (weights @ v).permute(2, 0, 1, 3).reshape(length, batch, embed)   # (L, N, E)
        out = self.out_proj(out)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        return out, (weights.mean(1) if average_attn_weights else weights)


def feed_forward_activation(activation):
    """A Transformer layer's activation: 'relu', 'gelu' or a callable."""
    if isinstance(activation, str):
        if activation not in ("relu", "gelu"):
            raise RuntimeError(f"activation should be relu/gelu, not {activation}")
        return F.relu if activation == "relu" else F.gelu
    return activation


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward block, each with a residual connection and LayerNorm."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout, bias, batch_first, dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias, dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias, dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = feed_forward_activation(activation)

    def _attention_block(self, x, mask, padding_mask, is_causal):
        out = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=padding_mask, need_weights=False,
                             is_causal=is_causal)[0]
        return self.dropout1(out)

    def _feed_forward_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._attention_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._feed_forward_block(self.norm2(x))
        x = self.norm1(x + self._attention_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward_block(x))


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` (each with its own weights), then an optional norm."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        out = src
        for layer in self.layers:
            out = layer(out, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return self.norm(out) if self.norm is not None else out
