"""``out=``: every catalog op that takes it in PyTorch takes it here, with PyTorch's rules."""
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.ops.out_argument import OUT_FUNCTIONS
from op_catalog import CATALOG
from oracle import make_inputs


class WithOut:
    """``lib`` whose function ``name`` gets ``out=``: runs a catalog call with an out argument."""

    def __init__(self, lib, name, out):
        self._lib, self._name, self._out, self.used = lib, name, out, False

    def __getattr__(self, attribute):
        found = getattr(self._lib, attribute)
        if attribute != self._name:
            return found

        def call(*args, **kwargs):
            self.used = True
            return found(*args, out=self._out, **kwargs)
        return call


def empty_like_result(lib, result):
    if isinstance(result, list):  # several calls in one catalog entry: out= cannot be given to all
        return None
    if isinstance(result, tuple):
        return tuple(lib.empty(0, dtype=r.dtype) for r in result)
    return lib.empty(0, dtype=result.dtype)


def run_with_out(lib, op, arrays):
    inputs = [lib.tensor(a) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = op.fn(lib, *inputs)
        out = empty_like_result(lib, plain)
        if out is None:
            return False, plain, None, None
        proxy = WithOut(lib, op.name, out)
        returned = op.fn(proxy, *inputs)
    return proxy.used, plain, out, returned


def as_arrays(value):
    return [v.numpy() for v in value] if isinstance(value, tuple) else [value.numpy()]


def calls_the_function(op):
    """Whether the catalog entry calls ``torch.<name>`` once (not a method, not several calls)."""
    arrays = make_inputs(op.shapes, np.float32, op.low, op.high, sampler=op.sampler)
    return run_with_out(torch, op, arrays)[0]


CASES = [op for op in CATALOG if op.name in OUT_FUNCTIONS and calls_the_function(op)]
MORE = {  # common functions whose catalog entries call methods
    "sum": lambda lib, a, b: lib.sum(a, 1), "mean": lambda lib, a, b: lib.mean(a, 0),
    "cat": lambda lib, a, b: lib.cat([a, b]), "stack": lambda lib, a, b: lib.stack([a, b], 1),
    "matmul": lambda lib, a, b: lib.matmul(a, b.T), "where": lambda lib, a, b: lib.where(a > b, a, b),
    "clamp": lambda lib, a, b: lib.clamp(a, -0.5, 0.5), "argmax": lambda lib, a, b: lib.argmax(a, 1),
    "cumsum": lambda lib, a, b: lib.cumsum(a, 1), "sort": lambda lib, a, b: lib.sort(a, 1),
}


@pytest.mark.parametrize("name", MORE)
def test_out_for_common_functions(name):
    a, b = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    outs = []
    for lib in (torch, cr):
        result = MORE[name](lib, lib.tensor(a), lib.tensor(b))
        out = empty_like_result(lib, result)
        returned = MORE[name](WithOut(lib, name, out), lib.tensor(a), lib.tensor(b))
        assert returned is out or all(r is o for r, o in zip(returned, out))
        outs.append(as_arrays(out))
    for theirs, ours in zip(*outs):
        assert theirs.dtype == ours.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("op", CASES, ids=[op.name + "-" + str(i) for i, op in enumerate(CASES)])
def test_out_gives_the_result_and_is_returned(op):
    arrays = make_inputs(op.shapes, np.float32, op.low, op.high, sampler=op.sampler)
    _, _, theirs, _ = run_with_out(torch, op, arrays)
    _, plain, ours, returned = run_with_out(cr, op, arrays)
    for o, t, p in zip(as_arrays(ours), as_arrays(theirs), as_arrays(plain)):
        assert o.dtype == t.dtype and o.shape == t.shape
        np.testing.assert_allclose(o, t, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(o, p)  # out= holds exactly what the call without it returns
    if isinstance(ours, tuple):
        assert all(r is o for r, o in zip(returned, ours))
    else:
        assert returned is ours


def test_every_catalog_op_with_out_in_pytorch_has_it_here():
    """The other direction: a catalog op whose PyTorch function accepts out= is in OUT_FUNCTIONS."""
    missing = []
    for op in CATALOG:
        if op.name in OUT_FUNCTIONS or not hasattr(cr, op.name):
            continue
        arrays = make_inputs(op.shapes, np.float32, op.low, op.high, sampler=op.sampler)
        try:
            used, *_ = run_with_out(torch, op, arrays)
        except (TypeError, RuntimeError):
            continue
        if used:
            missing.append(op.name)
    assert not missing, f"PyTorch takes out= for {sorted(set(missing))}: add them to OUT_FUNCTIONS"


def test_a_non_empty_out_of_another_shape_is_resized_with_a_warning():
    out = cr.zeros(5)
    with pytest.warns(UserWarning, match=r"add\(\): an output with one or more elements was resized since it had "
                                         r"shape \[5\], which does not match the required output shape \[2\]"):
        cr.add(cr.ones(2), 1, out=out)
    assert out.tolist() == [2.0, 2.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cr.add(cr.ones(3), 1, out=cr.empty(0))  # an empty out is resized silently


def test_out_of_the_right_shape_is_written_in_place_and_its_views_see_it():
    buffer = cr.zeros(2, 3)
    row = buffer[1]
    cr.mul(cr.ones(3), 4, out=row)
    assert buffer.tolist() == [[0, 0, 0], [4, 4, 4]]


def test_out_may_be_an_input():
    x = cr.tensor([0.0, 1.0])
    assert cr.exp(x, out=x) is x and np.allclose(x.numpy(), np.exp([0.0, 1.0]))


def test_out_refuses_autograd():
    w = cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"exp\(\): functions with out=\.\.\. arguments don't support automatic "
                                           r"differentiation, but one of the arguments requires grad"):
        cr.exp(w, out=cr.empty(0))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        cr.exp(cr.ones(2), out=cr.empty(0, requires_grad=True))
    with cr.no_grad():
        assert cr.exp(w, out=cr.empty(0)).tolist() == pytest.approx([np.e, np.e])


def test_a_float_result_never_goes_into_an_integer_out():
    with pytest.raises(RuntimeError, match=r"exp\(\): result type chainrule.float32 can't be cast to the desired "
                                           r"output type chainrule.int64"):
        cr.exp(cr.ones(2), out=cr.empty(0, dtype=cr.int64))
    for lib in (cr, torch):  # a narrower type of the same kind is allowed, as in PyTorch
        out = lib.empty(0, dtype=lib.float16)
        lib.add(lib.ones(2, dtype=lib.float64), 1, out=out)
        assert out.dtype == lib.float16 and out.tolist() == [2.0, 2.0]


def test_results_with_several_tensors_take_a_tuple():
    x = cr.tensor([[1.0, 3.0], [4.0, 2.0]])
    values, indices = cr.empty(0), cr.empty(0, dtype=cr.int64)
    result = cr.max(x, 1, out=(values, indices))
    assert result.values is values and result.indices is indices and values.tolist() == [3.0, 4.0]
    with pytest.raises(TypeError, match=r"max\(\): out must be a tuple of 2 tensors, got Tensor"):
        cr.max(x, 1, out=values)
    with pytest.raises(TypeError, match=r"exp\(\): argument 'out' must be Tensor, not a tuple of 2"):
        cr.exp(x, out=[1, 2])


def test_creation_functions_take_out():
    for lib in (cr, torch):
        out = lib.empty(0)
        assert lib.zeros(2, 3, out=out) is out and tuple(out.shape) == (2, 3)
        assert lib.arange(4, out=out).tolist() == [0.0, 1.0, 2.0, 3.0]
