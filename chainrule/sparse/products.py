"""Products of a sparse COO matrix and a dense one (``chainrule.sparse.mm``, ``spmm``, ``@``).

``sparse @ dense`` is one gather-multiply-scatter over the stored entries:
out[i] += values[k] * dense[j] for each stored (i, j) = indices[:, k]. Its gradient goes to the
dense operand (the same product with the transposed sparse matrix) and to the values (the
sampled products g[i] . dense[j]). ``dense @ sparse`` is ``(sparse.T @ dense.T).T``.
"""
from .. import backend as B
from .._errors import at_user_line, shape_str
from ..function import Function
from ..tensor import Tensor
from .coo import SparseCOOTensor

xp = B.xp


class SparseDenseMatmul(Function):
    """``values`` at ``indices`` (a sparse (m, k) matrix) times ``dense`` (k, n) -> dense (m, n)."""

    def forward(ctx, values, dense, indices, rows):
        ctx.save_for_backward(values, dense)
        ctx.indices = indices
        out = xp.zeros((rows, dense.shape[1]), dtype=dense.dtype)             # (m, n)
        xp.add.at(out, indices[0], values[:, None] * dense[indices[1]])     # (nnz, n) rows added
        return out

    def backward(ctx, g):
        need_values, need_dense = ctx.needs_input_grad
        values, dense = ctx.saved_tensors
        rows, cols = (Tensor._make(i) for i in ctx.indices)
        grad_values = grad_dense = None
        if need_values:
            grad_values = (g[rows] * dense[cols]).sum(1)                       # (nnz,)
        if need_dense:
            grad_dense = SparseDenseMatmul.apply(values, g, indices=ctx.indices[::-1],
                                                 rows=dense.shape[0])        # (k, n)
        return grad_values, grad_dense


class DenseSourceMatmul(Function):
    """``sparse @ dense`` for a sparse matrix made by ``source.to_sparse()``: computed from the
    stored entries, differentiated as ``source @ dense``, as PyTorch does (the gradient of
    ``source`` is dense: g @ dense.T at every position, stored or not)."""

    def forward(ctx, source, dense, indices, values):
        ctx.save_for_backward(dense)
        ctx.indices, ctx.values = indices, values
        out = xp.zeros((source.shape[0], dense.shape[1]), dtype=dense.dtype)   # (m, n)
        xp.add.at(out, indices[0], values[:, None] * dense[indices[1]])
        return out

    def backward(ctx, g):
        need_source, need_dense = ctx.needs_input_grad
        (dense,) = ctx.saved_tensors
        grad_source = g @ dense.mT if need_source else None                     # (m, k)
        grad_dense = None
        if need_dense:
            grad_dense = SparseDenseMatmul.apply(Tensor._make(ctx.values), g, indices=ctx.indices[::-1],
                                                 rows=dense.shape[0])        # (k, n)
        return grad_source, grad_dense


def mm(mat1, mat2):
    """``mat1 @ mat2`` where one or both is a sparse COO matrix; the result is dense (sparse @
    sparse is sparse in PyTorch: densify one first here)."""
    if isinstance(mat1, SparseCOOTensor) and isinstance(mat2, SparseCOOTensor):
        raise NotImplementedError(at_user_line(
            "mm: a product of two sparse tensors is not implemented in chainrule; use "
            "a @ b.to_dense()"))
    if isinstance(mat2, SparseCOOTensor):                     # dense @ sparse = (sparse.T @ dense.T).T
        return mm(mat2.t(), _dense(mat1, "mat1").mT).mT
    dense = _dense(mat2, "mat2")
    _check(mat1, dense)
    vector = dense.ndim == 1
    columns = dense.reshape(-1, 1) if vector else dense                  # (k, n)
    indices = mat1._indices_tensor._data
    source = mat1._source
    if source is not None and source.requires_grad:
        out = DenseSourceMatmul.apply(source, columns, indices=indices, values=mat1._values_tensor._data)
    else:
        out = SparseDenseMatmul.apply(mat1._values_tensor, columns, indices=indices, rows=mat1._shape[0])
    return out.reshape(-1) if vector else out


def spmm(mat1, mat2):
    """PyTorch's name for sparse @ dense."""
    return mm(mat1, mat2)


def _dense(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(at_user_line(f"mm: {name} must be a Tensor, got {type(x).__name__}"))
    return x


def _check(sparse, dense):
    shape = sparse._shape
    if len(shape) != 2 or dense.ndim not in (1, 2):
        raise RuntimeError(at_user_line(
            f"mm: expected a 2-D sparse matrix and a 1-D or 2-D dense one, got shapes "
            f"{shape_str(shape)} and {shape_str(dense.shape)}"))
    if shape[1] != dense.shape[0]:
        raise RuntimeError(at_user_line(
            f"mm: mat1 and mat2 shapes cannot be multiplied ({shape[0]}x{shape[1]} and "
            f"{'x'.join(str(n) for n in dense.shape)})"))
    if sparse.dtype != dense.dtype:
        raise RuntimeError(at_user_line(
            f"mm: expected both operands to have the same dtype, but got {sparse.dtype} (sparse) and "
            f"{dense.dtype} (dense); convert one, e.g. sparse.to({dense.dtype})"))
