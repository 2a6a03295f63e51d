"""Elementwise ops: unary math and activations, binary ops with tensors or Python scalars,
operators (reflected ones too), and the three-operand ones (where, lerp, addcmul, clamp)."""
from .base import Op, literal

UNARY_MATH = ("exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square", "reciprocal",
              "abs", "absolute", "sign", "floor", "ceil", "trunc", "frac", "sin", "cos", "tan", "asin",
              "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "sigmoid", "erf",
              "relu", "neg", "negative",
              "isnan", "isinf", "isfinite", "logical_not", "relu6", "selu", "silu", "mish",
              "logsigmoid", "softsign", "hardsigmoid", "hardswish", "lgamma", "erfinv", "exp2", "sgn",
              "signbit")
UNARY_BITS = ("bitwise_not",)
BINARY = ("add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
          "remainder", "fmod", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "less",
          "less_equal", "greater", "greater_equal", "not_equal", "logical_and", "logical_or",
          "logical_xor", "isclose", "allclose", "equal", "atan2", "arctan2", "hypot", "logaddexp",
          "logaddexp2", "float_power", "rsub", "xlogy", "copysign")
BINARY_BITS = ("bitwise_and", "bitwise_or", "bitwise_xor")
OPERATORS = ("+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=")
BIT_OPERATORS = ("&", "|", "^")
_NO_SCALAR = ("maximum", "minimum", "isclose", "allclose", "equal")


def _is_float(meta):
    return meta.is_float


def _is_integral(meta):
    return not meta.is_float


def unary(name, prefer=_is_float):
    def build(ctx):
        x = ctx.tensor(prefer=prefer)
        if x is None:
            return None
        kwargs = {}
        if name == "round" and ctx.g.chance(30):
            kwargs["decimals"] = ctx.g.pick([1, -1, 2])
        expr, label = ctx.call(name, x, **kwargs)
        return ctx.define(expr, label, (x,))
    return build


def with_keywords(name, make_kwargs):
    def build(ctx):
        x = ctx.float_tensor()
        if x is None:
            return None
        expr, label = ctx.call(name, x, **make_kwargs(ctx))
        return ctx.define(expr, label, (x,))
    return build


def binary(name, prefer=None):
    def build(ctx):
        x = ctx.tensor(prefer=prefer)
        if x is None:
            return None
        other, used = ctx.operand(x, tensor_percent=95 if name in _NO_SCALAR else 60, prefer=prefer)
        kwargs = {}
        if name in ("add", "sub", "subtract") and ctx.g.chance(20):
            kwargs["alpha"] = ctx.scalar(["int", "float"])
        if name in ("div", "divide") and ctx.g.chance(30):
            kwargs["rounding_mode"] = literal(ctx.g.pick(["trunc", "floor"]))
        if name == "isclose" and ctx.g.chance(30):
            kwargs["equal_nan"] = "True"
        expr, label = ctx.call(name, x, other, **kwargs)
        return ctx.define(expr, label, (x,) + used)
    return build


def operator(symbol, prefer=None):
    def build(ctx):
        x = ctx.tensor(prefer=prefer)
        if x is None:
            return None
        other, used = ctx.operand(x, prefer=prefer)
        if not used and ctx.g.chance(50):
            return ctx.define(f"{other} {symbol} {x}", "r" + symbol, (x,))
        return ctx.define(f"{x} {symbol} {other}", symbol, (x,) + used)
    return build


def unary_operator(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    form, label = ctx.g.pick([("-{}", "-x"), ("~{}", "~x"), ("abs({})", "builtin abs"), ("+{}", "+x")])
    return ctx.define(form.format(x), label, (x,))


def where(ctx):
    x = ctx.tensor()
    if x is None:
        return None
    condition, used = ctx.operand(x, tensor_percent=100, prefer=lambda m: m.dtype == "bool")
    if condition not in ctx.pool or ctx.meta(condition).dtype != "bool":
        condition = f"{x} > 0"
        used = ()
    other, other_used = ctx.operand(x)
    if ctx.g.chance(30) and other_used:
        return ctx.define(f"{x}.where({condition}, {other})", ".where", (x,) + used + other_used)
    return ctx.define(f"lib.where({condition}, {x}, {other})", "where", (x,) + used + other_used)


def lerp(ctx):
    x = ctx.float_tensor()
    if x is None:
        return None
    end, used = ctx.operand(x, tensor_percent=100, prefer=_is_float)
    weight, weight_used = ctx.operand(x, tensor_percent=30, prefer=_is_float)
    if not weight_used:
        weight = literal(ctx.g.pick([0.5, 0.25, 2.0, -1.0, 0.0]))
    expr, label = ctx.call("lerp", x, end, weight)
    return ctx.define(expr, label, (x,) + used + weight_used)


def addc(name):
    def build(ctx):
        x = ctx.tensor(prefer=_is_float)
        if x is None:
            return None
        t1, used1 = ctx.operand(x, tensor_percent=100)
        t2, used2 = ctx.operand(x, tensor_percent=100)
        kwargs = {"value": ctx.scalar(["int", "float"])} if ctx.g.chance(50) else {}
        expr, label = ctx.call(name, x, t1, t2, **kwargs)
        return ctx.define(expr, label, (x,) + used1 + used2)
    return build


def clamp(name):
    """clamp / clip with min=, max= or both (numbers or tensors); clamp_min / clamp_max with one."""
    def build(ctx):
        x = ctx.tensor(prefer=_is_float)
        if x is None:
            return None
        if name in ("clamp_min", "clamp_max"):
            bound, used = ctx.operand(x, tensor_percent=25)
            expr, label = ctx.call(name, x, bound)
            return ctx.define(expr, label, (x,) + used)
        keys = ctx.g.pick([("min",), ("max",), ("min", "max")])
        bounds, used = {}, (x,)
        for key in keys:
            bounds[key], bound_used = ctx.operand(x, tensor_percent=25)
            used += bound_used
        expr, label = ctx.call(name, x, **bounds)
        return ctx.define(expr, label, used)
    return build


def _keyword_ops():
    """Float-only ops with keyword arguments, and how to draw them."""
    return {
        "leaky_relu": lambda ctx: {"negative_slope": literal(ctx.g.pick([0.01, 0.2, -0.5]))},
        "elu": lambda ctx: {"alpha": literal(ctx.g.pick([1.0, 0.5, 2.0]))},
        "celu": lambda ctx: {"alpha": literal(ctx.g.pick([1.0, 0.5, 2.0]))},
        "softplus": lambda ctx: {"beta": literal(ctx.g.pick([1.0, 2.0, 0.5])),
                                 "threshold": literal(ctx.g.pick([20.0, 1.0]))},
        "hardtanh": lambda ctx: {"min_val": literal(ctx.g.pick([-1.0, -0.5, 0.0])),
                                 "max_val": literal(ctx.g.pick([1.0, 2.0, 0.5]))},
        "gelu": lambda ctx: {"approximate": literal(ctx.g.pick(["none", "tanh"]))},
        "nan_to_num": lambda ctx: {key: literal(ctx.g.pick([0.0, 1.5, -2.0]))
                                   for key in ("nan", "posinf", "neginf") if ctx.g.chance(50)},
    }


def table():
    entries = [Op(name, "unary", unary(name)) for name in UNARY_MATH]
    entries.append(Op("round", "unary", unary("round")))
    entries += [Op(name, "unary", unary(name, prefer=_is_integral)) for name in UNARY_BITS]
    entries += [Op(name, "unary", with_keywords(name, kwargs)) for name, kwargs in _keyword_ops().items()]
    entries += [Op(name, "binary", binary(name), weight=3) for name in BINARY]
    entries += [Op(name, "binary", binary(name, prefer=_is_integral)) for name in BINARY_BITS]
    entries += [Op(symbol, "operator", operator(symbol), weight=4) for symbol in OPERATORS]
    entries += [Op(symbol, "operator", operator(symbol, prefer=_is_integral), weight=2)
                for symbol in BIT_OPERATORS]
    entries.append(Op("unary operator", "operator", unary_operator, weight=3))
    entries += [Op("where", "ternary", where, weight=3), Op("lerp", "ternary", lerp),
                Op("addcmul", "ternary", addc("addcmul")), Op("addcdiv", "ternary", addc("addcdiv"))]
    entries += [Op(name, "ternary", clamp(name), weight=3 if name == "clamp" else 2)
                for name in ("clamp", "clip", "clamp_min", "clamp_max")]
    return entries
