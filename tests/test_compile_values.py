"""chainrule.compile follows every value computed from the inputs, also outside ops.

Each function below is called eagerly and compiled on several different inputs; a value
frozen at the traced call (a cast, an index array, an argmax, a mask) would make the
second call differ.
"""
import numpy as np
import pytest

import chainrule as cr
from chainrule.jit import TraceError

nn, F = cr.nn, cr.nn.functional
rng = np.random.default_rng(0)


def floats(*shape):
    return cr.tensor(rng.standard_normal(shape).astype(np.float32))


def integers(high, *shape):
    return cr.tensor(rng.integers(0, high, shape))


def as_arrays(result):
    items = result if isinstance(result, tuple) else (result,)
    return [item.detach().numpy() for item in items]


def assert_follows_inputs(fn, make_inputs, calls=4):
    compiled = cr.compile(fn)
    for _ in range(calls):
        inputs = make_inputs()
        expected, got = as_arrays(fn(*inputs)), as_arrays(compiled(*inputs))
        assert len(expected) == len(got)
        for e, g in zip(expected, got):
            assert e.shape == g.shape and e.dtype == g.dtype
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-6)
    assert len(compiled.traces) == 1


mha = nn.MultiheadAttention(4, 2, batch_first=True).eval()


def attention_with_padding(x, padding):
    with cr.no_grad():
        return mha(x, x, x, key_padding_mask=padding)[0]


CASES = {
    "float()": (lambda x: x.float() * 2, lambda: (integers(9, 3),)),
    "long()": (lambda x: x.long() + 1, lambda: (floats(4, 5) * 5,)),
    "to(float64)": (lambda x: x.to(cr.float64) + 1, lambda: (floats(4, 5),)),
    "int + float promotion": (lambda a, b: a + b, lambda: (integers(9, 4, 5), floats(4, 5))),
    "type_as": (lambda a, b: a.type_as(b), lambda: (integers(9, 3), floats(3))),
    "comparison to long": (lambda x: (x > 0).long(), lambda: (floats(4, 5),)),
    "x[index]": (lambda x, i: x[i], lambda: (floats(4, 5), integers(4, 4))),
    "x[index, 1:]": (lambda x, i: x[i, 1:], lambda: (floats(4, 5), integers(4, 4))),
    "x[1, index]": (lambda x, i: x[1, i], lambda: (floats(4, 5), integers(5, 3))),
    "x[mask]": (lambda x: x[x > 0], lambda: (floats(4, 5),)),
    "x[byte mask]": (lambda x: x[(x > 0).to(cr.uint8)], lambda: (floats(4, 5),)),
    "x[int32 index]": (lambda x, i: x[i.int()], lambda: (floats(4, 5), integers(4, 4))),
    "index_select": (lambda x, i: cr.index_select(x, 0, i), lambda: (floats(4, 5), integers(4, 4))),
    "index_add": (lambda x, i: cr.zeros(4, 5).index_add(0, i, x), lambda: (floats(4, 5), integers(4, 4))),
    "index_fill": (lambda x, i: x.index_fill(0, i, 1.0), lambda: (floats(4, 5), integers(4, 4))),
    "take": (lambda x, i: cr.take(x, i), lambda: (floats(4, 5), integers(20, 6))),
    "masked_select": (lambda x: cr.masked_select(x, x > 0), lambda: (floats(4, 5),)),
    "where(condition)": (lambda x: cr.where(x > 0)[1], lambda: (floats(4, 5),)),
    "argmax": (lambda x: x.argmax(1), lambda: (floats(4, 5),)),
    "argmin of all": (lambda x: cr.argmin(x), lambda: (floats(4, 5),)),
    "accuracy": (lambda x, y: (x.argmax(1) == y).float().mean(), lambda: (floats(8, 3), integers(3, 8))),
    "median": (lambda x: x.median(), lambda: (floats(4, 5),)),
    "max(dim) named tuple": (lambda x: tuple(x.max(1)), lambda: (floats(4, 5),)),
    "sort": (lambda x: tuple(x.sort(1)), lambda: (floats(4, 5),)),
    "topk": (lambda x: tuple(x.topk(2)), lambda: (floats(4, 5),)),
    "cross_entropy weight": (lambda x, y, w: F.cross_entropy(x, y, weight=w),
                             lambda: (floats(4, 5), integers(5, 4), cr.rand(5))),
    "max_pool2d indices": (lambda x: F.max_pool2d(x, 2, return_indices=True)[1], lambda: (floats(1, 2, 4, 4),)),
    "key_padding_mask": (attention_with_padding, lambda: (floats(2, 3, 4), cr.tensor(rng.random((2, 3)) < 0.3))),
    "tensor(x)": (lambda x: cr.tensor(x) * 2, lambda: (floats(4, 5),)),
    "as_tensor(x, dtype)": (lambda x: cr.as_tensor(x, dtype=cr.float64) * 2, lambda: (floats(4, 5),)),
    "new_tensor": (lambda x, y: x.new_tensor(y) + 1, lambda: (floats(3), floats(3))),
    "normal(tensor mean)": (lambda m: cr.normal(m, 0.0), lambda: (floats(4, 5),)),
    "integer sign and abs": (lambda x: x.abs() + x.sign(), lambda: (integers(7, 4, 5) - 3,)),
    "integer power": (lambda x: x ** 2, lambda: (integers(7, 4, 5) - 3,)),
    "integer rounding": (lambda x: x.round() + x.floor(), lambda: (integers(7, 4, 5),)),
    "scatter_ into a new tensor": (lambda i: cr.zeros(4, 5).scatter_(1, i.reshape(4, 1), 1.0),
                                   lambda: (integers(5, 4),)),
    "nonzero rows": (lambda x: cr.nonzero(x > 0, as_tuple=True)[1], lambda: (floats(4, 5),)),
    "repeat_interleave(tensor)": (lambda x, r: x.repeat_interleave(r), lambda: (floats(3), integers(4, 3))),
    "repeat_interleave(counts)": (lambda r: cr.repeat_interleave(r), lambda: (integers(4, 3),)),
    "cross_entropy weight + smoothing": (
        lambda x, y, w: F.cross_entropy(x, y, weight=w, label_smoothing=0.2, ignore_index=1),
        lambda: (floats(6, 4), integers(4, 6), cr.rand(4))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_values_computed_outside_ops_follow_the_inputs(name):
    fn, make_inputs = CASES[name]
    assert_follows_inputs(fn, make_inputs)


def test_an_index_array_is_a_graph_value_and_shows_in_the_listing():
    fn = cr.compile(lambda x, i: cr.index_select(x, 0, i))
    fn(floats(4, 5), integers(4, 3))
    listing = str(fn.graph)
    assert "%2 = CheckOp(%1, fn=_in_range, " in listing   # the range check, on each call's index
    assert "%3 = ViewOf(%2, " in listing          # index.reshape(-1): the same window of the new index
    assert "%4 = Index(%0, index=(%3,))" in listing


def test_a_0d_integer_index_stops_the_trace_with_advice():
    with pytest.raises(TraceError) as info:
        cr.compile(lambda x, i: x[i])(floats(4, 5), cr.tensor(2))
    message = str(info.value)
    assert "indexing with a 0-d integer tensor needs a tensor's values in Python" in message
    assert "x[i.reshape(1)].squeeze(0)" in message


def test_manual_seed_inside_is_replayed():
    def noisy(x):
        cr.manual_seed(3)
        return x + cr.randn(3)

    compiled = cr.compile(noisy)
    x = cr.zeros(3)
    expected = noisy(x).numpy()
    for _ in range(3):
        np.testing.assert_array_equal(compiled(x).numpy(), expected)


def test_retain_grad_gives_each_calls_gradient():
    def step(x):
        h = x * 3
        h.retain_grad()
        (h * h).sum().backward()
        return h.grad

    compiled = cr.compile(step)
    for k in range(3):
        x = cr.full((3,), float(k + 1), requires_grad=True)
        np.testing.assert_allclose(compiled(x).numpy(), step(x.detach().requires_grad_(True)).numpy())


def test_computing_on_a_tensor_whose_size_depends_on_values_stops_the_trace():
    def fn(x):
        return x[x.abs() < 1].mean()

    with pytest.raises(TraceError) as info:
        cr.compile(fn)(floats(20))
    message = str(info.value)
    assert "Mean computes on a tensor whose size depends on values (made by Index" in message
    assert "chainrule.where(mask, x, 0).sum() / mask.sum()" in message


def test_returning_an_input_gives_the_callers_tensor_back():
    pair = cr.compile(lambda x, y: (x, x + y))
    same = cr.compile(lambda x: x, dynamic=True)
    for n in (4, 5, 6):
        x, y = cr.ones(n), cr.ones(n)
        returned, total = pair(x, y)
        assert returned is x and total.tolist() == [2.0] * n
        assert same(x) is x


def test_a_tensor_made_in_the_call_and_added_into_starts_from_its_made_value():
    model = nn.Linear(3, 3)

    def count_correct(x, y):
        with cr.no_grad():
            correct = cr.zeros((), dtype=cr.int64)
            correct += (model(x).argmax(1) == y).sum()
        return correct

    assert_follows_inputs(count_correct, lambda: (floats(8, 3), integers(3, 8)))


def test_each_replay_returns_a_fresh_copy_of_a_constant():
    compiled = cr.compile(lambda x: (x * 1, cr.zeros(2)))
    x = cr.ones(2)
    compiled(x)
    compiled(x)[1].add_(5)
    assert compiled(x)[1].tolist() == [0.0, 0.0]


def test_a_compiled_function_called_inside_another_is_traced_as_part_of_it():
    inner = cr.compile(lambda x: x * 2 + 1)
    inner(cr.ones(2))                                   # traced and cached on its own
    outer = cr.compile(lambda x: inner(x) * 3)
    assert [outer(cr.full((2,), v)).tolist() for v in (1.0, 2.0, 3.0)] == [[9.0, 9.0], [15.0, 15.0], [21.0, 21.0]]


def test_the_gradient_of_an_input_goes_to_the_tensor_of_each_call():
    model = nn.Linear(4, 3)

    def adversarial(x, y):                                # the fast gradient sign method
        model.zero_grad()
        F.cross_entropy(model(x), y).backward()
        return (x + 0.1 * x.grad.sign()).detach()

    compiled = cr.compile(adversarial)
    for _ in range(4):
        x, y = floats(8, 4), integers(3, 8)
        eager_x, compiled_x = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
        np.testing.assert_allclose(compiled(compiled_x, y).numpy(), adversarial(eager_x, y).numpy(), rtol=1e-6)
        np.testing.assert_allclose(compiled_x.grad.numpy(), eager_x.grad.numpy(), rtol=1e-6)
    assert compiled.recompiles == []


@pytest.mark.parametrize("product", [lambda v: v.prod(), lambda v: v.cumprod(0).sum()], ids=["prod", "cumprod"])
def test_product_gradients_follow_zeros_that_appear_after_tracing(product):
    w = cr.tensor([1.0, 2.0, 0.5], requires_grad=True)

    def gradient(x):
        w.grad = None
        product(x * w).backward()
        return w.grad

    compiled = cr.compile(gradient)
    for x in ([1.0, 2.0, 3.0], [1.0, 0.0, 3.0], [0.0, 0.0, 3.0], [2.0, 2.0, 2.0]):
        x = cr.tensor(x)
        expected = gradient(x).numpy().copy()
        np.testing.assert_allclose(compiled(x).numpy(), expected, rtol=1e-6)


def test_load_state_dict_and_vector_to_parameters_are_replayed():
    online, target = nn.Linear(3, 2), nn.Linear(3, 2)
    optimizer = cr.optim.SGD(online.parameters(), lr=0.1)

    def step(x):                                       # a DQN-style target network sync
        optimizer.zero_grad()
        online(x).pow(2).sum().backward()
        optimizer.step()
        target.load_state_dict(online.state_dict())
        return target(x).detach()

    compiled = cr.compile(step)
    for _ in range(3):
        compiled(floats(4, 3))
        np.testing.assert_array_equal(target.weight.detach().numpy(), online.weight.detach().numpy())

    layer = nn.Linear(2, 2)
    unpack = cr.compile(lambda v: nn.utils.vector_to_parameters(v, layer.parameters()))
    for _ in range(3):
        v = floats(6)
        unpack(v)
        np.testing.assert_array_equal(layer.weight.detach().numpy().ravel(), v.numpy()[:4])


@pytest.mark.parametrize("name, fn, bad, message", [
    ("cross_entropy", lambda x, t: F.cross_entropy(x, t), lambda: (floats(4, 3), cr.tensor([0, 1, 2, -1])),
     "nll_loss: Target -1 is out of bounds (there are 3 classes)"),
    ("gather", lambda x, i: x.gather(1, i), lambda: (floats(2, 3), cr.tensor([[0], [-1]])),
     "gather(): index -1 is out of bounds for dimension 1 with size 3"),
    ("index_select", lambda x, i: cr.index_select(x, 0, i), lambda: (floats(3, 2), cr.tensor([0, 3])),
     "index_select(): index 3 is out of bounds for dimension 0 with size 3"),
])
def test_index_range_checks_run_on_every_replay(name, fn, bad, message):
    compiled = cr.compile(fn)
    values, indices = bad()
    compiled(values, cr.zeros_like(indices))          # traced with valid indices
    with pytest.raises((IndexError, RuntimeError)) as info:
        compiled(*bad())
    assert message in str(info.value)


@pytest.mark.parametrize("read", [lambda x, i: cr.index_select(x, 0, i), lambda x, i: x[i],
                                  lambda x, i: x.gather(0, i.reshape(2, 1).expand(2, 3))],
                         ids=["index_select", "getitem", "gather"])
def test_a_captured_index_tensor_is_read_afresh(read):
    index = cr.tensor([0, 2])
    compiled = cr.compile(lambda x: read(x, index))
    x = floats(4, 3)
    compiled(x)
    index.data = cr.tensor([3, 1])                        # new values
    np.testing.assert_array_equal(compiled(x).numpy(), read(x, index).numpy())
    index.data = cr.tensor([1, 9, 0, 9])[::2]             # new values in another memory layout
    np.testing.assert_array_equal(compiled(x).numpy(), read(x, index).numpy())
    assert compiled.recompiles == ["captured tensor `index` memory layout row-major -> strides (16,)"]


def test_a_traced_view_refuses_a_source_in_another_layout():
    from chainrule.jit.traced_view import ViewOf
    source = np.arange(8)[::2]
    with pytest.raises(RuntimeError, match=r"a traced view expects an array with strides \(8,\), got \(16,\)"):
        ViewOf().forward(source, start=(0,), shape=(4,), strides=(16,), source_strides=(8,))
