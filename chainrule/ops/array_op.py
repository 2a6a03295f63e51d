"""``array_op``: a function of arrays with no gradient, run as an op.

Comparisons, tests on values and index results (argmax, sort order, masks) are not
differentiable, but they are computed from tensor values, so they must be ops: a
compiled graph (``chainrule.compile``) records them and computes them afresh on every
replay, where a raw array would be frozen at its traced value. Checks on values (an index
in range, an integer divisor without zeros) are ops inside a trace for the same reason, or
a replay would skip them: see ``checked``.
"""
from ..function import Function
from ..tensor import Tensor, tracer


class ArrayOp(Function):
    """``fn(*arrays, **kwargs)``; its result never requires grad."""

    def forward(ctx, *arrays, fn, kwargs=None):
        return fn(*arrays, **kwargs) if kwargs else fn(*arrays)

    def backward(ctx, g):
        return None


class CheckOp(ArrayOp):
    """A check on values (``replay_check``): a compiled graph keeps it even when nothing reads its
    result, since eager code would raise there."""

    is_check = True


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


def checked(check, x, **params):
    """``x`` once ``check(array, **params)`` accepts its values (the check raises, or returns the array).

    ``x`` is an index array or a tensor without gradient (an integer divisor). Eager code runs
    only the check; inside ``chainrule.compile`` it is an op too (see ``replay_check``): use the
    value returned here in place of ``x``.
    """
    check(x._data if isinstance(x, Tensor) else x, **params)
    return replay_check(check, x, **params)


def replay_check(check, x, **params):
    """Inside ``chainrule.compile``: ``check`` on ``x`` as an op, whose result stands for ``x``.

    A check in plain NumPy runs only on the traced call; as an op (``CheckOp``) it runs on every
    replay, even when nothing reads the result of the op it guards. Outside a trace this
    returns ``x`` and costs nothing.
    """
    if tracer[0] is None:
        return x
    out = CheckOp.apply(x, fn=check, kwargs=params or None)
    return out if isinstance(x, Tensor) else out._data
