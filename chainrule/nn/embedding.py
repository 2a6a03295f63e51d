"""Embedding tables: ``Embedding`` and ``EmbeddingBag``."""
from .. import creation
from .. import backend as B
from ..tensor import Tensor
from ..grad_mode import no_grad
from ..ops.array_op import array_op, checked
from .._errors import at_user_line
from . import init
from .module import Module
from .parameter import Parameter

xp = B.xp


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0):
    """Rows of ``weight`` at the integer ``input``: (*) -> (*, embedding_dim).

    The row at ``padding_idx`` gets no gradient; ``max_norm`` renormalizes, in
    place, the looked-up rows whose norm exceeds it (as PyTorch does).
    """
    if not isinstance(input, Tensor) or input.dtype.is_floating_point:
        raise RuntimeError(at_user_line(
            f"embedding: expected an integer index tensor (int64), got "
            f"{input.dtype if isinstance(input, Tensor) else type(input).__name__}; convert with .long()"))
    num = weight.shape[0]
    input = checked(_rows_in_range, input, num=num)   # inside chainrule.compile: on every replay
    if max_norm is not None:
        with no_grad():   # ops, in place: a compiled graph renormalizes on every replay too
            weight.mul_(array_op(_renorm_scale, weight, input, max_norm=max_norm, norm_type=norm_type))
    if padding_idx is not None and weight.requires_grad:
        keep = xp.ones((num, 1), dtype=weight._data.dtype)
        keep[padding_idx] = 0
        # the padding row stays in the output but its gradient is cut
        weight = weight * Tensor._make(keep) + (weight * Tensor._make(1 - keep)).detach()
    return weight[input]


def _rows_in_range(index, num):
    """``index`` after checking -num <= index < num (the rows of a table of ``num``)."""
    if index.size and (index.min() < -num or index.max() >= num):
        raise IndexError(at_user_line(
            f"embedding: index {int(index.max() if index.max() >= num else index.min())} is out of "
            f"range for a table of {num} rows (valid: 0 to {num - 1})"))
    return index


def _renorm_scale(weight, index, max_norm, norm_type):
    """(num, 1): max_norm / norm for the looked-up rows whose norm exceeds max_norm, else 1."""
    scale = xp.ones((weight.shape[0], 1), dtype=weight.dtype)
    rows = xp.unique(index)
    norms = xp.linalg.norm(weight[rows], ord=norm_type, axis=1)
    scale[rows, 0] = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    return scale


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim`` (initialized N(0, 1))."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None and padding_idx < 0:
            padding_idx += num_embeddings
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.weight = Parameter(creation.empty(num_embeddings, embedding_dim, dtype=dtype))
        init.normal_(self.weight)
        if padding_idx is not None:
            with no_grad():
                self.weight._data[padding_idx] = 0

    def forward(self, input):  # (*) -> (*, embedding_dim)
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        return text


class EmbeddingBag(Module):
    """Sums or means of bags of embeddings: (B, L) -> (B, D), or flat input with ``offsets``."""

    def __init__(self, num_embeddings, embedding_dim, mode="mean", padding_idx=None, dtype=None):
        super().__init__()
        if mode not in ("mean", "sum", "max"):
            raise ValueError(f"EmbeddingBag: mode has to be one of sum, mean or max, got {mode}")
        self.num_embeddings, self.embedding_dim, self.mode = num_embeddings, embedding_dim, mode
        self.padding_idx = padding_idx
        self.weight = Parameter(creation.empty(num_embeddings, embedding_dim, dtype=dtype))
        init.normal_(self.weight)

    def forward(self, input, offsets=None, per_sample_weights=None):
        from ..ops.join import stack
        if input.ndim == 2:
            bags = [input[i] for i in range(input.shape[0])]
            weights = [per_sample_weights[i] for i in range(input.shape[0])] if per_sample_weights is not None else None
        else:
            if offsets is None:
                raise ValueError(at_user_line("EmbeddingBag: offsets has to be given for a 1-D input"))
            bounds = offsets.tolist() + [input.shape[0]]
            bags = [input[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]
            weights = ([per_sample_weights[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]
                       if per_sample_weights is not None else None)
        rows = []
        for i, bag in enumerate(bags):
            if self.padding_idx is not None:
                bag = bag[bag != self.padding_idx]
            vectors = embedding(bag, self.weight)                       # (L, D)
            if weights is not None:
                w = weights[i] if self.padding_idx is None else weights[i][bags[i] != self.padding_idx]
                vectors = vectors * w.unsqueeze(1)
            if bag.shape[0] == 0:
                rows.append(creation.zeros(self.embedding_dim, dtype=self.weight.dtype))
            elif self.mode == "sum":
                rows.append(vectors.sum(0))
            elif self.mode == "mean":
                rows.append(vectors.mean(0))
            else:
                rows.append(vectors.amax(0))
        return stack(rows)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}, mode='{self.mode}'"
