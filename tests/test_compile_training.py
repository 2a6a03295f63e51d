"""Compiled training ends where eager training ends; a compiled forward gives eager's outputs."""
import copy
import logging

import numpy as np
import pytest

import chainrule as cr

nn = cr.nn
STEPS = 100


def lecture_net():
    """3 -> 4 (ReLU) -> 2, MSE, plain SGD written by hand, batch 1 (bench W1)."""
    w1, b1 = cr.randn(3, 4, requires_grad=True), cr.zeros(4, requires_grad=True)
    w2, b2 = cr.randn(4, 2, requires_grad=True), cr.zeros(2, requires_grad=True)
    x, target = cr.randn(1, 3), cr.randn(1, 2)
    params = [w1, b1, w2, b2]

    def step():
        y = (x @ w1 + b1).relu() @ w2 + b2
        loss = ((y - target) ** 2).mean()
        loss.backward()
        with cr.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None
        return loss
    return step, params


def classifier_step(model, optimizer, x, y):
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step, list(model.parameters())


def w2_mlp():
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    x, y = cr.randn(128, 784), cr.randint(0, 10, (128,))
    return classifier_step(model, cr.optim.Adam(model.parameters(), lr=1e-3), x, y)


def lenet():
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                          nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    x, y = cr.randn(64, 1, 28, 28), cr.randint(0, 10, (64,))
    return classifier_step(model, cr.optim.SGD(model.parameters(), lr=0.01, momentum=0.9), x, y)


def w4_lstm():
    lstm, head = nn.LSTM(32, 128), nn.Linear(128, 1)
    x, y = cr.randn(50, 32, 32), cr.randn(32, 1)
    params = list(lstm.parameters()) + list(head.parameters())
    optimizer = cr.optim.Adam(params, lr=1e-3)

    def step():
        optimizer.zero_grad()
        out, _ = lstm(x)
        loss = ((head(out[-1]) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        return loss
    return step, params


@pytest.mark.parametrize("build", [lecture_net, w2_mlp, lenet, w4_lstm], ids=lambda b: b.__name__)
def test_compiled_training_ends_with_eager_parameters(build):
    cr.manual_seed(0)
    eager_step, eager_params = build()
    cr.manual_seed(0)
    step, params = build()
    compiled = cr.compile(step)
    eager_losses, losses = [], []
    for _ in range(STEPS):
        eager_losses.append(eager_step().item())
        losses.append(compiled().item())
    assert len(compiled.traces) == 1 and compiled.recompiles == []
    assert losses[-1] < losses[0]          # it trained
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(params, eager_params):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_compiled_step_with_dropout_and_batch_norm_matches_eager_with_the_same_seed():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
    twin = copy.deepcopy(model)
    x, y = cr.randn(16, 10), cr.randint(0, 3, (16,))
    step, _ = classifier_step(model, cr.optim.SGD(model.parameters(), lr=0.1), x, y)
    eager, _ = classifier_step(twin, cr.optim.SGD(twin.parameters(), lr=0.1), x, y)
    compiled = cr.compile(step)
    for seed in range(20):
        cr.manual_seed(seed)
        ours = compiled().item()
        cr.manual_seed(seed)
        np.testing.assert_allclose(ours, eager().item(), rtol=1e-6)
    for ours, theirs in zip(model.state_dict().values(), twin.state_dict().values()):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def _clip_norm(model):
    nn.utils.clip_grad_norm_(model.parameters(), 0.5)


def _clip_value(model):
    nn.utils.clip_grad_value_(model.parameters(), 0.01)


def _mlp():
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))


def _gradient_penalty(model, x):
    """The loss plus the squared gradient of the outputs with respect to the inputs."""
    inputs = x.detach().requires_grad_(True)
    out = model(inputs)
    grad, = cr.autograd.grad(out.sum(), inputs, create_graph=True)
    return out, (grad ** 2).mean()


LIBRARY_STEPS = {   # model, what runs between backward() and step(), batch maker, extra loss
    "clip_grad_norm_": (_mlp, _clip_norm, lambda: (cr.randn(6, 5) * 3, cr.randint(0, 3, (6,))), None),
    "clip_grad_value_": (_mlp, _clip_value, lambda: (cr.randn(6, 5) * 3, cr.randint(0, 3, (6,))), None),
    "Embedding max_norm": (lambda: nn.Sequential(nn.Embedding(10, 4, max_norm=1.0), nn.Flatten(), nn.Linear(12, 3)),
                           None, lambda: (cr.randint(0, 10, (6, 3)), cr.randint(0, 3, (6,))), None),
    "BatchNorm momentum=None": (lambda: nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8, momentum=None),
                                                      nn.Linear(8, 3)),
                                None, lambda: (cr.randn(6, 5), cr.randint(0, 3, (6,))), None),
    "weight_norm": (lambda: nn.Sequential(nn.utils.weight_norm(nn.Linear(5, 8)), nn.Tanh(), nn.Linear(8, 3)),
                    None, lambda: (cr.randn(6, 5), cr.randint(0, 3, (6,))), None),
    "gradient penalty": (_mlp, None, lambda: (cr.randn(6, 5), cr.randint(0, 3, (6,))), _gradient_penalty),
}


def _library_step(model, optimizer, between, penalty):
    def step(x, y):
        optimizer.zero_grad()
        out, extra = penalty(model, x) if penalty else (model(x), 0.0)
        loss = nn.functional.cross_entropy(out, y) + extra
        loss.backward()
        if between:
            between(model)
        optimizer.step()
        return loss.detach()
    return step


@pytest.mark.parametrize("name", list(LIBRARY_STEPS))
def test_library_code_in_a_compiled_step_follows_each_batch(name):
    make_model, between, make_batch, penalty = LIBRARY_STEPS[name]
    models = []
    for _ in range(2):
        cr.manual_seed(0)
        models.append(make_model())
    eager_model, model = models
    eager = _library_step(eager_model, cr.optim.SGD(eager_model.parameters(), lr=0.1, momentum=0.9), between, penalty)
    compiled = cr.compile(_library_step(model, cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), between,
                                        penalty))
    for _ in range(5):
        batch = make_batch()
        np.testing.assert_allclose(compiled(*batch).numpy(), eager(*batch).numpy(), rtol=1e-5, atol=1e-6)
    assert len(compiled.traces) == 1
    for (key, ours), theirs in zip(model.state_dict().items(), eager_model.state_dict().values()):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=key)


# ---------------------------------------------------------------- compile(model)

def small_net():
    cr.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.25),
                         nn.Flatten(), nn.Linear(4 * 6 * 6, 5))


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_compiled_forward_matches_eager_in_train_and_eval_mode(mode):
    model = small_net()
    twin = copy.deepcopy(model)
    compiled = cr.compile(model)
    getattr(compiled, mode)()
    getattr(twin, mode)()
    for seed in range(3):
        x = cr.randn(8, 1, 6, 6)
        with cr.no_grad():
            cr.manual_seed(seed)
            ours = compiled(x)
            cr.manual_seed(seed)
            np.testing.assert_allclose(ours.numpy(), twin(x).numpy(), rtol=1e-6, atol=1e-7)
    # batch norm's running statistics moved (train) or stayed (eval) alike
    for ours, theirs in zip(compiled.state_dict().values(), twin.state_dict().values()):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)
    assert model.training == (mode == "train")


def test_compiled_module_keeps_the_module_state_dict_and_parameters():
    model = small_net()
    compiled = cr.compile(model)
    assert list(compiled.state_dict()) == list(model.state_dict())
    assert [id(p) for p in compiled.parameters()] == [id(p) for p in model.parameters()]
    compiled.load_state_dict(small_net().state_dict())
    assert isinstance(compiled, nn.Module) and repr(compiled).startswith("CompiledModule(Sequential(")


def test_compiled_module_runs_eagerly_when_its_output_needs_a_graph(caplog):
    model = small_net()
    compiled = cr.compile(model)
    x = cr.randn(2, 1, 6, 6)
    with caplog.at_level(logging.INFO, logger="chainrule.compile"):
        out = compiled(x)
    assert out.grad_fn is not None
    out.sum().backward()
    assert model[0].weight.grad is not None
    assert "ran eagerly because its output needs an autograd graph" in caplog.text
    assert "compile the whole training step" in caplog.text


def test_a_function_whose_output_needs_a_graph_runs_eagerly_on_every_call(caplog):
    w = cr.randn(3, requires_grad=True)
    compiled = cr.compile(lambda x: (w * x).sum())
    with caplog.at_level(logging.INFO, logger="chainrule.compile"):
        for _ in range(3):
            compiled(cr.full((3,), 2.0)).backward()    # the gradient flows on replays too
    np.testing.assert_allclose(w.grad.numpy(), 6.0)
    assert caplog.text.count("runs eagerly: its output needs an autograd graph") == 1
    assert "call backward() inside the compiled function" in caplog.text
    with cr.no_grad():                                  # no graph needed: compiled and replayed
        compiled(cr.ones(3))
        out = compiled(cr.full((3,), 3.0))
    assert compiled.recompiles == ["grad mode on -> off"] and not compiled.traces[0].needs_graph
    np.testing.assert_allclose(out.item(), 3 * w.detach().sum().item(), rtol=1e-6)
