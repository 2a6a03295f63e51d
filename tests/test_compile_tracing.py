"""chainrule.compile is never silently wrong: what breaks a trace says so, side effects are replayed or refused."""
import inspect
import random

import numpy as np
import pytest

import chainrule as cr
from chainrule.jit import CompileCheckError, TraceError
from chainrule.jit.passes import kernels
from chainrule.ops import unary


def line_of(fn, text):
    """``file:line`` of the line in ``fn`` that contains ``text``."""
    lines, first = inspect.getsourcelines(fn)
    offset = next(i for i, line in enumerate(lines) if text in line)
    return f"{__file__}:{first + offset}"


def trace_error(fn, *args):
    with pytest.raises(TraceError) as info:
        cr.compile(fn)(*args)
    return str(info.value)


# ---------------------------------------------------------------- tensor values read into Python

def test_item_names_the_line_and_says_to_return_the_tensor():
    def fn(x):
        return (x * 2).sum().item()

    message = trace_error(fn, cr.randn(3))
    assert ".item() needs a tensor's values in Python while tracing (tensor of shape ())" in message
    assert line_of(fn, ".item()") in message
    assert "Return the tensor and read its value outside the compiled function" in message


def test_numpy_tolist_float_int_each_stop_the_trace():
    readers = {".numpy()": lambda x: x.numpy(), ".tolist()": lambda x: x.tolist(),
               "float()": lambda x: float(x.sum()), "int()": lambda x: int(x.sum())}
    for what, fn in readers.items():
        message = trace_error(fn, cr.randn(3))
        assert message.startswith(f"chainrule.compile: {what} needs a tensor's values"), message


def test_if_on_a_tensor_suggests_where():
    def fn(x):
        if x.sum() > 0:
            return x
        return -x

    message = trace_error(fn, cr.randn(3))
    assert "using a tensor as a Python bool (if, while, and, or)" in message
    assert line_of(fn, "if x.sum()") in message and "chainrule.where(condition, a, b)" in message


def test_a_tensor_as_a_python_index_suggests_tensor_indexing():
    message = trace_error(lambda x: [1, 2, 3][x.argmax()], cr.randn(3))
    assert "using a tensor as a Python index" in message and "x[index_tensor]" in message


def test_formatting_a_tensor_into_a_string_stops_the_trace():
    def fn(x):
        print(f"sum {x.sum()}")
        return x

    message = trace_error(fn, cr.randn(3))
    assert "formatting a tensor as text" in message and line_of(fn, 'print(f"sum') in message
    assert "pass the tensor to print as its own argument" in message


def test_assigning_data_suggests_copy():
    def fn(x):
        x.data = x * 2
        return x

    assert "tensor.copy_(value)" in trace_error(fn, cr.randn(3))


# ---------------------------------------------------------------- Python side effects

def test_print_of_tensors_is_replayed_with_the_new_values(capsys):
    w = cr.ones(3, requires_grad=True)

    @cr.compile
    def fn(x):
        loss = (w * x).sum()
        print("loss", loss, "at", 7, sep=" | ")
        return loss

    for value in (1.0, 2.0, 3.0):
        fn(cr.full((3,), value))
    assert capsys.readouterr().out.splitlines() == [
        f"loss | tensor({3 * v:.4f}, grad_fn=<SumBackward0>) | at | 7".replace("0000", "")
        for v in (1.0, 2.0, 3.0)]


def test_appending_to_a_captured_list_stops_the_trace():
    seen = []

    def fn(x):
        y = x * 2
        seen.append(y)
        return y

    message = trace_error(fn, cr.randn(3))
    assert "changes the captured list `seen` (0 -> 1 items)" in message
    assert "Return the value from the function and update the Python state outside it" in message


def test_replacing_an_item_of_a_captured_dict_stops_the_trace():
    latest = {"loss": None}

    def fn(x):
        y = x * 2
        latest["loss"] = y
        return y

    message = trace_error(fn, cr.randn(3))
    assert "changes an item of the captured dict `latest` in place" in message


def test_rebinding_a_nonlocal_variable_stops_the_trace():
    count = 0

    def fn(x):
        nonlocal count
        count += 1
        return x * 2

    assert "rebinds the captured variable `count`" in trace_error(fn, cr.randn(3))


def test_changing_a_module_attribute_stops_the_trace():
    layer = cr.nn.Dropout(0.5)

    def fn(x):
        layer.p = 0.1
        return layer(x)

    message = trace_error(fn, cr.randn(3))
    assert "changes the attribute p of module" in message and "(0.5 -> 0.1)" in message


class Counter:
    def __init__(self):
        self.calls = 0

    def scaled(self, x):
        self.calls += 1          # a side effect a replay would skip
        return x * 2


def test_changing_an_attribute_of_a_captured_object_stops_the_trace():
    counter = Counter()
    message = trace_error(counter.scaled, cr.randn(3))
    assert "changes the attribute calls of the captured Counter `self` (0 -> 1)" in message

    def fn(x):
        return counter.scaled(x)

    assert "changes the attribute calls of the captured Counter `counter` (1 -> 2)" in trace_error(fn, cr.randn(3))


def test_rebinding_a_buffer_to_a_value_computed_from_it_stops_the_trace():
    class RunningMean(cr.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("avg", cr.zeros(3))

        def forward(self, x):
            self.avg = self.avg * 0.5 + x.mean(0)
            return x - self.avg

    model = RunningMean()
    with pytest.raises(TraceError) as info:
        cr.compile(model)(cr.ones(2, 3))
    message = str(info.value)
    assert ("rebinds the tensor attribute avg of module RunningMean to a new tensor computed from it, so a "
            "replay would read the old one again.\n  called at ") in message
    assert message.endswith("Update it in place instead: with chainrule.no_grad(): avg.copy_(new_value)")


def test_replacing_a_tensor_attribute_with_another_kind_of_value_stops_the_trace():
    class Forgetful(cr.nn.Module):
        def __init__(self):
            super().__init__()
            self.cache = cr.zeros(2)

        def forward(self, x):
            self.cache = None
            return x + 1

    with pytest.raises(TraceError) as info:
        cr.compile(Forgetful())(cr.ones(2))
    message = str(info.value)
    assert "replaces the tensor attribute cache of module Forgetful with NoneType" in message
    assert message.endswith("Keep a tensor there, or change the attribute outside the compiled function.")


def test_a_tensor_attribute_bound_to_a_new_value_is_bound_again_on_each_replay():
    class Remember(cr.nn.Module):
        def forward(self, x):
            self.last = x * 2
            return x + 1

    model = Remember()
    compiled = cr.compile(model)
    for k in range(3):
        compiled(cr.full((2,), float(k)))
        np.testing.assert_array_equal(model.last.numpy(), [2.0 * k, 2.0 * k])
    assert compiled.recompiles == []
    assert "setattr(" in str(compiled.graph)


def test_global_random_generators_stop_the_trace():
    def numpy_draw(x):
        return x * cr.tensor(np.random.rand(3).astype(np.float32))

    def python_draw(x):
        return x * random.random()

    for fn in (numpy_draw, python_draw):
        message = trace_error(fn, cr.randn(3))
        assert "drew numbers from NumPy's or Python's global random generator" in message
        assert "chainrule.rand, randn, randint, randperm, nn.Dropout" in message


def test_optimizer_closure_and_scheduler_with_a_tensor_stop_the_trace():
    w = cr.nn.Parameter(cr.randn(3))
    optimizer = cr.optim.SGD([w], lr=0.1)
    plateau = cr.optim.lr_scheduler.ReduceLROnPlateau(optimizer)

    def with_closure(x):
        def closure():
            optimizer.zero_grad()
            loss = (w * x).sum()
            loss.backward()
            return loss
        return optimizer.step(closure)

    def with_metric(x):
        loss = (w * x).sum()
        plateau.step(loss)
        return loss

    message = trace_error(with_closure, cr.randn(3))
    assert "SGD.step(closure) re-evaluates Python code" in message and "without a closure" in message
    message = trace_error(with_metric, cr.randn(3))
    assert "ReduceLROnPlateau.step() receives a tensor (())" in message and "Call it outside" in message
    assert line_of(with_metric, "plateau.step(loss)") in message


def test_scheduler_step_is_replayed_whole():
    w = cr.nn.Parameter(cr.ones(2))
    optimizer = cr.optim.SGD([w], lr=1.0)
    scheduler = cr.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)

    @cr.compile
    def step():
        optimizer.zero_grad()
        w.sum().backward()
        optimizer.step()
        scheduler.step()

    for _ in range(4):
        step()
    # updates with lr 1, 0.5, 0.25, 0.125
    np.testing.assert_allclose(w.detach().numpy(), 1 - (1 + 0.5 + 0.25 + 0.125))
    assert optimizer.param_groups[0]["lr"] == 0.0625


def test_a_captured_numpy_array_changed_in_place_retraces():
    scale = np.array([2.0], np.float32)
    fn = cr.compile(lambda x: x * cr.tensor(scale))
    fn(cr.ones(2))
    fn(cr.ones(2))
    scale[0] = 3
    np.testing.assert_array_equal(fn(cr.ones(2)).numpy(), [3, 3])
    assert fn.recompiles == ["captured NumPy array `scale` changed in place"]


# ---------------------------------------------------------------- random numbers

def test_randn_and_dropout_draw_fresh_numbers_like_eager():
    layer = cr.nn.Dropout(0.5)

    def fn(x):
        return layer(x) + cr.randn(4)

    compiled = cr.compile(fn)
    x = cr.ones(4)
    for seed in range(4):
        cr.manual_seed(seed)
        got = compiled(x).numpy()
        cr.manual_seed(seed)
        np.testing.assert_array_equal(got, fn(x).numpy())
    cr.manual_seed(10)
    first, second = compiled(x).numpy(), compiled(x).numpy()
    assert not np.array_equal(first, second)


# ---------------------------------------------------------------- check=True

def test_check_passes_and_returns_eager_results_for_a_training_step():
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(4, 8), cr.nn.Tanh(), cr.nn.Linear(8, 2))
    optimizer = cr.optim.Adam(model.parameters(), lr=0.01)
    x, y = cr.randn(5, 4), cr.randn(5, 2)

    @cr.compile(check=True)
    def step():
        optimizer.zero_grad()
        loss = cr.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    losses = [step().item() for _ in range(4)]
    assert losses[-1] < losses[0]


def test_check_reports_the_first_node_a_broken_kernel_changes(monkeypatch):
    monkeypatch.setitem(kernels.ELEMENTWISE, unary.Exp, np.exp2)     # a deliberately wrong lowering

    def fn(x):
        return (x * 3).exp().sum()

    compiled = cr.compile(fn, check=True)
    compiled(cr.randn(4))                                          # traces (eager)
    with pytest.raises(CompileCheckError) as info:
        compiled(cr.randn(4))
    message = str(info.value)
    assert "differ first at\n  %" in message and "= Exp(" in message and line_of(fn, ".exp()") in message
    assert "largest difference" in message


def test_check_raises_a_value_check_as_eager_code_does_with_the_effects_eager_code_had():
    index = cr.tensor([0, 1])
    log = []
    layer = cr.nn.Linear(2, 2)
    layer.register_forward_hook(lambda module, args, out: log.append(1))

    def fn(x):
        return layer(x)[:, index]

    compiled = cr.compile(fn, check=True)
    compiled(cr.ones(1, 2))
    index[1] = 5
    with pytest.raises(IndexError, match="out of range|out of bounds"):
        compiled(cr.ones(1, 2))
    assert log == [1, 1]          # the hook ran once per call, as in eager code


@pytest.mark.plain_compile
def test_check_reports_a_replay_that_raises_where_eager_code_does_not():
    compiled = cr.compile(lambda x: x * 2, check=True)
    compiled(cr.ones(2))

    def broken(arrays, tensors):
        raise ValueError("a broken kernel")
    compiled.traces[0].recording_replay = broken
    with pytest.raises(CompileCheckError, match="the compiled replay raised ValueError: a broken kernel\nbut eager"):
        compiled(cr.ones(2))


def test_check_accepts_in_place_updates_of_state_it_reads():
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(4, 8), cr.nn.BatchNorm1d(8), cr.nn.Linear(8, 2))   # running stats
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    total = cr.zeros(3)

    def step(x):
        optimizer.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        optimizer.step()
        with cr.no_grad():
            total.add_(x[:3, 0])           # a captured tensor written in place, then read
        return loss.detach(), total * 2

    compiled = cr.compile(step, check=True)
    batches = [cr.randn(6, 4) for _ in range(3)]
    for x in batches:
        compiled(x)
    np.testing.assert_allclose(total.numpy(), sum(x[:3, 0].numpy() for x in batches), rtol=1e-6)


def test_check_reports_state_the_guards_cannot_see():
    class Settings:
        pass

    settings = Settings()
    settings.table = np.array([2.0], np.float32)

    def fn(x):
        return x * cr.tensor(getattr(settings, "table"))   # read by builtin getattr: its values are unguarded

    compiled = cr.compile(fn, check=True)
    compiled(cr.ones(2))
    settings.table[0] = 5.0
    with pytest.raises(CompileCheckError, match="differ first at"):
        compiled(cr.ones(2))


# ---------------------------------------------------------------- the graph

def test_graph_listing_has_op_inputs_shape_dtype_and_the_user_line(tmp_path):
    w = cr.randn(3, 4)

    def fn(x):
        return (x @ w).relu()

    compiled = cr.compile(fn)
    compiled(cr.randn(2, 3))
    listing = str(compiled.graph).splitlines()
    assert listing[0] == "%0 = input(0)  (2, 3) float32"
    matmul = next(line for line in listing if "matmul(%0, %1)" in line)
    assert "(2, 4) float32" in matmul and matmul.endswith(line_of(fn, "x @ w"))
    assert listing[-1].startswith("return (%")
    assert compiled.graph.draw(str(tmp_path / "graph.dot")) == [str(tmp_path / "graph.dot")]
    dot = (tmp_path / "graph.dot").read_text()
    assert dot.startswith("digraph compiled {") and "matmul" in dot and "->" in dot


def test_graph_before_a_call_says_to_call_first():
    with pytest.raises(RuntimeError, match="has not been called yet"):
        cr.compile(lambda x: x).graph


@pytest.mark.plain_compile   # check=True runs eager code, autograd included, beside the replay
def test_replay_runs_no_autograd(monkeypatch):
    from chainrule.autograd import engine
    from chainrule.function import Function
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(3, 5), cr.nn.ReLU(), cr.nn.Linear(5, 1))
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    x, y = cr.randn(4, 3), cr.randn(4, 1)

    @cr.compile
    def step():
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        return loss

    step()

    def forbidden(*args, **kwargs):
        raise AssertionError("autograd ran during a replay")

    monkeypatch.setattr(Function, "apply", classmethod(forbidden))
    monkeypatch.setattr(engine, "run_backward", forbidden)
    before = model[0].weight.detach().numpy().copy()
    loss = step()
    assert loss.grad_fn is None and not loss.requires_grad
    assert not np.array_equal(before, model[0].weight.detach().numpy())
    source = step.traces[0].replay.source
    assert "backward" not in source and "apply" not in source


def test_setting_an_optimizer_hyperparameter_inside_stops_the_trace():
    model = cr.nn.Linear(2, 2)
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)

    def step(x, lr):
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()

    message = trace_error(step, cr.ones(1, 2), 0.01)
    assert "sets param_groups[0]['lr'] of the captured SGD `optimizer` (0.1 -> 0.01)" in message
    assert message.endswith("Set it outside the compiled function, or call a learning-rate scheduler's step() "
                            "inside it (replayed whole).")


def test_nn_init_inside_stops_the_trace():
    model = cr.nn.Linear(2, 2)

    def reset(x):
        cr.nn.init.zeros_(model.bias)
        return model(x)

    message = trace_error(reset, cr.ones(1, 2))
    assert "nn.init writes a tensor of shape (2,) with values drawn or computed outside chainrule ops" in message
    assert message.endswith("Initialize the parameters outside the compiled function.")


def test_data_transforms_and_metrics_inside_stop_the_trace():
    from chainrule.data import transforms
    from chainrule.train import metrics
    message = trace_error(lambda x: transforms.Normalize([0.0], [2.0])(x), cr.ones(1, 3))
    assert "a data transform needs a tensor's values in Python while tracing" in message
    assert "Apply transforms to the samples in the Dataset or DataLoader, before the compiled step." in message
    message = trace_error(lambda x, y: metrics.accuracy(x, y), cr.randn(4, 3), cr.zeros(4, dtype=cr.int64))
    assert ".numpy() needs a tensor's values in Python while tracing" in message


def test_reading_the_size_of_a_tensor_sized_by_values_stops_the_trace():
    def mean_above(x):
        n = x[x > 1.5].shape[0]
        return x.sum() / max(n, 1)

    message = trace_error(mean_above, cr.tensor([0.0, 2.0, 3.0]))
    assert "reading the size of a tensor whose size depends on values (made by Index" in message
    assert line_of(mean_above, ".shape[0]") in message
    assert message.endswith("Count with tensor ops (mask.sum()), or return the tensor and read its size outside.")


def test_generator_get_state_inside_stops_the_trace():
    def replayed_draw(x):
        state = cr.default_generator.get_state()
        a = cr.rand(2)
        cr.default_generator.set_state(state)
        return x + a + cr.rand(2)

    message = trace_error(replayed_draw, cr.zeros(2))
    assert "Generator.get_state() inside a compiled function would give the state seen while tracing" in message
    assert message.endswith("Save and restore the generator state outside the compiled function, or reseed inside "
                            "it with manual_seed().")


def test_a_custom_function_keeping_tensors_on_ctx_gets_each_calls_backward():
    class Gate(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mask = (x > 0).float()          # kept on ctx, not with save_for_backward
            return x * ctx.mask

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.mask

    def gradient(x):
        x = x.detach().requires_grad_(True)
        Gate.apply(x).sum().backward()
        return x.grad

    compiled = cr.compile(gradient)
    for values in ([1.0, -1.0, 2.0], [-1.0, 1.0, -2.0], [3.0, 3.0, -3.0]):
        x = cr.tensor(values)
        assert compiled(x).tolist() == gradient(x).tolist()


def test_backward_of_a_graph_built_before_the_call_stops_the_trace():
    w = cr.ones(3, requires_grad=True)

    def backward_only(loss):
        w.grad = None
        loss.backward()
        return w.grad * 1

    message = trace_error(backward_only, (cr.full((3,), 2.0) * w).sum())
    assert "backward() reaches SumBackward0, made before the compiled function was called" in message
    assert line_of(backward_only, "loss.backward()") in message
    assert message.endswith("Compute the loss inside the compiled function (compile the whole training step), "
                            "or call backward() outside it.")
