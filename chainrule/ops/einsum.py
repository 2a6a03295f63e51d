"""``einsum``: contractions written as subscripts, e.g. ``einsum('bij,bjk->bik', a, b)``.

One primitive, ``Einsum`` (NumPy's einsum, which calls BLAS for large pairwise
products), differentiable in every operand: the gradient of an operand is the
einsum of the upstream gradient with the other operands. ``tensordot`` (in
``linalg``) is written with it.

Integer, bool and mixed operands follow what PyTorch computes: a letter that only
one integer or bool operand carries and the output lacks is summed first, as
``sum`` does (into int64; bools count); a letter that several operands share is
contracted through a matrix product, which needs one dtype and refuses bool;
without a contraction, mixed dtypes promote.
"""
from .. import backend as B
from ..function import Function
from ..tensor import Tensor
from .._errors import at_user_line, shape_str, ShapeError
from .promotion import cast_to

xp = B.xp

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_OPTIMIZE_WORK = 2 ** 17  # multiply-adds above which a pairwise einsum goes through BLAS


def _term_letters(term, what, equation):
    """The letters of one term of the equation, and whether it holds an ellipsis."""
    head, dots, tail = term.partition("...")
    if "..." in tail:
        raise RuntimeError(at_user_line(
            f"einsum(): {what} '{term}' of '{equation}' holds more than one ellipsis ('...')"))
    for c in head + tail:
        if c == ".":
            raise RuntimeError(at_user_line(
                f"einsum(): found '.' in {what} '{term}' of '{equation}' that is not part of an "
                f"ellipsis ('...')"))
        if c not in LETTERS:
            raise RuntimeError(at_user_line(
                f"einsum(): invalid subscript in '{term}' of '{equation}': subscripts must be "
                f"letters a-z, A-Z (and one '...' per term), got {c!r}"))
    return head + tail, bool(dots)


def _parse_einsum(equation, operands):
    """Explicit subscripts for every operand and the output, with '...' spelled out as letters."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError(at_user_line(
            f"einsum(): the equation '{equation}' names {len(terms)} operands but "
            f"{len(operands)} tensors were given"))
    parsed = []
    ellipsis_ndim = 0
    for i, (term, op) in enumerate(zip(terms, operands)):
        letters, has_dots = _term_letters(term, f"operand {i}", equation)
        ndim = op._data.ndim
        if (not has_dots and len(letters) != ndim) or len(letters) > ndim:
            raise RuntimeError(at_user_line(
                f"einsum(): the subscript '{term}' has {len(letters)} letters but the operand has "
                f"{ndim} dimensions (shape {shape_str(op.shape)})"
                + ("" if has_dots else "; add '...' to cover the others")))
        parsed.append((term, has_dots))
        if has_dots:
            ellipsis_ndim = max(ellipsis_ndim, ndim - len(letters))
    broadcast = "".join(c for c in LETTERS if c not in equation)[:ellipsis_ndim]
    expanded = []
    for (term, has_dots), op in zip(parsed, operands):
        n = op._data.ndim - len(term.replace("...", ""))
        expanded.append(term.replace("...", broadcast[ellipsis_ndim - n:]) if has_dots else term)
    if arrow:
        letters, _ = _term_letters(rhs, "the output", equation)
        output = rhs.replace("...", broadcast)
        for c in letters:
            if letters.count(c) > 1:
                raise RuntimeError(at_user_line(
                    f"einsum(): output subscript {c} appears more than once in the output of '{equation}'"))
            if not any(c in subs for subs in expanded):
                raise RuntimeError(at_user_line(
                    f"einsum(): output subscript '{c}' does not appear in any input of '{equation}'"))
    else:  # implicit mode: '...' first, then the letters that appear once, in sorted order
        joined = "".join(expanded)
        output = broadcast + "".join(sorted(c for c in set(joined) if joined.count(c) == 1 and c not in broadcast))
    _check_sizes(expanded, operands, broadcast)
    return expanded, output


def _check_sizes(expanded, operands, broadcast):
    """A letter's sizes must be equal within an operand and equal or 1 across operands."""
    seen = {}
    for i, (subs, op) in enumerate(zip(expanded, operands)):
        own = {}
        for c, n in zip(subs, op._data.shape):
            if own.setdefault(c, n) != n:
                raise RuntimeError(at_user_line(
                    f"einsum(): subscript {c} is repeated for operand of shape {shape_str(op.shape)} "
                    f"but the sizes don't match, {own[c]} != {n}"))
        for c, n in own.items():
            m = seen.setdefault(c, n)
            if m != n and 1 not in (m, n):
                name = "a dimension covered by '...'" if c in broadcast else f"subscript {c}"
                raise ShapeError(at_user_line(
                    f"einsum(): {name} has size {n} for operand {i} (shape {shape_str(op.shape)}) "
                    f"which does not broadcast with previously seen size {m}"))
            seen[c] = max(m, n)


def _should_optimize(inputs, arrays):
    """Let NumPy plan the contraction (BLAS, pairwise order) when the work pays for the planning."""
    if len(arrays) > 2:
        return True
    sizes = {}
    for subs, a in zip(inputs, arrays):
        sizes.update(zip(subs, a.shape))
    work = 1
    for n in sizes.values():
        work *= n
    return len(arrays) == 2 and work >= _OPTIMIZE_WORK


class Einsum(Function):
    """out = einsum(inputs -> output). The gradient of operand i is the einsum of the upstream
    gradient with the other operands, into operand i's subscripts."""

    def forward(ctx, *arrays, inputs, output):
        ctx.inputs, ctx.output, ctx.shapes = inputs, output, [a.shape for a in arrays]
        ctx.save_for_backward(*arrays)
        equation = ",".join(inputs) + "->" + output
        return xp.einsum(equation, *arrays, optimize=_should_optimize(inputs, arrays))

    def backward(ctx, g):
        grads = []
        for i, (subs, needs) in enumerate(zip(ctx.inputs, ctx.needs_input_grad)):
            if not needs:
                grads.append(None)
                continue
            # operand i's gradient reads the other operands only
            others = [s for j, s in enumerate(ctx.inputs) if j != i]
            tensors = [ctx.saved_value(j) for j in range(len(ctx.inputs)) if j != i]
            grads.append(_einsum_into(subs, ctx.shapes[i], [ctx.output] + others, [g] + tensors))
        return tuple(grads)


def _einsum_into(target, shape, subscripts, tensors):
    """einsum(subscripts -> target) shaped for an operand of ``shape``.

    A letter repeated in the target (a diagonal, as in 'ii') is written through an
    identity matrix. A letter no other operand carries (summed away, as j in 'ij->i')
    or carries only at size 1 (broadcast) comes out at size 1 and is expanded; a
    letter this operand holds at size 1 but others at n is summed back by the engine.
    """
    from ..creation import eye
    used = "".join(subscripts) + target
    fresh = iter(c for c in LETTERS if c not in used)
    unique, seen = [], set()
    subscripts, tensors = list(subscripts), list(tensors)
    for c, n in zip(target, shape):
        if c in seen:  # the diagonal: out[..i..j..] = sum(...) * eye[i, j]
            new = next(fresh)
            subscripts.append(c + new)
            tensors.append(eye(n, dtype=tensors[0].dtype))
            c = new
        seen.add(c)
        unique.append(c)
    carried = "".join(subscripts)
    present = "".join(c for c in unique if c in carried)
    out = Einsum.apply(*tensors, inputs=subscripts, output=present)
    sizes = [out._data.shape[present.index(c)] if c in present else 1 for c in unique]
    if len(present) != len(unique):
        out = out.reshape(sizes)  # size 1 for the summed-away letters
    wanted = [n if s == 1 else s for s, n in zip(sizes, shape)]
    return out.expand(wanted) if wanted != sizes else out


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``; differentiable in every operand.

    Subscripts are letters; '...' stands for the remaining (broadcast) dims; without '->'
    the output is '...' then the letters that appear once, sorted; a letter repeated in
    one operand takes its diagonal ('ii->i'). Operands may also come as one list.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError(at_user_line(
            "einsum(): must specify the equation string and at least one operand"))
    for i, op in enumerate(operands):
        if not isinstance(op, Tensor):
            raise TypeError(at_user_line(
                f"einsum(): expected Tensor as operand {i}, but got {type(op).__name__}"))
    inputs, output = _parse_einsum(equation, operands)
    return contract(list(operands), inputs, output, "einsum")


def contract(operands, inputs, output, op):
    """``Einsum`` of parsed subscripts, with PyTorch's rules for integer, bool and mixed dtypes.

    A letter counts as carried by an operand that holds it at a size other than 1 (at size 1
    it only broadcasts). A summed letter carried by one integer or bool operand alone is
    summed first, into int64; one carried by several is contracted (a matrix product: one
    dtype, not bool). Without a contraction the operands promote, as in mul.
    """
    dtypes = {t._data.dtype for t in operands}
    if len(dtypes) == 1 and operands[0]._data.dtype.kind == "f":
        return Einsum.apply(*operands, inputs=inputs, output=output)
    operands, inputs = list(operands), list(inputs)
    for i in range(len(operands)):
        private = _private_letters(operands, inputs, i, output)
        if private and operands[i]._data.dtype.kind != "f":
            operands[i], inputs[i] = _sum_out(operands[i], inputs[i], private)
    summed = {c for subs in inputs for c in subs if c not in output}
    if any(len(_carriers(operands, inputs, c)) > 1 for c in summed):
        _check_contraction(operands, op)
    else:  # only products remain: the operands promote, as in mul (a summed operand keeps
        target = operands[0].dtype         # its summed dims at size 1, so none counts as 0-d)
        for t in operands[1:]:
            target = B.promote_types(target, t.dtype)
        operands = [cast_to(t, target) for t in operands]
    return Einsum.apply(*operands, inputs=inputs, output=output)


def _carriers(operands, inputs, letter):
    """The operands that hold ``letter`` at a size other than 1."""
    return [i for i, (t, subs) in enumerate(zip(operands, inputs))
            if any(c == letter and n != 1 for c, n in zip(subs, t._data.shape))]


def _private_letters(operands, inputs, i, output):
    """The summed letters (not in the output) that operand ``i`` alone carries; with a single
    operand, every summed letter (at size 1 too: PyTorch's einsum is then a sum, into int64)."""
    def alone(c):
        return len(operands) == 1 or _carriers(operands, inputs, c) == [i]
    return {c for c in inputs[i] if c not in output and alone(c)}


def _sum_out(operand, subs, letters):
    """``operand`` summed over ``letters`` as ``sum`` sums integers (into int64), and its
    remaining subscripts (a repeated letter kept once: its diagonal)."""
    kept = "".join(dict.fromkeys(c for c in subs if c not in letters))
    wide = cast_to(operand, B.int64)
    return Einsum.apply(wide, inputs=[subs], output=kept), kept


def _check_contraction(operands, op):
    """A contraction is a matrix product: it needs one dtype, not bool."""
    first = operands[0]._data.dtype
    if first == xp.bool_ and all(t._data.size for t in operands):
        raise NotImplementedError(at_user_line(
            f"{op}(): contracting bool tensors (a sum over a letter that several operands share) "
            f"is not implemented, as in PyTorch. Convert first, e.g. {op}(..., a.long(), b.long())"))
    dtypes = [t.dtype for t in operands]
    if any(d != dtypes[0] for d in dtypes):
        raise RuntimeError(at_user_line(
            f"{op}(): expected all operands to have the same dtype, got "
            f"{', '.join(str(d) for d in dtypes)}, for a sum over a letter that several operands "
            f"share (an integer or bool operand's own summed letters give int64 first, as in "
            f"PyTorch). Convert them to one dtype, e.g. b.to(a.dtype)"))
