"""``array_op``: a function of arrays with no gradient, run as an op.

Comparisons, tests on values and index results (argmax, sort order, masks) are not
differentiable, but they are computed from tensor values, so they must be ops: a
compiled graph (``chainrule.compile``) records them and computes them afresh on every
replay, where a raw array would be frozen at its traced value.
"""
from ..function import Function


class ArrayOp(Function):
    """``fn(*arrays, **kwargs)``; its result never requires grad."""

    def forward(ctx, *arrays, fn, kwargs=None):
        return fn(*arrays, **kwargs) if kwargs else fn(*arrays)

    def backward(ctx, g):
        return None


def array_op(fn, *inputs, **kwargs):
    """A Tensor holding ``fn`` of the inputs' arrays (numbers pass through as they are)."""
    out = ArrayOp.apply(*inputs, fn=fn, kwargs=kwargs or None)
    if out._rg:   # a float result of inputs that require grad: still a constant
        out = out.detach()
    return out


def sized_by_values(fn):
    """Mark ``fn`` as giving a result whose shape depends on the input values (``nonzero``):
    a compiled graph, whose shapes are fixed, may return such a result but not compute on it."""
    fn.sized_by_values = True
    return fn
