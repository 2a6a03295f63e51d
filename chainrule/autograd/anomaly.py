"""Anomaly mode: the first op that makes a NaN or an infinity, named where it happened.

    with chainrule.autograd.detect_anomaly():
        loss = model(x).log().mean()      # AnomalyError: log produced NaN ... at train.py:12
        loss.backward()

Forward: after every op, if its output has a NaN (or an infinity) that none of its inputs
had, the op *made* it: the error names the op, the module that was running, the input
shapes and statistics and the user's ``file:line``. Ops that only pass on a NaN they
were given are left alone, so the first culprit is the one reported. Infinities the user
wrote (``masked_fill(mask, float('-inf'))``) come in as non-finite inputs and are not
anomalies; ``allow=("exp",)`` silences chosen ops.

Backward: after every node, a gradient with a NaN or infinity computed from finite
incoming gradients names the op, where it was created in the forward pass, and the
gradient's input. Costs: a sum per op output (and per gradient) and the caller's
location per recorded op; bench/RESULTS.md has the measured slowdown.
"""
import math

from .. import backend as B
from .. import function
from .._errors import user_location
from .. import module_calls

xp = B.xp

_state = {"enabled": False, "check_nan": True, "allow": frozenset(),
          "node": None}     # the node whose backward is running (its ops are checked too)

# What usually fixes an op that produced NaN or infinity.
_HINTS = {
    "log": "log of a negative number is NaN and log(0) is -inf: clamp the input (x.clamp(min=1e-12)) or "
           "use log_softmax / logsigmoid / BCEWithLogitsLoss",
    "sqrt": "sqrt of a negative number is NaN and its gradient at 0 is infinite: clamp the input or add a "
            "small epsilon (x + 1e-12).sqrt()",
    "rsqrt": "rsqrt(0) is inf: add a small epsilon",
    "div": "a divisor is zero: add a small epsilon to the denominator",
    "reciprocal": "1/0 is inf: add a small epsilon",
    "exp": "exp overflows above about 88 in float32: use logsumexp, softmax or log_softmax instead",
    "pow": "a negative base with a fractional exponent is NaN, 0 to a negative power is inf",
    "acos": "acos/asin are NaN outside [-1, 1]: clamp the input",
    "asin": "acos/asin are NaN outside [-1, 1]: clamp the input",
}


class AnomalyError(RuntimeError):
    """A NaN or infinity made by an op (forward) or by a backward rule."""


def is_anomaly_enabled():
    return _state["enabled"]


def is_anomaly_check_nan_enabled():
    return _state["check_nan"]


def _finite(array):
    """All values finite (a sum is a cheap first test; overflow only costs the exact check)."""
    if array.dtype.kind not in "fc":
        return True
    if array.size == 0:
        return True
    with xp.errstate(all="ignore"):
        if math.isfinite(abs(array.sum())):
            return True
    return bool(xp.isfinite(array).all())


def _kinds(array):
    """(has NaN, has infinity)."""
    if array.dtype.kind not in "fc":
        return False, False
    return bool(xp.isnan(array).any()), bool(xp.isinf(array).any())


def describe(array):
    """'shape (4, 3) float32, min -1.2, max 3.4, 2 NaN, 0 Inf'."""
    shape = tuple(array.shape)
    text = f"shape {shape} {array.dtype}"
    if array.dtype.kind not in "fc" or array.size == 0:
        return text
    finite = array[xp.isfinite(array)]
    if finite.size:
        text += f", min {finite.min():.4g}, max {finite.max():.4g}"
    return text + f", {int(xp.isnan(array).sum())} NaN, {int(xp.isinf(array).sum())} Inf"


def _values(inputs):
    for x in inputs:
        if hasattr(x, "_data"):
            yield x._data
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            yield xp.asarray(float(x))


def _what(nan, inf):
    return "NaN" if nan else "an infinity" if inf else "a non-finite value"


def _module_of(origin):
    if origin is None or origin[1] is None:
        return None
    root, inner = origin[1], origin[2]
    path = next((name for name, m in root.named_modules() if m is inner), "")
    return f"{path} ({type(inner).__name__})" if path else type(inner).__name__


def _forward_check(cls, inputs, params, result):
    data = result._data
    if result.grad_fn is not None:       # where this op ran, for backward reports
        stack = module_calls.stack
        result.grad_fn._anomaly_origin = (user_location(), stack[0] if stack else None,
                                          stack[-1] if stack else None)
    if _finite(data):
        return
    op = cls.__name__.lower()
    if op in _state["allow"]:
        return
    out_nan, out_inf = _kinds(data)
    given = list(_values(inputs)) + list(_values(params.values()))
    in_nan = any(_kinds(a)[0] for a in given)
    in_nonfinite = any(not _finite(a) for a in given)
    made_nan = out_nan and not in_nan and _state["check_nan"]
    made_inf = out_inf and not in_nonfinite
    if not (made_nan or made_inf):
        return                            # an earlier NaN or a deliberate infinity passing through
    stack = module_calls.stack
    module = _module_of((None, stack[0], stack[-1])) if stack else None
    problem = (f"{op} produced {_what(made_nan, made_inf)} from inputs without "
               f"{'NaN' if made_nan else 'NaN or infinity'}")
    node = _state["node"]
    if node is not None:                  # an op inside a backward rule
        origin = getattr(node, "_anomaly_origin", None)
        lines = [f"anomaly (backward): computing the gradients of {node.name()}, {problem}",
                 _created(origin)]
        op = type(node).__name__.lower()
    else:
        lines = [f"anomaly (forward): {problem}",
                 f"  at {user_location()}" + (f", in module {module}" if module else "")]
    for i, x in enumerate(x for x in inputs if hasattr(x, "_data")):
        lines.append(f"  input {i}: {describe(x._data)}")
    lines.append(f"  output: {describe(data)}")
    if op in _HINTS:
        lines.append(f"  hint: {_HINTS[op]}")
    lines.append(f"  (allow intended values with detect_anomaly(allow=('{op}',)))")
    raise AnomalyError("\n".join(lines))


def _created(origin):
    if origin is None:
        return "  (the op was created before anomaly mode was on: turn it on before the forward pass to see where)"
    module = _module_of(origin)
    return f"  the op was created at {origin[0]}" + (f", in module {module}" if module else "")


def check_backward(node, incoming, grads):
    """Called by the engine after ``node.backward``: a non-finite gradient from finite ones is an anomaly."""
    for index, grad in enumerate(grads):
        if grad is None or _finite(grad._data):
            continue
        if not all(_finite(g._data) for g in incoming.values() if g is not None):
            return                        # the incoming gradient was already bad: reported upstream
        op = type(node).__name__.lower()
        if op in _state["allow"]:
            return
        nan, inf = _kinds(grad._data)
        if nan and not _state["check_nan"]:
            return
        lines = [f"anomaly (backward): {node.name()} produced {_what(nan, inf)} in the gradient of its input "
                 f"{index} from finite incoming gradients",
                 _created(getattr(node, "_anomaly_origin", None)),
                 f"  incoming gradient: {describe(next(iter(incoming.values()))._data)}",
                 f"  gradient of input {index}: {describe(grad._data)}"]
        if op in _HINTS:
            lines.append(f"  hint: {_HINTS[op]}")
        raise AnomalyError("\n".join(lines))


def _set(enabled, check_nan, allow):
    previous = (_state["enabled"], _state["check_nan"], _state["allow"])
    _state.update(enabled=bool(enabled), check_nan=bool(check_nan),
                  allow=frozenset(name.lower() for name in allow))
    hooks = function.apply_hooks
    if enabled and _forward_check not in hooks:
        hooks.append(_forward_check)
    if not enabled and _forward_check in hooks:
        hooks.remove(_forward_check)
    module_calls.track(enabled or bool(hooks))
    return previous


class set_detect_anomaly:
    """Turn anomaly mode on or off (``set_detect_anomaly(True)``), or use it as a context manager
    that restores the previous mode. ``allow``: op names whose non-finite outputs are intended."""

    def __init__(self, mode, check_nan=True, allow=()):
        self._previous = _set(mode, check_nan, allow)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(*self._previous)
        return False


class detect_anomaly(set_detect_anomaly):
    """Context manager (or decorator) that turns anomaly mode on inside its block."""

    def __init__(self, check_nan=True, allow=()):
        self._options = (check_nan, allow)

    def __enter__(self):
        self._previous = _set(True, *self._options)
        return self

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(*self._options):
                return fn(*args, **kwargs)
        return wrapper
