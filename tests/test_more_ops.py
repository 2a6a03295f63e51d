"""The newer ops where the catalog cannot reach: special values (inf, NaN, -0.0), integer and
bool dtypes, in-place methods (values, dtypes, version counters, gradients, shape changes)
and every error path, each compared with PyTorch or checked for the words a user needs."""
import math
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr

INF, NAN = math.inf, math.nan


def pair(values, dtype="float64", requires_grad=False):
    """The same values as a chainrule and a torch tensor."""
    ours = cr.tensor(np.asarray(values, dtype=dtype))
    theirs = torch.tensor(np.asarray(values, dtype=dtype))
    if requires_grad:
        ours.requires_grad_()
        theirs.requires_grad_()
    return ours, theirs


def same(ours, theirs, rtol=1e-12, atol=0.0):
    """Values, shape and dtype equal to torch's (NaN where torch has NaN, signed zeros kept)."""
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            same(o, t, rtol, atol)
        return
    o = ours.detach().numpy() if isinstance(ours, cr.Tensor) else np.asarray(ours)
    t = theirs.detach().numpy()
    assert o.shape == t.shape, f"shape {o.shape} != torch {t.shape}"
    assert o.dtype == t.dtype, f"dtype {o.dtype} != torch {t.dtype}"
    if o.dtype.kind == "f":
        np.testing.assert_allclose(o, t, rtol=rtol, atol=atol, equal_nan=True)
        zeros = (t == 0)
        np.testing.assert_array_equal(np.signbit(o[zeros]), np.signbit(t[zeros]), "sign of zero")
    else:
        np.testing.assert_array_equal(o, t)


def grads_match(fn, *values, dtype="float64", rtol=1e-12):
    """fn on chainrule and torch tensors: outputs and input gradients (for the sum) match."""
    pairs = [pair(v, dtype, requires_grad=True) for v in values]
    ours = fn(cr, *[p[0] for p in pairs])
    theirs = fn(torch, *[p[1] for p in pairs])
    same(ours, theirs, rtol)
    ours.sum().backward()
    theirs.sum().backward()
    for o, t in pairs:
        same(o.grad, t.grad, rtol)


# ---------------------------------------------------------------- special values

ZEROS = [0.0, -0.0, 0.0, -0.0, 1.0, INF, -INF, NAN, INF]
OTHERS = [0.0, 0.0, -0.0, -0.0, 0.0, INF, INF, 1.0, NAN]


def test_atan2_signed_zeros_infinities_and_its_gradient_at_the_origin():
    grads_match(lambda lib, y, x: lib.atan2(y, x), ZEROS[:5], OTHERS[:5])
    same(cr.atan2(*pair(ZEROS)[:1], pair(OTHERS)[0]), torch.atan2(pair(ZEROS)[1], pair(OTHERS)[1]))


def test_hypot_infinities_and_nan_gradient_at_the_origin():
    grads_match(lambda lib, a, b: lib.hypot(a, b), [0.0, 3.0, -1e200], [0.0, -4.0, 1e200])
    same(cr.hypot(pair(ZEROS)[0], pair(OTHERS)[0]), torch.hypot(pair(ZEROS)[1], pair(OTHERS)[1]))


def test_logaddexp_at_infinities():
    a = [-INF, INF, NAN, 1.0, -INF, 1000.0]
    b = [-INF, INF, 1.0, NAN, 2.0, 1000.0]
    grads_match(lambda lib, x, y: lib.logaddexp(x, y), a, b)
    grads_match(lambda lib, x, y: lib.logaddexp2(x, y), a, b)


def test_xlogy_at_zero_and_nan():
    x = [0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0]
    y = [0.0, -1.0, NAN, INF, 0.0, 3.0, 2.0]
    grads_match(lambda lib, a, b: lib.xlogy(a, b), x, y)
    same(cr.xlogy(0, pair([NAN, 1.0])[0]), torch.xlogy(0, pair([NAN, 1.0])[1]))


def test_copysign_zeros_nan_and_gradient():
    grads_match(lambda lib, a, b: lib.copysign(a, b), [0.0, -0.0, 1.5, -2.0, 3.0], [-1.0, 1.0, -0.0, 0.0, NAN])
    x, xt = pair([1, -2, 0], "int32")
    same(cr.copysign(x, -0.0), torch.copysign(xt, -0.0))


def test_signbit_sgn_and_integer_dtypes():
    for values, dtype in [([-0.0, 0.0, NAN, -NAN, -INF, 2.0], "float32"), ([-3, 0, 5], "int64"),
                          ([0, 200], "uint8"), ([True, False], "bool")]:
        x, xt = pair(values, dtype)
        same(cr.signbit(x), torch.signbit(xt))
        same(x.sgn(), xt.sgn())
    x, xt = pair([-2.0, 0.0, 3.0], requires_grad=True)
    x.sgn().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_exp2_lgamma_erfinv_of_integers_and_bools_give_the_default_float():
    for values, dtype in [([1, 2, 0], "int64"), ([True, False, True], "bool")]:
        x, xt = pair(values, dtype)
        same(cr.exp2(x), torch.exp2(xt))
        same(x.lgamma(), xt.lgamma(), rtol=1e-6)
        same(cr.erfinv(x), torch.erfinv(xt))
        same(cr.atan2(x, x), torch.atan2(xt, xt), rtol=1e-6)


def test_exp2_special_values():
    grads_match(lambda lib, a: lib.exp2(a), [-INF, INF, NAN, 0.0, -1100.0, 3.0])


LGAMMA_POINTS = [0.0, -0.0, 1.0, 2.0, -1.0, -2.0, -2.5, -0.5, INF, -INF, NAN, 1e-300, 1e300, 1e308,
                 -1e20, -1e-300, 0.5, 171.5, -170.5, 3.0, 1.0 + 1e-9, 2.0 - 1e-9, 12.3]


def test_lgamma_special_values_and_poles():
    grads_match(lambda lib, a: lib.lgamma(a), LGAMMA_POINTS, rtol=1e-12)
    x, xt = pair([-1e-7, -1e-30, 1e-30, 2.5e-8, 0.3, 7.7], "float32")
    same(cr.lgamma(x), torch.lgamma(xt), rtol=1e-6)


def test_lgamma_and_digamma_accuracy_across_the_real_line():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.uniform(-30, 30, 2000), rng.uniform(0, 3, 2000),
                             10.0 ** rng.uniform(-300, 300, 500), rng.uniform(0.99, 2.01, 500)])
    values = values[np.abs(values - np.round(values)) > 1e-6]   # away from the poles
    zeros_of_lgamma = (np.abs(values + 2.5) < 0.3) | (values < -3)   # where the reflection cancels
    x, xt = pair(values, requires_grad=True)
    ours, theirs = cr.lgamma(x), torch.lgamma(xt)
    np.testing.assert_allclose(ours.detach().numpy()[~zeros_of_lgamma],
                               theirs.detach().numpy()[~zeros_of_lgamma], rtol=1e-12)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_lgamma_second_and_third_derivatives_match_torch():
    values = [0.3, 1.7, 4.2, 12.5, -0.4, -2.6]
    x, xt = pair(values, requires_grad=True)
    ours, theirs = [x], [xt]
    for _ in range(3):   # digamma, trigamma, tetragamma
        ours.append(cr.autograd.grad(cr.lgamma(x).sum() if len(ours) == 1 else ours[-1].sum(), x,
                                     create_graph=True)[0])
        theirs.append(torch.autograd.grad(torch.lgamma(xt).sum() if len(theirs) == 1 else theirs[-1].sum(),
                                          xt, create_graph=True)[0])
    for o, t in zip(ours[1:], theirs[1:]):   # torch's own trigamma is good to ~1e-9 only
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-8)


def test_erfinv_special_values_and_accuracy():
    grads_match(lambda lib, a: lib.erfinv(a), [0.0, -0.0, 1.0, -1.0, 0.5, -0.999999, 1.5, INF, NAN,
                                                1e-300, -1e-10, 0.3, 0.9], rtol=1e-12)
    rng = np.random.default_rng(1)
    x, xt = pair(np.concatenate([rng.uniform(-0.99, 0.99, 3000), 1 - 10.0 ** rng.uniform(-8, -2, 200)]))
    same(cr.erfinv(x), torch.erfinv(xt), rtol=1e-12)
    round_trip = torch.erf(torch.tensor(cr.erfinv(x).numpy())).numpy()
    np.testing.assert_allclose(round_trip, x.numpy(), rtol=1e-15, atol=1e-16)


def test_float_power_and_rsub_dtypes():
    x, xt = pair([1, 2, 3], "int32")
    same(cr.float_power(x, 2), torch.float_power(xt, 2))
    same(cr.float_power(2, x), torch.float_power(2, xt))
    same(x.float_power(-1), xt.float_power(-1))
    same(cr.rsub(x, 10), torch.rsub(xt, 10))
    same(cr.rsub(x, x, alpha=3), torch.rsub(xt, xt, alpha=3))
    f, ft = pair([1.5, 2.0], "float32")
    same(cr.float_power(f, f), torch.float_power(ft, ft))


def test_nan_to_num_defaults_per_dtype():
    for dtype in ("float32", "float64"):
        grads_match(lambda lib, a: lib.nan_to_num(a), [NAN, INF, -INF, 1.0], dtype=dtype)
        x, xt = pair([NAN, INF, -INF], dtype)
        same(x.nan_to_num(posinf=1e300, neginf=-1e300), xt.nan_to_num(posinf=1e300, neginf=-1e300))
    x, xt = pair([1, 2], "int64")
    same(cr.nan_to_num(x), torch.nan_to_num(xt))


def test_nansum_nanmean_dtypes_and_all_nan_slices():
    for values, dtype in [([1, 2, 3], "int64"), ([True, True, False], "bool"), ([1, 2], "int32")]:
        x, xt = pair(values, dtype)
        same(cr.nansum(x), torch.nansum(xt))
    grads_match(lambda lib, a: lib.nanmean(a, dim=1), [[NAN, NAN], [1.0, NAN]])
    grads_match(lambda lib, a: lib.nansum(a, dim=0), [[NAN, NAN], [1.0, NAN]])
    x, xt = pair([[1.0, NAN, 3.0]], "float32")
    same(cr.nanmean(x, 1, dtype=cr.float64), torch.nanmean(xt, 1, dtype=torch.float64))
    same(cr.nansum(x, dtype=cr.float64), torch.nansum(xt, dtype=torch.float64))


# ---------------------------------------------------------------- scans

def test_cummax_cummin_nan_ties_and_bool():
    values = [1.0, 3.0, 3.0, 2.0, NAN, 5.0, NAN, 1.0]
    x, xt = pair(values)
    same(list(cr.cummax(x, 0)), list(torch.cummax(xt, 0)))
    same(list(x.cummin(0)), list(xt.cummin(0)))
    b, bt = pair([True, False, True], "bool")
    same(list(b.cummax(0)), list(bt.cummax(0)))
    i, it = pair([[3, 1, 3], [2, 2, 0]], "int32")
    same(list(i.cummin(1)), list(it.cummin(1)))


def test_cummax_ties_send_the_gradient_to_the_latest_index():
    grads_match(lambda lib, a: lib.cummax(a, 1).values * lib.arange(1.0, 5.0, dtype=a.dtype),
                [[1.0, 3.0, 3.0, 2.0], [2.0, 2.0, 2.0, 2.0]])
    grads_match(lambda lib, a: lib.cummin(a, 0).values, [[1.0, 0.0], [1.0, 0.0], [0.5, 0.0]])


def test_logcumsumexp_infinities_and_integers():
    grads_match(lambda lib, a: lib.logcumsumexp(a, 0), [-INF, 1.0, 2.0, INF, 0.5])
    grads_match(lambda lib, a: lib.logcumsumexp(a, 0) * lib.tensor([1.0, -2.0, 0.0, 3.0], dtype=a.dtype),
                [-INF, -INF, 0.0, 1000.0])
    x = cr.tensor([1, 2])
    with pytest.raises(NotImplementedError, match=r"logcumsumexp: not implemented for chainrule.int64.*x.float\(\)"):
        x.logcumsumexp(0)


def test_diff_bool_int_and_orders():
    b, bt = pair([True, False, False, True], "bool")
    same(b.diff(), bt.diff())
    same(cr.diff(b, n=2), torch.diff(bt, n=2))
    i, it = pair([1, 5, 2, 8], "int64")
    same(i.diff(n=5), it.diff(n=5))
    same(i.diff(n=0), it.diff(n=0))
    p, pt = pair([0.5], "float32")
    same(cr.diff(i, prepend=p, append=p), torch.diff(it, prepend=pt, append=pt))


# ---------------------------------------------------------------- searching and counting

def test_searchsorted_scalars_nan_dtypes_and_out_int32():
    seq, seqt = pair([1.0, 3.0, 3.0, 5.0])
    same(cr.searchsorted(seq, 3.0), torch.searchsorted(seqt, 3.0))
    same(cr.searchsorted(seq, 3, right=True), torch.searchsorted(seqt, 3, right=True))
    v, vt = pair([NAN, -INF, INF, 3.0])
    same(cr.searchsorted(seq, v, out_int32=True), torch.searchsorted(seqt, vt, out_int32=True))
    with_nan, with_nan_t = pair([1.0, NAN])
    same(cr.searchsorted(with_nan, v), torch.searchsorted(with_nan_t, vt))
    ints, intst = pair([1, 3], "int64")
    w, wt = pair([1.5, 0.5, 3.0], "float32")
    same(cr.searchsorted(ints, w), torch.searchsorted(intst, wt))
    same(cr.bucketize(2.5, ints), torch.bucketize(2.5, intst))
    seq2, seq2t = pair([[1, 3], [2, 4]], "int64")
    vals, valst = pair([[2], [3]], "int64")
    same(cr.searchsorted(seq2, vals, side="right"), torch.searchsorted(seq2t, valst, side="right"))


def test_unique_nan_bool_and_sorted_false():
    x, xt = pair([NAN, 1.0, NAN, 1.0, -0.5])
    same(list(cr.unique(x, return_inverse=True, return_counts=True)),
         list(torch.unique(xt, return_inverse=True, return_counts=True)))
    b, bt = pair([True, False, True], "bool")
    same(list(b.unique(return_counts=True)), list(bt.unique(return_counts=True)))
    i, it = pair([3, 1, 2, 1], "int64")
    same(cr.unique(i, sorted=False), torch.unique(it, sorted=False))
    f, ft = pair([2.0, 1.0], requires_grad=True)
    assert not cr.unique(f).requires_grad


def test_isin_mixed_dtypes_and_numbers():
    a, at = pair([1, 2, 3], "int64")
    f, ft = pair([1.0, 2.5], "float32")
    same(cr.isin(a, f), torch.isin(at, ft))
    same(cr.isin(f, a), torch.isin(ft, at))
    same(cr.isin(2, a), torch.isin(2, at))
    n, nt = pair([NAN, 1.0])
    same(cr.isin(n, n), torch.isin(nt, nt))


def test_bincount_weights_dtypes_and_minlength():
    x, xt = pair([0, 1, 1, 3], "int64")
    for weights, dtype in [([1, 2, 3, 4], "int64"), ([1.0, 2, 3, 4], "float32"), ([1.0, 2, 3, 4], "float64"),
                           ([True, False, True, True], "bool")]:
        w, wt = pair(weights, dtype)
        same(cr.bincount(x, w), torch.bincount(xt, wt))
    u, ut = pair([1, 2, 2], "uint8")
    same(u.bincount(minlength=6), ut.bincount(minlength=6))
    e, et = pair([], "int64")
    same(cr.bincount(e, minlength=3), torch.bincount(et, minlength=3))
    w = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    assert not cr.bincount(x, w).requires_grad


def test_argwhere_of_0d_and_trace_diag_of_integers():
    for value in (5, 0):
        x, xt = pair(value, "int64")
        same(cr.argwhere(x), torch.argwhere(xt))
    m, mt = pair([[1, 2, 3], [4, 5, 6]], "int32")
    same(m.trace(), mt.trace())
    same(m.diag(1), torch.diag(mt, 1))
    same(m[0].diag(-1), torch.diag(mt[0], -1))


# ---------------------------------------------------------------- layout

def test_diag_is_a_method_and_chainrule_diag_calls_the_op():
    import chainrule.diag   # noqa: F401  (the package; importing it must not hide the method)
    same(cr.arange(3).diag(), torch.arange(3).diag())
    same(cr.diag(cr.arange(3)), torch.diag(torch.arange(3)))   # the package is callable as the op


def test_tensor_split_indices_forms():
    x, xt = pair(np.arange(7), "int64")
    for arg in ([5, 1, 9], (-2,), [-2, 3], [-20, 3], 9, []):
        same(list(x.tensor_split(arg)), list(xt.tensor_split(arg)))
    same(list(x.tensor_split(cr.tensor([1, 5]))), list(xt.tensor_split(torch.tensor([1, 5]))))
    same(list(x.tensor_split(cr.tensor(3))), list(xt.tensor_split(torch.tensor(3))))
    same(list(x.tensor_split(indices=[2])), list(xt.tensor_split(indices=[2])))
    same(list(x.tensor_split(sections=2)), list(xt.tensor_split(sections=2)))


def test_tensor_split_pieces_are_views():
    x = cr.zeros(6)
    first, _ = x.tensor_split(2)
    first.add_(1)
    assert x.tolist() == [1, 1, 1, 0, 0, 0]


def test_meshgrid_default_indexing_warns_like_torch():
    a, at = pair([1, 2], "int64")
    b, bt = pair([3, 4, 5], "int64")
    with pytest.warns(UserWarning, match="indexing argument"):
        ours = cr.meshgrid(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(list(ours), list(torch.meshgrid(at, bt)))
    same(list(cr.meshgrid(a, indexing="xy")), list(torch.meshgrid(at, indexing="xy")))
    same(list(cr.meshgrid(a, b, a, indexing="xy")), list(torch.meshgrid(at, bt, at, indexing="xy")))


def test_cross_without_dim_warns_and_takes_the_first_size_3_dim():
    a, at = pair([[1.0, 2.0, 3.0]] * 3)
    b, bt = pair([[4.0, 5.0, 6.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    with pytest.warns(UserWarning, match="without specifying the dim"):
        ours = cr.cross(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(ours, torch.cross(at, bt))
    i, it = pair([1, 2, 3], "int64")
    same(cr.cross(i, i * 2 + 1, dim=0), torch.cross(it, it * 2 + 1, dim=0))


# ---------------------------------------------------------------- scatter with a reduction

INDEX = [0, 1, 0, 1, 3]


def test_scatter_reduce_integers_round_the_mean_down():
    for own in (True, False):
        for reduce in ("sum", "prod", "mean", "amax", "amin"):
            x, xt = pair([1, -2, 3, 4], "int64")
            s, st = pair([5, -1, 7, 2, 4], "int64")
            same(x.scatter_reduce(0, cr.tensor(INDEX), s, reduce, include_self=own),
                 xt.scatter_reduce(0, torch.tensor(INDEX), st, reduce, include_self=own))


def test_scatter_reduce_nan_and_tie_gradients():
    index = torch.tensor(INDEX)
    for reduce in ("amax", "amin"):
        grads_match(lambda lib, a, b: a.scatter_reduce(0, lib.tensor(INDEX), b, reduce),
                    [5.0, 2.0, 3.0, 4.0], [5.0, 1.0, 5.0, 2.0, 4.0])
        grads_match(lambda lib, a, b: a.scatter_reduce(0, lib.tensor(INDEX), b, reduce),
                    [1.0, 2.0, 3.0, 4.0], [NAN, 1.0, 2.0, 3.0, 4.0])
    assert index.shape == (5,)


def test_scatter_reduce_max_without_self_shares_the_gradient_among_src_only():
    # PyTorch also counts an excluded self value that happens to equal the result; chainrule does not
    x = cr.tensor([5.0, 2.0, 3.0, 4.0], requires_grad=True)
    src = cr.tensor([5.0, 1.0, 5.0, 2.0, 3.0], requires_grad=True)
    x.scatter_reduce(0, cr.tensor(INDEX), src, "amax", include_self=False).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 0.0]
    assert src.grad.tolist() == [0.5, 0.0, 0.5, 1.0, 1.0]


def test_scatter_reduce_prod_with_zeros_first_and_second_derivatives():
    for own in (True, False):
        grads_match(lambda lib, a, b: a.scatter_reduce(0, lib.tensor(INDEX), b, "prod", include_self=own),
                    [0.0, 2.0, 3.0, 4.0], [5.0, 0.0, 0.0, 2.0, 3.0])
    # one zero per position: PyTorch's double backward is defined there; compare it
    x, xt = pair([0.0, 2.0, 3.0, 4.0], requires_grad=True)
    s, st = pair([5.0, 0.0, 1.5, 2.0, 3.0], requires_grad=True)
    weights = np.array([1.0, -2.0, 0.5, 3.0])
    ours = (x.scatter_reduce(0, cr.tensor(INDEX), s, "prod") * cr.tensor(weights)).sum()
    theirs = (xt.scatter_reduce(0, torch.tensor(INDEX), st, "prod") * torch.tensor(weights)).sum()
    g = cr.autograd.grad(ours, [x, s], create_graph=True)
    gt = torch.autograd.grad(theirs, [xt, st], create_graph=True)
    same(list(g), list(gt))
    (g[0].sum() + (g[1] * cr.tensor([1.0, 2, 3, 4, 5])).sum()).backward()
    (gt[0].sum() + (gt[1] * torch.tensor([1.0, 2, 3, 4, 5])).sum()).backward()
    same(x.grad, xt.grad)
    same(s.grad, st.grad)


def test_index_reduce_integers_and_0d():
    for reduce in ("prod", "mean", "amax", "amin"):
        for own in (True, False):
            x, xt = pair([1, -2, 3, 4], "int64")
            s, st = pair([5, -1, 7], "int64")
            same(x.index_reduce(0, cr.tensor([0, 1, 0]), s, reduce, include_self=own),
                 xt.index_reduce(0, torch.tensor([0, 1, 0]), st, reduce, include_self=own))


def test_masked_scatter_broadcasts_input_and_mask():
    mask = [[True, False, True], [False, True, False]]
    m, mt = pair(mask, "bool")
    for shape in [(3,), (2, 1), (2, 3)]:
        grads_match(lambda lib, a, s: a.masked_scatter(m if lib is cr else mt, s),
                    np.arange(np.prod(shape), dtype=float).reshape(shape) - 2, np.arange(1.0, 8.0))


# ---------------------------------------------------------------- in-place methods

INPLACE = {
    "addcmul_": lambda t, o: t.addcmul_(o, o * 2, value=0.5),
    "addcdiv_": lambda t, o: t.addcdiv_(o, o + 3, value=-2),
    "lerp_": lambda t, o: t.lerp_(o, 0.3),
    "lerp_ tensor weight": lambda t, o: t.lerp_(o, o.sigmoid()),
    "remainder_": lambda t, o: t.remainder_(o + 3.5),
    "fmod_": lambda t, o: t.fmod_(o + 3.5),
    "clamp_min_": lambda t, o: t.clamp_min_(-0.2),
    "clamp_max_": lambda t, o: t.clamp_max_(0.4),
    "tril_": lambda t, o: t.tril_(),
    "triu_": lambda t, o: t.triu_(1),
    "cumsum_": lambda t, o: t.cumsum_(1),
    "scatter_reduce_": lambda t, o: t.scatter_reduce_(1, _index(t), o, "amax"),
    "index_reduce_": lambda t, o: t.index_reduce_(1, _vector(t, [2, 0, 2]), o, "mean"),
    "masked_scatter_": lambda t, o: t.masked_scatter_(t > 0, o),
}


def _index(t):
    return (cr if isinstance(t, cr.Tensor) else torch).tensor([[0, 1, 0], [2, 2, 1]])


def _vector(t, values):
    return (cr if isinstance(t, cr.Tensor) else torch).tensor(values)


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_method_matches_torch(name):
    op = INPLACE[name]
    x, xt = pair([[-1.0, 0.25, 2.0], [0.75, -0.3, 1.5]], requires_grad=True)
    o, ot = pair([[0.5, -1.25, 0.1], [1.0, 2.0, -0.7]], requires_grad=True)
    h, ht = x * 2, xt * 2
    version = h._version
    assert op(h, o) is h
    op(ht, ot)
    assert h._version == version + 1
    same(h, ht)
    (h * h).sum().backward()
    (ht * ht).sum().backward()
    same(x.grad, xt.grad)
    same(o.grad, ot.grad) if ot.grad is not None else None


def test_floor_divide_inplace_values():   # torch has no derivative for floor_divide_
    x, xt = pair([[-1.0, 0.25, 2.0], [0.75, -0.3, 1.5]])
    same(x.floor_divide_(0.4), xt.floor_divide_(0.4))
    assert x._version == 1


def test_inplace_methods_keep_integer_dtypes():
    for name, op in [("cumsum_", lambda t: t.cumsum_(0)), ("floor_divide_", lambda t: t.floor_divide_(4)),
                     ("remainder_", lambda t: t.remainder_(4)), ("fmod_", lambda t: t.fmod_(-4)),
                     ("clamp_min_", lambda t: t.clamp_min_(2)), ("tril_", lambda t: t.reshape(2, 3).tril_())]:
        x, xt = pair(np.arange(-1, 5), "int32")
        same(op(x), op(xt))
        same(x, xt)


def test_inplace_float_result_into_integer_tensor_is_refused():
    x = cr.arange(6)
    with pytest.raises(RuntimeError, match="clamp_min_: result type chainrule.float32 can't be cast to the "
                                           "desired output type chainrule.int64"):
        x.clamp_min_(2.5)


def test_cumsum_inplace_with_another_dtype_is_refused():
    with pytest.raises(RuntimeError, match="cumsum_: Bad in-place call: input tensor dtype chainrule.float32 "
                                           "and output tensor dtype chainrule.float64 should match"):
        cr.arange(6.0).cumsum_(0, dtype=cr.float64)


SHAPE_CHANGES = {
    "squeeze_": (lambda t: t.squeeze_(), (2, 1, 3)),
    "squeeze_ dim": (lambda t: t.squeeze_(1), (2, 1, 3)),
    "unsqueeze_": (lambda t: t.unsqueeze_(-1), (2, 3)),
    "t_": (lambda t: t.t_(), (2, 3)),
    "t_ 1-D": (lambda t: t.t_(), (3,)),
    "transpose_": (lambda t: t.transpose_(0, 2), (2, 3, 4)),
}


@pytest.mark.parametrize("name", list(SHAPE_CHANGES))
def test_shape_changing_inplace_methods_match_torch(name):
    op, shape = SHAPE_CHANGES[name]
    values = np.arange(np.prod(shape), dtype=float).reshape(shape) / 7
    x, xt = pair(values, requires_grad=True)
    h, ht = x * 2, xt * 2
    assert op(h) is h
    op(ht)
    assert tuple(h.shape) == tuple(ht.shape)
    assert h._version == ht._version
    weights = np.arange(h.numel(), dtype=float).reshape(tuple(ht.shape))
    (h * cr.tensor(weights)).sum().backward()
    (ht * torch.tensor(weights)).sum().backward()
    same(x.grad, xt.grad)


def test_shape_change_without_grad_shares_memory_with_earlier_views():
    x = cr.zeros(2, 1, 3)
    row = x[0]
    x.squeeze_()
    row.add_(1)
    assert x.tolist() == [[1, 1, 1], [0, 0, 0]]
    assert x._version == 2 and x.shape == (2, 3)
    y = cr.zeros(2, 3)
    y.t_()
    assert y.shape == (3, 2) and not y.is_contiguous()


def test_shape_change_of_a_view_of_a_nonleaf_is_recorded():
    x, xt = pair([[1.0], [2.0]], requires_grad=True)
    v, vt = (x * 3)[0:1], (xt * 3)[0:1]
    v.squeeze_()
    vt.squeeze_()
    same(v, vt)
    (v * 5).sum().backward()
    (vt * 5).sum().backward()
    same(x.grad, xt.grad)


def test_shape_change_of_a_saved_tensor_fails_backward_like_torch():
    x = cr.ones(2, 3, requires_grad=True)
    h = x * 2
    y = h * h
    h.t_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_shape_change_of_a_leaf_that_requires_grad_is_refused():
    w = cr.zeros(2, 1, requires_grad=True)
    with pytest.raises(RuntimeError, match="squeeze_: a leaf Variable that requires grad.*no_grad"):
        w.squeeze_()
    with cr.no_grad():
        w.squeeze_()
    assert w.shape == (2,)


def test_t_inplace_on_3d_names_the_fix():
    with pytest.raises(RuntimeError, match=r"t_\(\) expects a tensor with <= 2 dimensions.*transpose_"):
        cr.zeros(2, 3, 4).t_()


# ---------------------------------------------------------------- errors

ERRORS = [
    (lambda: cr.cross(cr.zeros(3, 4), cr.zeros(3, 4), dim=1), RuntimeError,
     r"linalg.cross: inputs dimension 1 must have length 3. Got 4 and 4 \(shapes \(3, 4\) and \(3, 4\)\)"),
    (lambda: cr.cross(cr.zeros(2, 3), cr.zeros(3)), RuntimeError, "same number of dimensions.*unsqueeze"),
    (lambda: cr.cross(cr.zeros(3), cr.zeros(3, dtype=cr.float64), dim=0), RuntimeError,
     "same dtype, got chainrule.float32 and chainrule.float64"),
    (lambda: cr.cross(cr.zeros(2), cr.zeros(2)), RuntimeError, r"no dimension of size 3 in input.*dim="),
    (lambda: cr.searchsorted(cr.tensor([7, 1, 5, 3]), cr.tensor([3]), sorter=cr.tensor([1, 3, 2])),
     RuntimeError, r"boundary and sorter must have the same size.*\[4\].*\[3\]"),
    (lambda: cr.searchsorted(cr.tensor([7, 1]), cr.tensor([3]), sorter=cr.tensor([1, 5])), RuntimeError,
     "sorter index out of range"),
    (lambda: cr.searchsorted(cr.tensor([7, 1]), cr.tensor([3]), sorter=cr.tensor([1.0, 0.0])), RuntimeError,
     "sorter must be a tensor of long dtype but got dtype chainrule.float32"),
    (lambda: cr.searchsorted(cr.tensor([1, 3]), cr.tensor([3]), side="middle"), RuntimeError,
     "side can only be 'left' or 'right' but got middle"),
    (lambda: cr.searchsorted(cr.tensor([1, 3]), cr.tensor([3]), side="left", right=True), RuntimeError,
     "side and right can't be set to opposites"),
    (lambda: cr.searchsorted(cr.zeros(2, 2), cr.zeros(1, 3)), RuntimeError,
     r"first N-1 dimensions.*boundaries tensor \[2, 2\] and input value tensor \[1, 3\]"),
    (lambda: cr.searchsorted(cr.tensor(1.0), cr.zeros(2)), RuntimeError, "positive dimension"),
    (lambda: cr.searchsorted(cr.zeros(2, 2), 1.0), RuntimeError, "scalar only when boundaries tensor dimension is 1"),
    (lambda: cr.bucketize(cr.zeros(2), cr.zeros(2, 2)), RuntimeError, r"must be 1 dimension, but got dim\(2\)"),
    (lambda: cr.bincount(cr.tensor([0, -1])), RuntimeError, "non-negative.*found the value -1"),
    (lambda: cr.bincount(cr.tensor([[0, 1]])), RuntimeError, r"1-d.*shape \(1, 2\).*reshape\(-1\)"),
    (lambda: cr.bincount(cr.tensor([0.0, 1.0])), NotImplementedError, r"bincount: not implemented for chainrule.float32"),
    (lambda: cr.bincount(cr.tensor([0, 1]), minlength=-1), RuntimeError, "minlength should be >= 0"),
    (lambda: cr.bincount(cr.tensor([0, 1]), cr.tensor([1.0, 2, 3])), RuntimeError,
     r"weights should be 1-d and have the same length as input: weights \(3,\), input \(2,\)"),
    (lambda: cr.arange(7).tensor_split(0), RuntimeError, "number of sections must be larger than 0, got 0"),
    (lambda: cr.arange(7).tensor_split(-1), RuntimeError, "larger than 0, got -1"),
    (lambda: cr.arange(7).tensor_split(cr.tensor([1.0, 5.0])), RuntimeError, "dtype of long, but got float32"),
    (lambda: cr.arange(7).tensor_split(cr.tensor([[1, 5]])), RuntimeError, "got a tensor with 2 dims"),
    (lambda: cr.tensor(1).tensor_split(2), RuntimeError, "at least a 1-dimensional tensor.*reshape"),
    (lambda: cr.rot90(cr.zeros(6), 1), RuntimeError, "expected total dims >= 2, but got total dims = 1"),
    (lambda: cr.rot90(cr.zeros(2, 3), 1, [0]), RuntimeError, "expected total rotation dims == 2"),
    (lambda: cr.rot90(cr.zeros(2, 3), 1, [0, -2]), RuntimeError,
     "rotation dims to be different, but got dim0 = 0 and dim1 = -2"),
    (lambda: cr.zeros(2, 2, 2).diag(), RuntimeError, r"diag\(\): Supports 1D or 2D tensors. Got 3D"),
    (lambda: cr.tensor(1.0).diag(), RuntimeError, "Got 0D"),
    (lambda: cr.trace(cr.zeros(3)), RuntimeError, "trace: expected a matrix, but got tensor with dim 1"),
    (lambda: cr.trace(cr.tensor([[True]])), NotImplementedError, "trace: not implemented for bool"),
    (lambda: cr.diff(cr.tensor(1.0)), RuntimeError, "at least one-dimensional"),
    (lambda: cr.diff(cr.zeros(3), n=-1), RuntimeError, "order must be non-negative but got -1"),
    (lambda: cr.diff(cr.zeros(2, 2), prepend=cr.zeros(1)), RuntimeError,
     r"same dimension as input: prepend has shape \(1,\), input has shape \(2, 2\)"),
    (lambda: cr.diff(cr.zeros(3), prepend=3), TypeError, "'prepend' must be Tensor, not int"),
    (lambda: cr.unique(cr.tensor(5), dim=0), IndexError, "Dimension specified as 0 but tensor has no dimensions"),
    (lambda: cr.unique(cr.zeros(2, 0), dim=0), RuntimeError, "0 sized dimensions, and they aren't selected"),
    (lambda: cr.meshgrid(cr.zeros(2), indexing="foo"), RuntimeError, 'one of "xy" or "ij", but received: foo'),
    (lambda: cr.meshgrid(cr.zeros(2), cr.arange(3), indexing="ij"), RuntimeError, "same dtype"),
    (lambda: cr.meshgrid(cr.zeros(1, 2), indexing="ij"), RuntimeError, r"0D or 1D tensor.*\(1, 2\)"),
    (lambda: cr.meshgrid(indexing="ij"), RuntimeError, "non-empty TensorList"),
    (lambda: cr.broadcast_tensors(cr.zeros(2), cr.zeros(3)), RuntimeError,
     r"shapes \(2,\), \(3,\) cannot be broadcast"),
    (lambda: cr.isin(cr.tensor([True]), cr.tensor([1])), RuntimeError, "Unsupported input type.*Bool"),
    (lambda: cr.isin(1, 2), TypeError, "at least one of elements and test_elements to be a Tensor"),
    (lambda: cr.zeros(3).scatter_reduce(0, cr.tensor([0]), cr.zeros(1), "max"), RuntimeError,
     "reduce to be one of sum, prod, mean, amax or amin but got max"),
    (lambda: cr.zeros(3).scatter_reduce(0, cr.tensor([0]), cr.zeros(1, dtype=cr.float64), "sum"),
     RuntimeError, r"self.dtype to be equal to src.dtype, got chainrule.float32 and chainrule.float64.*src.to"),
    (lambda: cr.zeros(3).index_reduce(0, cr.tensor([0]), cr.zeros(1), "sum"), RuntimeError,
     "one of prod, mean, amax or amin but got sum"),
    (lambda: cr.zeros(4).index_reduce(0, cr.tensor([0, 1, 0]), cr.zeros(2), "mean"), RuntimeError,
     r"Number of indices \(3\) should be equal to source.size\(dim\): \(2\), for dim: 0"),
    (lambda: cr.zeros(2, 3).masked_scatter(cr.ones(2, 3, dtype=cr.int32), cr.zeros(6)), RuntimeError,
     "only supports boolean masks, but got mask with dtype chainrule.int32"),
    (lambda: cr.zeros(2, 3).masked_scatter(cr.ones(2, 3) > 0, cr.arange(6)), RuntimeError,
     "self.dtype to be equal to source.dtype, got chainrule.float32 and chainrule.int64"),
    (lambda: cr.zeros(2, 3).masked_scatter(cr.ones(2, 3) > 0, cr.zeros(2)), RuntimeError,
     "source < number of ones in mask: the mask selects 6 positions but source has only 2 elements"),
    (lambda: cr.zeros(2, 3).masked_scatter(cr.ones(4) > 0, cr.zeros(9)), RuntimeError,
     r"mask of shape \(4,\) cannot be broadcast with the input of shape \(2, 3\)"),
    (lambda: cr.nanmean(cr.tensor([1, 2])), RuntimeError, r"floating point or complex dtype but got Int64.*float\(\)"),
    (lambda: cr.hypot(cr.tensor([1]), cr.tensor([2])), NotImplementedError, r"hypot: not implemented for chainrule.int64"),
    (lambda: cr.logaddexp(cr.tensor([1]), cr.tensor([2])), NotImplementedError, "logaddexp: not implemented"),
    (lambda: cr.atan2(cr.zeros(2), 2.0), TypeError, "atan2.*'other' must be Tensor, not float"),
    (lambda: cr.float_power(2, 3), TypeError, "expected a Tensor for input or exponent"),
    (lambda: cr.cummax(cr.zeros(2), 1), IndexError, "Dimension out of range"),
]


@pytest.mark.parametrize("call,kind,words", ERRORS, ids=[w[:40] for _, _, w in ERRORS])
def test_error_message(call, kind, words):
    with pytest.raises(kind, match=words) as info:
        call()
    assert "test_more_ops.py" in str(info.value), "the message points at the user's line"


# ---------------------------------------------------------------- edge values found by the fuzzer, beyond
# their minimal reproducers (tests/fuzz/test_fuzz_regressions.py)

EDGE_VALUE_CALLS = {
    "lerp tensor weight": lambda lib: lib.lerp(lib.tensor([INF, 1.0, -INF, 2.0]), lib.tensor([1.0, INF, 2.0, 5.0]),
                                               lib.tensor([0.2, 0.5, 1.0, 0.7])),
    "lerp weights": lambda lib: [lib.lerp(lib.tensor([INF, 1.0]), lib.tensor([1.0, INF]), w) for w in (0.2, 1.0, -0.7)],
    "float16 by a wide number": lambda lib: (lib.tensor([60000.0, 0.0, 1.0], dtype=lib.float16) * 1e-8,
                                             lib.tensor([60000.0, 0.0, 1.0], dtype=lib.float16) / 1e5),
    "float16 norm": lambda lib: lib.tensor([60000.0, 1.0], dtype=lib.float16).norm(),
    "one-element norms": lambda lib: (lib.full((3, 1), 1e30).norm(dim=1), lib.tensor([1e-40]).norm(p=3)),
    "std and var along a dim": lambda lib: (lib.tensor([[3e38, 1.0, -1.0]]).std(dim=1),
                                            lib.tensor([[1e20, -1e20]]).var(1)),
    "odd power beyond float32's integers": lambda lib: lib.tensor([-1.0, -2.0]) ** (2 ** 24 + 1),
    "integer powers at -2**63": lambda lib: lib.tensor([-1, 1, 2]) ** lib.tensor([-2 ** 63] * 3),
    "nan sign of sqrt and log": lambda lib: [lib.signbit(f(lib.tensor([-3.0, -0.0]))) for f in (lib.sqrt, lib.log, lib.log2)],
    "cumsum of -0.0": lambda lib: lib.cumsum(lib.tensor([-0.0, -0.0]), 0),
    "tensordot size-1 contraction": lambda lib: lib.tensordot(lib.tensor([[2], [3]], dtype=lib.int8),
                                                              lib.tensor([[1, 2], [3, 4]], dtype=lib.int8), dims=([1], [0])),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("call", EDGE_VALUE_CALLS.values(), ids=EDGE_VALUE_CALLS.keys())
def test_edge_values_match_torch(call):
    from tests.fuzz.same import assert_same
    assert_same(call)


def test_cumprod_gradient_along_a_size_one_dim_is_the_upstream_gradient():
    ours, theirs = pair([[INF], [3.0]], "float32", requires_grad=True)
    for lib, x in ((cr, ours), (torch, theirs)):
        lib.cumprod(x, 1).sum().backward()
    same(ours.grad, theirs.grad)


@pytest.mark.parametrize("call, words", [
    (lambda: cr.hypot(cr.tensor([3]), cr.tensor([4])),
     r"hypot: not implemented for chainrule.int64 tensors; convert to a floating dtype first"),
    (lambda: cr.tensor([True, False]).cumsum_(0),
     r"cumsum_: \"cumsum_out_cpu\" not implemented for 'Bool' .* x = x.long\(\).cumsum\(0\)"),
    (lambda: cr.index_reduce(cr.tensor([True]), 0, cr.tensor([0]), cr.tensor([True]), "mean"),
     r"index_reduce \('mean', include_self=True\) is not implemented for bool tensors, as in PyTorch"),
    (lambda: cr.index_reduce(cr.tensor([True]), 0, cr.tensor([0]), cr.tensor([True]), "prod", include_self=False),
     r"index_reduce \('prod', include_self=False\) is not implemented for bool tensors"),
    (lambda: cr.scatter_reduce(cr.tensor([True]), 0, cr.tensor([0]), cr.tensor([True]), "mean"),
     r"scatter_reduce: \"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'"),
    (lambda: cr.tensor([True]).clamp_min_(False),
     r"clamp: \"clamp_min_scalar_cpu\" not implemented for 'Bool' .* convert first: x.int\(\)"),
])
def test_kernels_pytorch_lacks_are_refused_with_the_fix(call, words):
    with pytest.raises(NotImplementedError, match=words):
        call()
