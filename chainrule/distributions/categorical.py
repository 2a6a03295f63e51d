"""``Categorical``: a distribution over ``0..K-1`` given by probabilities or logits (last dim).

The policy of a reinforcement-learning agent: ``dist = Categorical(logits=policy(state))``,
``action = dist.sample()``, and ``-dist.log_prob(action) * return`` trains it (REINFORCE).
``log_prob`` and ``entropy`` are differentiable in ``probs``/``logits``; ``sample`` is not.
"""
from .. import creation
from .._errors import at_user_line, shape_str
from ..tensor import Size, Tensor
from ..sampling import multinomial


class Categorical:
    """``Categorical(probs=p)`` (non-negative, normalized along the last dim) or
    ``Categorical(logits=l)`` (unnormalized log-probabilities); exactly one of the two."""

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError(at_user_line(
                "Categorical: either `probs` or `logits` must be specified, but not both"))
        given = probs if probs is not None else logits
        if not isinstance(given, Tensor) or given.ndim < 1:
            raise ValueError(at_user_line(
                f"Categorical: `{'probs' if probs is not None else 'logits'}` must be a tensor with at least "
                f"one dimension (the categories), got {shape_str(given.shape) if isinstance(given, Tensor) else type(given).__name__}"))
        if probs is not None:
            if validate_args is not False and ((probs < 0).any().item() or not probs.isfinite().all().item()):
                raise ValueError(at_user_line(
                    "Categorical: `probs` must be finite and non-negative (use logits= for log-probabilities)"))
            self.probs = probs / probs.sum(-1, keepdim=True)                    # (*batch, K)
            self.logits = self.probs.clamp(min=_tiny(probs)).log()             # (*batch, K)
        else:
            self.logits = logits - logits.logsumexp(-1, keepdim=True)          # (*batch, K)
            self.probs = self.logits.exp()
        self._num_events = given.shape[-1]
        self.batch_shape = Size(given.shape[:-1])
        self.event_shape = Size(())

    @property
    def param_shape(self):
        return Size(tuple(self.batch_shape) + (self._num_events,))

    def sample(self, sample_shape=Size()):
        """Indices of shape ``sample_shape + batch_shape`` (int64), drawn with ``probs``."""
        sample_shape = Size(tuple(sample_shape))
        count = 1
        for n in sample_shape:
            count *= n
        rows = self.probs.detach().reshape(-1, self._num_events)                # (batch, K)
        draws = multinomial(rows, count, replacement=True)                    # (batch, count)
        return draws.T.reshape(tuple(sample_shape) + tuple(self.batch_shape))

    def log_prob(self, value):
        """log P(value); ``value`` (int) broadcasts against ``batch_shape``."""
        if not isinstance(value, Tensor):
            value = creation.tensor(value)
        if value.is_floating_point() and not (value == value.floor()).all().item():
            raise ValueError(at_user_line(
                f"Categorical.log_prob: the value must hold category indices, got {value.dtype} non-integers"))
        value = value.long()
        if ((value < 0) | (value >= self._num_events)).any().item():
            raise ValueError(at_user_line(
                f"Categorical.log_prob: values must be in 0..{self._num_events - 1}"))
        shape = _broadcast(tuple(value.shape), tuple(self.batch_shape))
        logits = self.logits.expand(shape + (self._num_events,))               # (*shape, K)
        return logits.gather(-1, value.expand(shape).unsqueeze(-1)).squeeze(-1)  # (*shape,)

    def entropy(self):
        """-sum_k p_k log p_k over the categories (0 log 0 counts as 0)."""
        logits = self.logits.clamp(min=_lowest(self.logits))
        return -(self.probs * logits).sum(-1)

    def enumerate_support(self, expand=True):
        values = creation.arange(self._num_events).reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand((-1,) + tuple(self.batch_shape)) if expand else values

    def __repr__(self):
        return f"Categorical(probs: {shape_str(self.probs.shape)})"


def _broadcast(a, b):
    import numpy as np
    return tuple(np.broadcast_shapes(a, b))


def _tiny(t):
    import numpy as np
    return float(np.finfo(t._data.dtype).tiny)


def _lowest(t):
    import numpy as np
    return float(np.finfo(t._data.dtype).min)
