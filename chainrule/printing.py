"""PyTorch-like ``repr`` of a tensor."""
from . import backend as B

xp = B.xp

_DEFAULT_SHOWN = ("float32", "int64", "bool")  # dtypes repr leaves unsaid, as PyTorch does


def _float_formatter(values):
    finite = values[xp.isfinite(values)]
    if finite.size == 0:
        return lambda v: str(v)
    magnitude = xp.abs(finite)
    big, small = magnitude.max(), magnitude[magnitude > 0].min() if (magnitude > 0).any() else 1.0
    if (finite == xp.round(finite)).all() and big < 1e8:
        return lambda v: f"{v:.0f}." if xp.isfinite(v) else str(v)
    if big >= 1e8 or small < 1e-4 or big / small > 1e3:
        return lambda v: f"{v:.4e}"
    return lambda v: f"{v:.4f}"


def tensor_repr(t):
    data = t._data
    prefix = "tensor("
    if data.size == 0:
        body = "[]" if data.ndim == 1 else f"[], size={tuple(data.shape)}"
    else:
        formatter = {}
        if data.dtype.kind == "f":
            fmt = _float_formatter(data.astype(xp.float64))
            formatter["float_kind"] = lambda v: fmt(float(v))
        elif data.dtype.kind == "b":
            formatter["bool"] = lambda v: "True" if v else "False"
        body = xp.array2string(data, separator=", ", prefix=prefix, formatter=formatter,
                               threshold=1000, edgeitems=3, max_line_width=80)
    extras = []
    name = B.from_numpy_dtype(data.dtype).name
    if name not in _DEFAULT_SHOWN or (name == "float32" and B.get_default_dtype() is not B.float32):
        extras.append(f"dtype=chainrule.{name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        extras.append("requires_grad=True")
    return prefix + ", ".join([body] + extras) + ")"
