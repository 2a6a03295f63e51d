"""Crash safety and damage detection of full training checkpoints.

A save killed at any of its steps (in a forked child that dies with os._exit, running no cleanup)
leaves the previous checkpoint or the new one, found by resolve_checkpoint; the next save tidies
up. Damaged files raise CheckpointError naming the file, before the trainer is changed."""
import json
import os
import random
import shutil
import stat
import sys
import traceback

import numpy as np
import pytest

import chainrule as cr
from chainrule import backend, nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.io import atomic_write
from chainrule.train import (Trainer, EarlyStopping, CheckpointError, save_checkpoint, load_checkpoint,
                             resolve_checkpoint, read_checkpoint_state)
from chainrule.train import checkpoint as checkpoint_module

def make_trainer(hidden=16, seed=0):
    cr.seed_everything(seed)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 4)).astype(np.float32)
    y = (x[:, :1] * 2 - x[:, 1:2]).astype(np.float32)
    model = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    optimizer = cr.optim.Adam(model.parameters(), lr=0.01)
    scheduler = cr.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    trainer = Trainer(model, optimizer, nn.MSELoss(), scheduler=scheduler,
                      callbacks=[EarlyStopping("val_loss", patience=50)], progress=False)
    train = DataLoader(TensorDataset(cr.tensor(x[:32]), cr.tensor(y[:32])), batch_size=8, shuffle=True)
    val = DataLoader(TensorDataset(cr.tensor(x[32:]), cr.tensor(y[32:])), batch_size=8)
    return trainer, train, val


def trained(epochs, hidden=16):
    trainer, train, val = make_trainer(hidden)
    trainer.fit(train, val, epochs)
    return trainer


def parameters(trainer):
    return [p.detach().numpy().copy() for p in trainer.model.parameters()]


def assert_same_parameters(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def versions():
    """Two trainers whose checkpoints differ: A (1 epoch), the one on disk, and B (2 epochs), being saved."""
    return trained(1), trained(2)


# ---------------------------------------------------------------- fault injection

class Injected(Exception):
    """The in-process fault."""


class FaultPlan:
    """Counts the calls of a save's primitive operations and runs ``fault`` at call number ``at``."""

    def __init__(self, at, fault):
        self.at, self.fault, self.calls = at, fault, 0

    def wrap(self, name, real):
        def counted(*args, **kwargs):
            index = self.calls
            self.calls += 1
            if index == self.at:
                self.fault(name, real, args, kwargs)
            return real(*args, **kwargs)
        return counted

    @property
    def reached(self):
        return self.calls > self.at


# (module, attribute) of every primitive a save performs: renames, fsyncs, directory creation,
# deletions (rmtree and the unlinks and rmdirs inside it), and the two file writes.
PRIMITIVES = [(os, name) for name in ("replace", "rename", "fsync", "mkdir", "makedirs", "unlink", "rmdir", "remove")]
PRIMITIVES += [(shutil, "rmtree"), (json, "dump"), (checkpoint_module, "save_state_dict")]


def install(plan, set_attribute):
    for module, name in PRIMITIVES:
        set_attribute(module, name, plan.wrap(name, getattr(module, name)))


def kill(name, real, args, kwargs):
    """Die like a killed process, no cleanup. A file write dies half-way through its file."""
    if name == "save_state_dict":
        real(*args, **kwargs)
        os.truncate(args[1], os.path.getsize(args[1]) // 2)
    elif name == "dump":
        text = json.dumps(args[0])
        args[1].write(text[:len(text) // 2])
        args[1].flush()
    os._exit(9)


def raise_injected(name, real, args, kwargs):
    raise Injected(name)


KILLED, COMPLETED = 9, 0


def save_in_killed_child(trainer, path, at):
    """Save in a forked child that is killed at primitive call ``at``: KILLED, or COMPLETED
    when the save needed fewer calls."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            plan = FaultPlan(at, kill)
            install(plan, setattr)
            save_checkpoint(trainer, path)
            code = COMPLETED
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)      # never return into pytest
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    assert code in (KILLED, COMPLETED), f"the child failed (exit code {code}) at fault point {at}"
    return code


def lay_out(layout, parent, path, previous):
    """The directory before the save: what earlier saves (killed or not) left."""
    os.makedirs(parent)
    if layout == "empty":
        return []
    save_checkpoint(previous, path)
    if layout == "old only":            # a save was killed between its renames
        os.rename(path, path + ".old")
        os.mkdir(os.path.join(parent, ".tmp-checkpoint-ckpt-0a1b2c3d"))
    if layout == "leftovers":           # killed saves left a staging directory and a stale .old
        os.mkdir(os.path.join(parent, ".tmp-checkpoint-ckpt-0a1b2c3d"))
        shutil.copytree(path, path + ".old")
        foreign = [".tmp-checkpoint-best-0a1b2c3d", ".tmp-checkpoint-ckpt-2-0a1b2c3d"]
        for name in foreign:            # other checkpoints' saves in progress: not ours to delete
            os.mkdir(os.path.join(parent, name))
        return foreign
    return []


def checkpoint_version(path, by_step):
    """Load what resolve_checkpoint finds into a fresh trainer; it must equal one of ``by_step``
    exactly. Returns (its directory, the global step)."""
    directory = resolve_checkpoint(path)
    state = read_checkpoint_state(path)
    assert state["global_step"] in by_step, f"{directory} holds step {state['global_step']}"
    expected = by_step[state["global_step"]]
    fresh, _, _ = make_trainer(seed=5)
    load_checkpoint(fresh, path)
    assert fresh.global_step == expected.global_step and fresh.epoch == expected.epoch
    assert state["epoch"] == expected.epoch
    assert_same_parameters(parameters(fresh), parameters(expected))
    return directory, state["global_step"]


def assert_tidy(parent, foreign):
    assert sorted(os.listdir(parent)) == sorted(["ckpt"] + foreign)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the kills happen in a forked child")
@pytest.mark.parametrize("layout", ["previous", "empty", "old only", "leftovers"])
def test_a_save_killed_at_any_step_leaves_a_whole_checkpoint(tmp_path, versions, layout):
    previous, new = versions
    by_step = {previous.global_step: previous, new.global_step: new}
    assert len(by_step) == 2
    points, fell_back_to_old = 0, False
    for at in range(200):
        parent = str(tmp_path / f"fault{at}")
        path = os.path.join(parent, "ckpt")
        foreign = lay_out(layout, parent, path, previous)
        if save_in_killed_child(new, path, at) == COMPLETED:
            break
        points += 1
        if layout == "empty":
            try:
                directory, step = checkpoint_version(path, by_step)
            except CheckpointError:     # killed before the first checkpoint was in place
                directory, step = None, None
            assert step in (None, new.global_step)
        else:
            directory, step = checkpoint_version(path, by_step)
            fell_back_to_old |= directory == path + ".old"
        save_checkpoint(new, path)      # the next save succeeds and removes the leftovers
        assert checkpoint_version(path, by_step) == (path, new.global_step)
        assert_tidy(parent, foreign)
    else:
        pytest.fail("the save never completed")
    assert checkpoint_version(path, by_step) == (path, new.global_step)
    assert_tidy(parent, foreign)
    assert points >= 12, f"only {points} fault points were injected"
    if layout != "empty":               # some kill fell between the renames, and .old served
        assert fell_back_to_old


@pytest.mark.parametrize("layout", ["previous", "empty", "leftovers"])
def test_an_error_at_any_step_keeps_the_previous_checkpoint_in_place(tmp_path, versions, monkeypatch, layout):
    previous, new = versions
    by_step = {previous.global_step: previous, new.global_step: new}
    points = 0
    for at in range(200):
        parent = str(tmp_path / f"fault{at}")
        path = os.path.join(parent, "ckpt")
        foreign = lay_out(layout, parent, path, previous)
        earlier = set(os.listdir(parent))
        plan = FaultPlan(at, raise_injected)
        with monkeypatch.context() as patch:
            install(plan, patch.setattr)
            try:
                save_checkpoint(new, path)
            except Injected:
                pass
        if not plan.reached:
            break
        points += 1
        staging = [e for e in os.listdir(parent) if e.startswith(".tmp-checkpoint-") and e not in earlier]
        assert staging == [], f"fault point {at} left its staging directory {staging}"
        if layout == "empty" and not os.path.exists(path):
            assert not os.path.exists(path + ".old")
        else:                           # the previous checkpoint is back in place, or the new one is there
            assert checkpoint_version(path, by_step)[0] == path
        save_checkpoint(new, path)
        assert_tidy(parent, foreign)
    else:
        pytest.fail("the save never completed")
    assert points >= 12, f"only {points} fault points were injected"


def test_a_save_never_removes_old_when_it_is_the_only_checkpoint(tmp_path, versions):
    previous, _ = versions
    path = str(tmp_path / "ckpt")
    save_checkpoint(previous, path)
    os.rename(path, path + ".old")
    checkpoint_module._remove_leftovers(os.path.abspath(path))
    assert resolve_checkpoint(path) == path + ".old"


# ---------------------------------------------------------------- falling back to .old

def test_resume_falls_back_to_old_when_a_save_was_killed_between_the_renames(tmp_path, capsys):
    trainer, train, val = make_trainer()
    trainer.fit(train, val, 1)
    intact, path = str(tmp_path / "intact"), str(tmp_path / "ckpt")
    trainer.save_checkpoint(intact)
    trainer.save_checkpoint(path)
    os.rename(path, path + ".old")      # what a kill between the two renames leaves
    assert resolve_checkpoint(path) == path + ".old"
    assert read_checkpoint_state(path)["epoch"] == 1

    expected, train, val = make_trainer(seed=9)
    expected.fit(train, val, 2, resume_from=intact)
    capsys.readouterr()
    resumed, train, val = make_trainer(seed=9)
    resumed.fit(train, val, 2, resume_from=path)
    assert capsys.readouterr().out == ""
    assert_same_parameters(parameters(resumed), parameters(expected))

    resumed.save_checkpoint(path)       # the next save replaces the .old
    assert sorted(os.listdir(tmp_path)) == ["ckpt", "intact"]
    assert resolve_checkpoint(path) == path


def test_resolve_checkpoint_without_any_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        resolve_checkpoint(str(tmp_path / "missing"))
    os.mkdir(tmp_path / "empty")
    with pytest.raises(CheckpointError, match=r"incomplete: .*state\.json and .*arrays\.safetensors are missing"):
        resolve_checkpoint(str(tmp_path / "empty"))


# ---------------------------------------------------------------- damage

def _cut_arrays_in_half(path):
    file = os.path.join(path, "arrays.safetensors")
    os.truncate(file, os.path.getsize(file) // 2)


def _empty_arrays(path):
    open(os.path.join(path, "arrays.safetensors"), "wb").close()


def _write_state(path, data):
    with open(os.path.join(path, "state.json"), "wb") as handle:
        handle.write(data)


def _edit_state(edit):
    def damage(path):
        with open(os.path.join(path, "state.json")) as handle:
            state = json.load(handle)
        edit(state)
        _write_state(path, json.dumps(state).encode())
    return damage


DAMAGE = {
    "arrays cut in half": (_cut_arrays_in_half, r"arrays\.safetensors is damaged \(truncated or not a safetensors"),
    "empty arrays": (_empty_arrays, r"arrays\.safetensors is damaged"),
    "arrays missing": (lambda p: os.remove(os.path.join(p, "arrays.safetensors")), r"arrays\.safetensors is missing"),
    "state missing": (lambda p: os.remove(os.path.join(p, "state.json")), r"state\.json is missing"),
    "state garbage": (lambda p: _write_state(p, b"{garbage"), r"state\.json is damaged: not valid JSON"),
    "state not UTF-8": (lambda p: _write_state(p, b'{"epoch": "\xff"}'), r"state\.json is damaged: not UTF-8"),
    "state a list": (lambda p: _write_state(p, b"[1, 2]"), r"state\.json is damaged: expected a JSON object"),
    "key missing": (_edit_state(lambda s: s.pop("global_step")), r"state\.json is damaged: .*'global_step' is missing"),
    "nested key missing": (_edit_state(lambda s: s["partial"].pop("seen")), r"damaged: .*'partial\.seen' is missing"),
    "ill-typed key": (_edit_state(lambda s: s.update(epoch="two")), r"damaged: 'epoch' should be an integer"),
    "bad random state": (_edit_state(lambda s: s["random"]["numpy"].__setitem__(1, [1, 2])),
                         r"damaged: 'random\.numpy' is not a valid random state"),
    "newer format": (_edit_state(lambda s: s.update(version=99)), r"written by a newer chainrule"),
}


def trainer_snapshot(trainer):
    """What a load would change: parameters, position, optimizer, every random state."""
    return {"parameters": parameters(trainer), "step": (trainer.global_step, trainer.epoch, trainer.batch_index),
            "lr": trainer.optimizer.param_groups[0]["lr"], "optimizer entries": len(trainer.optimizer.state),
            "chainrule random": backend.default_generator.get_state(), "numpy random": _numpy_random(),
            "python random": random.getstate()}


def _numpy_random():
    name, keys, position, has_gauss, cached = np.random.get_state()
    return name, keys.tolist(), position, has_gauss, cached


def assert_unchanged(before, trainer):
    after = trainer_snapshot(trainer)
    assert_same_parameters(before["parameters"], after["parameters"])
    assert {k: v for k, v in before.items() if k != "parameters"} == \
        {k: v for k, v in after.items() if k != "parameters"}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_checkpoint_raises_and_changes_nothing(tmp_path, versions, damage):
    previous, new = versions
    path = str(tmp_path / "checkpoints" / "last")
    save_checkpoint(new, path)
    make_damage, message = DAMAGE[damage]
    make_damage(path)
    trainer, train, val = make_trainer()
    trainer.fit(train, val, 1)
    before = trainer_snapshot(trainer)
    with pytest.raises(CheckpointError, match=message) as error:
        load_checkpoint(trainer, path)
    assert os.path.join("checkpoints", "last") in str(error.value)
    assert_unchanged(before, trainer)
    with pytest.raises(CheckpointError):
        trainer.fit(train, val, 3, resume_from=path)
    assert_unchanged(before, trainer)


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    path = str(tmp_path / "checkpoints" / "last")
    save_checkpoint(trained(1, hidden=8), path)
    trainer, train, val = make_trainer(hidden=16)
    before = trainer_snapshot(trainer)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(trainer, path)
    message = str(error.value)
    assert "arrays.safetensors was written for a different model" in message
    assert "0.weight (8, 4), model (16, 4)" in message
    assert_unchanged(before, trainer)
    with pytest.raises(CheckpointError, match="different model"):
        checkpoint_module.read_model_arrays(path, trainer.model)


def test_read_checkpoint_state_checks_and_fills_in(tmp_path, versions):
    _, new = versions
    path = str(tmp_path / "ckpt")
    save_checkpoint(new, path)
    _edit_state(lambda s: [s.pop("epoch_finished"), s.pop("stop_training")])(path)   # an older checkpoint
    state = read_checkpoint_state(path)
    assert state["global_step"] == new.global_step
    assert state["epoch_finished"] is False and state["stop_training"] is False


def test_nan_and_infinity_round_trip_as_strict_json(tmp_path):
    trainer, train, val = make_trainer()
    trainer.fit(train, val, 1)
    trainer.partial_epoch = (float("nan"), 8, [], [])   # a diverged epoch
    trainer.callbacks[0].best = float("inf")
    path = str(tmp_path / "ckpt")
    save_checkpoint(trainer, path)

    def refuse(name):
        raise AssertionError(f"bare {name} in state.json")
    with open(os.path.join(path, "state.json")) as handle:
        json.load(handle, parse_constant=refuse)
    fresh, _, _ = make_trainer(seed=3)
    load_checkpoint(fresh, path)
    assert np.isnan(fresh.partial_epoch[0]) and fresh.callbacks[0].best == float("inf")
    assert np.isnan(read_checkpoint_state(path)["partial"]["total_loss"])


def test_a_checkpoint_with_bare_nan_still_loads(tmp_path, versions):
    """Checkpoints written before NaN was encoded hold a bare NaN, which Python's JSON reads."""
    _, new = versions
    path = str(tmp_path / "ckpt")
    save_checkpoint(new, path)
    _edit_state(lambda s: s["partial"].update(total_loss=float("nan")))(path)
    assert b"NaN" in open(os.path.join(path, "state.json"), "rb").read()
    assert np.isnan(read_checkpoint_state(path)["partial"]["total_loss"])


# ---------------------------------------------------------------- permissions

def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("umask,file_mode,dir_mode", [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)])
def test_permissions_follow_the_umask(tmp_path, versions, umask, file_mode, dir_mode):
    _, new = versions
    previous = os.umask(umask)
    try:
        path = str(tmp_path / "run" / "ckpt")
        save_checkpoint(new, path)
        save_checkpoint(new, path)      # a replacing save too
        text = str(tmp_path / "notes.txt")
        atomic_write(text, lambda temporary: open(temporary, "w").write("hello"))
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "run") == dir_mode
    assert _mode(path) == dir_mode
    assert _mode(os.path.join(path, "state.json")) == file_mode
    assert _mode(os.path.join(path, "arrays.safetensors")) == file_mode
    assert _mode(text) == file_mode
    assert open(text).read() == "hello"
