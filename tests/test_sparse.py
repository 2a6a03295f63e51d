"""Sparse COO tensors (chainrule.sparse) against PyTorch's torch.sparse_coo: construction,
coalescing, dense conversions, products with dense matrices and their gradients."""
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr

warnings.filterwarnings("ignore", message="Sparse invariant checks")

INDICES = np.array([[0, 1, 1, 0], [2, 0, 2, 2]])     # (0, 2) appears twice
VALUES = [3.0, 4.0, 5.0, 1.0]


def both(build):
    return build(torch), build(cr)


def same(ours, theirs, **tolerance):
    np.testing.assert_allclose(np.asarray(ours.tolist(), dtype=float), np.asarray(theirs.tolist(), dtype=float),
                               rtol=1e-6, atol=1e-6, **tolerance)


def test_a_sparse_tensor_from_indices_and_values():
    theirs, ours = both(lambda lib: lib.sparse_coo_tensor(INDICES, lib.tensor(VALUES), (2, 3)))
    assert ours.is_sparse and ours.layout is cr.sparse_coo and not ours.is_coalesced()
    assert tuple(ours.shape) == tuple(theirs.shape) and ours._nnz() == theirs._nnz() == 4
    assert str(ours.dtype) == "chainrule.float32"
    same(ours.to_dense(), theirs.to_dense())          # the repeated position adds up
    same(ours._indices(), theirs._indices())


def test_coalesce_sorts_and_sums_repeated_positions():
    theirs, ours = both(lambda lib: lib.sparse_coo_tensor(INDICES, lib.tensor(VALUES), (2, 3)).coalesce())
    assert ours.is_coalesced()
    same(ours.indices(), theirs.indices())
    same(ours.values(), theirs.values())


def test_the_size_defaults_to_the_largest_index_plus_one_and_ints_stay_int64():
    theirs, ours = both(lambda lib: lib.sparse_coo_tensor(INDICES, [1, 2, 3, 4]))
    assert tuple(ours.shape) == tuple(theirs.shape) == (2, 3)
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1] == "int64"


def test_to_sparse_and_back():
    dense = [[0.0, 2.0, 0.0], [3.0, 0.0, -1.0]]
    theirs, ours = both(lambda lib: lib.tensor(dense).to_sparse())
    assert ours.is_coalesced()
    same(ours.indices(), theirs.indices())
    same(ours.values(), theirs.values())
    same(ours.to_dense(), theirs.to_dense())
    assert cr.tensor(dense).to_dense().tolist() == dense and not cr.tensor(dense).is_sparse


@pytest.mark.parametrize("spelling", ["mm", "spmm", "sparse.mm", "@", "matmul"])
def test_sparse_times_dense_and_its_gradients(spelling):
    def run(lib):
        values = lib.tensor(VALUES, requires_grad=True)
        sparse = lib.sparse_coo_tensor(INDICES, values, (2, 3))
        dense = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
        product = {"mm": lambda: lib.mm(sparse, dense), "spmm": lambda: lib.spmm(sparse, dense),
                   "sparse.mm": lambda: lib.sparse.mm(sparse, dense), "@": lambda: sparse @ dense,
                   "matmul": lambda: lib.matmul(sparse, dense)}[spelling]()
        (product * lib.tensor([[1.0, -2.0], [0.5, 3.0]])).sum().backward()
        return product, dense.grad
    (theirs, theirs_grad), (ours, ours_grad) = run(torch), run(cr)
    same(ours, theirs)
    same(ours_grad, theirs_grad)


def test_the_gradient_of_a_sparse_leaf_is_on_its_stored_entries():
    def run(lib):
        sparse = lib.sparse_coo_tensor(INDICES, lib.tensor(VALUES), (2, 3), requires_grad=True)
        (sparse.to_dense() * lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
        return sparse.grad
    theirs, ours = run(torch), run(cr)
    same(ours.to_dense(), theirs.to_dense())


@pytest.mark.parametrize("order", ["sparse @ dense", "dense @ sparse"])
def test_a_product_with_to_sparse_differentiates_the_dense_source(order):
    def run(lib):
        x = lib.tensor([[0.0, 2.0], [3.0, 0.0]], requires_grad=True)
        w = lib.tensor([[1.0, 1.0], [2.0, 3.0]], requires_grad=True)
        sparse = x.to_sparse() * 2.0
        product = sparse @ w if order == "sparse @ dense" else w @ sparse
        (product * lib.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        return product, x.grad, w.grad      # x's gradient is dense, at zeros too, as in PyTorch
    for ours, theirs in zip(run(cr), run(torch)):
        same(ours, theirs)


def test_the_graph_convolution_of_the_gcn_example():
    """The pytorch/examples GCN's normalisation and one layer, on a small random graph."""
    rng = np.random.default_rng(0)
    edges = rng.integers(0, 6, size=(10, 2)).astype(np.int32)
    features = (rng.random((6, 4)) > 0.5).astype(np.float32)
    kernel = rng.normal(size=(4, 3)).astype(np.float32)

    def run(lib):
        adj = lib.sparse_coo_tensor(edges.T, lib.ones(len(edges)), (6, 6), dtype=lib.int64)
        adj = lib.eye(6) + adj                                        # dense
        degree = lib.sqrt(1 / lib.sum(adj, dim=1))
        degree = lib.diag(degree).to_sparse()
        adj = (degree @ adj @ degree).to_sparse()
        weight = lib.tensor(kernel, requires_grad=True)
        support = lib.mm(lib.tensor(features).to_sparse(), weight)
        out = lib.spmm(adj, support)
        out.sum().backward()
        return out, weight.grad
    for ours, theirs in zip(run(cr), run(torch)):
        same(ours, theirs, )


def test_a_sparse_tensor_plus_a_dense_one_is_dense():
    def run(lib):
        return lib.eye(2) + lib.sparse_coo_tensor(np.array([[0, 1], [1, 0]]), [1, 1], (2, 2), dtype=lib.int64)
    theirs, ours = both(run)
    assert not ours.is_sparse and str(ours.dtype) == "chainrule.float32"
    same(ours, theirs)


def test_an_index_beyond_the_size_is_refused_at_once():
    def call(lib):
        return lib.sparse_coo_tensor(np.array([[0, 2]]), [1.0, 1.0], (2,))
    with pytest.raises(RuntimeError, match=r"size is inconsistent with indices: for dim 0, size is 2 but found index 2"):
        call(cr)
    call(torch)    # PyTorch checks only with check_invariants=True (docs/differences-from-pytorch.md)


BAD_CALLS = {
    "indices of values": (lambda lib: lib.sparse_coo_tensor(np.array([[0, 1]]), [1.0], (2,)),
                          r"indices must be \(ndim, nnz\) and values \(nnz,\)"),
    "indices of uncoalesced": (lambda lib: lib.sparse_coo_tensor(INDICES, VALUES, (2, 3)).indices(),
                               r"Cannot get indices on an uncoalesced tensor, please call .coalesce\(\) first"),
    "shapes": (lambda lib: lib.mm(lib.sparse_coo_tensor(INDICES, VALUES, (2, 3)), lib.ones(2, 2)),
               r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x2\)"),
}


@pytest.mark.parametrize("call, words", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_sparse_calls_are_refused_as_in_pytorch(call, words):
    with pytest.raises(RuntimeError, match=words):
        call(cr)
    with pytest.raises(RuntimeError):
        call(torch)


def test_dtypes_of_a_product_must_match():
    sparse = cr.sparse_coo_tensor(INDICES, [1, 2, 3, 4], (2, 3))
    with pytest.raises(RuntimeError, match=r"mm: expected both operands to have the same dtype.*sparse.to"):
        cr.mm(sparse, cr.ones(3, 2))


def test_a_product_of_two_sparse_tensors_says_to_densify_one():
    sparse = cr.sparse_coo_tensor(INDICES, VALUES, (2, 3))
    with pytest.raises(NotImplementedError, match=r"a @ b.to_dense\(\)"):
        cr.mm(sparse, sparse.t())


def test_to_sparse_of_a_hybrid_layout_is_refused():
    with pytest.raises(NotImplementedError, match="sparse_dim=1 .* hybrid"):
        cr.ones(2, 2).to_sparse(sparse_dim=1)
