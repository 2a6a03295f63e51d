"""Contractions: matmul (and its spellings mm, bmm, mv, dot), outer, einsum. All use BLAS."""
from .. import backend as B
from ..function import Function
from .movement import Permute
from .._errors import at_user_line, shape_str, ShapeError

xp = B.xp


class MatMul(Function):
    """``a @ b`` for a, b of at least 2 dimensions (batch dimensions broadcast)."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.matmul(a, b)

    def backward(ctx, g):  # g: (..., n, p); a: (..., n, m); b: (..., m, p)
        a, b = ctx.saved_tensors
        grad_a = MatMul.apply(g, _swap_last(b)) if ctx.needs_input_grad[0] else None  # (..., n, m)
        grad_b = MatMul.apply(_swap_last(a), g) if ctx.needs_input_grad[1] else None  # (..., m, p)
        return grad_a, grad_b


def _swap_last(x):
    """``x.mT`` without argument checks (x has at least 2 dims here)."""
    dims = tuple(range(x._data.ndim - 2)) + (x._data.ndim - 1, x._data.ndim - 2)
    return Permute.apply(x, dims=dims)


def _check_matmul(a, b):
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise RuntimeError(at_user_line(
            f"matmul: both arguments need at least 1 dimension, got shapes "
            f"{shape_str(a.shape)} and {shape_str(b.shape)}; use * for scalar products"))
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(at_user_line(
            f"matmul: expected both operands to have the same dtype, but got {a.dtype} @ {b.dtype} "
            f"(shapes {shape_str(a.shape)} and {shape_str(b.shape)}); convert one: a @ b.to(a.dtype)"))
    inner_a = a._data.shape[-1]
    inner_b = b._data.shape[-2] if b._data.ndim > 1 else b._data.shape[0]
    if inner_a != inner_b:
        raise ShapeError(at_user_line(
            f"matmul: shapes {shape_str(a.shape)} and {shape_str(b.shape)} cannot be multiplied "
            f"({inner_a} != {inner_b}): the last dimension of the first must equal the "
            f"{'first' if b._data.ndim == 1 else 'second-to-last'} dimension of the second"))


def matmul(input, other):
    """Matrix product with NumPy's rules: 1-D operands act as vectors, batch dims broadcast."""
    _check_matmul(input, other)
    a_vec, b_vec = input._data.ndim == 1, other._data.ndim == 1
    a = input.unsqueeze(0) if a_vec else input      # (n) -> (1, n)
    b = other.unsqueeze(-1) if b_vec else other     # (m) -> (m, 1)
    out = MatMul.apply(a, b)
    if a_vec:
        out = out.squeeze(-2)
    if b_vec:
        out = out.squeeze(-1)
    return out


def _require_ndim(op, x, ndim, name):
    if x._data.ndim != ndim:
        raise RuntimeError(at_user_line(
            f"{op}: {name} must be a {ndim}-D tensor, got shape {shape_str(x.shape)}"))


def mm(input, mat2):
    _require_ndim("mm", input, 2, "input")
    _require_ndim("mm", mat2, 2, "mat2")
    return matmul(input, mat2)


def bmm(input, mat2):
    _require_ndim("bmm", input, 3, "input")
    _require_ndim("bmm", mat2, 3, "mat2")
    return matmul(input, mat2)


def mv(input, vec):
    _require_ndim("mv", input, 2, "input")
    _require_ndim("mv", vec, 1, "vec")
    return matmul(input, vec)


def dot(input, other):
    _require_ndim("dot", input, 1, "input")
    _require_ndim("dot", other, 1, "other")
    return matmul(input, other)


inner = dot

__all__ = ["matmul", "mm", "bmm", "mv", "dot"]
TENSOR_METHODS = ["matmul", "mm", "bmm", "mv", "dot"]
