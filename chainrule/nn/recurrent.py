"""Recurrent layers: RNN, LSTM, GRU and their cells, with PyTorch's gate order and names.

Parameters are named as in PyTorch (``weight_ih_l0``, ``weight_hh_l0_reverse``,
...), so a PyTorch ``state_dict`` loads unchanged. Gate order: LSTM (i, f, g, o),
GRU (r, z, n). The input projection of a whole sequence is one matrix product;
only the recurrent part loops over time steps.
"""
import math

from .. import creation
from .._errors import at_user_line, shape_str, ShapeError
from ..ops.join import stack, cat
from ..ops.recurrent_cell import lstm_cell_state, time_steps
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def rnn_tanh_cell(x_proj, h, w_hh, b_hh):
    return (x_proj + F.linear(h, w_hh, b_hh)).tanh()


def rnn_relu_cell(x_proj, h, w_hh, b_hh):
    return (x_proj + F.linear(h, w_hh, b_hh)).relu()


def lstm_cell(x_proj, state, w_hh, b_hh):
    """x_proj = x W_ih^T + b_ih: (N, 4H). Returns (h', c')."""
    h, c = state
    gates = x_proj + F.linear(h, w_hh, b_hh)              # (N, 4H), gate order i, f, g, o
    return _split_state(lstm_cell_state(gates, c))


def _split_state(joined):
    """[h', c'] (N, 2H) -> (h', c')."""
    hidden = joined.shape[-1] // 2
    return joined[..., :hidden], joined[..., hidden:]


def _lstm_sequence(x_proj, state, w_hh, b_hh, reverse):
    """Every step of one LSTM direction: (L, N, 4H) projections -> list of h per step, final state.

    The recurrent weight's transpose and b_hh are applied once for the sequence, so each step is
    a matrix product, an add and the fused cell."""
    x_proj = x_proj + b_hh if b_hh is not None else x_proj   # (L, N, 4H)
    w_hh_t = w_hh.mT                                          # (H, 4H)
    h, c = state
    inputs = time_steps(x_proj)                               # L tensors (N, 4H)
    hs = [None] * len(inputs)
    for t in (reversed(range(len(inputs))) if reverse else range(len(inputs))):
        h, c = _split_state(lstm_cell_state(inputs[t] + h @ w_hh_t, c))
        hs[t] = h
    return hs, (h, c)


def gru_cell(x_proj, h, w_hh, b_hh):
    """x_proj = x W_ih^T + b_ih: (N, 3H). n uses r * (h W_hn^T + b_hn), as in PyTorch."""
    x_r, x_z, x_n = x_proj.chunk(3, 1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return (1 - z) * n + z * h


_CELLS = {"RNN_TANH": rnn_tanh_cell, "RNN_RELU": rnn_relu_cell, "LSTM": lstm_cell, "GRU": gru_cell}


class _RNNBase(Module):
    mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        gate_size = _GATES[self.mode] * hidden_size
        directions = 2 if bidirectional else 1
        bound = 1 / math.sqrt(hidden_size) if hidden_size > 0 else 0
        for layer in range(num_layers):
            for suffix in ([""] + (["_reverse"] if bidirectional else [])):
                layer_input = input_size if layer == 0 else hidden_size * directions
                names = [(f"weight_ih_l{layer}{suffix}", (gate_size, layer_input)),
                         (f"weight_hh_l{layer}{suffix}", (gate_size, hidden_size))]
                if bias:
                    names += [(f"bias_ih_l{layer}{suffix}", (gate_size,)), (f"bias_hh_l{layer}{suffix}", (gate_size,))]
                for name, shape in names:
                    p = Parameter(creation.empty(*shape, dtype=dtype))
                    init.uniform_(p, -bound, bound)
                    setattr(self, name, p)

    def _weights(self, layer, suffix):
        get = lambda kind: getattr(self, f"{kind}_l{layer}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _check_input(self, input):
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ShapeError(at_user_line(
                f"{type(self).__name__}: expected input of shape (L, N, {self.input_size})"
                f"{' with batch_first=True: (N, L, ' + str(self.input_size) + ')' if self.batch_first else ''}"
                f" or unbatched (L, {self.input_size}), got {shape_str(input.shape)}: the last dimension "
                f"must equal input_size={self.input_size}"))

    def _initial_state(self, hx, batch, unbatched, dtype):
        directions = 2 if self.bidirectional else 1
        expected = (self.num_layers * directions, batch, self.hidden_size)
        if hx is None:
            return creation.zeros(*expected, dtype=dtype)
        if unbatched:
            hx = hx.unsqueeze(1)
        if tuple(hx.shape) != expected:
            raise ShapeError(at_user_line(
                f"{type(self).__name__}: expected hidden state of shape {expected}, got {shape_str(hx.shape)}"))
        return hx

    def forward(self, input, hx=None):
        self._check_input(input)
        unbatched = input.ndim == 2
        if unbatched:
            input = input.unsqueeze(1)                                # (L, 1, H_in)
        elif self.batch_first:
            input = input.transpose(0, 1)                             # (N, L, H_in) -> (L, N, H_in)
        batch = input.shape[1]
        is_lstm = self.mode == "LSTM"
        if is_lstm:
            h0, c0 = (None, None) if hx is None else hx
            h0 = self._initial_state(h0, batch, unbatched, input.dtype)
            c0 = self._initial_state(c0, batch, unbatched, input.dtype)
        else:
            h0 = self._initial_state(hx, batch, unbatched, input.dtype)
        directions = 2 if self.bidirectional else 1
        cell = _CELLS[self.mode]
        layer_input, last_h, last_c = input, [], []
        for layer in range(self.num_layers):
            outputs = []
            for d, suffix in enumerate([""] + (["_reverse"] if self.bidirectional else [])):
                index = layer * directions + d
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, suffix)
                x_proj = F.linear(layer_input, w_ih, b_ih)            # (L, N, gates * H): one GEMM
                state = (h0[index], c0[index]) if is_lstm else h0[index]
                if is_lstm:
                    hs, state = _lstm_sequence(x_proj, state, w_hh, b_hh, reverse=d == 1)
                else:
                    inputs = time_steps(x_proj)                       # L tensors (N, gates * H)
                    hs = [None] * len(inputs)
                    for t in (reversed(range(len(inputs))) if d == 1 else range(len(inputs))):
                        state = cell(inputs[t], state, w_hh, b_hh)
                        hs[t] = state
                outputs.append(stack(hs))                             # (L, N, H)
                last_h.append(state[0] if is_lstm else state)
                if is_lstm:
                    last_c.append(state[1])
            layer_input = outputs[0] if directions == 1 else cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        h_n = stack(last_h)
        if unbatched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        if is_lstm:
            c_n = stack(last_c)
            return output, (h_n, c_n.squeeze(1) if unbatched else c_n)
        return output, h_n

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(_RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype)


class LSTM(_RNNBase):
    """Long short-term memory; returns output, (h_n, c_n)."""
    mode = "LSTM"


class GRU(_RNNBase):
    """Gated recurrent unit."""
    mode = "GRU"


class _CellBase(Module):
    mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, bias=True, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate_size = _GATES[self.mode] * hidden_size
        bound = 1 / math.sqrt(hidden_size) if hidden_size > 0 else 0
        shapes = [("weight_ih", (gate_size, input_size)), ("weight_hh", (gate_size, hidden_size))]
        if bias:
            shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
        else:
            self.bias_ih = self.bias_hh = None
        for name, shape in shapes:
            p = Parameter(creation.empty(*shape, dtype=dtype))
            init.uniform_(p, -bound, bound)
            setattr(self, name, p)

    def forward(self, input, hx=None):
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ShapeError(at_user_line(
                f"{type(self).__name__}: expected input of shape (N, {self.input_size}) or "
                f"({self.input_size},), got {shape_str(input.shape)}"))
        unbatched = input.ndim == 1
        if unbatched:
            input = input.unsqueeze(0)
        zeros = creation.zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
        x_proj = F.linear(input, self.weight_ih, self.bias_ih)
        if self.mode == "LSTM":
            h, c = (zeros, zeros) if hx is None else (hx[0].reshape(zeros.shape), hx[1].reshape(zeros.shape))
            h, c = lstm_cell(x_proj, (h, c), self.weight_hh, self.bias_hh)
            return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)
        h = zeros if hx is None else hx.reshape(zeros.shape)
        h = _CELLS[self.mode](x_proj, h, self.weight_hh, self.bias_hh)
        return h.squeeze(0) if unbatched else h

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        return text


class RNNCell(_CellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=None):
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, dtype)


class LSTMCell(_CellBase):
    mode = "LSTM"


class GRUCell(_CellBase):
    mode = "GRU"
