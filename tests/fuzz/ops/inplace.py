"""Writes: in-place methods (``add_``, ``clamp_``, ``fill_``, ``scatter_``, ...), augmented
assignments (``x += y`` ... ``x ^= y``) and index assignment (``x[idx] = v``).

The target is most often a value that shares memory with another live value (a view
or its base), so the program goes on to read the other one; now and then the write
runs under ``no_grad()``, as a parameter update does.
"""
import chainrule
import torch

from .base import Op, literal
from .indexing import (index_add_call, index_fill_call, index_put_call, index_reduce_call, masked_call,
                       masked_scatter_call, scatter_call, scatter_reduce_call)
from .indices import draw_index

BINARY = ("add_", "sub_", "mul_", "div_", "pow_", "remainder_", "floor_divide_", "fmod_",
          "bitwise_and_", "bitwise_or_", "bitwise_xor_", "copy_")
UNARY = ("exp_", "log_", "sqrt_", "abs_", "neg_", "relu_", "sigmoid_", "tanh_", "sin_", "cos_", "floor_",
         "ceil_", "round_", "trunc_", "reciprocal_", "square_", "zero_")
AUGMENTED = ("+=", "-=", "*=", "/=", "//=", "%=", "**=", "&=", "|=", "^=")


def _in_both(name):
    return hasattr(torch.Tensor, name) and hasattr(chainrule.Tensor, name)


def _writable(meta):
    return not (meta.is_leaf and meta.requires_grad)


def target(ctx):
    """The tensor to write: often one with a live view or base, rarely a leaf that requires grad."""
    aliased = ctx.pool.names(lambda m: _writable(m) and ctx.pool.aliases(m.name))
    if aliased and ctx.g.chance(60):
        return ctx.g.pick(aliased)
    return ctx.tensor(prefer=_writable)


def argument(ctx, x):
    """The other operand: ``x`` itself (``x.mul_(x)``, with the flag the deliberate-difference
    rules look at), another tensor, or a scalar. Never a view of ``x`` other than ``x``: an
    in-place op reading memory it partly overwrites gives what PyTorch's kernel happens to do."""
    if ctx.g.chance(12):
        return x, (x,), ("self-arg",)
    aliases = set(ctx.pool.aliases(x))
    other, used = ctx.operand(x, prefer=lambda m: m.name not in aliases)
    if other == x:        # drawn as an operand: the same fact for the rules
        return x, (x,), ("self-arg",)
    if other in aliases:
        other, used = ctx.scalar(), ()
    return other, used, ()


def no_grad_sometimes(ctx, code, flags):
    if ctx.g.chance(10):
        return f"with lib.no_grad(): {code}", flags + ("no-grad",)
    return code, flags


def binary(name):
    def build(ctx):
        x = target(ctx)
        if x is None:
            return None
        other, used, flags = argument(ctx, x)
        kwargs = f", alpha={ctx.scalar(['int', 'float'])}" if name in ("add_", "sub_") and ctx.g.chance(20) else ""
        code, flags = no_grad_sometimes(ctx, f"{x}.{name}({other}{kwargs})", flags)
        return ctx.statement(code, name, (x,) + used, x, flags=flags)
    return build


def augmented(symbol):
    def build(ctx):
        x = target(ctx)
        if x is None:
            return None
        other, used, flags = argument(ctx, x)
        code, flags = no_grad_sometimes(ctx, f"{x} {symbol} {other}", flags)
        return ctx.statement(code, symbol, (x,) + used, x, flags=flags)
    return build


def unary(name):
    def build(ctx):
        x = target(ctx)
        if x is None:
            return None
        code, flags = no_grad_sometimes(ctx, f"{x}.{name}()", ())
        return ctx.statement(code, name, (x,), x, flags=flags)
    return build


def fill_(ctx):
    x = target(ctx)
    if x is None:
        return None
    value = ctx.scalar() if ctx.g.chance(80) else f"lib.tensor({ctx.scalar(['int', 'float'])})"
    code, flags = no_grad_sometimes(ctx, f"{x}.fill_({value})", ())
    return ctx.statement(code, "fill_", (x,), x, flags=flags)


def clamp_(ctx):
    x = target(ctx)
    if x is None:
        return None
    low, high = literal(ctx.g.pick([0, -1.0, 0.5, None])), literal(ctx.g.pick([1, 2.0, None]))
    if low == "None" and high == "None":
        low = "0"
    code, flags = no_grad_sometimes(ctx, f"{x}.clamp_({low}, {high})", ())
    return ctx.statement(code, "clamp_", (x,), x, flags=flags)


def indexed(name, make_call):
    """masked_fill_, index_fill_, index_put_, scatter_, scatter_add_, index_add_, index_copy_."""
    def build(ctx):
        x = target(ctx)
        if x is None:
            return None
        expr, _, uses, flags = make_call(ctx, x, name)
        if expr is None:
            return None
        code, flags = no_grad_sometimes(ctx, expr, tuple(flags))
        return ctx.statement(code, name, tuple(uses), x, flags=flags)
    return build


SHAPE_WRITES = ("squeeze_", "unsqueeze_", "transpose_", "t_")


def is_shared_object(ctx, name):
    """Whether another name holds the very same PyTorch tensor (``x.mT`` of a 0-d ``x`` is ``x``
    itself in PyTorch, a new view in chainrule): a shape change of one would show on the other
    only in PyTorch, by an implementation detail."""
    value = ctx.value(name)
    return any(other is value for key, other in ctx.namespace.items() if key != name)


def method_write(name, make_args):
    """An in-place method whose arguments ``make_args(ctx, x)`` gives as (source list, names used)."""
    def build(ctx):
        x = target(ctx)
        if x is None or name in SHAPE_WRITES and is_shared_object(ctx, x):
            return None
        args, used = make_args(ctx, x)
        reads_target = ("self-arg",) if x in args else ()   # x.addcmul_(y, x): see inplace-reads-its-target
        code, flags = no_grad_sometimes(ctx, f"{x}.{name}({', '.join(map(str, args))})", reads_target)
        return ctx.statement(code, name, (x,) + tuple(used), x, flags=flags)
    return build


def _two_operands(ctx, x):
    first, used_first = ctx.operand(x, tensor_percent=100)
    second, used_second = ctx.operand(x, tensor_percent=100)
    value = [f"value={ctx.scalar(['int', 'float'])}"] if ctx.g.chance(40) else []
    return [first, second] + value, used_first + used_second


def _lerp_operands(ctx, x):
    end, used = ctx.operand(x, tensor_percent=100)
    return [end, literal(ctx.g.pick([0.5, 2.0, 0.0]))], used


def _one_operand(ctx, x):
    other, used = ctx.operand(x, tensor_percent=30)
    return [other], used


def _diagonal_offset(ctx, x):
    return ([ctx.g.pick([1, -1])] if ctx.g.chance(40) else []), ()


def _a_dim(ctx, x):
    return [ctx.dim(x)], ()


def _a_new_dim(ctx, x):
    ndim = ctx.meta(x).ndim
    return [ctx.g.integer(-ndim - 1, ndim)], ()


def _maybe_dim(ctx, x):
    return ([ctx.dim(x)] if ctx.g.chance(50) else []), ()


def _two_dims(ctx, x):
    return [ctx.dim(x), ctx.dim(x)], ()


def _nothing(ctx, x):
    return [], ()


METHOD_WRITES = {
    "addcmul_": _two_operands, "addcdiv_": _two_operands, "lerp_": _lerp_operands,
    "clamp_min_": _one_operand, "clamp_max_": _one_operand, "tril_": _diagonal_offset,
    "triu_": _diagonal_offset, "cumsum_": _a_dim, "squeeze_": _maybe_dim, "unsqueeze_": _a_new_dim,
    "transpose_": _two_dims, "t_": _nothing,
}


def setitem(ctx):
    x = target(ctx)
    if x is None:
        return None
    index = draw_index(ctx.g, x, ctx.meta(x), ctx.pool, unique=True)
    value, used = _setitem_value(ctx, x, index.text)
    code, flags = no_grad_sometimes(ctx, f"{x}[{index.text}] = {value}", tuple(index.flags))
    return ctx.statement(code, index.label + "=", (x,) + index.uses + used, x, kind="setitem", flags=flags)


def _setitem_value(ctx, x, index_text):
    """A scalar, or a pool tensor that broadcasts to the indexed part of ``x``."""
    try:
        part = eval(f"{x}[{index_text}]", dict(ctx.namespace))
    except Exception:
        return ctx.scalar(), ()
    names = ctx.pool.names(lambda m: len(m.shape) <= part.dim()
                           and all(a in (1, b) for a, b in zip(reversed(m.shape), reversed(part.shape))))
    if names and ctx.g.chance(50):
        name = ctx.g.pick(names)
        return name, (name,)
    return ctx.scalar(), ()


def table():
    entries = [Op(name, "inplace", binary(name), weight=3 if name in ("add_", "mul_", "copy_") else 1)
               for name in BINARY if _in_both(name)]
    entries += [Op(name, "inplace", unary(name), weight=1) for name in UNARY if _in_both(name)]
    entries += [Op(symbol, "inplace", augmented(symbol), weight=2) for symbol in AUGMENTED]
    entries += [Op("fill_", "inplace", fill_, weight=2), Op("clamp_", "inplace", clamp_, weight=2),
                Op("setitem", "inplace", setitem, weight=10)]
    calls = {"masked_fill_": masked_call, "index_fill_": index_fill_call, "index_put_": index_put_call,
             "scatter_": scatter_call, "scatter_add_": scatter_call, "index_add_": index_add_call,
             "index_copy_": index_add_call, "scatter_reduce_": scatter_reduce_call,
             "index_reduce_": index_reduce_call, "masked_scatter_": masked_scatter_call}
    entries += [Op(name, "inplace", indexed(name, call), weight=1) for name, call in calls.items()]
    entries += [Op(name, "inplace", method_write(name, make_args), weight=1)
                for name, make_args in METHOD_WRITES.items() if _in_both(name)]
    return entries
