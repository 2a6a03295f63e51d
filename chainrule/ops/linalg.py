"""Contractions: matmul (and its spellings mm, bmm, mv, dot, inner), outer, tensordot,
einsum, the fused add-products addmm/addmv/baddbmm, matrix_power and kron.

One primitive, ``MatMul``, carries the BLAS products (tensordot too, one matmul as in
PyTorch); ``Einsum`` (``einsum.py``, re-exported here) carries every other contraction
(NumPy's einsum, which calls BLAS for large pairwise products). The rest composes from these and from
elementwise ops. Each gradient reads only the other operand, so an operand that
needs no gradient's partner may change in place after the product, as in PyTorch.
"""
import math

from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._dims import wrap_dim
from .._errors import at_user_line, shape_str, ShapeError
from .einsum import Einsum, einsum, contract, LETTERS  # noqa: F401

xp = B.xp


def _t(array):
    return xp.swapaxes(array, -1, -2)


class MatMul(Function):
    """``op(a) @ op(b)`` for a, b of at least 2 dims (batch dims broadcast), where op
    transposes the last two dims when ``ta``/``tb`` is set. The flags let backward
    multiply by a transpose without a separate transpose op:

        out = A' B'   (A' = A^T if ta else A, and likewise B')
        dA' = G B'^T  ->  dA = G B'^T,  or (ta) dA = B' G^T
        dB' = A'^T G  ->  dB = A'^T G,  or (tb) dB = G^T A'
    """

    def forward(ctx, a, b, ta=False, tb=False):
        ctx.ta, ctx.tb, ctx.b_ndim = ta, tb, b.ndim
        ctx.save_for_backward(a, b)
        return xp.matmul(_t(a) if ta else a, _t(b) if tb else b)

    def backward(ctx, g):  # g: (..., n, p)
        need_a, need_b = ctx.needs_input_grad
        ta, tb = ctx.ta, ctx.tb
        grad_a = grad_b = None
        if need_a:  # reads b only: a may have changed in place if b needs no gradient
            b = ctx.saved_value(1)
            grad_a = MatMul.apply(b, g, ta=tb, tb=True) if ta else MatMul.apply(g, b, tb=not tb)
        if need_b:
            a = ctx.saved_value(0)
            if ctx.b_ndim == 2 and a.ndim > 2 and not ta:
                # a 2-D b (a weight) serves every batch entry: its gradient is one product over
                # the flattened rows, not a batch of products summed afterwards
                rows = math.prod(a.shape[:-1])
                a, g = a.reshape(rows, a.shape[-1]), g.reshape(rows, g.shape[-1])    # (rows, k), (rows, p)
            grad_b = MatMul.apply(g, a, ta=True, tb=ta) if tb else MatMul.apply(a, g, ta=not ta)
        return grad_a, grad_b


# ---------------------------------------------------------------- matmul and its spellings

def _check_tensors(op, a, b, names=("input", "other")):
    for position, (x, name) in enumerate(zip((a, b), names), start=1):
        if not isinstance(x, Tensor):
            raise TypeError(at_user_line(
                f"{op}(): argument '{name}' (position {position}) must be Tensor, not "
                f"{type(x).__name__}; wrap it with chainrule.tensor(...)"))


def _check_same_dtype(op, a, b):
    """PyTorch refuses mixed dtypes in products (no promotion) and bool products."""
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(at_user_line(
            f"{op}: expected both operands to have the same dtype, but got {a.dtype} @ {b.dtype} "
            f"(shapes {shape_str(a.shape)} and {shape_str(b.shape)}); convert one, e.g. "
            f"a @ b.to(a.dtype)"))
    if a._data.dtype.kind == "b":
        raise NotImplementedError(at_user_line(
            f"{op}: not implemented for bool tensors (shapes {shape_str(a.shape)} and "
            f"{shape_str(b.shape)}); convert first, e.g. a.float() @ b.float()"))


def _check_matmul(op, a, b):
    """Errors for operands that ``MatMul`` cannot take: the op, both shapes, the fix."""
    _check_tensors(op, a, b)
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise RuntimeError(at_user_line(
            f"{op}: both arguments need at least 1 dimension, got shapes "
            f"{shape_str(a.shape)} and {shape_str(b.shape)}; use * for scalar products"))
    _check_same_dtype(op, a, b)
    inner_a = a._data.shape[-1]
    inner_b = b._data.shape[-2] if b._data.ndim > 1 else b._data.shape[0]
    if inner_a != inner_b:
        raise ShapeError(at_user_line(
            f"{op}: shapes {shape_str(a.shape)} and {shape_str(b.shape)} cannot be multiplied "
            f"({inner_a} != {inner_b}): the last dimension of the first must equal the "
            f"{'first' if b._data.ndim == 1 else 'second-to-last'} dimension of the second"))


def matmul(input, other):
    """Matrix product with NumPy's rules: 1-D operands act as vectors, batch dims broadcast.

    (n,) @ (n,) -> (); (m, n) @ (n,) -> (m,); (n,) @ (..., n, p) -> (..., p);
    (..., m, n) @ (..., n, p) -> (..., m, p). Both operands need the same dtype.
    """
    try:
        a_data, b_data = input._data, other._data
    except AttributeError:   # (off the hot path) a sparse operand, or not a tensor
        if getattr(input, "is_sparse", False) or getattr(other, "is_sparse", False):
            from ..sparse import mm as sparse_mm
            return sparse_mm(input, other)
        _check_tensors("matmul", input, other)
        raise
    a_shape, b_shape = a_data.shape, b_data.shape
    if (len(a_shape) >= 2 and len(b_shape) >= 2 and a_shape[-1] == b_shape[-2]
            and a_data.dtype == b_data.dtype and a_data.dtype.kind != "b"):
        return MatMul.apply(input, other)  # the common case, already valid
    _check_matmul("matmul", input, other)
    a_vec, b_vec = a_data.ndim == 1, b_data.ndim == 1
    a = input.unsqueeze(0) if a_vec else input      # (n) -> (1, n)
    b = other.unsqueeze(-1) if b_vec else other     # (m) -> (m, 1)
    out = MatMul.apply(a, b)
    if a_vec:
        out = out.squeeze(-2)
    if b_vec:
        out = out.squeeze(-1)
    return out


def _require_ndim(op, x, ndim, name, missing_dims_error=RuntimeError):
    """``missing_dims_error``: the error PyTorch raises when ``x`` has fewer dims (its kernel
    reads a dim that is not there: IndexError for mv, baddbmm)."""
    if not isinstance(x, Tensor):
        raise TypeError(at_user_line(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}"))
    if x._data.ndim != ndim:
        error = missing_dims_error if x._data.ndim < ndim else RuntimeError
        raise error(at_user_line(
            f"{op}: {name} must be a {ndim}-D tensor, got shape {shape_str(x.shape)}"))


def mm(input, mat2):
    """(n, m) @ (m, p) -> (n, p); no broadcasting."""
    if (type(input) is not Tensor or type(mat2) is not Tensor) and (
            getattr(input, "is_sparse", False) or getattr(mat2, "is_sparse", False)):
        from ..sparse import mm as sparse_mm
        return sparse_mm(input, mat2)
    _require_ndim("mm", input, 2, "input")
    _require_ndim("mm", mat2, 2, "mat2")
    _check_matmul("mm", input, mat2)
    return MatMul.apply(input, mat2)


def bmm(input, mat2):
    """(b, n, m) @ (b, m, p) -> (b, n, p); the batch sizes must be equal (no broadcasting)."""
    _require_ndim("bmm", input, 3, "input")
    _require_ndim("bmm", mat2, 3, "mat2")
    if input._data.shape[0] != mat2._data.shape[0]:
        raise RuntimeError(at_user_line(
            f"bmm: the batch sizes of input {shape_str(input.shape)} and mat2 {shape_str(mat2.shape)} "
            f"differ ({input._data.shape[0]} != {mat2._data.shape[0]}); bmm does not broadcast, "
            f"use matmul (@) to broadcast batch dimensions"))
    _check_matmul("bmm", input, mat2)
    return MatMul.apply(input, mat2)


def mv(input, vec):
    """(n, m) @ (m,) -> (n,)."""
    _require_ndim("mv", input, 2, "input", missing_dims_error=IndexError)
    _require_ndim("mv", vec, 1, "vec", missing_dims_error=IndexError)
    _check_matmul("mv", input, vec)
    return matmul(input, vec)


def dot(input, other):
    """(n,) . (n,) -> (): the sum of the elementwise products."""
    _require_ndim("dot", input, 1, "input")
    _require_ndim("dot", other, 1, "other")
    _check_matmul("dot", input, other)
    return matmul(input, other)


def inner(input, other):
    """Contract the last dims: (*a, n), (*b, n) -> (*a, *b); a 0-d operand multiplies."""
    _check_tensors("inner", input, other)
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    _check_same_dtype("inner", input, other)
    if input._data.shape[-1] != other._data.shape[-1]:
        raise ShapeError(at_user_line(
            f"inner: the last dimension must match on both input tensors but got shapes "
            f"{shape_str(input.shape)} and {shape_str(other.shape)}"))
    return tensordot(input, other, dims=([-1], [-1]))


def outer(input, vec2):
    """Outer product of two 1-D tensors: (n,), (m,) -> (n, m); dtypes promote."""
    _require_ndim("outer", input, 1, "input")
    _require_ndim("outer", vec2, 1, "vec2")
    return input.unsqueeze(1) * vec2.unsqueeze(0)  # (n, 1) * (1, m)


ger = outer


# ---------------------------------------------------------------- fused add-products

def _add_product(op, input, product, beta, alpha, alpha_zero_ignores=True):
    """beta * input + alpha * product, with ``input`` broadcast to the product's shape.

    As in PyTorch, beta = 0 ignores ``input`` (its NaN and inf do not propagate) and
    gives it a zero gradient.
    """
    if input._data.dtype != product._data.dtype:   # PyTorch promotes nothing here either
        raise RuntimeError(at_user_line(
            f"{op}: input tensors must have the same dtype, but got {input.dtype} for input and "
            f"{product.dtype} for the product; convert input first: input.to({product.dtype})"))
    target = product._data.shape
    shape = input._data.shape
    if len(shape) > len(target) or any(s not in (1, t) for s, t in zip(shape[::-1], target[::-1])):
        raise ShapeError(at_user_line(
            f"{op}: input of shape {shape_str(shape)} cannot be broadcast to the product's shape "
            f"{shape_str(target)}"))
    if product._data.dtype.kind in "iu":   # PyTorch's kernel converts both to the integer dtype
        beta, alpha = int(beta), int(alpha)  # (truncating: beta=0.5 is 0), so the result stays integer
    from .elementwise import where
    from ..creation import zeros
    never = zeros(target, dtype=B.bool_)
    if alpha == 0 and alpha_zero_ignores:   # the product is ignored: its NaN and inf do not propagate
        product = where(never, product, 0)   # 0, with a zero gradient
    elif alpha != 1:
        product = product * alpha
    if beta == 0:
        return product + where(never, input, 0)
    return product + (input if beta == 1 else input * beta)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2): (n, m) @ (m, p) -> (n, p)."""
    _require_ndim("addmm", mat1, 2, "mat1")
    _require_ndim("addmm", mat2, 2, "mat2")
    return _add_product("addmm", input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec): (n, m) @ (m,) -> (n,)."""
    return _add_product("addmv", input, mv(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2): (b, n, m) @ (b, m, p) -> (b, n, p)."""
    _require_ndim("baddbmm", batch1, 3, "batch1", missing_dims_error=IndexError)
    _require_ndim("baddbmm", batch2, 3, "batch2", missing_dims_error=IndexError)
    # (PyTorch's baddbmm multiplies the product by alpha = 0: its inf and NaN do propagate)
    return _add_product("baddbmm", input, bmm(batch1, batch2), beta, alpha, alpha_zero_ignores=False)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (the sum over b of batch1[b] @ batch2[b]): (b, n, m) @ (b, m, p) -> (n, p)."""
    _require_ndim("addbmm", batch1, 3, "batch1", missing_dims_error=IndexError)
    _require_ndim("addbmm", batch2, 3, "batch2", missing_dims_error=IndexError)
    return _add_product("addbmm", input, bmm(batch1, batch2).sum(0), beta, alpha)


def matrix_power(input, n):
    """A^n for square matrices (..., k, k) by repeated squaring; A^0 is the identity.

    Negative powers need a matrix inverse, which chainrule does not have yet.
    """
    if not isinstance(n, int):
        raise TypeError(at_user_line(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}"))
    shape = input._data.shape
    if len(shape) < 2:
        raise RuntimeError(at_user_line(
            f"linalg.matrix_power: The input tensor A must have at least 2 dimensions, got shape "
            f"{shape_str(shape)}"))
    if shape[-1] != shape[-2]:
        raise RuntimeError(at_user_line(
            f"linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{shape[-2]} by {shape[-1]} matrices (shape {shape_str(shape)})"))
    if n < 0:
        raise NotImplementedError(at_user_line(
            f"matrix_power: negative powers (n={n}) need a matrix inverse, which chainrule does "
            f"not have yet"))
    if n == 0:  # the identity; A gets a zero gradient, as in PyTorch
        from .elementwise import where
        from ..creation import eye, zeros
        identity = eye(shape[-1], dtype=input.dtype).expand(shape)
        return where(zeros(shape, dtype=B.bool_), input, identity)
    if n == 1:  # a copy, not the input itself (as PyTorch)
        from .movement import Clone
        return Clone.apply(input)
    result, square = None, input
    while n:
        if n & 1:
            result = square if result is None else matmul(result, square)
        n >>= 1
        if n:
            square = matmul(square, square)
    return result


def kron(input, other):
    """Kronecker product: out[i * B + j] = input[i] * other[j] in every dimension.

    (a0, a1, ...), (b0, b1, ...) -> (a0*b0, a1*b1, ...); the shorter shape gets leading 1s.
    """
    _check_tensors("kron", input, other)
    nd = max(input._data.ndim, other._data.ndim)
    a_shape = (1,) * (nd - input._data.ndim) + input._data.shape
    b_shape = (1,) * (nd - other._data.ndim) + other._data.shape
    a = input.reshape([s for n in a_shape for s in (n, 1)])   # (a0, 1, a1, 1, ...)
    b = other.reshape([s for n in b_shape for s in (1, n)])   # (1, b0, 1, b1, ...)
    return (a * b).reshape([x * y for x, y in zip(a_shape, b_shape)])


# ---------------------------------------------------------------- tensordot

def tensordot(a, b, dims=2):
    """Sum over the last ``dims`` dims of ``a`` and the first ``dims`` of ``b``, or over the
    listed pairs ``dims=([a dims], [b dims])``: the remaining dims of a, then of b."""
    _check_tensors("tensordot", a, b, names=("a", "b"))
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(at_user_line(
            f"tensordot: both inputs should have same dtype, got {a.dtype} and {b.dtype}; "
            f"convert one, e.g. b.to(a.dtype)"))
    nd_a, nd_b = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(at_user_line(f"tensordot expects dims >= 0, but got dims={dims}"))
        if dims > min(nd_a, nd_b):
            raise RuntimeError(at_user_line(
                f"tensordot: dims={dims} is more than the dimensions of a {shape_str(a.shape)} "
                f"or b {shape_str(b.shape)}"))
        dims_a, dims_b = list(range(nd_a - dims, nd_a)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(dims_a) != len(dims_b):
            raise RuntimeError(at_user_line(
                f"tensordot: both dimension lists should have same length, got {dims_a} and {dims_b}"))
        dims_a = [wrap_dim(d, nd_a, "tensordot") for d in dims_a]
        dims_b = [wrap_dim(d, nd_b, "tensordot") for d in dims_b]
    for name, ds in (("a", dims_a), ("b", dims_b)):
        repeated = [d for d in ds if ds.count(d) > 1]
        if repeated:
            raise RuntimeError(at_user_line(
                f"tensordot: dim {repeated[0]} appears multiple times in the list of dims of {name}: {ds}"))
    for da, db in zip(dims_a, dims_b):
        size_a, size_b = a._data.shape[da], b._data.shape[db]
        if size_a != size_b and 1 not in (size_a, size_b):
            raise ShapeError(at_user_line(
                f"tensordot: contracted dimensions need to match, but a {shape_str(a.shape)} has size "
                f"{size_a} in dim {da} and b {shape_str(b.shape)} has size {size_b} in dim {db}"))
    if a._data.dtype == xp.bool_ and a._data.size and b._data.size:
        raise NotImplementedError(at_user_line(
            f"tensordot: \"dot\" not implemented for 'Bool' (a {shape_str(a.shape)}, b "
            f"{shape_str(b.shape)}); convert first, e.g. tensordot(a.long(), b.long())"))
    return _tensordot_as_matmul(a, b, dims_a, dims_b)


def _tensordot_as_matmul(a, b, dims_a, dims_b):
    """PyTorch's tensordot: a size-1 contracted dim sums out the other side's (in its own
    dtype), then one (free a, summed) @ (summed, free b) product in the operands' dtype."""
    from .reduce import sum
    from .movement import permute
    for da, db in zip(dims_a, dims_b):
        if b._data.shape[db] == 1 and a._data.shape[da] != 1:
            a = sum(a, da, keepdim=True, dtype=a.dtype)
        elif a._data.shape[da] == 1 and b._data.shape[db] != 1:
            b = sum(b, db, keepdim=True, dtype=b.dtype)
    free_a = [d for d in range(a._data.ndim) if d not in dims_a]
    free_b = [d for d in range(b._data.ndim) if d not in dims_b]
    out_shape = [a._data.shape[d] for d in free_a] + [b._data.shape[d] for d in free_b]
    k = math.prod(a._data.shape[d] for d in dims_a)
    m = math.prod(a._data.shape[d] for d in free_a)
    n = math.prod(b._data.shape[d] for d in free_b)    # (explicit sizes: -1 is ambiguous when k is 0)
    left = permute(a, free_a + dims_a).reshape(m, k)     # (m, k)
    right = permute(b, dims_b + free_b).reshape(k, n)    # (k, n)
    if not dims_a:  # an outer product: plain products keep -0.0, as PyTorch's do
        return (left * right).reshape(out_shape)
    if a._data.dtype == xp.bool_:  # empty: nothing to compute
        return Tensor._make(xp.zeros(out_shape, dtype=xp.bool_))
    return matmul(left, right).reshape(out_shape)


__all__ = ["matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "ger", "addmm", "addmv", "baddbmm", "addbmm",
           "matrix_power", "kron", "tensordot", "einsum"]
TENSOR_METHODS = ["matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "ger", "addmm", "addmv",
                  "baddbmm", "matrix_power", "kron"]
