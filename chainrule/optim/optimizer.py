"""``Optimizer``: parameter groups, per-group options, state, ``zero_grad`` and state dicts.

Each algorithm (``sgd.py``, ``adam.py``, ...) subclasses it and writes
``_update(param, grad, state, group)`` on backend arrays, in place: the
update rule, transcribed from the math in the class docstring.
"""
from .. import backend as B
from ..tensor import Tensor, tracer
from .._errors import at_user_line

xp = B.xp


class Optimizer:
    """Base class: holds ``param_groups`` (dicts with 'params' and options) and ``state``."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = {}  # id(param) -> dict of arrays and numbers
        params = list(params) if not isinstance(params, Tensor) else [params]
        if not params:
            raise ValueError(at_user_line("optimizer got an empty parameter list"))
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add a group of parameters with its own options (missing ones take the defaults)."""
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if p.grad_fn is not None:
                raise ValueError(at_user_line("can't optimize a non-leaf Tensor (it was computed by ops); "
                                              "optimize the leaves it came from"))
            if id(p) in seen:
                raise ValueError(at_user_line("some parameters appear in more than one parameter group"))
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_options(group)
        self.param_groups.append(group)

    def _check_options(self, group):
        if group.get("lr", 0.0) < 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']}")

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.detach_().zero_()

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` re-evaluates the loss first."""
        if tracer[0] is not None and tracer[0].recording:
            return tracer[0].call_opaque(self.step, closure)   # replayed as a whole by chainrule.compile
        loss = None
        if closure is not None:
            from ..grad_mode import enable_grad
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad._data
                if group.get("maximize", False):
                    grad = -grad
                state = self.state.setdefault(id(p), {})
                self._update(p._data, grad, state, group)
                p._vbox[0] += 1
        return loss

    def _update(self, param, grad, state, group):
        raise NotImplementedError(f"{type(self).__name__} must define _update(param, grad, state, group)")

    # ------------------------------------------------------------ state dicts

    def state_dict(self):
        """{'state': {index: {name: value}}, 'param_groups': [options with 'params' as indices]}."""
        index, groups = {}, []
        for group in self.param_groups:
            entry = {k: v for k, v in group.items() if k != "params"}
            entry["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                entry["params"].append(index[id(p)])
            groups.append(entry)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if id(p) in self.state:
                    state[index[id(p)]] = {k: (Tensor._make(v.copy()) if isinstance(v, xp.ndarray) else v)
                                           for k, v in self.state[id(p)].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)):
            raise ValueError(at_user_line(
                "loaded state dict has a different number of parameter groups or parameters per group "
                "than this optimizer"))
        params = [p for group in self.param_groups for p in group["params"]]
        for own, saved in zip(self.param_groups, groups):
            own.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {}
        for i, values in state_dict["state"].items():
            p = params[int(i)]
            self.state[id(p)] = {k: (xp.array(v._data if isinstance(v, Tensor) else v, dtype=p._data.dtype)
                                     if isinstance(v, (Tensor, xp.ndarray)) else v)
                                 for k, v in values.items()}

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"
