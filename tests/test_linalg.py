"""Contractions against PyTorch: matmul and its spellings, einsum, tensordot, the add-products."""
import numpy as np
import pytest
import torch

import chainrule as cr
from oracle import check_op

THIS_FILE = __file__.replace(".pyc", ".py")


def lib_of(x):
    return torch if isinstance(x, torch.Tensor) else cr


# ---------------------------------------------------------------- matmul and its spellings

MATMUL_SHAPES = [
    [(4,), (4,)],                  # dot
    [(3, 4), (4,)],                # matrix @ vector
    [(4,), (4, 5)],                # vector @ matrix
    [(3, 4), (4, 5)],              # matrix @ matrix
    [(1, 4), (4, 1)],              # size-1 dims
    [(2, 3, 4), (4, 5)],           # batch @ matrix
    [(4,), (2, 4, 3)],             # vector @ batch
    [(2, 3, 4), (4,)],             # batch @ vector
    [(2, 3, 4), (2, 4, 5)],        # batch @ batch
    [(2, 1, 3, 4), (5, 4, 2)],     # broadcast batch dims
    [(1, 3, 4), (2, 1, 4, 2)],     # broadcast batch dims, both sides
    [(0, 3), (3, 2)],              # empty rows
    [(2, 0), (0, 3)],              # empty contraction: zeros
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    check_op(lambda a, b: a @ b, shapes, gradgrad=True)


def test_matmul_spellings():
    check_op(lambda a, b: lib_of(a).matmul(a, b), [(2, 3, 4), (4, 2)], gradgrad=True)
    check_op(lambda a, b: a.matmul(b), [(3, 4), (4,)], gradgrad=True)
    check_op(lambda a, b: a.mm(b), [(3, 4), (4, 2)], gradgrad=True)
    check_op(lambda a, b: lib_of(a).bmm(a, b), [(2, 3, 4), (2, 4, 2)], gradgrad=True)
    check_op(lambda a, b: a.mv(b), [(3, 4), (4,)], gradgrad=True)
    check_op(lambda a, b: a.dot(b), [(4,), (4,)], gradgrad=True)
    check_op(lambda a, b: lib_of(a).dot(a, b), [(0,), (0,)])


def test_matmul_of_transposed_operands():
    check_op(lambda a, b: a.mT @ b, [(4, 3), (4, 2)], gradgrad=True)
    check_op(lambda a, b: a @ b.mT, [(2, 3, 4), (5, 4)], gradgrad=True)
    check_op(lambda a, b: a.mT @ b.mT, [(4, 3), (2, 4)], gradgrad=True)


def test_matmul_of_integers_stays_integer():
    check_op(lambda a, b: a @ b, [(2, 3), (3, 4)], dtypes=(np.int64,), grad=False, low=-5, high=5)
    check_op(lambda a, b: a @ b, [(3,), (3,)], dtypes=(np.int32,), grad=False, low=-5, high=5)


def test_matmul_larger_shapes_against_torch():
    check_op(lambda a, b: a @ b, [(3, 40, 50), (50, 30)], gradcheck=False)


@pytest.mark.parametrize("shapes", [[(3, 4), (5, 4)], [(4,), (4,)], [(2, 3, 4), (4,)], [(4,), (2, 3, 4)]], ids=str)
def test_inner(shapes):
    check_op(lambda a, b: lib_of(a).inner(a, b), shapes, gradgrad=True)


def test_inner_with_a_0d_operand_multiplies():
    check_op(lambda a, b: a.inner(b), [(), (2, 3)], gradgrad=True)


@pytest.mark.parametrize("name", ["outer", "ger"])
def test_outer(name):
    check_op(lambda a, b: getattr(lib_of(a), name)(a, b), [(3,), (4,)], gradgrad=True)
    check_op(lambda a, b: getattr(a, name)(b), [(1,), (0,)])


def test_outer_promotes_dtypes_like_torch():
    out = cr.outer(cr.arange(3), cr.ones(2))
    assert out.dtype == cr.float32 and out.tolist() == torch.outer(torch.arange(3), torch.ones(2)).tolist()


# ---------------------------------------------------------------- einsum

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->i", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),   # broadcast '...' dims
    ("...ij,jk->...ik", [(2, 3), (3, 2)]),               # '...' covering no dims
    ("...ij->...", [(2, 1, 3, 2)]),
    ("...ij->ij", [(2, 2, 3)]),                          # summed-away '...'
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 2), (1, 2, 4, 2)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),                                    # trace, implicit output
    ("iij->ji", [(2, 2, 3)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("ij,jk", [(2, 3), (3, 4)]),                         # implicit: 'ik'
    ("ba", [(2, 3)]),                                    # implicit: sorted, so a transpose
    ("bA,Ab", [(2, 3), (3, 2)]),                         # implicit: uppercase sorts first
    ("...ij,...jk", [(2, 2, 3), (3, 2)]),                # implicit with '...'
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ab,ab,ab->a", [(2, 3), (2, 1), (1, 3)]),           # three operands, broadcast
    ("ij,jk->ik", [(2, 1), (3, 4)]),                     # broadcast a contracted dim
    ("ij,jk->ik", [(2, 3), (1, 4)]),
    ("ij,ij->ij", [(2, 1), (1, 4)]),
    ("i,i->", [(1,), (4,)]),
    ("ij,kj", [(2, 1), (3, 4)]),
    ("ii->i", [(1, 1)]),
    ("ij->", [(0, 3)]),                                  # empty
    ("ij,jk->ik", [(2, 0), (0, 3)]),                     # empty contraction: zeros
    ("->", [()]),
    (",i->i", [(), (3,)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM_CASES, ids=[f"{e} {s}" for e, s in EINSUM_CASES])
def test_einsum(equation, shapes):
    check_op(lambda *xs: lib_of(xs[0]).einsum(equation, *xs), shapes, gradgrad=True)


def test_einsum_takes_a_list_of_operands_and_spaces():
    check_op(lambda a, b: lib_of(a).einsum(" i j , j k -> i k ", [a, b]), [(2, 3), (3, 4)], gradgrad=True)


@pytest.mark.parametrize("equation,shapes", [
    ("bij,bjk->bik", [(1, 40, 50), (3, 50, 40)]),        # large enough for NumPy's BLAS path
    ("bhqd,bhkd->bhqk", [(2, 4, 20, 16), (2, 4, 30, 16)]),
    ("ij,jk->ik", [(60, 1), (70, 60)]),
    ("ij,jk,kl->il", [(20, 30), (30, 40), (40, 10)]),
], ids=str)
def test_einsum_larger_shapes_against_torch(equation, shapes):
    check_op(lambda *xs: lib_of(xs[0]).einsum(equation, *xs), shapes, gradcheck=False)


def test_einsum_of_integers():
    check_op(lambda a, b: lib_of(a).einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)], dtypes=(np.int64,),
             grad=False, low=-5, high=5)


def test_einsum_double_backward_matches_torch():
    values = np.random.default_rng(0).normal(size=(3, 3))
    results = []
    for lib in (cr, torch):
        a = lib.tensor(values, requires_grad=True)
        y = lib.einsum("ij,jk,ki->", a, a, a)  # trace(A^3)
        (g,) = lib.autograd.grad(y, a, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), a)
        results.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-10)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10)


# ---------------------------------------------------------------- tensordot

@pytest.mark.parametrize("dims,shapes", [
    (2, [(2, 3, 4), (3, 4, 2)]),
    (1, [(2, 3), (3, 4)]),
    (0, [(2, 3), (4,)]),
    (0, [(), (3,)]),
    (2, [(2, 3), (2, 3)]),
    (([1, 2], [0, 1]), [(2, 3, 4), (3, 4, 2)]),
    (([0, 2], [2, 0]), [(3, 2, 4), (4, 2, 3)]),
    (([-1], [-2]), [(2, 3), (3, 4)]),
    ([[1], [0]], [(2, 1), (3, 4)]),                      # a contracted size-1 dim broadcasts
], ids=str)
def test_tensordot(dims, shapes):
    check_op(lambda a, b: lib_of(a).tensordot(a, b, dims=dims), shapes, gradgrad=True)


def test_tensordot_takes_dims_as_a_tensor():
    a, b = np.ones((2, 3)), np.ones((3, 4))
    ours = cr.tensordot(cr.tensor(a), cr.tensor(b), dims=cr.tensor(1))
    theirs = torch.tensordot(torch.tensor(a), torch.tensor(b), dims=torch.tensor(1))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------- add-products, powers, kron

@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1.5)])
def test_addmm_addmv_baddbmm(beta, alpha):
    kw = dict(beta=beta, alpha=alpha)
    check_op(lambda c, a, b: lib_of(a).addmm(c, a, b, **kw), [(3, 2), (3, 4), (4, 2)], gradgrad=True)
    check_op(lambda c, a, b: c.addmm(a, b, **kw), [(2,), (3, 4), (4, 2)], gradgrad=True)
    check_op(lambda c, a, b: lib_of(a).addmv(c, a, b, **kw), [(1,), (3, 4), (4,)], gradgrad=True)
    check_op(lambda c, a, b: c.baddbmm(a, b, **kw), [(3, 1), (2, 3, 4), (2, 4, 2)], gradgrad=True)


def test_addmm_with_beta_zero_ignores_nan_in_input():
    out = cr.addmm(cr.full((2, 2), float("nan")), cr.ones(2, 3), cr.ones(3, 2), beta=0)
    assert out.tolist() == [[3.0, 3.0], [3.0, 3.0]]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_matrix_power(n):
    check_op(lambda a: lib_of(a).matrix_power(a, n), [(3, 3)], low=-1, high=1, gradgrad=True)
    check_op(lambda a: a.matrix_power(n), [(2, 2, 2)], low=-1, high=1, gradgrad=True)


@pytest.mark.parametrize("shapes", [[(2, 3), (4, 2)], [(2, 3), (4,)], [(3,), (2, 2)], [(), (3,)], [(2, 1, 2), (1, 3, 1)]],
                         ids=str)
def test_kron(shapes):
    check_op(lambda a, b: lib_of(a).kron(a, b), shapes, gradgrad=True)


# ---------------------------------------------------------------- errors

X = cr.ones(2, 3)


@pytest.mark.parametrize("call,kind,words", [
    # matmul: shapes, dtypes, 0-d, non-tensors
    (lambda: cr.ones(2, 3) @ cr.ones(4, 5), RuntimeError,
     r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied \(3 != 4\): the last dimension of the first "
     r"must equal the second-to-last dimension of the second"),
    (lambda: cr.ones(3) @ cr.ones(4), RuntimeError, r"matmul: shapes \(3,\) and \(4,\) cannot be multiplied"),
    (lambda: cr.ones(2, 3) @ cr.ones(4), RuntimeError, r"shapes \(2, 3\) and \(4,\).*equal the first dimension"),
    (lambda: cr.ones(2, 3, 4) @ cr.ones(3, 4, 5), RuntimeError,
     r"matmul: shapes \(2, 3, 4\) and \(3, 4, 5\) cannot be broadcast together"),
    (lambda: cr.arange(3) @ cr.ones(3), RuntimeError,
     r"matmul: expected both operands to have the same dtype, but got chainrule.int64 @ chainrule.float32.*"
     r"convert one, e\.g\. a @ b\.to\(a\.dtype\)"),
    (lambda: cr.ones(2, 3) @ cr.ones(3, 2, dtype=cr.float64), RuntimeError,
     r"same dtype, but got chainrule.float32 @ chainrule.float64 \(shapes \(2, 3\) and \(3, 2\)\)"),
    (lambda: cr.ones(2, 3, dtype=cr.bool) @ cr.ones(3, 2, dtype=cr.bool), NotImplementedError,
     r"matmul: not implemented for bool tensors.*a\.float\(\) @ b\.float\(\)"),
    (lambda: cr.tensor(2.0) @ cr.ones(3), RuntimeError,
     r"matmul: both arguments need at least 1 dimension, got shapes \(\) and \(3,\); use \* for scalar"),
    (lambda: cr.matmul(1.0, X), TypeError, r"matmul\(\): argument 'input' \(position 1\) must be Tensor, not float"),
    (lambda: X @ [[1.0], [2.0], [3.0]], TypeError, r"argument 'other' \(position 2\) must be Tensor, not list"),
    # the spellings check their ranks
    (lambda: cr.mm(cr.ones(3), X), RuntimeError, r"mm: input must be a 2-D tensor, got shape \(3,\)"),
    (lambda: cr.mm(X, cr.ones(4, 2)), RuntimeError, r"mm: shapes \(2, 3\) and \(4, 2\) cannot be multiplied"),
    (lambda: cr.bmm(cr.ones(2, 3, 4), cr.ones(3, 4, 5)), RuntimeError,
     r"bmm: the batch sizes of input \(2, 3, 4\) and mat2 \(3, 4, 5\) differ \(2 != 3\); bmm does not "
     r"broadcast, use matmul"),
    (lambda: cr.bmm(X, X), RuntimeError, r"bmm: input must be a 3-D tensor, got shape \(2, 3\)"),
    (lambda: cr.mv(X, cr.ones(4)), RuntimeError, r"mv: shapes \(2, 3\) and \(4,\) cannot be multiplied"),
    (lambda: cr.mv(X, X), RuntimeError, r"mv: vec must be a 1-D tensor"),
    (lambda: cr.dot(cr.ones(3), cr.ones(4)), RuntimeError, r"dot: shapes \(3,\) and \(4,\) cannot be multiplied"),
    (lambda: cr.dot(cr.ones(3), cr.ones(3, dtype=cr.float64)), RuntimeError, r"dot: expected both operands to have the same dtype"),
    (lambda: cr.dot(X, X), RuntimeError, r"dot: input must be a 1-D tensor, got shape \(2, 3\)"),
    (lambda: cr.inner(X, cr.ones(2, 4)), RuntimeError,
     r"inner: the last dimension must match on both input tensors but got shapes \(2, 3\) and \(2, 4\)"),
    (lambda: cr.inner(X, X.double()), RuntimeError, r"inner: expected both operands to have the same dtype"),
    (lambda: cr.outer(X, cr.ones(2)), RuntimeError, r"outer: input must be a 1-D tensor, got shape \(2, 3\)"),
    (lambda: cr.outer(cr.ones(2), 3.0), TypeError, r"outer\(\): argument 'vec2' must be Tensor, not float"),
    # add-products, matrix_power
    (lambda: cr.addmm(cr.ones(3), cr.ones(3, 3), cr.ones(3, 2)), RuntimeError,
     r"addmm: input of shape \(3,\) cannot be broadcast to the product's shape \(3, 2\)"),
    (lambda: cr.addmm(cr.ones(2), cr.ones(3), cr.ones(3, 2)), RuntimeError, r"addmm: mat1 must be a 2-D tensor"),
    (lambda: cr.matrix_power(X, 2), RuntimeError,
     r"matrix_power: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: cr.matrix_power(cr.ones(3), 2), RuntimeError, r"must have at least 2 dimensions, got shape \(3,\)"),
    (lambda: cr.matrix_power(cr.eye(2), -1), NotImplementedError, r"negative powers \(n=-1\) need a matrix inverse"),
    (lambda: cr.matrix_power(cr.eye(2), 1.5), TypeError, r"argument 'n' must be int, not float"),
    # tensordot
    (lambda: cr.tensordot(X, cr.ones(4, 4), dims=([1], [0])), RuntimeError,
     r"tensordot: contracted dimensions need to match, but a \(2, 3\) has size 3 in dim 1 and b \(4, 4\) has "
     r"size 4 in dim 0"),
    (lambda: cr.tensordot(X, cr.ones(3, 4), dims=([1], [0, 1])), RuntimeError,
     r"both dimension lists should have same length, got \[1\] and \[0, 1\]"),
    (lambda: cr.tensordot(X, cr.ones(3, 4), dims=-1), RuntimeError, r"tensordot expects dims >= 0, but got dims=-1"),
    (lambda: cr.tensordot(X, cr.ones(3, 4), dims=3), RuntimeError,
     r"tensordot: dims=3 is more than the dimensions of a \(2, 3\) or b \(3, 4\)"),
    (lambda: cr.tensordot(X, cr.ones(3, 4), dims=([2], [0])), IndexError,
     r"tensordot: Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda: cr.tensordot(cr.ones(3, 3), cr.ones(3, 3), dims=([0, 0], [0, 1])), RuntimeError,
     r"tensordot: dim 0 appears multiple times in the list of dims of a"),
    (lambda: cr.tensordot(X, cr.ones(3, 4, dtype=cr.float64), dims=1), RuntimeError,
     r"tensordot: both inputs should have same dtype, got chainrule.float32 and chainrule.float64"),
    # einsum: operand count, subscripts, sizes, dtypes
    (lambda: cr.einsum("ij,jk->ik", X), RuntimeError, r"the equation 'ij,jk->ik' names 2 operands but 1 tensors were given"),
    (lambda: cr.einsum("i->i"), ValueError, r"einsum\(\): must specify the equation string and at least one operand"),
    (lambda: cr.einsum("i->i", [1.0, 2.0]), TypeError, r"einsum\(\): expected Tensor as operand 0, but got float"),
    (lambda: cr.einsum("ijk->i", X), RuntimeError,
     r"the subscript 'ijk' has 3 letters but the operand has 2 dimensions \(shape \(2, 3\)\)"),
    (lambda: cr.einsum("i->i", X), RuntimeError, r"the subscript 'i' has 1 letters.*add '\.\.\.' to cover the others"),
    (lambda: cr.einsum("...ijk->i", X), RuntimeError, r"the subscript '\.\.\.ijk' has 3 letters but the operand has 2"),
    (lambda: cr.einsum("ij->z", X), RuntimeError, r"output subscript 'z' does not appear in any input of 'ij->z'"),
    (lambda: cr.einsum("ij->ii", X), RuntimeError, r"output subscript i appears more than once in the output"),
    (lambda: cr.einsum("i1->i", X), RuntimeError, r"invalid subscript in 'i1'.*letters a-z, A-Z.*got '1'"),
    (lambda: cr.einsum("ij-ji", X), RuntimeError, r"invalid subscript in 'ij-ji'"),
    (lambda: cr.einsum("ij->j->i", X), RuntimeError, r"invalid subscript in 'j->i' of 'ij->j->i'"),
    (lambda: cr.einsum("i.->i", X), RuntimeError, r"found '\.' in operand 0 'i\.' of 'i\.->i' that is not part of an ellipsis"),
    (lambda: cr.einsum("...i...->i", X), RuntimeError, r"operand 0 '\.\.\.i\.\.\.' .* holds more than one ellipsis"),
    (lambda: cr.einsum("ii->i", X), RuntimeError,
     r"subscript i is repeated for operand of shape \(2, 3\) but the sizes don't match, 2 != 3"),
    (lambda: cr.einsum("ij,jk->ik", cr.ones(2, 2), cr.ones(3, 4)), RuntimeError,
     r"subscript j has size 3 for operand 1 \(shape \(3, 4\)\) which does not broadcast with previously seen size 2"),
    (lambda: cr.einsum("...i,...i->...", cr.ones(2, 3), cr.ones(4, 3)), RuntimeError,
     r"a dimension covered by '\.\.\.' has size 4 for operand 1 \(shape \(4, 3\)\) which does not broadcast"),
    (lambda: cr.einsum("ij,jk->ik", X, cr.ones(3, 2, dtype=cr.float64)), RuntimeError,
     r"expected all operands to have the same dtype, got chainrule.float32, chainrule.float64"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_errors(call, kind, words):
    with pytest.raises(kind, match=words):
        call()


def test_shape_errors_are_shape_errors_and_name_the_user_line():
    with pytest.raises(cr.ShapeError) as info:
        cr.ones(2, 3) @ cr.ones(4, 5)  # the line the message must point at
    assert f"{THIS_FILE}:{info.tb.tb_lineno}" in str(info.value)
    with pytest.raises(cr.ShapeError) as info:
        cr.einsum("ij,jk->ik", cr.ones(2, 2), cr.ones(3, 4))
    assert f"{THIS_FILE}:{info.tb.tb_lineno}" in str(info.value)
