"""chainrule.compile against eager code when Python state changes between calls.

Each case runs a function eagerly and compiled on the same state for several calls, changing
the state between calls, and compares the results: the Python state the call reads below the
function itself (helpers, forward, hooks, defaults, two levels down), tensors shared between
inputs and what the function reads, Python effects on arguments and in hooks, an optimizer's
parameter list, and the objects a replay returns.
"""
import collections
import importlib
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.jit import TraceError


def same_as_eager(fn, changes, make_input=lambda i: cr.full((2, 3), float(i + 1))):
    """Call ``fn`` eagerly and compiled after each change of state; their results must agree."""
    compiled = cr.compile(fn)
    with cr.no_grad():
        for i, change in enumerate(changes):
            change()
            x = make_input(i)
            np.testing.assert_allclose(compiled(x).numpy(), fn(x).numpy(), rtol=1e-6, err_msg=f"call {i}")
    return compiled


def setter(scope, name, value):
    return lambda: scope.__setitem__(name, value) if isinstance(scope, dict) else setattr(scope, name, value)


# ---------------------------------------------------------------- reads below the function

HELPER_FACTOR = 2.0


def _scaled_by_global(x):
    return x * HELPER_FACTOR


def test_a_global_read_by_a_helper_is_guarded():
    compiled = same_as_eager(lambda x: _scaled_by_global(x) + 1,
                             [setter(globals(), "HELPER_FACTOR", 2.0)] + [setter(globals(), "HELPER_FACTOR", v) for v in (3.0, 3.0, -1.0)])
    assert len(compiled.recompiles) == 2 and "HELPER_FACTOR" in compiled.recompiles[0]


def test_a_global_of_an_imported_module_read_by_its_helper_is_guarded(tmp_path, monkeypatch):
    (tmp_path / "user_config.py").write_text("SCALE = 2.0\n\ndef scale(x):\n    return x * SCALE\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = importlib.import_module("user_config")
    try:
        same_as_eager(lambda x: config.scale(x), [lambda: None, setter(config, "SCALE", 5.0)])
        same_as_eager(lambda x: x * config.SCALE, [lambda: None, setter(config, "SCALE", 7.0)])  # module attribute
    finally:
        sys.modules.pop("user_config", None)


def test_a_closure_cell_of_a_nested_helper_is_guarded():
    def make_scaler():
        factor = 2.0

        def scale(x):
            return x * factor

        def set_factor(value):
            nonlocal factor
            factor = value
        return scale, set_factor

    scale, set_factor = make_scaler()
    same_as_eager(lambda x: scale(x), [lambda: None, lambda: set_factor(4.0), lambda: None])


SCALE = 1.0


class _GlobalScaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.l = nn.Linear(3, 3)

    def forward(self, x):
        return self.l(x) * SCALE


def test_the_global_read_in_forward_of_a_compiled_model_is_guarded():   # the first example
    model = _GlobalScaled()
    fast = cr.compile(model)
    x = cr.ones(2, 3)
    with cr.no_grad():
        for s in (1.0, 2.0, 3.0):
            globals()["SCALE"] = s
            np.testing.assert_allclose(fast(x).numpy(), model(x).numpy(), rtol=1e-6)
    assert len(fast.recompiles) == 2 and "`SCALE`" in fast.recompiles[0]


class _ClassScaled(nn.Module):
    FACTOR = 2.0

    def forward(self, x):
        return x * self.FACTOR + type(self).FACTOR


def test_a_class_attribute_read_in_forward_is_guarded():
    model = _ClassScaled()
    same_as_eager(lambda x: model(x), [lambda: None, setter(_ClassScaled, "FACTOR", 5.0), lambda: None])


def test_state_read_by_a_hook_that_replaces_the_output_is_guarded():
    model = nn.Linear(3, 2)
    state = {"factor": 2.0}
    model.register_forward_hook(lambda module, inputs, output: output * state["factor"])
    same_as_eager(lambda x: model(x), [lambda: None, lambda: state.update(factor=-3.0)])


def test_a_global_read_by_an_inner_compiled_function_is_guarded():
    inner = cr.compile(_scaled_by_global)
    globals()["HELPER_FACTOR"] = 2.0
    same_as_eager(lambda x: inner(x) * 2, [lambda: None, setter(globals(), "HELPER_FACTOR", 6.0)])


class _Slotted:
    __slots__ = ("scale",)

    def __init__(self, scale):
        self.scale = scale


def test_captured_sets_deques_and_slots_objects_are_guarded():
    chosen = {1}
    window = collections.deque([1.0, 2.0])
    slotted = _Slotted(2.0)
    same_as_eager(lambda x: x * (2.0 if 1 in chosen else 3.0), [lambda: None, lambda: chosen.discard(1)])
    same_as_eager(lambda x: x * sum(window), [lambda: None, lambda: window.append(5.0)])
    same_as_eager(lambda x: x * slotted.scale, [lambda: None, setter(slotted, "scale", 9.0)])


def _weighted(x, weights={"a": 1.0}):     # a mutable default argument, changed between calls
    return x * weights["a"]


def test_mutable_default_arguments_and_function_attributes_are_guarded():
    same_as_eager(lambda x: _weighted(x), [lambda: None, lambda: _weighted.__defaults__[0].update(a=4.0)])

    def bias(x):
        return x + bias.amount
    bias.amount = 1.0
    same_as_eager(lambda x: bias(x), [lambda: None, setter(bias, "amount", 10.0)])


def test_values_two_levels_down_in_captured_objects_are_guarded():
    class Inner:
        pass

    class Settings:
        pass

    settings = Settings()
    settings.inner = Inner()
    settings.inner.table = [1.0, 2.0]
    same_as_eager(lambda x: x * settings.inner.table[1], [lambda: None, lambda: settings.inner.table.__setitem__(1, 7.0)])


def test_the_learning_rate_read_by_the_function_itself_is_guarded():
    model = nn.Linear(3, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    same_as_eager(lambda x: x * opt.param_groups[0]["lr"],
                  [lambda: None, lambda: opt.param_groups[0].update(lr=0.01)])


def test_a_counter_the_step_does_not_read_does_not_retrace():
    class Trainer:
        def __init__(self):
            self.model = nn.Linear(3, 2)
            self.global_step = 0

        def forward(self, x):
            return self.model(x)

    trainer = Trainer()
    compiled = cr.compile(trainer.forward)
    with cr.no_grad():
        for _ in range(3):
            compiled(cr.ones(2, 3))
            trainer.global_step += 1
    assert compiled.recompiles == []


# ---------------------------------------------------------------- tensors shared between inputs and state

def test_an_input_that_is_a_captured_tensor_is_not_merged_with_it():   # the second example
    c = cr.tensor([1.0, 2.0, 3.0])
    g = cr.compile(lambda x: x + c * 2)
    g(c)
    np.testing.assert_array_equal(g(cr.tensor([10.0, 20.0, 30.0])).numpy(), [12, 24, 36])
    assert "memory shared" in g.recompiles[0]


@pytest.mark.parametrize("share", ["detach", "data", "parameter", "view"])
def test_inputs_sharing_memory_with_a_parameter_trace_apart(share):
    model = nn.Linear(3, 3)
    shared = {"detach": lambda: model.weight.detach(), "data": lambda: model.weight.data,
              "parameter": lambda: model.weight, "view": lambda: model.weight.detach()[:2]}[share]
    fn = lambda w: (model(w) * 2).sum() + w.sum()
    compiled = cr.compile(fn)
    with cr.no_grad():
        first = shared()
        np.testing.assert_allclose(compiled(first).numpy(), fn(first).numpy(), rtol=1e-6)
        other = cr.randn(*first.shape)
        np.testing.assert_allclose(compiled(other).numpy(), fn(other).numpy(), rtol=1e-6)
        np.testing.assert_allclose(compiled(shared()).numpy(), fn(shared()).numpy(), rtol=1e-6)


# ---------------------------------------------------------------- Python effects

def test_effects_on_arguments_are_redone_on_every_replay():
    model = nn.Linear(3, 2)

    class Record:
        pass

    def step(x, log, stats, record, slots):
        y = model(x).sum()
        log.append(y)
        stats["double"] = y * 2
        stats["calls"] = 1
        record.last = (y, x)
        slots[0] = y + 1
        return y

    compiled = cr.compile(step)
    record = Record()
    with cr.no_grad():
        for i in range(4):
            x = cr.full((1, 3), float(i))
            ours, theirs = ([], {}, record, [None]), ([], {}, Record(), [None])
            result = compiled(x, *ours)
            expected = step(x, *theirs)
            assert float(result) == pytest.approx(float(expected))
            assert len(ours[0]) == 1 and float(ours[0][0]) == pytest.approx(float(expected))
            assert float(ours[1]["double"]) == pytest.approx(float(theirs[1]["double"])) and ours[1]["calls"] == 1
            assert float(record.last[0]) == pytest.approx(float(expected)) and record.last[1] is x
            assert float(ours[3][0]) == pytest.approx(float(theirs[3][0]))
    assert len(compiled.traces) == 1


def test_removing_items_of_a_list_argument_stops_the_trace():
    with pytest.raises(TraceError, match=r"removes or inserts items of the list argument 1 \(2 -> 1 items\)"):
        cr.compile(lambda x, items: (items.pop(), x * 2)[1])(cr.ones(2), [1, 2])


def test_writing_into_a_numpy_argument_stops_the_trace():
    def fn(x, table):
        table[0] = 5.0
        return x * 2

    with pytest.raises(TraceError, match="writes into the NumPy array argument 1"):
        cr.compile(fn)(cr.ones(2), np.zeros(2))


def test_storing_an_object_that_holds_tensors_in_an_argument_stops_the_trace():
    class Holder:
        def __init__(self, t):
            self.t = t

    with pytest.raises(TraceError, match=r"stores in argument 1\['out'\] a Holder object that holds tensors"):
        cr.compile(lambda x, out: out.update(out=Holder(x * 2)))(cr.ones(2), {})


def test_the_feature_extraction_hook_runs_on_every_replay():   # the third example
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    acts = []
    model[1].register_forward_hook(lambda m, i, o: acts.append(o.detach()))
    g = cr.compile(lambda x: model(x))
    with cr.no_grad():
        for i in range(3):
            x = cr.full((1, 3), float(i))
            n = len(acts)
            g(x)
            assert len(acts) == n + 1
            np.testing.assert_allclose(acts[-1].numpy(), nn.functional.relu(model[0](x)).numpy(), rtol=1e-6)
    assert len(g.traces) == 1 and len({id(a._data) for a in acts}) == 3   # each call its own array


def test_a_hook_that_reads_values_and_a_pre_hook_that_counts_run_on_every_replay():
    model = nn.Linear(3, 2)
    means, calls = [], {"n": 0}
    model.register_forward_hook(lambda m, i, o: means.append(o.mean().item()))
    model.register_forward_pre_hook(lambda m, args: calls.update(n=calls["n"] + 1))
    g = cr.compile(lambda x: model(x))
    with cr.no_grad():
        for i in range(3):
            x = cr.full((1, 3), float(i))
            g(x)
            assert means[-1] == pytest.approx(float(model.weight.sum(1).mean() * i + model.bias.mean()), rel=1e-5)
    assert calls["n"] == 3 and len(means) == 3


def test_a_hook_that_replaces_the_output_and_stores_it_stops_the_trace():
    model = nn.Linear(3, 2)
    kept = []

    def hook(module, inputs, output):
        kept.append(output)
        return output * 2

    model.register_forward_hook(hook)
    with pytest.raises(TraceError, match="returns a value that replaces the module's output, and also changes the "
                                         "captured list `kept`"):
        cr.compile(lambda x: model(x))(cr.ones(1, 3))


# ---------------------------------------------------------------- optimizers and returned objects

def test_add_param_group_retraces_so_zero_grad_clears_the_new_parameters():
    runs = []
    for compiled in (False, True):
        cr.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        opt = cr.optim.SGD(model[2].parameters(), lr=0.1)   # the first layer trains from the third call

        def step(x):
            opt.zero_grad()
            loss = model(x).pow(2).sum()
            loss.backward()
            opt.step()
            return loss

        run = cr.compile(step) if compiled else step
        losses = []
        for i in range(5):
            if i == 2:
                opt.add_param_group({"params": list(model[0].parameters())})
            losses.append(float(run(cr.full((2, 3), 0.5))))
        runs.append((losses, model[0].weight.detach().numpy().copy()))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-5)
    np.testing.assert_allclose(runs[1][1], runs[0][1], rtol=1e-5)


def test_a_returned_parameter_is_the_parameter_itself():
    model = nn.Linear(2, 2)

    def step(x):
        loss = model(x).sum()
        loss.backward()
        return loss.detach(), model.weight, model.weight

    compiled = cr.compile(step)
    for _ in range(3):
        model.weight.grad = None
        loss, weight, again = compiled(cr.ones(1, 2))
        assert weight is model.weight and again is model.weight
        assert weight.grad is not None


def test_a_returned_detached_input_is_a_new_tensor():
    compiled = cr.compile(lambda x: (x.detach(), x))
    for _ in range(2):
        x = cr.ones(2, requires_grad=True)
        detached, same = compiled(x)
        assert same is x and detached is not x and not detached.requires_grad


@pytest.mark.plain_compile
def test_a_python_whose_instructions_the_observer_does_not_know_is_warned_about(monkeypatch):
    from chainrule.jit import reads
    monkeypatch.setattr(reads, "_PYTHON", (3, 14))
    with pytest.warns(RuntimeWarning, match=r"instructions of Python 3.12 and earlier; on Python 3.14 some reads"):
        cr.compile(lambda x: x * 2)(cr.ones(2))


# ---------------------------------------------------------------- reads through iteration, locals and methods

class _Scale:
    def __init__(self, scale):
        self.scale = scale

    def apply(self, x):
        return x * self.scale


LAYERS = [_Scale(1.0), _Scale(2.0)]


def test_attributes_of_objects_reached_by_iterating_a_list_are_guarded():
    def fn(x):
        for layer in LAYERS:
            x = x * layer.scale
        return x + max(LAYERS, key=lambda layer: layer.scale).scale
    same_as_eager(fn, [lambda: None, setter(LAYERS[0], "scale", 5.0), setter(LAYERS[1], "scale", 7.0)])


def test_a_module_list_of_plain_objects_iterated_in_forward_is_guarded():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(3, 3)
            self.specs = [_Scale(1.0)]

        def forward(self, x):
            y = self.layer(x)
            for spec in self.specs:
                y = y * spec.scale
            return y
    model = Model()
    same_as_eager(model, [lambda: None, setter(model.specs[0], "scale", 4.0)])


def test_a_learning_rate_read_in_a_loop_over_param_groups_is_guarded():
    optimizer = cr.optim.SGD([nn.Parameter(cr.ones(1))], lr=0.1)

    def fn(x):
        for group in optimizer.param_groups:
            x = x * group["lr"]
        return x
    same_as_eager(fn, [lambda: None, lambda: optimizer.param_groups[0].__setitem__("lr", 1.0)])


def test_an_item_of_a_local_container_indexed_by_a_constant_is_guarded():
    config = {"layer": _Scale(2.0)}

    def helper(cfg, x):
        return x * cfg["layer"].scale
    same_as_eager(lambda x: helper(config, x), [lambda: None, setter(config["layer"], "scale", 5.0)])


def test_the_object_of_a_bound_method_kept_in_a_dict_is_guarded():
    scaler = _Scale(2.0)
    ops = {"scale": scaler.apply}
    same_as_eager(lambda x: ops["scale"](x), [lambda: None, setter(scaler, "scale", 5.0)])


def test_an_attribute_added_to_an_object_read_with_hasattr_or_a_default_retraces():
    class Config:
        pass
    config = Config()
    config.name = "run"

    def fn(x):
        x = x * getattr(config, "scale", 1.0)
        return x + 10 if hasattr(config, "shift") else x
    compiled = same_as_eager(fn, [lambda: None, setter(config, "scale", 3.0), setter(config, "shift", True)])
    assert "scale" in compiled.recompiles[0]


def test_the_order_of_a_dict_is_guarded():
    parts = {"a": cr.ones(2), "b": cr.zeros(2)}
    weights = {"a": 1.0, "b": 2.0}

    def fn(x):
        return cr.cat([x * v for v in weights.values()] + list(parts.values()))
    same_as_eager(fn, [lambda: None, lambda: parts.__setitem__("a", parts.pop("a")),
                       lambda: weights.__setitem__("a", weights.pop("a"))], make_input=lambda i: cr.ones(1) * i)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_negative_zero_is_not_zero_in_reads_and_arguments():
    global HELPER_FACTOR
    HELPER_FACTOR = 0.0
    same_as_eager(lambda x: x / HELPER_FACTOR, [lambda: None, setter(globals(), "HELPER_FACTOR", -0.0)])
    compiled = cr.compile(lambda x, k: x / k)
    compiled(cr.ones(2), 0.0)
    np.testing.assert_array_equal(compiled(cr.ones(2), -0.0).numpy(), [-np.inf, -np.inf])
    assert len(compiled.recompiles) == 1


def test_a_numpy_array_attribute_of_a_module_changed_in_place_is_guarded():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = np.ones(3, np.float32)

        def forward(self, x):
            return x * cr.tensor(self.table)
    model = Model()
    same_as_eager(lambda x: model(x), [lambda: None, lambda: model.table.__setitem__(0, 7.0)],
                  make_input=lambda i: cr.ones(3))


def test_an_object_whose_getattr_raises_key_error_is_traced():
    class Config:
        def __init__(self):
            self.values = {"scale": 2.0}

        def __getattr__(self, name):
            return self.values[name]
    config = Config()
    same_as_eager(lambda x: x * config.scale, [lambda: None, lambda: None])


def test_a_returned_gradient_is_the_parameters_gradient_after_the_replay():
    model = nn.Linear(3, 2)
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)

    def step(x):
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
        return model.weight.grad
    compiled = cr.compile(step)
    for _ in range(3):
        assert compiled(cr.ones(4, 3)) is model.weight.grad


def test_backward_with_create_graph_into_a_gradient_that_holds_a_value_stops_the_trace():
    w = cr.tensor([0.5, -1.0, 2.0], requires_grad=True)

    def fn(x):
        (x * w).pow(2).sum().backward(create_graph=True)
        return w.grad.sum().detach()
    compiled = cr.compile(fn)
    compiled(cr.ones(3))                                # .grad was None: stored, as eager code does
    with pytest.raises(TraceError, match=r"adds into a .grad that already holds a value \(shape \(3,\)\)"):
        compiled(cr.ones(3))
