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
    if (finite == xp.round(finite)).all():  # integer values: "3." unless the range is wide
        if big > 1e8 or big / small > 1e3:
            return lambda v: f"{v:.4e}" if xp.isfinite(v) else str(v)
        return lambda v: f"{v:.0f}." if xp.isfinite(v) else str(v)
    if big >= 1e8 or small < 1e-4 or big / small > 1e3:
        return lambda v: f"{v:.4e}" if xp.isfinite(v) else str(v)
    return lambda v: f"{v:.4f}" if xp.isfinite(v) else str(v)


def _element_formatter(data):
    """A function from one element to its text, padded to a common width."""
    sample = data.reshape(-1)
    if sample.size > 2000:  # only the printed edges matter; a sample keeps this fast
        sample = xp.concatenate([sample[:1000], sample[-1000:]])
    if data.dtype.kind == "f":
        fmt = _float_formatter(sample.astype(xp.float64))
        to_text = lambda v: fmt(float(v))  # noqa: E731
    elif data.dtype.kind == "b":
        to_text = lambda v: "True" if v else "False"  # noqa: E731
    else:
        to_text = str
    if data.dtype.kind == "f" and xp.isfinite(sample).any():
        sample = sample[xp.isfinite(sample)]  # nan and inf do not widen the columns
    width = max(len(to_text(v)) for v in sample.tolist())
    return lambda v: to_text(v).rjust(width)


def tensor_repr(t):
    data = t._data
    prefix = "tensor("
    if data.size == 0:
        body = "[]" if data.ndim == 1 else f"[], size={tuple(data.shape)}"
    elif data.ndim == 0:
        body = _element_formatter(data)(data.item()).strip()
    else:
        fmt = _element_formatter(data)
        formatter = {"all": fmt}
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
