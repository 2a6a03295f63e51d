"""Guards: what a trace assumed, each one checked, each retrace logged in words; dynamic batch sizes."""
import logging
import warnings

import numpy as np
import pytest

import chainrule as cr


def double(x):
    return x * 2


def recompiles_after(fn, first_call, second_call):
    """The recompile reasons after calling ``first_call(fn)`` then ``second_call(fn)``."""
    compiled = cr.compile(fn)
    first_call(compiled)
    first_call(compiled)      # replays
    second_call(compiled)
    return compiled.recompiles


@pytest.mark.parametrize("first, second, reason", [
    (lambda: (cr.randn(32, 784),), lambda: (cr.randn(16, 784),), "input 0 shape (32, 784) -> (16, 784)"),
    (lambda: (cr.randn(3),), lambda: (cr.randn(3, dtype=cr.float64),), "input 0 dtype float32 -> float64"),
    (lambda: (cr.randn(3),), lambda: (cr.randn(3, requires_grad=True),), "input 0 requires_grad False -> True"),
    (lambda: (cr.randn(3), 2), lambda: (cr.randn(3), 3), "non-tensor arguments"),
    (lambda: (cr.randn(4, 3),), lambda: (cr.randn(4, 6)[:, :3],), "input 0 memory layout row-major -> strides (24, 4)"),
], ids=["shape", "dtype", "requires_grad", "literal", "layout"])
def test_each_input_guard_retraces_with_its_reason(first, second, reason):
    def fn(x, k=2):
        return x * k

    reasons = recompiles_after(fn, lambda c: c(*first()), lambda c: c(*second()))
    assert len(reasons) == 1 and reasons[0].startswith(reason)


def test_a_view_of_an_input_in_another_layout_fails_as_eager_does():
    compiled = cr.compile(lambda x: x.view(-1))
    compiled(cr.randn(4, 3))
    compiled(cr.randn(4, 3))                   # replays
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        compiled(cr.randn(4, 6)[:, :3])        # not viewable: traced again, and eager code refuses it


def test_shared_inputs_guard():
    def add(a, b):
        return a + b

    x = cr.ones(3)
    reasons = recompiles_after(add, lambda c: c(cr.ones(3), cr.ones(3)), lambda c: c(x, x))
    assert reasons == ["input 1 shares memory with input 1 -> 0"]


def test_grad_mode_guard():
    def fn(x):
        return x * 2

    def under_no_grad(compiled):
        with cr.no_grad():
            compiled(cr.ones(2))

    assert recompiles_after(fn, lambda c: c(cr.ones(2)), under_no_grad) == ["grad mode on -> off"]


def test_captured_number_guard_retraces_with_the_new_value():
    scale = 2.0

    def fn(x):
        return x * scale

    compiled = cr.compile(fn)
    np.testing.assert_array_equal(compiled(cr.ones(2)).numpy(), 2)
    scale = 5.0
    np.testing.assert_array_equal(compiled(cr.ones(2)).numpy(), 5)
    assert compiled.recompiles == ["captured `scale` 2.0 -> 5.0"]


GLOBAL_FACTOR = 2.0
step = 0     # a global that shares its name with the optimizer's step method


def test_globals_are_guarded_but_attribute_names_are_not():
    global GLOBAL_FACTOR, step
    w = cr.ones(2, requires_grad=True)
    opt = cr.optim.SGD([w], lr=0.1)

    def fn(x):
        opt.zero_grad()
        loss = (w * x).sum() * sum(GLOBAL_FACTOR for _ in range(1))   # read in a generator too
        loss.backward()
        opt.step()
        return loss

    compiled = cr.compile(fn)
    for step in range(3):              # rebinding the global `step` is no reason to retrace
        compiled(cr.ones(2))
    assert compiled.recompiles == []
    expected = 3.0 * w.detach().sum().item()     # the loss, before this step's update
    GLOBAL_FACTOR = 3.0
    try:
        assert compiled(cr.ones(2)).item() == pytest.approx(expected)
    finally:
        GLOBAL_FACTOR = 2.0
    assert compiled.recompiles == ["captured `GLOBAL_FACTOR` 2.0 -> 3.0"]


def test_captured_object_guard_is_by_identity():
    model = cr.nn.Linear(2, 2)

    def fn(x):
        return model(x)

    compiled = cr.compile(fn)
    compiled(cr.ones(1, 2))
    model = cr.nn.Linear(2, 2)
    np.testing.assert_allclose(compiled(cr.ones(1, 2)).detach().numpy(), model(cr.ones(1, 2)).detach().numpy())
    assert compiled.recompiles == ["captured `model` is now a different Linear object"]


class Settings:
    def __init__(self):
        self.scale = 2.0
        self.name = "run"

    def apply(self, x):
        return x * self.scale


def test_plain_attributes_of_a_captured_object_are_guarded():
    settings = Settings()

    def fn(x):
        return x * settings.scale

    compiled = cr.compile(fn)
    compiled(cr.ones(2))
    settings.scale = 3.0
    np.testing.assert_array_equal(compiled(cr.ones(2)).numpy(), 3)
    [reason] = compiled.recompiles
    assert reason.startswith("closure variable `settings.scale` (read at ") and reason.endswith(" 2.0 -> 3.0")


def test_the_object_of_a_compiled_method_is_guarded():
    settings = Settings()
    compiled = cr.compile(settings.apply)
    compiled(cr.ones(2))
    settings.scale = 5.0
    np.testing.assert_array_equal(compiled(cr.ones(2)).numpy(), 5)
    [reason] = compiled.recompiles
    assert reason.startswith("attribute `self.scale` (read at ") and reason.endswith(" 2.0 -> 5.0")


def test_a_compiled_forward_method_guards_its_module():
    model = Scale(2.0, {"shift": 0.0})
    compiled = cr.compile(model.forward)
    compiled(cr.ones(2))
    model.factor = 4.0
    np.testing.assert_array_equal(compiled(cr.ones(2)).numpy(), 4)
    assert compiled.recompiles == ["module Scale factor 2.0 -> 4.0"]


def test_a_captured_tensor_given_a_new_shape_retraces():
    w = cr.randn(3)

    def fn(x):
        return (w * x).mean()          # the graph holds 1/3 as a constant

    compiled = cr.compile(fn)
    compiled(cr.ones(3))
    w.data = cr.ones(2, 3)
    assert compiled(cr.ones(3)).item() == pytest.approx(1.0)
    assert compiled.recompiles == ["captured tensor `w` shape (3,) -> (2, 3)"]


def test_freezing_a_parameter_retraces_and_leaves_it_alone():
    layer = cr.nn.Linear(3, 2)
    optimizer = cr.optim.SGD(layer.parameters(), lr=0.1)

    def step(x):
        optimizer.zero_grad()
        layer(x).sum().backward()
        optimizer.step()

    compiled = cr.compile(step)
    compiled(cr.ones(1, 3))
    layer.bias.requires_grad_(False)
    frozen = layer.bias.detach().numpy().copy()
    compiled(cr.ones(1, 3))
    np.testing.assert_array_equal(layer.bias.detach().numpy(), frozen)
    assert layer.bias.grad is None
    assert compiled.recompiles == ["bias of module Linear requires_grad True -> False"]


def test_a_captured_list_of_tensors_changed_in_place_retraces():
    a, b = cr.ones(2), cr.full((2,), 3.0)
    terms = [a]

    def total(x):
        return x * sum(terms)

    compiled = cr.compile(total)
    compiled(cr.ones(2))
    terms.append(b)
    np.testing.assert_array_equal(compiled(cr.ones(2)).numpy(), 4)
    assert compiled.recompiles == ["captured list `terms` changed in place"]


def test_train_eval_mode_guard_names_the_module():
    model = cr.nn.Sequential(cr.nn.Linear(3, 3), cr.nn.Dropout(0.5))
    compiled = cr.compile(lambda x: model(x))
    with cr.no_grad():
        compiled(cr.ones(2, 3))
        model.eval()
        out = compiled(cr.ones(2, 3))
        np.testing.assert_allclose(out.numpy(), model(cr.ones(2, 3)).numpy())
    assert len(compiled.recompiles) == 1
    assert compiled.recompiles[0].startswith("module") and "training True -> False" in compiled.recompiles[0]


class Scale(cr.nn.Module):
    def __init__(self, factor, options):
        super().__init__()
        self.factor = factor
        self.options = options

    def forward(self, x):
        return x * self.factor + self.options["shift"]


def test_module_hyperparameter_guards_numbers_and_dicts_of_numbers():
    layer = Scale(2.0, {"shift": 1.0})
    compiled = cr.compile(lambda x: layer(x))
    compiled(cr.ones(2))
    layer.factor = 3.0
    np.testing.assert_array_equal(compiled(cr.ones(2)).numpy(), 4.0)
    layer.options["shift"] = 5.0                     # changed in place
    np.testing.assert_array_equal(compiled(cr.ones(2)).numpy(), 8.0)
    assert compiled.recompiles == ["module Scale factor 2.0 -> 3.0",
                                   "module Scale options {'shift': 1.0} -> {'shift': 5.0}"]


def test_captured_list_of_numbers_changed_in_place_retraces():
    weights = [1.0, 2.0]

    def fn(x):
        return x * weights[0] + weights[1]

    compiled = cr.compile(fn)
    compiled(cr.ones(2))
    weights[1] = 10.0
    np.testing.assert_array_equal(compiled(cr.ones(2)).numpy(), 11.0)
    assert compiled.recompiles == ["captured `weights` [1.0, 2.0] -> [1.0, 10.0]"]


def test_gradient_none_state_guard():
    w = cr.ones(2, requires_grad=True)

    def accumulate():
        (w * 3).sum().backward()

    compiled = cr.compile(accumulate)
    compiled()                           # w.grad was None: the trace stores a fresh gradient
    compiled()                           # now it is set: accumulating is another graph
    np.testing.assert_array_equal(w.grad.numpy(), [6, 6])
    compiled()
    np.testing.assert_array_equal(w.grad.numpy(), [9, 9])
    assert compiled.recompiles == ["a gradient (shape (2,)) was None, now set"]


def test_each_retrace_is_logged(caplog):
    compiled = cr.compile(double)
    with caplog.at_level(logging.INFO, logger="chainrule.compile"):
        compiled(cr.ones(4))
        compiled(cr.ones(5))
    assert "tracing double again: input 0 shape (4,) -> (5,)" in caplog.text


def test_repeated_recompiles_warn_naming_the_input_and_dynamic():
    compiled = cr.compile(double)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for size in range(2, 8):
            compiled(cr.ones(size))
    messages = [str(w.message) for w in caught if "traced again" in str(w.message)]
    assert len(messages) == 1
    assert "double was traced again 4 times; input 0 shape changed 4 of them" in messages[0]
    assert "dynamic=True" in messages[0]


def test_the_repeated_recompile_warning_counts_what_changed_not_its_values():
    scale = 1.0

    def scaled(x):
        return x * scale

    compiled = cr.compile(scaled, cache_size=16)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(6):
            scale = float(k + 2)
            compiled(cr.ones(2))
    message = next(str(w.message) for w in caught if "traced again" in str(w.message))
    assert "scaled was traced again 4 times; captured `scale` changed 4 of them (last: captured `scale` 5.0 -> 6.0)" \
        in message
    assert "dynamic=True" not in message


def test_the_cache_is_bounded_and_least_recently_used_goes_first():
    compiled = cr.compile(double, cache_size=2)
    compiled(cr.ones(2))
    compiled(cr.ones(3))
    compiled(cr.ones(2))                 # a hit: 2 is now the most recent
    with pytest.warns(UserWarning, match="more than cache_size=2 traces"):
        compiled(cr.ones(4))             # drops 3
    assert [t.guards.inputs[0][0] for t in compiled.traces] == [(4,), (2,)]


# ---------------------------------------------------------------- dynamic batch size

def make_training_step(seed):
    cr.manual_seed(seed)
    model = cr.nn.Sequential(cr.nn.Linear(6, 16), cr.nn.ReLU(), cr.nn.Linear(16, 3))
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = cr.nn.CrossEntropyLoss()

    def step(x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step, model


def test_dynamic_serves_every_batch_size_from_one_graph():
    step, model = make_training_step(0)
    eager, eager_model = make_training_step(0)
    compiled = cr.compile(step, dynamic=True)
    cr.manual_seed(1)
    for size in (32, 16, 7, 32, 100, 7, 2):
        x, y = cr.randn(size, 6), cr.randint(0, 3, (size,))
        np.testing.assert_allclose(compiled(x, y).item(), eager(x, y).item(), rtol=1e-6)
    for ours, theirs in zip(model.parameters(), eager_model.parameters()):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert len(compiled.traces) == 1 and len(compiled.recompiles) == 1
    assert compiled.recompiles[0] == ("input 0 shape (32, 6) -> (16, 6); dim 0 of input 0, 1 is now the "
                                      "symbol B, one graph serves every batch size")
    listing = str(compiled.symbolic_graph)
    assert "%0 = input(0)  (B, 6) float32" in listing and "(B, 16)" in listing


def test_dynamic_serves_every_batch_size_with_gradient_clipping():
    cr.manual_seed(0)
    model = cr.nn.Linear(4, 3)
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        optimizer.zero_grad()
        loss = cr.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        cr.nn.utils.clip_grad_norm_(model.parameters(), 0.1)   # writes into each call's fresh .grad
        optimizer.step()
        return loss.detach()

    compiled = cr.compile(step, dynamic=True)
    for size in (8, 5, 12, 3):
        compiled(cr.randn(size, 4), cr.randint(0, 3, (size,)))
    assert len(compiled.traces) == 1
    assert compiled.recompiles[0].endswith("one graph serves every batch size")


def test_dynamic_still_guards_other_dimensions():
    compiled = cr.compile(double, dynamic=True)
    for size in (4, 8, 5):
        compiled(cr.ones(size, 3))
    compiled(cr.ones(5, 2))
    assert compiled.recompiles[-1] == "input 0 shape (5, 3) -> (5, 2)"


def test_dynamic_keeps_batch_size_one_apart():
    compiled = cr.compile(lambda x: x.sum(0), dynamic=True)
    for size in (4, 8, 1):
        np.testing.assert_array_equal(compiled(cr.ones(size, 2)).numpy(), [size, size])
    assert len(compiled.recompiles) == 2 and "(8, 2) -> (1, 2)" in compiled.recompiles[1]


def test_dynamic_falls_back_to_one_trace_per_size_with_the_reason():
    def depends_on_batch(x):
        squares = np.arange(x.shape[0], dtype=np.float32) ** 2     # a constant array per batch size
        return x * cr.tensor(squares).reshape(-1, 1)

    compiled = cr.compile(depends_on_batch, dynamic=True)
    for size in (4, 6, 5):
        x = cr.ones(size, 2)
        np.testing.assert_array_equal(compiled(x).numpy(), depends_on_batch(x).numpy())
    assert "dynamic=True, but the graph depends on the batch size beyond shapes" in compiled.recompiles[0]


def test_literal_arguments_are_guarded_by_type_too():
    def scale(x, k):
        return x * k

    compiled = cr.compile(scale)
    ints = cr.tensor([1, 2])
    assert compiled(ints, 2).dtype == cr.int64
    assert compiled(ints, 2.0).dtype == cr.float32          # 2 == 2.0, but the result type differs
    assert compiled.recompiles == ["non-tensor arguments ('tuple', ('tuple', <tensor 0>, 2), ('dict',)) -> "
                                   "('tuple', ('tuple', <tensor 0>, 2.0), ('dict',))"]


def test_default_dtype_guard():
    compiled = cr.compile(lambda x: x + cr.ones(2))
    compiled(cr.ones(2, dtype=cr.float64))
    cr.set_default_dtype(cr.float64)
    try:
        assert compiled(cr.ones(2, dtype=cr.float64)).dtype == cr.float64
    finally:
        cr.set_default_dtype(cr.float32)
    assert compiled.recompiles == ["default dtype float32 -> float64"]


def test_a_parameter_rebound_between_calls_retraces():
    model = cr.nn.Linear(3, 2)
    compiled = cr.compile(lambda x: model(x))
    x = cr.ones(1, 3)
    with cr.no_grad():
        compiled(x)
        model.weight = cr.nn.Parameter(cr.zeros(2, 3))
        np.testing.assert_allclose(compiled(x).numpy(), model.bias.detach().numpy()[None])
    assert compiled.recompiles == ["module Linear weight is bound to a different Parameter"]


def test_a_tensor_attribute_of_a_captured_object_rebound_between_calls_retraces():
    class Holder:
        pass

    holder = Holder()
    holder.w = cr.ones(3)
    compiled = cr.compile(lambda x: x * holder.w)
    compiled(cr.ones(3))
    holder.w = cr.full((3,), 5.0)
    np.testing.assert_array_equal(compiled(cr.ones(3)).numpy(), [5.0, 5.0, 5.0])
    [reason] = compiled.recompiles
    assert reason.startswith("closure variable `holder.w` (read at ")
    assert reason.endswith(" is now a different Tensor object")


def test_forward_hooks_added_or_removed_after_tracing_retrace():
    model = cr.nn.Linear(2, 2)
    compiled = cr.compile(lambda x: model(x))
    x = cr.ones(1, 2)
    with cr.no_grad():
        plain = compiled(x).numpy()
        handle = model.register_forward_hook(lambda module, inputs, output: output * 10)
        np.testing.assert_allclose(compiled(x).numpy(), plain * 10, rtol=1e-6)
        handle.remove()
        np.testing.assert_allclose(compiled(x).numpy(), plain, rtol=1e-6)
    assert compiled.recompiles == ["module Linear forward hooks added or removed"]   # then the first trace again


def test_attributes_of_a_captured_module_that_is_not_called_are_guarded():
    model = cr.nn.Linear(2, 2)
    model.scale = numpy_scale = np.float32(2.0)      # a NumPy scalar is a plain value too
    compiled = cr.compile(lambda x: x * model.scale)
    assert compiled(cr.ones(2)).numpy().tolist() == [2.0, 2.0]
    model.scale = np.float32(3.0)
    assert compiled(cr.ones(2)).numpy().tolist() == [3.0, 3.0]
    assert compiled.recompiles == [f"module Linear scale {numpy_scale!r} -> {np.float32(3.0)!r}"]


def test_object_and_array_arguments_are_guarded_by_their_contents():
    class Config:
        def __init__(self, scale):
            self.scale = scale

    config = Config(2.0)
    table = np.array([1.0, 2.0], np.float32)
    compiled = cr.compile(lambda x, cfg, t: x * cfg.scale + cr.tensor(t))
    x = cr.ones(2)
    assert compiled(x, config, table).numpy().tolist() == [3.0, 4.0]
    config.scale = 3.0
    assert compiled(x, config, table).numpy().tolist() == [4.0, 5.0]
    table[0] = 10.0
    assert compiled(x, config, table).numpy().tolist() == [13.0, 5.0]
    assert len(compiled.recompiles) == 2
    assert all(reason.startswith("non-tensor arguments") for reason in compiled.recompiles)
    compiled(x, config, table)
    assert len(compiled.recompiles) == 2            # unchanged arguments replay


def test_a_submodule_a_list_item_or_a_function_swapped_on_a_model_retraces():
    class Net(cr.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = cr.nn.Linear(4, 3)
            self.layers = cr.nn.ModuleList([cr.nn.Tanh()])
            self.act = cr.tanh

        def forward(self, x):
            return self.act(self.layers[0](self.fc(x)))

    model = Net()
    compiled = cr.compile(model)
    x = cr.randn(2, 4)
    with cr.no_grad():
        compiled(x)
        model.fc = cr.nn.Linear(4, 3)
        np.testing.assert_allclose(compiled(x).numpy(), model(x).numpy(), rtol=1e-6)
        model.layers[0] = cr.nn.ReLU()
        np.testing.assert_allclose(compiled(x).numpy(), model(x).numpy(), rtol=1e-6)
        model.act = cr.sigmoid
        np.testing.assert_allclose(compiled(x).numpy(), model(x).numpy(), rtol=1e-6)
    assert len(compiled.recompiles) == 3
    assert compiled.recompiles[0] == "module Net fc is bound to a different Linear"
    assert compiled.recompiles[1].endswith("_layers changed its items")
    assert compiled.recompiles[2] == "module Net act is bound to a different function"


def test_a_submodule_read_but_not_called_is_guarded():
    class Net(cr.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = cr.nn.Linear(3, 2)

        def forward(self, x):
            return cr.nn.functional.linear(x, self.lin.weight, self.lin.bias)

    model = Net()
    compiled = cr.compile(model)
    x = cr.randn(2, 3)
    with cr.no_grad():
        compiled(x)
        model.lin.weight = cr.nn.Parameter(cr.zeros(2, 3))
        np.testing.assert_allclose(compiled(x).numpy(), model(x).numpy(), rtol=1e-6)
    assert len(compiled.recompiles) == 1 and "weight is bound to a different Parameter" in compiled.recompiles[0]


def test_train_and_eval_inside_the_function_are_replayed_and_guarded_at_entry():
    model = cr.nn.Sequential(cr.nn.Linear(4, 4), cr.nn.Dropout(0.5))
    x = cr.randn(2, 4)

    def validate(x):
        with cr.no_grad():
            out = model(x)
        model.train()                         # leave the model ready for the next epoch
        return out

    compiled = cr.compile(validate)
    for seed in range(3):
        model.eval()
        cr.manual_seed(seed)
        expected = validate(x).numpy()
        model.eval()
        cr.manual_seed(seed)
        np.testing.assert_allclose(compiled(x).numpy(), expected, rtol=1e-6)
        assert model.training and model[1].training   # switched back by the replay
    assert compiled.recompiles == []
    assert "= train(" in str(compiled.graph)

    def train_step(x):
        model.train()
        return model(x).detach()

    def eval_step(x):
        model.eval()
        return model(x).detach()

    compiled_train, compiled_eval = cr.compile(train_step), cr.compile(eval_step)
    for epoch in range(5):
        compiled_train(x)
        compiled_eval(x)
    assert len(compiled_train.traces) == 2     # entered once in train mode, then in eval mode
    assert len(compiled_eval.traces) == 1


def test_a_scheduler_the_step_only_sometimes_calls_does_not_retrace_it():
    model = cr.nn.Linear(3, 2)
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    scheduler = cr.optim.lr_scheduler.StepLR(optimizer, 2)

    def step(x, y, update):                   # gradient accumulation over four calls
        (cr.nn.functional.mse_loss(model(x), y) / 4).backward()
        if update:
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()

    compiled = cr.compile(step)
    x, y = cr.randn(4, 3), cr.randn(4, 2)
    for i in range(24):
        compiled(x, y, i % 4 == 3)
    assert len(compiled.traces) == 3           # update False with .grad None or set, update True
    assert compiled.recompiles[0] == "a gradient (shape (2,)) was None, now set"


def test_a_model_passed_as_an_argument_is_switched_on_each_replay_too():
    model = cr.nn.Sequential(cr.nn.Linear(3, 3), cr.nn.Dropout(0.5))

    def evaluate(m, x):
        m.eval()
        return m(x).detach()

    compiled = cr.compile(evaluate)
    for _ in range(3):
        model.train()
        x = cr.randn(2, 3)
        np.testing.assert_allclose(compiled(model, x).numpy(), model(x).detach().numpy(), rtol=1e-6)
        assert not model.training and not model[1].training
    assert len(compiled.traces) == 1


def test_dynamic_confirms_the_symbols_at_a_third_batch_size():
    def hardest_half(logits, y):          # B//2 at B = 16 and 15 fits B - 8 as well
        per_sample = cr.nn.functional.cross_entropy(logits, y, reduction="none")
        return per_sample.topk(logits.shape[0] // 2).values.mean()

    compiled = cr.compile(hardest_half, dynamic=True)
    with pytest.warns(UserWarning, match="hardest_half was traced again 4 times"):   # one trace per size now
        for size in (16, 15, 12, 9, 20):
            logits, y = cr.randn(size, 3), cr.randint(0, 3, (size,))
            assert compiled(logits, y).item() == pytest.approx(hardest_half(logits, y).item(), rel=1e-6)
    assert compiled.recompiles[1].startswith("batch size 12: the graph with the symbol B does not fit a trace")

    doubled = cr.compile(lambda x: x * 2, dynamic=True)
    for size in (4, 5, 6, 7, 9):
        assert doubled(cr.ones(size)).tolist() == [2.0] * size
    assert len(doubled.traces) == 1 and len(doubled.recompiles) == 1


def test_dynamic_keeps_batch_sizes_below_a_fixed_slice_apart():
    first_rows = lambda x: x[:4].mean()
    compiled = cr.compile(first_rows, dynamic=True)
    for size in (16, 8, 12, 3, 20):
        x = cr.randn(size, 4)
        assert compiled(x).item() == pytest.approx(first_rows(x).item(), rel=1e-6)
    assert "3 is below 8, the smallest the graph serves" in " ".join(compiled.recompiles)


def test_hooks_on_a_compiled_module_run():
    model = cr.nn.Linear(3, 2)
    compiled = cr.compile(model)
    compiled.register_forward_pre_hook(lambda module, inputs: (inputs[0] * 2,))
    compiled.register_forward_hook(lambda module, inputs, output: output * 10)
    x = cr.ones(1, 3)
    with cr.no_grad():
        for _ in range(2):
            np.testing.assert_allclose(compiled(x).numpy(), (model(x * 2) * 10).numpy(), rtol=1e-6)


def test_dynamic_serves_inputs_that_get_gradients():
    model = cr.nn.Linear(4, 3)

    def adversarial(x, y):
        model.zero_grad()
        cr.nn.functional.cross_entropy(model(x), y).backward()
        return (x + 0.1 * x.grad.sign()).detach()

    compiled = cr.compile(adversarial, dynamic=True)
    for size in (8, 6, 5, 9, 3):
        x, y = cr.randn(size, 4), cr.randint(0, 3, (size,))
        eager_x, compiled_x = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
        np.testing.assert_allclose(compiled(compiled_x, y).numpy(), adversarial(eager_x, y).numpy(), rtol=1e-6)
        np.testing.assert_allclose(compiled_x.grad.numpy(), eager_x.grad.numpy(), rtol=1e-6)
    assert len(compiled.traces) == 1
