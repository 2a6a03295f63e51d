"""Random draws as an op: ``RandomDraw`` calls ``draw(generator, *args)`` in its forward.

Tensors made from random numbers (``rand``, ``randn``, dropout masks) come from this op
rather than from raw generator calls, so a compiled graph (``chainrule.compile``) holds a
node that draws fresh numbers from chainrule's generator on every replay, in the same
order as eager code, instead of freezing the numbers of the traced call.
"""
from .. import backend as B
from ..function import Function


class RandomDraw(Function):
    """No tensor inputs; the output is ``draw(rng, *args)``. Never folded or merged by the compiler."""

    is_random = True

    def forward(ctx, draw, args, generator=None):
        return draw(B.rng(generator), *args)


def random_array(draw, *args, generator=None):
    """The backend array ``draw(rng, *args)``, drawn through the ``RandomDraw`` op."""
    return RandomDraw.apply(draw=draw, args=args, generator=generator)._data
