"""Making sparse COO tensors: ``sparse_coo_tensor(indices, values, size)`` and ``x.to_sparse()``."""
from .. import backend as B
from .._errors import at_user_line, shape_str
from ..tensor import Tensor
from .coo import SparseCOOTensor

xp = B.xp


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, requires_grad=False,
                      check_invariants=None, is_coalesced=None):
    """A sparse tensor with ``values[k]`` at position ``indices[:, k]`` (indices: (ndim, nnz));
    ``size`` defaults to the smallest shape that holds every index. Repeated positions are kept
    until ``coalesce()`` sums them."""
    if device is not None:
        B.check_device(device)
    index = xp.asarray(indices._data if isinstance(indices, Tensor) else indices)
    if index.dtype.kind not in "iu":
        raise RuntimeError(at_user_line(
            f"sparse_coo_tensor: indices must be an int64 tensor, got dtype {index.dtype}"))
    if not isinstance(values, Tensor):
        from ..creation import tensor
        values = tensor(values)           # (floats: the default dtype; ints: int64)
    if dtype is not None:
        values = values.to(dtype)
    if index.ndim != 2 or values.ndim != 1 or index.shape[1] != values.shape[0]:
        raise RuntimeError(at_user_line(
            f"sparse_coo_tensor: indices must be (ndim, nnz) and values (nnz,), got shapes "
            f"{shape_str(index.shape)} and {shape_str(values.shape)} (values with dense dimensions, "
            f"hybrid sparse tensors, are not supported)"))
    index = index.astype(xp.int64)
    if index.size and index.min() < 0:
        raise RuntimeError(at_user_line(
            f"sparse_coo_tensor: found negative index {int(index.min())} in the indices"))
    if size is None:
        size = tuple(int(m) + 1 for m in index.max(axis=1)) if index.shape[1] else (0,) * index.shape[0]
    size = tuple(int(n) for n in size)
    if len(size) != index.shape[0]:
        raise RuntimeError(at_user_line(
            f"sparse_coo_tensor: number of dimensions in indices ({index.shape[0]}) must match the "
            f"length of size {list(size)}"))
    for dim, n in enumerate(size):
        if index.shape[1] and index[dim].max() >= n:
            raise RuntimeError(at_user_line(
                f"sparse_coo_tensor: size is inconsistent with indices: for dim {dim}, size is {n} but "
                f"found index {int(index[dim].max())}"))
    if requires_grad:
        values = values.detach().requires_grad_()
    return SparseCOOTensor(Tensor._make(index), values, size, coalesced=bool(is_coalesced))


def to_sparse(input, sparse_dim=None):
    """The nonzero elements of a dense tensor as a coalesced sparse COO tensor. The values stay in
    the graph (``to_dense`` sends their gradient to their dense elements), and a product with a
    dense matrix differentiates the dense tensor as a whole, as PyTorch does."""
    if sparse_dim is not None and sparse_dim != input.ndim:
        raise NotImplementedError(at_user_line(
            f"to_sparse: sparse_dim={sparse_dim} (a hybrid sparse tensor) is not supported; only "
            f"sparse_dim={input.ndim}, every dimension sparse"))
    if input.ndim == 0:
        raise RuntimeError(at_user_line("to_sparse: a 0-d tensor has no sparse form; use x.reshape(1)"))
    positions = xp.nonzero(input._data)                     # row-major order: coalesced
    values = input[tuple(Tensor._make(p) for p in positions)]
    indices = xp.stack(positions).astype(xp.int64) if positions else xp.zeros((0, 0), xp.int64)
    return SparseCOOTensor(Tensor._make(indices), values, input.shape, coalesced=True, source=input)
