"""Contractions: matmul (and its spellings mm, bmm, mv, dot), outer, einsum. All use BLAS."""
from .. import backend as B
from ..function import Function
from .._errors import at_user_line, shape_str, ShapeError

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
        ctx.ta, ctx.tb = ta, tb
        ctx.save_for_backward(a, b)
        return xp.matmul(_t(a) if ta else a, _t(b) if tb else b)

    def backward(ctx, g):  # g: (..., n, p)
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ta, tb = ctx.ta, ctx.tb
        grad_a = grad_b = None
        if need_a:
            grad_a = MatMul.apply(b, g, ta=tb, tb=True) if ta else MatMul.apply(g, b, tb=not tb)
        if need_b:
            grad_b = MatMul.apply(g, a, ta=True, tb=ta) if tb else MatMul.apply(a, g, ta=not ta)
        return grad_a, grad_b


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
    a_shape, b_shape = input._data.shape, other._data.shape
    if (len(a_shape) >= 2 and len(b_shape) >= 2 and a_shape[-1] == b_shape[-2]
            and input._data.dtype == other._data.dtype):
        return MatMul.apply(input, other)  # the common case, already valid
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


def outer(input, vec2):
    """Outer product of two 1-D tensors: (n,), (m,) -> (n, m)."""
    _require_ndim("outer", input, 1, "input")
    _require_ndim("outer", vec2, 1, "vec2")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


def tensordot(a, b, dims=2):
    """Sum over the last ``dims`` axes of ``a`` and the first of ``b`` (or the listed pairs)."""
    if isinstance(dims, int):
        dims_a = list(range(a._data.ndim - dims, a._data.ndim))
        dims_b = list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    sub_a = [next(letters) for _ in range(a._data.ndim)]
    sub_b = [next(letters) for _ in range(b._data.ndim)]
    for da, db in zip(dims_a, dims_b):
        sub_b[db] = sub_a[da]
    out = [c for i, c in enumerate(sub_a) if i not in [d % a._data.ndim for d in dims_a]]
    out += [c for i, c in enumerate(sub_b) if i not in [d % b._data.ndim for d in dims_b]]
    return einsum(f"{''.join(sub_a)},{''.join(sub_b)}->{''.join(out)}", a, b)


# ---------------------------------------------------------------- einsum

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(equation, operands):
    """Explicit subscripts for every operand and the output, with '...' spelled out."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(at_user_line(
            f"einsum(): the equation '{equation}' names {len(inputs)} operands but "
            f"{len(operands)} tensors were given"))
    free = [c for c in _LETTERS if c not in equation]
    ellipsis_ndim = 0
    for subs, op in zip(inputs, operands):
        explicit = len(subs.replace("...", ""))
        if any(c not in _LETTERS for c in subs.replace("...", "")):
            raise ValueError(at_user_line(
                f"einsum(): invalid subscript in '{subs}': use letters a-z, A-Z and '...'"))
        if ("..." not in subs and explicit != op._data.ndim) or explicit > op._data.ndim:
            raise ValueError(at_user_line(
                f"einsum(): the subscript '{subs}' has {explicit} letters but the operand has "
                f"{op._data.ndim} dimensions (shape {shape_str(op.shape)})"))
        if "..." in subs:
            ellipsis_ndim = max(ellipsis_ndim, op._data.ndim - explicit)
    broadcast = "".join(free[:ellipsis_ndim])
    expanded = []
    for subs, op in zip(inputs, operands):
        n = op._data.ndim - len(subs.replace("...", ""))
        expanded.append(subs.replace("...", broadcast[ellipsis_ndim - n:]))
    if arrow:
        output = rhs.replace("...", broadcast)
    else:  # implicit mode: the letters that appear once, in alphabetical order
        counts = {}
        for c in "".join(expanded):
            counts[c] = counts.get(c, 0) + 1
        output = broadcast + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in broadcast))
    for c in output:
        if not any(c in subs for subs in expanded):
            raise ValueError(at_user_line(
                f"einsum(): output subscript '{c}' does not appear in any input of '{equation}'"))
    return expanded, output


class Einsum(Function):
    def forward(ctx, *arrays, inputs, output):
        ctx.inputs, ctx.output = inputs, output
        ctx.save_for_backward(*arrays)
        return xp.einsum(",".join(inputs) + "->" + output, *arrays, optimize=len(arrays) > 2)

    def backward(ctx, g):
        operands = ctx.saved_tensors
        grads = []
        for i, (subs, needs) in enumerate(zip(ctx.inputs, ctx.needs_input_grad)):
            if not needs:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(ctx.inputs) if j != i]
            tensors = [t for j, t in enumerate(operands) if j != i]
            grads.append(_einsum_into(subs, operands[i]._data.shape, [ctx.output] + others, [g] + tensors))
        return tuple(grads)


def _einsum_into(target, shape, subscripts, tensors):
    """einsum(subscripts -> target), also for a target with repeated letters (a diagonal)."""
    from ..creation import eye
    seen, unique, fresh = set(), [], iter(c for c in _LETTERS if c not in "".join(subscripts) + target)
    diagonal = []
    for c, n in zip(target, shape):
        if c in seen:  # a repeated letter: write the result on that diagonal with an identity
            new = next(fresh)
            diagonal.append((c, new, n))
            unique.append(new)
        else:
            seen.add(c)
            unique.append(c)
    subscripts = list(subscripts)
    tensors = list(tensors)
    for letter, new, n in diagonal:
        subscripts.append(letter + new)
        tensors.append(eye(n, dtype=tensors[0].dtype))
    # letters of the target that no operand carries (a broadcast size-1 dim): sum to 1 later
    missing = [c for c in unique if not any(c in s for s in subscripts)]
    present = "".join(c for c in unique if c not in missing)
    out = Einsum.apply(*tensors, inputs=subscripts, output=present)
    if missing:
        out = out.reshape([1 if c in missing else out._data.shape[present.index(c)] for c in unique])
    return out


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``; differentiable in every operand."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    inputs, output = _parse_einsum(equation, operands)
    dtypes = {op._data.dtype for op in operands}
    if len(dtypes) > 1:
        raise RuntimeError(at_user_line(
            f"einsum(): expected all operands to have the same dtype, got "
            f"{', '.join(str(op.dtype) for op in operands)}"))
    for subs, op in zip(inputs, operands):
        sizes = {}
        for c, n in zip(subs, op._data.shape):
            if sizes.setdefault(c, n) != n:
                raise RuntimeError(at_user_line(
                    f"einsum(): subscript {c} is repeated for operand of shape "
                    f"{shape_str(op.shape)} but the sizes don't match, {sizes[c]} != {n}"))
    return Einsum.apply(*operands, inputs=inputs, output=output)


__all__ = ["matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "ger", "tensordot", "einsum"]
TENSOR_METHODS = ["matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "ger"]
