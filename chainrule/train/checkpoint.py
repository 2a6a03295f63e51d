"""Full training checkpoints and exact resume.

A checkpoint is a directory: ``arrays.safetensors`` (model weights, gradients of a
half-accumulated window, optimizer state arrays, callback arrays, the metric
outputs of the epoch so far) and ``state.json`` (epoch, step, position in the epoch
and that epoch's sample order, optimizer options, scheduler position, every random
state: chainrule's generator, NumPy's and Python's, and the callbacks' state).
No pickle anywhere.

Crash safety: both files are written and fsynced in a staging directory
``.tmp-checkpoint-<name>-<random>`` beside the checkpoint, which then takes its place:
``path`` is renamed to ``path.old``, the staging directory to ``path``, and ``path.old`` is
removed. A kill at any moment leaves a complete checkpoint in ``path`` or (between the two
renames) in ``path.old``; ``resolve_checkpoint`` finds it and ``load_checkpoint`` uses it.
The next save removes whatever a killed one left behind. One writer per checkpoint path.

Damage: ``load_checkpoint`` checks both files, and that the weights fit the model, before
it changes anything; a problem raises ``CheckpointError`` naming the file and what is wrong.
"""
import json
import math
import os
import random
import secrets
import shutil

from .. import backend as B
from ..grad_mode import no_grad
from ..io import save_state_dict, load_state_dict
from ..io.safetensors_io import fsync_directory
from .batches import flatten, unflatten

xp = B.xp

_VERSION = 1
STATE_FILE = "state.json"
ARRAYS_FILE = "arrays.safetensors"
_STAGING_PREFIX = ".tmp-checkpoint-"
_OLD_SUFFIX = ".old"
_SHOWN_NAMES = 4        # names listed per kind of model mismatch
_NONFINITE = "__float__"   # {"__float__": "nan"}: strict JSON has no NaN or infinities


class CheckpointError(ValueError):
    """A checkpoint that is missing, damaged, or written for a different model."""


# ---------------------------------------------------------------- random states

def _numpy_state():
    name, keys, pos, has_gauss, cached = xp.random.get_state()
    return [name, keys.tolist(), int(pos), int(has_gauss), float(cached)]


def _numpy_state_tuple(state):
    name, keys, pos, has_gauss, cached = state
    return name, xp.asarray(keys, dtype=xp.uint32), pos, has_gauss, cached


def _set_numpy_state(state):
    xp.random.set_state(_numpy_state_tuple(state))


def _python_state():
    version, internal, gauss = random.getstate()
    return [version, list(internal), gauss]


def _python_state_tuple(state):
    version, internal, gauss = state
    return version, tuple(internal), gauss


def _set_python_state(state):
    random.setstate(_python_state_tuple(state))


def _loader_generator_state(trainer):
    """The state of the training loader's own generator, when it was given one."""
    generator = getattr(trainer.train_loader, "generator", None)
    return generator.get_state() if generator is not None else None


# ---------------------------------------------------------------- optimizer state

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


# ---------------------------------------------------------------- saving

def save_checkpoint(trainer, path):
    """Write everything needed to continue ``trainer`` exactly from where it is now."""
    arrays, state = _collect(trainer)
    target = os.path.abspath(path)
    parent, name = os.path.split(target)
    os.makedirs(parent, exist_ok=True)
    _remove_leftovers(target)
    staging = _make_staging_dir(parent, name)
    try:
        _write_files(staging, arrays, state)
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # The new checkpoint is in place and on disk: the previous one is now redundant. Removing it
    # is tidying only (the next save retries), so a failure here does not fail the save.
    try:
        _remove(_old_path(target))
    except OSError:
        pass


def _collect(trainer):
    """(arrays, JSON-able state) of everything ``load_checkpoint`` restores."""
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
    return arrays, state


def _old_path(path):
    return os.path.normpath(path) + _OLD_SUFFIX


def _staging_prefix(name):
    return f"{_STAGING_PREFIX}{name}-"


def _is_own_staging_dir(entry, name):
    """Whether ``entry`` is a staging directory of the checkpoint ``name``. The random part has no
    '-', so the staging directories of ``last-2`` (``.tmp-checkpoint-last-2-<random>``) are not
    taken for those of ``last``."""
    prefix = _staging_prefix(name)
    rest = entry[len(prefix):]
    return entry.startswith(prefix) and rest != "" and "-" not in rest


def _remove_leftovers(target):
    """Remove what killed saves of this checkpoint left: staging directories, and ``path.old``
    when ``path`` exists (then it is redundant). Without ``path``, ``path.old`` is the checkpoint."""
    parent, name = os.path.split(target)
    for entry in os.listdir(parent):
        if _is_own_staging_dir(entry, name):
            shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)
    if os.path.lexists(target):
        _remove(_old_path(target))


def _remove(path):
    """Remove a directory tree, or a file or link (``path`` may have been a link to a checkpoint)."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def _make_staging_dir(parent, name, attempts=100):
    """A new empty directory. ``os.mkdir`` with mode 0o777 lets the kernel apply the umask
    (``tempfile.mkdtemp`` would make it 0o700, unreadable for the rest of a team)."""
    for _ in range(attempts):
        candidate = os.path.join(parent, _staging_prefix(name) + secrets.token_hex(4))
        try:
            os.mkdir(candidate, 0o777)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"could not create a staging directory for {name} in {parent}")


def _write_files(staging, arrays, state):
    """Both files, each fsynced, then the directory itself, so that what gets renamed is on disk."""
    save_state_dict(arrays, os.path.join(staging, ARRAYS_FILE))
    with open(os.path.join(staging, STATE_FILE), "w", encoding="utf-8") as handle:
        json.dump(_encode_nonfinite(state), handle, allow_nan=False)
        handle.flush()
        os.fsync(handle.fileno())
    fsync_directory(staging)


def _encode_nonfinite(value):
    """``value`` with each NaN or infinity as ``{"__float__": "nan"}``: strict JSON, which other tools
    read, has no such numbers, and a resumed run needs them back exactly (a diverged loss, a best
    value that starts at infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        return {_NONFINITE: repr(float(value))}     # 'nan', 'inf' or '-inf'
    if isinstance(value, dict):
        return {key: _encode_nonfinite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode_nonfinite(item) for item in value]
    return value


def _decode_nonfinite(mapping):
    """The ``json.loads`` object hook that undoes ``_encode_nonfinite``."""
    if len(mapping) == 1 and mapping.get(_NONFINITE) in ("nan", "inf", "-inf"):
        return float(mapping[_NONFINITE])
    return mapping


def _swap_in(staging, target):
    """Rename ``staging`` to ``target``, keeping the previous checkpoint as ``target.old`` until
    then; on an error the previous checkpoint goes back to ``target``."""
    old = _old_path(target)
    had_previous = os.path.lexists(target)
    if had_previous:
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        if had_previous:
            os.replace(old, target)
        raise
    fsync_directory(os.path.dirname(target))


# ---------------------------------------------------------------- finding and checking

def _holds_checkpoint(path):
    return all(os.path.isfile(os.path.join(path, file)) for file in (STATE_FILE, ARRAYS_FILE))


def resolve_checkpoint(path):
    """The directory that holds the checkpoint ``path``: ``path`` itself, or ``path + ".old"``
    when a save was killed between its two renames. Raises ``CheckpointError`` when neither
    holds both files (their contents are checked on loading)."""
    if _holds_checkpoint(path):
        return path
    old = _old_path(path)
    if _holds_checkpoint(old):
        return old
    if not os.path.exists(path):
        raise CheckpointError(f"no checkpoint at {path}")
    if not os.path.isdir(path):
        raise CheckpointError(f"{path} is not a checkpoint directory")
    missing = [os.path.join(path, f) for f in (STATE_FILE, ARRAYS_FILE) if not os.path.isfile(os.path.join(path, f))]
    raise CheckpointError(f"the checkpoint {path} is incomplete: {' and '.join(missing)} "
                          f"{'is' if len(missing) == 1 else 'are'} missing")


def read_checkpoint_state(path):
    """The checked contents of the ``state.json`` of the checkpoint ``path`` (resolved like
    ``load_checkpoint`` does), without loading any arrays. Raises ``CheckpointError``."""
    return _read_state(resolve_checkpoint(path))


def read_model_arrays(path, model):
    """The model weights of the checkpoint ``path``, checked against ``model``: a dict for
    ``model.load_state_dict``. Raises ``CheckpointError``."""
    directory = resolve_checkpoint(path)
    arrays = _read_arrays(directory)
    return _model_arrays(directory, model, arrays)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_dict(value):
    return isinstance(value, dict)


def _is_optional_dict(value):
    return value is None or isinstance(value, dict)


def _is_index_list(value):
    return value is None or (isinstance(value, list) and all(_is_int(i) for i in value))


def _is_list_of_dicts(value):
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _is_dict_of_dicts(value):
    return isinstance(value, dict) and all(isinstance(item, dict) for item in value.values())


def _is_count(value):
    return _is_int(value) and value >= 0


# What state.json must hold: (key path, check, what the check wants). A parent comes before its keys.
_REQUIRED_KEYS = [
    ("version", _is_int, "an integer"),
    ("epoch", _is_int, "an integer"),
    ("batch_index", _is_int, "an integer"),
    ("global_step", _is_int, "an integer"),
    ("epoch_order", _is_index_list, "null or a list of integers"),
    ("optimizer", _is_dict, "an object"),
    ("optimizer.groups", _is_list_of_dicts, "a list of objects"),
    ("optimizer.scalars", _is_dict_of_dicts, "an object of objects"),
    ("scheduler", _is_optional_dict, "null or an object"),
    ("random", _is_dict, "an object"),
    ("random.chainrule", _is_dict, "an object"),
    ("random.numpy", lambda v: isinstance(v, list) and len(v) == 5, "a list of 5 items"),
    ("random.python", lambda v: isinstance(v, list) and len(v) == 3, "a list of 3 items"),
    ("partial", _is_dict, "an object"),
    ("partial.total_loss", _is_number, "a number"),
    ("partial.seen", _is_count, "a count"),
    ("partial.batches", _is_count, "a count"),
    ("callbacks", _is_dict, "an object"),
]
# Keys older checkpoints may lack: (key path, check, what it wants, default).
_OPTIONAL_KEYS = [
    ("epoch_finished", lambda v: isinstance(v, bool), "true or false", False),
    ("stop_training", lambda v: isinstance(v, bool), "true or false", False),
    ("random.loader", _is_optional_dict, "null or an object", None),
]


def _read_state(directory):
    """The parsed and checked state.json of ``directory`` (optional keys filled in)."""
    file = os.path.join(directory, STATE_FILE)
    try:
        with open(file, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise CheckpointError(f"cannot read {file}: {error.strerror or error}") from None
    try:
        state = json.loads(raw.decode("utf-8"), object_hook=_decode_nonfinite)
    except UnicodeDecodeError as error:
        raise CheckpointError(f"{file} is damaged: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise CheckpointError(f"{file} is damaged: not valid JSON ({error})") from None
    problem = _state_problem(state)
    if problem is not None:
        raise CheckpointError(f"{file} is damaged: {problem}")
    if state["version"] > _VERSION:
        raise CheckpointError(f"{file} was written by a newer chainrule (checkpoint format {state['version']}; "
                              f"this one reads up to {_VERSION}): upgrade chainrule to load it")
    return state


def _state_problem(state):
    """What is wrong with a parsed state.json, or None. Fills in the optional keys."""
    if not isinstance(state, dict):
        return f"expected a JSON object, found {type(state).__name__}"
    for key, check, wanted in _REQUIRED_KEYS:
        holder, last = _holder(state, key)
        if last not in holder:
            return f"the key '{key}' is missing"
        if not check(holder[last]):
            return f"'{key}' should be {wanted}, found {_short(holder[last])}"
    for key, check, wanted, default in _OPTIONAL_KEYS:
        holder, last = _holder(state, key)
        holder.setdefault(last, default)
        if not check(holder[last]):
            return f"'{key}' should be {wanted}, found {_short(holder[last])}"
    return _random_state_problem(state["random"])


def _holder(state, key):
    """(the dict that holds ``key``, its last part): 'partial.seen' -> (state['partial'], 'seen')."""
    *parents, last = key.split(".")
    for part in parents:
        state = state[part]
    return state, last


def _short(value):
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _random_state_problem(saved):
    """Whether each random state would be accepted, tried on scratch generators (the real ones
    are only set once everything was checked)."""
    trials = [
        ("random.chainrule", lambda: setattr(xp.random.PCG64(), "state", saved["chainrule"])),
        ("random.numpy", lambda: xp.random.RandomState().set_state(_numpy_state_tuple(saved["numpy"]))),
        ("random.python", lambda: random.Random().setstate(_python_state_tuple(saved["python"]))),
    ]
    if saved["loader"] is not None:
        trials.append(("random.loader", lambda: setattr(xp.random.PCG64(), "state", saved["loader"])))
    for key, trial in trials:
        try:
            trial()
        except Exception as error:      # NumPy and random raise several types for a bad state
            return f"'{key}' is not a valid random state ({type(error).__name__}: {error})"
    return None


def _read_arrays(directory):
    file = os.path.join(directory, ARRAYS_FILE)
    try:
        return load_state_dict(file)
    except ImportError:
        raise
    except OSError as error:
        raise CheckpointError(f"cannot read {file}: {error.strerror or error}") from None
    except Exception as error:      # safetensors raises its own error type for a broken file
        raise CheckpointError(f"{file} is damaged (truncated or not a safetensors file): {error}") from None


def _model_arrays(directory, model, arrays):
    """The model's weights from ``arrays``, after checking that their names and shapes (and those
    of saved gradients) are the model's."""
    expected = {f"model.{name}": tuple(t.shape) for name, t in model.state_dict().items()}
    expected.update({f"grad.{name}": tuple(p.shape) for name, p in model.named_parameters()})
    saved = {name: tuple(t.shape) for name, t in arrays.items() if name.startswith(("model.", "grad."))}
    missing = [n for n in expected if n.startswith("model.") and n not in saved]
    unexpected = [n for n in saved if n not in expected]
    reshaped = [n for n in saved if n in expected and saved[n] != expected[n]]
    if missing or unexpected or reshaped:
        file = os.path.join(directory, ARRAYS_FILE)
        problems = [_listing("missing", missing, lambda n: f"{n} {expected[n]}"),
                    _listing("unexpected", unexpected, lambda n: f"{n} {saved[n]}"),
                    _listing("other shapes", reshaped, lambda n: f"{n} {saved[n]}, model {expected[n]}")]
        raise CheckpointError(f"{file} was written for a different model: "
                              + "; ".join(p for p in problems if p))
    return {name[len("model."):]: tensor for name, tensor in arrays.items() if name.startswith("model.")}


def _listing(kind, names, describe):
    if not names:
        return ""
    shown = ", ".join(describe(n) for n in names[:_SHOWN_NAMES])
    more = f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else ""
    return f"{kind}: {shown}{more}"


# ---------------------------------------------------------------- loading

def load_checkpoint(trainer, path):
    """Restore ``trainer`` (model, optimizer, scheduler, position, random states, callbacks) from
    ``path``, or from ``path.old`` when a save was killed half-way (see ``resolve_checkpoint``).
    Both files are checked first: a missing or damaged checkpoint, or one of another model,
    raises ``CheckpointError`` and leaves the trainer as it was."""
    directory = resolve_checkpoint(path)
    state = _read_state(directory)
    arrays = _read_arrays(directory)
    model_state = _model_arrays(directory, trainer.model, arrays)
    partial = state["partial"]
    raw = {name: tensor._data for name, tensor in arrays.items() if name.startswith("partial.")}
    outputs = [unflatten(f"partial.output.{i}", raw) for i in range(partial["batches"])]
    targets = [unflatten(f"partial.target.{i}", raw) for i in range(partial["batches"])]

    # Everything was checked: from here on the trainer changes.
    trainer.model.load_state_dict(model_state)
    with no_grad():
        for name, p in trainer.model.named_parameters():
            grad = arrays.get(f"grad.{name}")
            p.grad = None if grad is None else grad.detach().clone()
    _load_optimizer_state(trainer.optimizer, state["optimizer"], arrays)
    if trainer.scheduler is not None and state["scheduler"] is not None:
        trainer.scheduler.load_state_dict(state["scheduler"])
    _restore_random_states(trainer, state["random"])
    trainer.epoch, trainer.batch_index = state["epoch"], state["batch_index"]
    trainer.global_step, trainer.epoch_order = state["global_step"], state["epoch_order"]
    trainer.epoch_finished = state["epoch_finished"]
    trainer.stop_training = state["stop_training"]
    trainer.partial_epoch = (partial["total_loss"], partial["seen"], outputs, targets)
    for key, callback in _callback_keys(trainer.callbacks):
        if key in state["callbacks"]:
            prefix = f"callback.{key}."
            callback.load_state_dict(state["callbacks"][key],
                                     {k[len(prefix):]: v._data for k, v in arrays.items() if k.startswith(prefix)})


def _restore_random_states(trainer, saved):
    B.default_generator.set_state(saved["chainrule"])
    loader_generator = getattr(trainer.train_loader, "generator", None)
    if loader_generator is not None and saved["loader"] is not None:
        loader_generator.set_state(saved["loader"])
    _set_numpy_state(saved["numpy"])
    _set_python_state(saved["python"])


def _callback_keys(callbacks):
    """Callbacks named by class and occurrence (``EarlyStopping.0``), so that a resumed run may
    add or drop callbacks of other kinds and still find its own state."""
    counts = {}
    for callback in callbacks:
        name = type(callback).__name__
        counts[name] = counts.get(name, -1) + 1
        yield f"{name}.{counts[name]}", callback
