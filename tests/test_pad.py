"""Padding and triangular parts (ops/pad.py) against PyTorch: values, gradients, errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import chainrule as cr
from oracle import check_op

settings.register_profile("pad", max_examples=40, deadline=None)


def F(lib):
    return lib.nn.functional


def case(fn, *shapes):
    return pytest.param(fn, list(shapes))


CASES = [
    # constant: pad tuple is last dim first; negative widths crop
    case(lambda lib, a: F(lib).pad(a, (1, 2)), (2, 3)),
    case(lambda lib, a: F(lib).pad(a, (1, 2, 0, 1)), (2, 3)),
    case(lambda lib, a: F(lib).pad(a, [0, 1, 2, 0, 1, 1], value=-1.5), (2, 3, 2)),
    case(lambda lib, a: F(lib).pad(a, (-1, 2, 1, -1)), (3, 4)),
    case(lambda lib, a: F(lib).pad(a, (-2, -1)), (2, 3)),
    case(lambda lib, a: F(lib).pad(a, (-1, -1, -1, -1)), (3, 4)),
    case(lambda lib, a: F(lib).pad(a, (2, 1), mode="constant", value=float("-inf")), (4,)),
    case(lambda lib, a: F(lib).pad(a, ()), ()),
    case(lambda lib, a: F(lib).pad(a, (1, 1)), (2, 0)),
    case(lambda lib, a: F(lib).pad(a, (1, 1)), (0, 2)),
    # reflect / replicate / circular (on the ranks PyTorch supports), also cropping
    case(lambda lib, a: [F(lib).pad(a, (2, 1), mode=m) for m in ("reflect", "replicate", "circular")], (2, 3, 4)),
    case(lambda lib, a: [F(lib).pad(a, (1, 2, 2, 0), mode=m) for m in ("reflect", "replicate", "circular")],
         (1, 2, 3, 4)),
    case(lambda lib, a: [F(lib).pad(a, (1, 0, 2, 1), mode=m) for m in ("reflect", "replicate", "circular")],
         (2, 3, 4)),
    case(lambda lib, a: [F(lib).pad(a, (1, 1, 1, 0, 0, 1), mode=m) for m in ("reflect", "replicate", "circular")],
         (1, 1, 2, 2, 3)),
    case(lambda lib, a: [F(lib).pad(a, (-1, 2), mode=m) for m in ("reflect", "replicate", "circular")], (1, 2, 5)),
    case(lambda lib, a: [F(lib).pad(a, (3, -4), mode=m) for m in ("reflect", "replicate")], (1, 2, 5)),
    case(lambda lib, a: [F(lib).pad(a, (2, -1, -1, 1), mode=m) for m in ("reflect", "replicate", "circular")],
         (1, 3, 4)),
    case(lambda lib, a: F(lib).pad(a, (4, 4), mode="circular"), (1, 2, 4)),
    case(lambda lib, a: F(lib).pad(a, (1, 1), mode="circular"), (0, 2, 3)),
    case(lambda lib, a: F(lib).pad(a, (1, 1), mode="replicate", value=0.0), (1, 2, 3)),
    # tril / triu
    case(lambda lib, a: [a.tril(), a.tril(1), a.tril(-1), a.tril(5), lib.tril(a, -5), lib.tril(a, diagonal=2)],
         (3, 4)),
    case(lambda lib, a: [a.triu(), a.triu(1), a.triu(-2), lib.triu(a, diagonal=4)], (4, 3)),
    case(lambda lib, a: [a.tril(), a.triu(1)], (2, 3, 4)),
    case(lambda lib, a: [a.tril(), a.triu()], (0, 3)),
    case(lambda lib, a: [a.tril(), a.triu()], (2, 0, 3)),
]


@pytest.mark.parametrize("fn,shapes", CASES)
def test_matches_torch(fn, shapes):
    check_op(lambda *t: fn(cr, *t), shapes, lambda *t: fn(torch, *t), gradgrad=True)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_integer_tensors(mode):
    ours = cr.arange(24).reshape(2, 3, 4)
    theirs = torch.arange(24).reshape(2, 3, 4)
    kwargs = dict(value=2) if mode == "constant" else {}
    out = cr.nn.functional.pad(ours, (2, 1, 1, 2), mode=mode, **kwargs)
    ref = torch.nn.functional.pad(theirs, (2, 1, 1, 2), mode=mode, **kwargs)
    assert out.dtype == cr.int64
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_tril_triu_keep_infinities_and_dtypes():
    # where, not multiply by a mask: -inf * 0 would be nan (the causal-mask idiom)
    mask = cr.triu(cr.full((3, 3), float("-inf")), diagonal=1)
    ref = torch.triu(torch.full((3, 3), float("-inf")), diagonal=1)
    np.testing.assert_array_equal(mask.numpy(), ref.numpy())
    for make in (lambda lib: lib.arange(12).reshape(3, 4), lambda lib: lib.ones(3, 4, dtype=lib.bool)):
        out, expected = make(cr).tril(1), make(torch).tril(1)
        assert str(out.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
        np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_pad_output_is_a_new_tensor():
    x = cr.ones(2, 3)
    for mode in ("constant", "reflect", "replicate", "circular"):
        out = cr.nn.functional.pad(x, (1, 1), mode=mode)
        out.add_(1)
    assert x.tolist() == [[1.0] * 3] * 2


# ---------------------------------------------------------------- errors

X = cr.ones(2, 3)
pad = cr.nn.functional.pad


@pytest.mark.parametrize("call,kind,words", [
    (lambda: pad(X, (1, 1, 1)), RuntimeError, r"padding length 3 must be even"),
    (lambda: pad(X, (1, 1) * 3), RuntimeError, r"at most twice the number of dimensions of the input \(2, shape \(2, 3\)\)"),
    (lambda: pad(cr.tensor(1.0), (1, 1)), RuntimeError, r"at most twice the number of dimensions"),
    (lambda: pad(X, (1.5, 1)), TypeError, r"must be tuple of ints, but found element of type float at pos 0"),
    (lambda: pad(X, (-2, -2)), RuntimeError, r"input size 3, plus negative padding -2 and -2, resulted in a negative output size"),
    (lambda: pad(X, (-4, 1)), RuntimeError, r"negative output size.*dimension 1"),
    (lambda: pad(X, (3, 3), mode="reflect"), RuntimeError,
     r"padding size should be less than the corresponding input dimension.*\(3, 3\) at dimension 1"),
    (lambda: pad(X, (1, 1), mode="reflect", value=1.0), RuntimeError, r'padding mode "reflect" doesn\'t take in value'),
    (lambda: pad(X, (4, 0), mode="circular"), RuntimeError, r"wrap around more than once"),
    (lambda: pad(cr.ones(2, 0), (1, 1), mode="replicate"), RuntimeError, r"replicate mode cannot pad dimension 1 of size 0"),
    (lambda: pad(cr.ones(2, 0), (1, 1), mode="reflect"), RuntimeError, r"padding size should be less than"),
    (lambda: X.tril(), None, None),
    (lambda: cr.ones(3).tril(), RuntimeError, r"tril: input tensor must have at least 2 dimensions, got shape \(3,\)"),
    (lambda: cr.tensor(1.0).triu(), RuntimeError, r"triu: input tensor must have at least 2 dimensions"),
])
def test_errors(call, kind, words):
    if kind is None:
        call()  # a control: the valid call raises nothing
        return
    with pytest.raises(kind, match=words) as info:
        call()
    assert "test_pad.py" in str(info.value)


def test_unknown_mode():
    with pytest.raises(NotImplementedError, match=r"unknown mode 'wrap'; use constant, reflect, replicate or circular"):
        pad(X, (1, 1), mode="wrap")


# ---------------------------------------------------------------- properties

@settings(settings.get_profile("pad"))
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_constant_pad_then_crop_is_identity(shape, data):
    widths = [data.draw(st.integers(0, 3)) for _ in range(2 * data.draw(st.integers(1, len(shape))))]
    x = cr.tensor(np.random.default_rng(0).standard_normal(shape))
    padded = pad(x, widths, value=7.0)
    ref = np.pad(x.numpy(), [(0, 0)] * (len(shape) - len(widths) // 2) +
                 [(widths[2 * i], widths[2 * i + 1]) for i in reversed(range(len(widths) // 2))],
                 constant_values=7.0)
    np.testing.assert_array_equal(padded.numpy(), ref)
    np.testing.assert_array_equal(pad(padded, [-w for w in widths]).numpy(), x.numpy())
