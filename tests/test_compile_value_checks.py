"""chainrule.compile checks each call's values where eager code checks them.

A check on tensor values (a divisor without zeros, an index in range, probabilities in
[0, 1]) is an op of the compiled graph, so a replay raises what eager code raises instead
of returning numbers. Each case is traced on valid inputs, then called on a bad input of
the same shapes and dtypes (the guards pass and the graph replays), then on valid inputs
again.
"""
import numpy as np
import pytest

import chainrule as cr

nn, F = cr.nn, cr.nn.functional


def table():
    return cr.arange(12).reshape(3, 4).float()                         # (3, 4)


def ints(*values):
    return cr.tensor(list(values))


def dividends_and_divisors():
    return ints(7, -7, 9), ints(2, 3, -4)


def a_zero_divisor():
    return ints(7, -7, 9), ints(2, 0, -4)


DIVISION = (dividends_and_divisors, a_zero_divisor)


def written(x, i):
    x = x.clone()
    x[i] = -1.0
    return x


def added(x, i):
    x = x.clone()
    x[i] += 10.0
    return x


def written_columns(x, i):
    x = x.clone()
    x[:, i] = -1.0
    return x


def written_in_place(x, i):
    x[i] = -1.0
    return x * 1


def index_filled_in_place(x, i):
    x = x.clone()
    x.index_fill_(0, i, -1.0)
    return x


def floor_divided_in_place(a, b):
    a = a.clone()
    a.div_(b, rounding_mode="floor")
    return a


def bce_with_backward(p, t):
    p = p.detach().requires_grad_()
    loss = F.binary_cross_entropy(p, t)
    loss.backward()
    return loss, p.grad


def rows(*indices):
    return cr.arange(8).reshape(4, 2).float(), ints(*indices)          # a table of 4 rows, indices


layer = nn.Linear(2, 1)


def clipped_step(x):
    layer.zero_grad()
    layer(x).sum().backward()
    return nn.utils.clip_grad_norm_(layer.parameters(), 1.0, error_if_nonfinite=True)


# name: (function, valid inputs, invalid inputs of the same shapes and dtypes)
CASES = {
    "a // b": (lambda a, b: a // b, *DIVISION),
    "a % b": (lambda a, b: a % b, *DIVISION),
    "7 // b": (lambda b: 7 // b, lambda: (ints(2, 3, -4),), lambda: (ints(2, 0, -4),)),
    "7 % b": (lambda b: 7 % b, lambda: (ints(2, 3, -4),), lambda: (ints(0, 3, -4),)),
    "fmod": (lambda a, b: cr.fmod(a, b), *DIVISION),
    "remainder": (lambda a, b: cr.remainder(a, b), *DIVISION),
    "div floor": (lambda a, b: cr.div(a, b, rounding_mode="floor"), *DIVISION),
    "div trunc": (lambda a, b: cr.div(a, b, rounding_mode="trunc"), *DIVISION),
    "div_ floor": (floor_divided_in_place, *DIVISION),
    "binary_cross_entropy > 1": (lambda p, t: F.binary_cross_entropy(p, t),
                                 lambda: (cr.tensor([0.2, 0.9]), cr.tensor([0.0, 1.0])),
                                 lambda: (cr.tensor([0.2, 1.5]), cr.tensor([0.0, 1.0]))),
    "binary_cross_entropy < 0": (lambda p, t: F.binary_cross_entropy(p, t, reduction="none"),
                                 lambda: (cr.tensor([0.2, 0.9]), cr.tensor([0.0, 1.0])),
                                 lambda: (cr.tensor([-0.1, 0.9]), cr.tensor([0.0, 1.0]))),
    "binary_cross_entropy with backward": (bce_with_backward,
                                           lambda: (cr.tensor([0.2, 0.9]), cr.tensor([0.0, 1.0])),
                                           lambda: (cr.tensor([0.2, 1.5]), cr.tensor([0.0, 1.0]))),
    "BCELoss": (lambda p, t: nn.BCELoss()(p, t),
                lambda: (cr.tensor([0.2, 0.9]), cr.tensor([0.0, 1.0])),
                lambda: (cr.tensor([0.2, 1.5]), cr.tensor([0.0, 1.0]))),
    "index_fill too large": (lambda x, i: x.index_fill(0, i, -1.0),
                             lambda: (table(), ints(0, 2)), lambda: (table(), ints(0, 3))),
    "index_fill negative": (lambda x, i: x.index_fill(0, i, -1.0),
                            lambda: (table(), ints(0, -1)), lambda: (table(), ints(0, -4))),
    "index_fill too negative": (lambda x, i: x.index_fill(1, i, -1.0),
                                lambda: (table(), ints(0, 3)), lambda: (table(), ints(0, -5))),
    "index_fill_": (index_filled_in_place, lambda: (table(), ints(0, 2)), lambda: (table(), ints(4, 2))),
    "x[i] = v": (written, lambda: (table(), ints(0, 2)), lambda: (table(), ints(0, 3))),
    "x[i] = v, too negative": (written, lambda: (table(), ints(0, -3)), lambda: (table(), ints(0, -4))),
    "x[i] += v": (added, lambda: (table(), ints(2, 0)), lambda: (table(), ints(2, 5))),
    "x[:, i] = v": (written_columns, lambda: (table(), ints(1, 3)), lambda: (table(), ints(1, 4))),
    "input[i] = v": (written_in_place, lambda: (table(), ints(0, 2)), lambda: (table(), ints(0, 3))),
    "index_put accumulate": (lambda x, i: x.index_put((i,), cr.tensor(1.0), accumulate=True),
                             lambda: (table(), ints(1, 1)), lambda: (table(), ints(1, 3))),
    "x[i]": (lambda x, i: x[i] * 2, lambda: (table(), ints(0, 2)), lambda: (table(), ints(0, 3))),
    "take": (lambda x, i: cr.take(x, i), lambda: (table(), ints(0, 11)), lambda: (table(), ints(0, 12))),
    "embedding": (lambda w, i: F.embedding(i, w), lambda: rows(0, 3), lambda: rows(0, 4)),
    "embedding, negative": (lambda w, i: F.embedding(i, w), lambda: rows(0, -4), lambda: rows(0, -5)),
    "embedding with max_norm": (lambda w, i: F.embedding(i, w.clone(), max_norm=1.0),
                                lambda: rows(0, 3), lambda: rows(7, 3)),
    "repeat_interleave": (lambda x, r: x.repeat_interleave(r, dim=0),
                          lambda: (cr.ones(3), ints(1, 2, 1)), lambda: (cr.ones(3), ints(2, -1, 1))),
    "clip_grad_norm_ error_if_nonfinite": (clipped_step, lambda: (cr.ones(3, 2),),
                                           lambda: (cr.full((3, 2), float("inf")),)),
}


def as_arrays(result):
    items = result if isinstance(result, tuple) else (result,)
    return [item.detach().numpy() for item in items]


def assert_same_values(compiled, fn, inputs):
    expected, got = as_arrays(fn(*inputs())), as_arrays(compiled(*inputs()))
    assert len(expected) == len(got)
    for e, g in zip(expected, got):
        assert e.shape == g.shape and e.dtype == g.dtype
        np.testing.assert_array_equal(g, e)


def message(error):
    """The message without its ``(called at file:line)`` line, which names the caller's line."""
    return str(error).split("\n  (called at ")[0]


def eager_error(fn, inputs):
    with pytest.raises(Exception) as info:
        fn(*inputs())
    return info.value


# eager code on the infinite input warns from NumPy before it raises
NAMES = [pytest.param(name, marks=pytest.mark.filterwarnings("ignore::RuntimeWarning"))
         if name.startswith("clip_grad_norm_") else name for name in CASES]


@pytest.mark.parametrize("name", NAMES)
def test_a_replay_checks_values_as_eager_code_does(name):
    fn, valid, invalid = CASES[name]
    compiled = cr.compile(fn)
    assert_same_values(compiled, fn, valid)             # the traced call
    assert_same_values(compiled, fn, valid)             # a replay
    expected = eager_error(fn, invalid)
    with pytest.raises(type(expected)) as info:
        compiled(*invalid())
    assert type(info.value) is type(expected)
    assert message(info.value) == message(expected)
    assert_same_values(compiled, fn, valid)             # still right after the error
    assert len(compiled.traces) == 1                    # every later call was a replay


@pytest.mark.parametrize("name", NAMES)
def test_a_check_whose_result_nothing_uses_still_runs_on_every_replay(name):
    checked_fn, valid, invalid = CASES[name]

    def fn(*inputs):
        checked_fn(*inputs)              # the result is dropped: dead code, but eager code raises here
        return inputs[0] * 1

    compiled = cr.compile(fn)
    compiled(*valid())
    compiled(*valid())
    expected = eager_error(fn, invalid)
    with pytest.raises(type(expected)) as info:
        compiled(*invalid())
    assert message(info.value) == message(expected)


def test_a_failed_replay_leaves_its_input_unwritten_as_eager_does():
    compiled = cr.compile(written_in_place)
    compiled(table(), ints(0, 2))
    x = table()
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        compiled(x, ints(1, 3))
    np.testing.assert_array_equal(x.numpy(), table().numpy())


def test_the_error_names_the_line_that_called_the_compiled_function():
    compiled = cr.compile(lambda a, b: a // b)
    compiled(*DIVISION[0]())
    with pytest.raises(RuntimeError) as info:
        compiled(*DIVISION[1]())
    assert f"(called at {__file__}:" in str(info.value)
    assert "<chainrule.compile replay>" not in str(info.value)


@pytest.mark.parametrize("name, fn, valid, check", [
    ("a // b", lambda a, b: a // b, dividends_and_divisors, "_no_zero"),
    ("x[i] = v", written, lambda: (table(), ints(0, 2)), "_array_in_bounds"),
    ("index_fill", lambda x, i: x.index_fill(0, i, -1.0), lambda: (table(), ints(0, 2)), "_in_range"),
    ("embedding", lambda w, i: F.embedding(i, w), lambda: rows(0, 3), "_rows_in_range"),
])
def test_each_check_is_an_op_of_the_optimized_graph(name, fn, valid, check):
    compiled = cr.compile(fn)
    compiled(*valid())
    assert f"fn={check}" in str(compiled.graph)       # kept by dead-code elimination

