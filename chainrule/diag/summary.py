"""``summary(model, input_shape)``: the layer table of a model (Keras's ``model.summary()``).

One forward pass of a sample batch, in eval mode and without gradients, records each
module's output shape. Per row: the module path, its type, output shape, its own
parameters (children are counted on their own rows, so the totals add up; a shared
parameter counts once), whether they are trainable, and its multiply-adds for that batch:

- Linear: output elements x in_features; Bilinear: output elements x in1 x in2.
- Conv1d/Conv2d: output elements x (in_channels / groups) x kernel elements;
  ConvTranspose2d: input elements x (out_channels / groups) x kernel elements.
- RNN/GRU/LSTM (every layer and direction): batch x steps x gates x hidden x (input + hidden),
  gates = 1, 3, 4; the cells: the same for one step.
- MultiheadAttention: the q/k/v and output projections plus the two attention products
  (scores and weighted sum: 2 x L x S x embed_dim per sample).
- Everything else (activations, norms, pooling, dropout, embeddings) counts 0: their cost
  is linear in the activations, negligible next to the products above.
"""
import math
from dataclasses import dataclass

from .. import creation
from ..grad_mode import no_grad
from ..tensor import Tensor


@dataclass
class LayerRow:
    path: str
    type: str
    depth: int
    output_shape: object        # a tuple, a list of tuples (tuple outputs), or None (not called)
    params: int
    trainable: object           # True, False, or None (no parameters of its own)
    mult_adds: int


def _first_tensor(value):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for item in value:
            found = _first_tensor(item)
            if found is not None:
                return found
    if isinstance(value, dict):
        return _first_tensor(list(value.values()))
    return None


def _shape_of(value):
    if isinstance(value, Tensor):
        return tuple(value.shape)
    if isinstance(value, (tuple, list)):
        return [_shape_of(v) for v in value]
    if isinstance(value, dict):
        return {k: _shape_of(v) for k, v in value.items()}
    return None


def _elements(shape):
    return math.prod(shape)


def _recurrent_mult_adds(module, x, gates):
    steps_batch = _elements(x.shape[:-1])           # (L, N, H_in) or (N, L, H_in) or (L, H_in)
    total, input_size = 0, module.input_size
    directions = 2 if module.bidirectional else 1
    for _ in range(module.num_layers):
        total += directions * steps_batch * gates * module.hidden_size * (input_size + module.hidden_size)
        input_size = module.hidden_size * directions
    return total


_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4, "RNNCell": 1, "GRUCell": 3, "LSTMCell": 4}


def count_mult_adds(module, args, output):
    """Multiply-adds of one call of ``module`` (rules in the module docstring)."""
    kind = type(module).__name__
    out = _first_tensor(output)
    x = _first_tensor(args)
    if out is None or x is None:
        return 0
    if kind == "Linear":
        return _elements(out.shape) * module.in_features
    if kind == "Bilinear":
        return _elements(out.shape) * module.in1_features * module.in2_features
    if kind in ("Conv1d", "Conv2d"):
        return _elements(out.shape) * (module.in_channels // module.groups) * _elements(module.kernel_size)
    if kind == "ConvTranspose2d":
        return _elements(x.shape) * (module.out_channels // module.groups) * _elements(module.kernel_size)
    if kind in ("RNN", "GRU", "LSTM"):
        return _recurrent_mult_adds(module, x, _GATES[kind])
    if kind in ("RNNCell", "GRUCell", "LSTMCell"):
        batch = x.shape[0] if x.ndim == 2 else 1
        return batch * _GATES[kind] * module.hidden_size * (module.input_size + module.hidden_size)
    if kind == "MultiheadAttention":
        query, key = args[0], args[1]
        embed = module.embed_dim
        length, source = (query.shape[-2], key.shape[-2]) if module.batch_first or query.ndim == 2 \
            else (query.shape[0], key.shape[0])
        batch = _elements(query.shape) // (length * embed)
        projections = batch * (length * embed * embed + 2 * source * embed * embed + length * embed * embed)
        return projections + batch * 2 * length * source * embed
    return 0


class ModelSummary:
    """The rows and totals; ``str()`` is the table."""

    def __init__(self, model_name, rows, total_params, trainable_params, param_bytes, buffer_bytes):
        self.model_name, self.rows = model_name, rows
        self.total_params, self.trainable_params = total_params, trainable_params
        self.non_trainable_params = total_params - trainable_params
        self.param_bytes, self.buffer_bytes = param_bytes, buffer_bytes
        self.total_mult_adds = sum(row.mult_adds for row in rows)

    def to_dict(self):
        return {"rows": [vars(row) for row in self.rows], "total_params": self.total_params,
                "trainable_params": self.trainable_params, "non_trainable_params": self.non_trainable_params,
                "param_bytes": self.param_bytes, "buffer_bytes": self.buffer_bytes,
                "total_mult_adds": self.total_mult_adds}

    def __str__(self):
        headers = ("Layer", "Type", "Output shape", "Params", "Trainable", "Mult-adds")
        table = [headers]
        for row in self.rows:
            shape = "-" if row.output_shape is None else str(row.output_shape)
            trainable = "-" if row.trainable is None else ("yes" if row.trainable else "no")
            table.append(("  " * row.depth + row.path, row.type, shape, f"{row.params:,}", trainable,
                          f"{row.mult_adds:,}"))
        widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
        align = [str.ljust, str.ljust, str.ljust, str.rjust, str.ljust, str.rjust]
        lines = ["  ".join(a(cell, w) for cell, w, a in zip(r, widths, align)).rstrip() for r in table]
        rule = "-" * len(max(lines, key=len))
        lines = [lines[0], rule] + lines[1:] + [rule]
        lines += [f"Total params: {self.total_params:,}", f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.non_trainable_params:,}",
                  f"Parameter memory: {_bytes(self.param_bytes)}"]
        if self.buffer_bytes:
            lines.append(f"Buffer memory: {_bytes(self.buffer_bytes)}")
        lines.append(f"Mult-adds: {_count(self.total_mult_adds)}")
        return "\n".join(lines)


def _bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024


def _count(n):
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return str(n)


def _sample(input_shape, dtype):
    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    made = [creation.randn(*shape, dtype=dtype) for shape in shapes]
    return made[0] if len(made) == 1 else tuple(made)


def summary(model, input_shape=None, *, input=None, dtype=None):
    """The layer table of ``model`` for one batch: ``input_shape`` includes the batch dimension
    (a list of shapes for several inputs), or pass ``input`` (a tensor, tuple or dict)."""
    if input is None:
        if input_shape is None:
            raise ValueError("summary: give input_shape (with the batch dimension, e.g. (1, 3, 32, 32)) or input")
        input = _sample(input_shape, dtype)
    records, handles, seen_params = {}, [], set()
    modules = list(model.named_modules())
    for path, module in modules:
        def hook(module, args, output, path=path):
            entry = records.setdefault(path, [None, 0])
            entry[0] = entry[0] or _shape_of(output)
            entry[1] += count_mult_adds(module, args, output)
        handles.append(module.register_forward_hook(hook))
    flags = [(m, m.training) for _, m in modules]
    try:
        model.eval()
        with no_grad():
            model(*input) if isinstance(input, tuple) else model(input)
    finally:
        for handle in handles:
            handle.remove()
        for module, training in flags:
            module.training = training
    rows, total, trainable, param_bytes = [], 0, 0, 0
    for path, module in modules:
        own = [p for _, p in module.named_parameters(recurse=False) if id(p) not in seen_params]
        seen_params.update(id(p) for p in own)
        count = sum(p.numel() for p in own)
        total += count
        trainable += sum(p.numel() for p in own if p.requires_grad)
        param_bytes += sum(p.numel() * p.element_size() for p in own)
        shape, mult_adds = records.get(path, [None, 0])
        rows.append(LayerRow(path or type(model).__name__, type(module).__name__,
                             path.count(".") + 1 if path else 0, shape, count,
                             (all(p.requires_grad for p in own) if own else None), mult_adds))
    buffer_bytes = sum(b.numel() * b.element_size() for b in model.buffers())
    return ModelSummary(type(model).__name__, rows, total, trainable, param_bytes, buffer_bytes)
