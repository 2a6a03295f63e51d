"""The lectures' first checks before a long run, each returning a ``CheckResult``:

- ``check_init(model, batch, loss_fn)``: is the initial loss near chance level (log of the
  number of classes for cross-entropy)? Far above it means overconfident initial outputs.
- ``overfit_batch(model, loss_fn, batch)``: can the model drive the loss of one small batch
  down by a large factor? If it cannot, something is broken before data size even matters.
- ``gradcheck_module(model, inputs)``: do the parameters' gradients equal central finite
  differences in float64?

Each leaves the model as it found it (weights, gradients, training mode).
"""
import math
from dataclasses import dataclass, field

from .. import backend as B
from .. import nn
from ..grad_mode import no_grad
from ..tensor import Tensor

xp = B.xp


@dataclass
class CheckResult:
    name: str
    passed: bool
    message: str
    details: dict = field(default_factory=dict)

    def __str__(self):
        return f"{self.name}: {'ok' if self.passed else 'FAILED'}: {self.message}"

    def __bool__(self):
        return self.passed


class _Preserved:
    """Restores weights, buffers, gradients and training flags on exit."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        tensors = list(self.model.parameters()) + list(self.model.buffers())
        self.state = [(t, t._data.copy()) for t in tensors]       # the objects themselves, not copies
        self.grads = [(p, None if p.grad is None else p.grad.detach().numpy().copy())
                      for p in self.model.parameters()]
        self.flags = [(m, m.training) for _, m in self.model.named_modules()]
        return self

    def __exit__(self, *exc):
        with no_grad():
            for tensor, array in self.state:
                tensor._data = array
            for p, grad in self.grads:
                p.grad = None if grad is None else Tensor._make(grad)
        for module, training in self.flags:
            module.training = training
        return False


def _split(batch):
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch
    raise ValueError("the batch must be (inputs, targets)")


def chance_level(loss_fn, output, target):
    """The loss of an uninformed prediction, or None when the loss type has no standard one."""
    kind = type(loss_fn).__name__ if not isinstance(loss_fn, str) else loss_fn
    if kind in ("CrossEntropyLoss", "NLLLoss") and output.ndim >= 2:
        return math.log(output.shape[1]), f"log({output.shape[1]}) for {output.shape[1]} classes"
    if kind == "BCEWithLogitsLoss":
        return math.log(2), "log(2) for a binary target"
    if kind == "MSELoss":
        variance = float(xp.var(target.numpy().astype(xp.float64)))
        return variance, "the targets' variance (predicting their mean)"
    return None, None


def check_init(model, batch, loss_fn, tolerance=0.5, expected=None, reason="given"):
    """Initial loss against chance level: passes within ``tolerance`` (relative; default 50%).
    ``expected`` overrides the chance level found from the loss type (``reason`` says what it is)."""
    x, y = _split(batch)
    with _Preserved(model):
        model.eval()
        with no_grad():
            output = model(x)
            loss = float(loss_fn(output, y).item())
    if expected is None:
        expected, reason = chance_level(loss_fn, output, y)
    if expected is None:
        return CheckResult("check_init", True, f"initial loss {loss:.4g}; no chance level is known for "
                           f"{type(loss_fn).__name__} (pass expected=...)", {"loss": loss})
    details = {"loss": loss, "expected": expected}
    if not math.isfinite(loss):
        return CheckResult("check_init", False, f"the initial loss is {loss}: look for log(0) or a division "
                           f"by zero in the model or the loss (detect_anomaly() names the op)", details)
    off = abs(loss - expected) / max(abs(expected), 1e-12)
    if off <= tolerance:
        return CheckResult("check_init", True, f"initial loss {loss:.4g} is near chance level {expected:.4g} "
                           f"({reason})", details)
    advice = ("the initial outputs are too large or too confident: scale the last layer's weights down, "
              "check the init (chainrule.nn.init) and that no bias starts large") if loss > expected else \
        ("the initial loss is below chance level: the targets may leak into the inputs, or the loss may "
         "not match the outputs")
    return CheckResult("check_init", False, f"initial loss {loss:.4g} is {off:.0%} away from chance level "
                       f"{expected:.4g} ({reason}): {advice}", details)


def overfit_batch(model, loss_fn, batch, steps=200, factor=10.0, optimizer=None, lr=1e-2):
    """Train on one batch for ``steps`` steps (Adam, ``lr``, unless ``optimizer`` is a factory
    ``params -> optimizer``); passes when the loss falls by ``factor``. The model is restored."""
    from ..optim import Adam
    x, y = _split(batch)
    losses = []
    with _Preserved(model):
        model.train()
        opt = optimizer(model.parameters()) if optimizer is not None else Adam(model.parameters(), lr=lr)
        for _ in range(steps):
            loss = loss_fn(model(x), y)
            losses.append(float(loss.item()))
            if not math.isfinite(losses[-1]):
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
        with no_grad():
            model.eval()
            losses.append(float(loss_fn(model(x), y).item()))
    first, last = losses[0], losses[-1]
    details = {"initial_loss": first, "final_loss": last, "steps": len(losses) - 1, "losses": losses}
    if not math.isfinite(last):
        return CheckResult("overfit_batch", False, f"the loss became {last} after {len(losses) - 1} steps: "
                           f"lower lr (now {lr}) or run under detect_anomaly()", details)
    ratio = first / max(last, 1e-30)
    if ratio >= factor:
        return CheckResult("overfit_batch", True, f"the loss of one batch fell {ratio:.3g}x ({first:.4g} -> "
                           f"{last:.4g}) in {steps} steps", details)
    return CheckResult("overfit_batch", False, f"the loss of one batch fell only {ratio:.3g}x ({first:.4g} -> "
                       f"{last:.4g}) in {steps} steps (wanted {factor:g}x): the model cannot fit {len(y)} samples; "
                       f"check that gradients reach every layer (dead ReLUs, a detached tensor), the learning "
                       f"rate, and that the loss matches the outputs and labels", details)


def _to_double(x):
    if isinstance(x, dict):
        return {k: _to_double(v) for k, v in x.items()}
    return x.double() if isinstance(x, Tensor) and x.is_floating_point() else x


def _random_like(output, rng):
    """Fixed random weights for a scalar projection of the output (a tensor or a dict of them)."""
    if isinstance(output, dict):
        return {k: _random_like(v, rng) for k, v in output.items()}
    return Tensor._make(rng.standard_normal(tuple(output.shape)))


def _project(output, weights):
    if isinstance(output, dict):
        total = None
        for key, value in output.items():
            term = _project(value, weights[key])
            total = term if total is None else total + term
        return total
    return (output * weights).sum()


def gradcheck_module(model, inputs, samples_per_parameter=10, eps=1e-6, rtol=1e-3, atol=1e-5, seed=0):
    """Each parameter's gradient of a random projection of ``model(inputs)`` against central
    differences in float64 (up to ``samples_per_parameter`` entries per parameter)."""
    rng = xp.random.default_rng(seed)
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    worst = (0.0, None, None)
    with _Preserved(model):
        model.eval()                                   # dropout off: the function must be deterministic
        model.double()
        args = [_to_double(x) for x in inputs]
        with no_grad():
            sample = model(*args)
        weights = _random_like(sample, rng)

        def projection():
            return _project(model(*args), weights)

        def value():
            with no_grad():
                return float(projection().item())

        for p in model.parameters():
            p.grad = None
        projection().backward()
        for name, p in model.named_parameters():
            if not p.requires_grad:
                continue
            analytic = p.grad.numpy() if p.grad is not None else xp.zeros(tuple(p.shape))
            flat = p._data.reshape(-1)
            for index in rng.choice(flat.size, min(samples_per_parameter, flat.size), replace=False):
                original = flat[index]
                flat[index] = original + eps
                up = value()
                flat[index] = original - eps
                down = value()
                flat[index] = original
                numeric = (up - down) / (2 * eps)
                got = analytic.reshape(-1)[index]
                error = abs(got - numeric) / (atol + rtol * abs(numeric))
                if error > worst[0]:
                    worst = (error, f"{name}[{int(index)}]", (float(got), float(numeric)))
    details = {"worst_ratio": worst[0], "worst": worst[1]}
    if worst[0] <= 1.0:
        return CheckResult("gradcheck_module", True, "every checked parameter gradient matches finite differences "
                           f"(float64, rtol {rtol}, atol {atol})", details)
    got, numeric = worst[2]
    return CheckResult("gradcheck_module", False, f"the gradient of {worst[1]} is {got:.6g} but finite differences "
                       f"give {numeric:.6g}: a backward rule in this model is wrong (a custom Function?)", details)
