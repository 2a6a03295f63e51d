"""``lstm_cell_state``: the LSTM cell's gate arithmetic as one primitive.

From the pre-activation gates (i, f, g, o along the last dimension, PyTorch's order) and
the cell state c, one op computes

    c' = sigmoid(f) * c + sigmoid(i) * tanh(g),    h' = sigmoid(o) * tanh(c')

and returns [h', c'] joined along the last dimension. Written as separate ops this is
about a dozen graph nodes per time step; as one it is one node, which is what makes
recurrent layers affordable when a sequence has many short steps.

The backward formula is written once (``_lstm_backward``) for both NumPy arrays (the
usual, fast case) and chainrule Tensors (when ``create_graph`` asks for a differentiable
gradient), so second derivatives work too.
"""
from .. import backend as B
from ..function import Function
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor
from .._errors import at_user_line, shape_str, ShapeError

xp = B.xp


def _split4(gates):
    hidden = gates.shape[-1] // 4
    return [gates[..., k * hidden:(k + 1) * hidden] for k in range(4)]


def _lstm_backward(gates, c, grad, sigmoid, tanh, join):
    """(grad of gates, grad of c) from the gradient of [h', c']; arrays or Tensors alike."""
    raw_i, raw_f, raw_g, raw_o = _split4(gates)
    i, f, g, o = sigmoid(raw_i), sigmoid(raw_f), tanh(raw_g), sigmoid(raw_o)
    c_next = f * c + i * g
    tanh_c = tanh(c_next)
    hidden = c.shape[-1]
    grad_h, grad_c_next = grad[..., :hidden], grad[..., hidden:]
    grad_c_total = grad_c_next + grad_h * o * (1 - tanh_c * tanh_c)    # through h' = o tanh(c')
    grad_i = grad_c_total * g * (i * (1 - i))
    grad_f = grad_c_total * c * (f * (1 - f))
    grad_g = grad_c_total * i * (1 - g * g)
    grad_o = grad_h * tanh_c * (o * (1 - o))
    return join([grad_i, grad_f, grad_g, grad_o]), grad_c_total * f


def _gate_activations(gates):
    """sigmoid(i), sigmoid(f), tanh(g), sigmoid(o) in one new array, with one exp for all four.

    tanh(g) = 2 sigmoid(2g) - 1, so the g quarter is doubled before the shared
    sigmoid 1 / (1 + exp(-x)) and mapped back after; exp is NumPy's fastest
    transcendental. exp(-x) overflows to inf for x below about -88, where the
    sigmoid is 0 (and tanh -1), as it should be.
    """
    hidden = gates.shape[-1] // 4
    act = xp.negative(gates)                                   # (..., 4H)
    act[..., 2 * hidden:3 * hidden] *= 2
    with xp.errstate(over="ignore"):
        xp.exp(act, out=act)
    act += 1
    xp.reciprocal(act, out=act)
    g = act[..., 2 * hidden:3 * hidden]
    g *= 2
    g -= 1
    return act


def _lstm_backward_from(activations, c, grad):
    """The array form of ``_lstm_backward``, from the activations the forward kept.

    The four gates' gradients are computed at once on (..., 4H) arrays: the gradient
    reaching each activation, times the activation's derivative (a (1 - a) for the
    sigmoids, 1 - g^2 for tanh), with temporaries written in place.
    """
    act, tanh_c = activations
    i, f, g, o = _split4(act)
    hidden = c.shape[-1]
    grad_h, grad_c_next = grad[..., :hidden], grad[..., hidden:]
    grad_c_total = tanh_c * tanh_c                             # (..., H)
    xp.subtract(1, grad_c_total, out=grad_c_total)
    grad_c_total *= o
    grad_c_total *= grad_h
    grad_c_total += grad_c_next                                # through h' = o tanh(c') and c' itself
    grad_act = xp.empty_like(act)                              # (..., 4H): d loss / d activation
    xp.multiply(grad_c_total, g, out=grad_act[..., :hidden])
    xp.multiply(grad_c_total, c, out=grad_act[..., hidden:2 * hidden])
    xp.multiply(grad_c_total, i, out=grad_act[..., 2 * hidden:3 * hidden])
    xp.multiply(grad_h, tanh_c, out=grad_act[..., 3 * hidden:])
    derivative = xp.subtract(1, act)                           # a (1 - a) for the sigmoids ...
    derivative *= act
    g_part = derivative[..., 2 * hidden:3 * hidden]            # ... and 1 - g^2 for tanh
    xp.multiply(g, g, out=g_part)
    xp.subtract(1, g_part, out=g_part)
    grad_act *= derivative
    return grad_act, grad_c_total * f


class LSTMCellState(Function):
    def forward(ctx, gates, c):
        act = _gate_activations(gates)
        i, f, g, o = _split4(act)
        c_next = f * c + i * g
        tanh_c = xp.tanh(c_next)
        ctx.save_for_backward(gates, c)
        ctx.activations, ctx.c = (act, tanh_c), c              # kept for the fast backward
        return xp.concatenate([o * tanh_c, c_next], axis=-1)

    def backward(ctx, grad):
        gates, c = ctx.saved_tensors
        if is_grad_enabled():                       # create_graph: a differentiable gradient
            from .join import cat
            return _lstm_backward(gates, c, grad, lambda t: t.sigmoid(), lambda t: t.tanh(),
                                  lambda parts: cat(parts, -1))
        grad_gates, grad_c = _lstm_backward_from(ctx.activations, c._data, grad._data)
        return Tensor._make(grad_gates), Tensor._make(grad_c)

    def backward_arrays(ctx, grad):
        """The backward on arrays alone, for a compiled replay (no Tensors, no saved-tensor checks)."""
        return _lstm_backward_from(ctx.activations, ctx.c, grad)


def lstm_cell_state(gates, c):
    """[h', c'] (last dimension 2H) from gates (..., 4H) and the cell state c (..., H)."""
    if gates.shape[-1] != 4 * c.shape[-1] or gates.shape[:-1] != c.shape[:-1]:
        raise ShapeError(at_user_line(
            f"lstm_cell_state: gates {shape_str(gates.shape)} must be (..., 4H) for a cell state c of "
            f"shape (..., H) = {shape_str(c.shape)}"))
    return LSTMCellState.apply(gates, c)


def time_steps(sequence):
    """The L steps of a (L, ...) sequence as L tensors, by one op whose backward stacks the L
    gradients. Indexing ``sequence[t]`` step by step would give each step's backward a
    zero-filled gradient of the whole sequence: quadratic in L."""
    return _TimeSteps.apply(sequence)


def _time_steps_class():
    from ..autograd.function import Function as CustomFunction
    from .join import stack

    class TimeSteps(CustomFunction):
        @staticmethod
        def forward(ctx, sequence):
            return tuple(Tensor._make(step) for step in sequence._data)    # views, one per step

        @staticmethod
        def backward(ctx, *grads):                                        # one gradient per step
            return stack(list(grads))
    return TimeSteps


class _Lazy:
    """Defers building TimeSteps until first use (the custom-Function module imports the engine)."""

    def __init__(self, build):
        self.build, self.cls = build, None

    def apply(self, *args):
        if self.cls is None:
            self.cls = self.build()
        return self.cls.apply(*args)


_TimeSteps = _Lazy(_time_steps_class)
