"""Full training checkpoints and exact resume.

A checkpoint is a directory: ``arrays.safetensors`` (model weights, gradients of a
half-accumulated window, optimizer state arrays, callback arrays, the metric
outputs of the epoch so far) and ``state.json`` (epoch, step, position in the epoch
and that epoch's sample order, optimizer options, scheduler position, every random
state: chainrule's generator, NumPy's and Python's, and the callbacks' state).
It is written to a temporary directory and renamed into place, so a crash while
writing never damages the previous checkpoint. No pickle anywhere.
"""
import json
import os
import random
import shutil
import tempfile

from .. import backend as B
from ..grad_mode import no_grad
from ..io import save_state_dict, load_state_dict
from .batches import flatten, unflatten

xp = B.xp

_VERSION = 1


def _numpy_state():
    name, keys, pos, has_gauss, cached = xp.random.get_state()
    return [name, keys.tolist(), int(pos), int(has_gauss), float(cached)]


def _set_numpy_state(state):
    name, keys, pos, has_gauss, cached = state
    xp.random.set_state((name, xp.asarray(keys, dtype=xp.uint32), pos, has_gauss, cached))


def _python_state():
    version, internal, gauss = random.getstate()
    return [version, list(internal), gauss]


def _set_python_state(state):
    version, internal, gauss = state
    random.setstate((version, tuple(internal), gauss))


def _loader_generator_state(trainer):
    """The state of the training loader's own generator, when it was given one."""
    generator = getattr(trainer.train_loader, "generator", None)
    return generator.get_state() if generator is not None else None


def _optimizer_state(optimizer, arrays):
    params = [p for group in optimizer.param_groups for p in group["params"]]
    scalars = {}
    for index, p in enumerate(params):
        for key, value in optimizer.state.get(id(p), {}).items():
            if isinstance(value, xp.ndarray):
                arrays[f"optimizer.{index}.{key}"] = value
            else:
                scalars.setdefault(str(index), {})[key] = value
    groups = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
    return {"groups": groups, "scalars": scalars}


def _load_optimizer_state(optimizer, state, arrays):
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for group, saved in zip(optimizer.param_groups, state["groups"]):
        group.update({k: tuple(v) if k == "betas" else v for k, v in saved.items()})
    optimizer.state = {}
    for index, p in enumerate(params):
        entry = dict(state["scalars"].get(str(index), {}))
        prefix = f"optimizer.{index}."
        for name, tensor in arrays.items():
            if name.startswith(prefix):
                entry[name[len(prefix):]] = tensor._data.copy()
        if entry:
            optimizer.state[id(p)] = entry


def save_checkpoint(trainer, path):
    """Write everything needed to continue ``trainer`` exactly from where it is now."""
    arrays = {f"model.{k}": v.numpy() for k, v in trainer.model.state_dict().items()}
    for name, p in trainer.model.named_parameters():
        if p.grad is not None:
            arrays[f"grad.{name}"] = p.grad.numpy()
    state = {
        "version": _VERSION,
        "epoch": trainer.epoch, "batch_index": trainer.batch_index, "global_step": trainer.global_step,
        "epoch_finished": trainer.epoch_finished, "stop_training": trainer.stop_training,
        "epoch_order": [int(i) for i in trainer.epoch_order] if trainer.epoch_order is not None else None,
        "optimizer": _optimizer_state(trainer.optimizer, arrays),
        "scheduler": trainer.scheduler.state_dict() if trainer.scheduler is not None else None,
        "random": {"chainrule": B.default_generator.get_state(), "numpy": _numpy_state(),
                   "python": _python_state(), "loader": _loader_generator_state(trainer)},
    }
    total_loss, seen, outputs, targets = trainer.partial_epoch
    state["partial"] = {"total_loss": total_loss, "seen": seen, "batches": len(outputs)}
    for i, (output, target) in enumerate(zip(outputs, targets)):
        arrays.update(flatten(f"partial.output.{i}", output))
        arrays.update(flatten(f"partial.target.{i}", target))
    state["callbacks"] = {}
    for key, callback in _callback_keys(trainer.callbacks):
        callback_state, callback_arrays = callback.state_dict()
        state["callbacks"][key] = callback_state
        arrays.update({f"callback.{key}.{k}": v for k, v in callback_arrays.items()})

    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix=".tmp-checkpoint-")
    try:
        save_state_dict(arrays, os.path.join(staging, "arrays.safetensors"))
        with open(os.path.join(staging, "state.json"), "w") as handle:
            json.dump(state, handle)
        old = None
        if os.path.exists(path):
            old = path + ".old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
        os.replace(staging, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def load_checkpoint(trainer, path):
    """Restore ``trainer`` (model, optimizer, scheduler, position, random states, callbacks)."""
    with open(os.path.join(path, "state.json")) as handle:
        state = json.load(handle)
    arrays = load_state_dict(os.path.join(path, "arrays.safetensors"))
    model_state = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
    trainer.model.load_state_dict(model_state)
    with no_grad():
        for name, p in trainer.model.named_parameters():
            grad = arrays.get(f"grad.{name}")
            p.grad = None if grad is None else grad.detach().clone()
    _load_optimizer_state(trainer.optimizer, state["optimizer"], arrays)
    if trainer.scheduler is not None and state["scheduler"] is not None:
        trainer.scheduler.load_state_dict(state["scheduler"])
    B.default_generator.set_state(state["random"]["chainrule"])
    loader_generator = getattr(trainer.train_loader, "generator", None)
    if loader_generator is not None and state["random"].get("loader") is not None:
        loader_generator.set_state(state["random"]["loader"])
    _set_numpy_state(state["random"]["numpy"])
    _set_python_state(state["random"]["python"])
    trainer.epoch, trainer.batch_index = state["epoch"], state["batch_index"]
    trainer.global_step, trainer.epoch_order = state["global_step"], state["epoch_order"]
    trainer.epoch_finished = state.get("epoch_finished", False)
    trainer.stop_training = state.get("stop_training", False)
    partial = state["partial"]
    raw = {name: tensor._data for name, tensor in arrays.items() if name.startswith("partial.")}
    outputs = [unflatten(f"partial.output.{i}", raw) for i in range(partial["batches"])]
    targets = [unflatten(f"partial.target.{i}", raw) for i in range(partial["batches"])]
    trainer.partial_epoch = (partial["total_loss"], partial["seen"], outputs, targets)
    for key, callback in _callback_keys(trainer.callbacks):
        if key in state["callbacks"]:
            prefix = f"callback.{key}."
            callback.load_state_dict(state["callbacks"][key],
                                     {k[len(prefix):]: v._data for k, v in arrays.items() if k.startswith(prefix)})


def _callback_keys(callbacks):
    """Callbacks named by class and occurrence (``EarlyStopping.0``), so that a resumed run may
    add or drop callbacks of other kinds and still find its own state."""
    counts = {}
    for callback in callbacks:
        name = type(callback).__name__
        counts[name] = counts.get(name, -1) + 1
        yield f"{name}.{counts[name]}", callback
