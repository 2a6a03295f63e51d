"""Monitors: per-layer health every N steps, and flags when gradients vanish or explode.

Every ``every`` optimizer steps, for every module with parameters: weight norm, gradient
norm, and update-to-weight ratio (the norm of the step's change over the weight norm;
about 1e-3 is healthy); for every module: the mean and standard deviation of its output;
for ReLUs the fraction of dead units (zero for every sample of the batch); for sigmoids
and tanhs the fraction of saturated outputs (within 0.01 of their limits).

Plain loop:                                  Trainer:
    monitor = Monitor(model, every=10)           Trainer(..., callbacks=[MonitorCallback(every=10)])
    loss.backward()
    monitor.step(optimizer)                  # instead of optimizer.step()
    ...
    monitor.plot("monitors.png"); print(monitor.flags)
"""
import math
from collections import defaultdict

from .. import backend as B
from ..grad_mode import no_grad
from ..tensor import Tensor

xp = B.xp

QUANTITIES = ("weight_norm", "grad_norm", "update_ratio", "act_mean", "act_std", "dead_fraction",
              "saturated_fraction")


def _norm(arrays):
    return math.sqrt(sum(float((a.astype(xp.float64) ** 2).sum()) for a in arrays))


def _first_tensor(value):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (tuple, list)) and value:
        return _first_tensor(value[0])
    return None


class Monitor:
    """Records layer statistics every ``every`` steps; ``flags`` lists what looks wrong."""

    def __init__(self, model, every=10, vanish_ratio=1e-6, explode_ratio=1e2, dead_limit=0.5,
                 saturated_limit=0.5):
        self.model, self.every = model, every
        self.vanish_ratio, self.explode_ratio = vanish_ratio, explode_ratio
        self.dead_limit, self.saturated_limit = dead_limit, saturated_limit
        self.steps = 0                          # optimizer steps taken so far
        self.history = []                       # {"step", "layer", quantity: value, ...}
        self.flags = []                         # (step, message)
        self._activations, self._before = {}, None
        self._layers = [(name or type(model).__name__, m) for name, m in model.named_modules()]
        # Activations of the leaf modules (a container's output is its last child's).
        self._handles = [m.register_forward_hook(self._hook(name)) for name, m in self._layers
                         if not any(True for _ in m.children())]

    def recording(self):
        return self.steps % self.every == 0

    def _hook(self, name):
        def hook(module, args, output):
            if not self.recording():
                return None
            out = _first_tensor(output)
            if out is None or not out.is_floating_point():
                return None
            a = out.detach()._data
            stats = {"act_mean": float(a.mean()), "act_std": float(a.std())}
            kind = type(module).__name__
            if kind in ("ReLU", "ReLU6") and a.ndim >= 2:
                alive = (a.reshape(a.shape[0], -1) > 0).any(axis=0)      # per unit, over the batch
                stats["dead_fraction"] = float(1.0 - alive.mean())
            elif kind == "Sigmoid":
                stats["saturated_fraction"] = float(((a < 0.01) | (a > 0.99)).mean())
            elif kind == "Tanh":
                stats["saturated_fraction"] = float((abs(a) > 0.99).mean())
            self._activations[name] = stats
            return None
        return hook

    def _own(self, module):
        return [p for _, p in module.named_parameters(recurse=False) if p.requires_grad]

    def before_step(self):
        """After backward, before the optimizer step: weights and gradients."""
        if not self.recording():
            return
        self._before = {}
        for name, module in self._layers:
            params = self._own(module)
            if params:
                self._before[name] = [p._data.copy() for p in params]

    def after_step(self):
        """After the optimizer step: update ratios, then the record of this step and its flags."""
        if self.recording() and self._before is not None:
            for name, module in self._layers:
                stats = dict(self._activations.get(name, {}))
                params = self._own(module)
                if params and name in self._before:
                    old = self._before[name]
                    weight = _norm(old)
                    grads = [p.grad._data for p in params if p.grad is not None]
                    stats["weight_norm"] = weight
                    stats["grad_norm"] = _norm(grads) if grads else 0.0
                    stats["update_ratio"] = _norm([p._data - o for p, o in zip(params, old)]) / max(weight, 1e-12)
                if stats:
                    self.history.append({"step": self.steps, "layer": f"{name} ({type(module).__name__})", **stats})
                    self._flag(self.history[-1])
            self._activations, self._before = {}, None
        self.steps += 1

    def step(self, optimizer):
        """``optimizer.step()`` with the records around it (for plain loops)."""
        self.before_step()
        with no_grad():
            optimizer.step()
        self.after_step()

    def _flag(self, record):
        layer, step = record["layer"], record["step"]
        grad, weight = record.get("grad_norm"), record.get("weight_norm")
        if grad is not None and weight:
            ratio = grad / weight
            if not math.isfinite(grad):
                self.flags.append((step, f"{layer}: the gradient is {grad}: it exploded (lower the learning "
                                         f"rate, clip gradients)"))
            elif ratio > self.explode_ratio:
                self.flags.append((step, f"{layer}: gradient norm {grad:.3g} is {ratio:.3g}x the weight norm: "
                                         f"gradients explode (lower the learning rate, clip gradients, normalize)"))
            elif ratio < self.vanish_ratio:
                self.flags.append((step, f"{layer}: gradient norm {grad:.3g} is {ratio:.3g} of the weight norm: "
                                         f"gradients vanish (dead ReLUs, saturated activations, too deep a stack)"))
        if record.get("dead_fraction", 0.0) > self.dead_limit:
            self.flags.append((step, f"{layer}: {record['dead_fraction']:.0%} of the units are dead (zero for every "
                                     f"sample): check the biases' init and the learning rate"))
        if record.get("saturated_fraction", 0.0) > self.saturated_limit:
            self.flags.append((step, f"{layer}: {record['saturated_fraction']:.0%} of the outputs are saturated: "
                                     f"gradients through them vanish; scale the inputs or the init down"))

    def series(self):
        """{quantity: {layer: [(step, value), ...]}}."""
        result = defaultdict(lambda: defaultdict(list))
        for record in self.history:
            for quantity in QUANTITIES:
                if quantity in record:
                    result[quantity][record["layer"]].append((record["step"], record[quantity]))
        return result

    def plot(self, path):
        """One panel per quantity, a line per layer (log scale for norms and ratios)."""
        from ..train.plots import _pyplot
        from ..io import atomic_write
        pyplot = _pyplot()
        series = self.series()
        quantities = [q for q in QUANTITIES if q in series]
        columns = min(3, max(len(quantities), 1))
        rows = max(math.ceil(len(quantities) / columns), 1)
        figure, axes = pyplot.subplots(rows, columns, figsize=(5 * columns, 3.4 * rows), squeeze=False)
        for axis in axes.flat:
            axis.axis("off")
        layers = list(dict.fromkeys(layer for q in quantities for layer in series[q]))
        palette = pyplot.get_cmap("tab10")
        colors = {layer: palette(i % 10) for i, layer in enumerate(layers)}     # one color per layer
        for axis, quantity in zip(axes.flat, quantities):
            axis.axis("on")
            for layer, points in series[quantity].items():
                axis.plot([s for s, _ in points], [v for _, v in points], marker=".", label=layer,
                          color=colors[layer])
            if quantity in ("weight_norm", "grad_norm", "update_ratio"):
                axis.set_yscale("symlog", linthresh=1e-8)
            axis.set_title(quantity)
            axis.set_xlabel("step")
            axis.grid(alpha=0.3)
            axis.legend(fontsize=6)
        figure.tight_layout()
        atomic_write(path, lambda temporary: figure.savefig(temporary, format="png", dpi=90))
        pyplot.close(figure)

    def close(self):
        for handle in self._handles:
            handle.remove()
        self._handles = []


def _callback_base():
    from ..train.callbacks import Callback
    return Callback


class MonitorCallback(_callback_base()):
    """``Monitor`` inside ``Trainer``: records every ``every`` steps, prints new flags after each
    epoch, and (with ``dirpath``) writes ``monitors.jsonl`` and ``monitors.png`` at the end."""

    def __init__(self, every=10, dirpath=None, **limits):
        self.every, self.dirpath, self.limits = every, dirpath, limits
        self.monitor, self._reported = None, 0

    def state_dict(self):
        return {}, {}

    def on_train_begin(self, trainer):
        self.monitor = Monitor(trainer.model, self.every, **self.limits)
        self.monitor.steps = trainer.global_step

    def on_before_optimizer_step(self, trainer):
        self.monitor.before_step()

    def on_after_optimizer_step(self, trainer):
        self.monitor.after_step()

    def on_epoch_end(self, trainer, epoch, logs):
        for step, message in self.monitor.flags[self._reported:]:
            print(f"monitor, step {step}: {message}", flush=True)
        self._reported = len(self.monitor.flags)

    def on_train_end(self, trainer):
        if self.monitor is None:
            return
        self.monitor.close()
        if self.dirpath is not None and self.monitor.history:
            import json
            import os
            from ..cli.run_files import write_text
            lines = "".join(json.dumps(record) + "\n" for record in self.monitor.history)
            write_text(os.path.join(self.dirpath, "monitors.jsonl"), lines)
            self.monitor.plot(os.path.join(self.dirpath, "monitors.png"))
