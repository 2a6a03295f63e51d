"""Public op names that are another name (or the in-place form) of a catalog entry.

In-place forms are checked against PyTorch in tests/test_inplace.py; the
helpers are internal building blocks exported for advanced use.
"""
ALIASES = {
    "absolute": "abs", "arcsin": "asin", "arccos": "acos", "arctan": "atan", "clip": "clamp", "clamp_min": "clamp", "clamp_max": "clamp",
    "concat": "cat", "concatenate": "cat", "hstack": "cat", "vstack": "cat",
    "divide": "div", "true_divide": "div", "multiply": "mul", "subtract": "sub",
    "negative": "neg", "greater": "gt", "greater_equal": "ge", "less": "lt",
    "less_equal": "le", "not_equal": "ne", "ger": "outer", "moveaxis": "movedim",
    "swapaxes": "transpose", "swapdims": "transpose", "t": "transpose",
    "mm": "matmul", "bmm": "matmul", "mv": "matmul", "dot": "matmul", "inner": "matmul",
    "msort": "sort", "argsort": "sort", "reshape_as": "reshape", "view_as": "view",
    "expand_as": "expand", "select": "getitem", "narrow": "getitem", "take": "getitem",
    "masked_select": "getitem", "index_put": "setitem",
    "add_": "add", "sub_": "sub", "mul_": "mul", "div_": "div", "pow_": "pow",
    "clamp_": "clamp", "copy_": "setitem", "fill_": "setitem", "zero_": "setitem",
    "bitwise_and": "logical", "bitwise_or": "logical", "bitwise_xor": "logical",
    "bitwise_not": "logical", "logical_and": "logical", "logical_or": "logical",
    "logical_not": "logical", "logical_xor": "logical",
    "var_mean": "var", "std_mean": "std", "aminmax": "amax",
}

# In-place forms of unary ops and of the indexing writers (tests/test_inplace.py runs them vs torch).
ALIASES.update({f"{name}_": name for name in [
    "exp", "log", "sqrt", "abs", "neg", "relu", "sigmoid", "tanh", "sin", "cos", "floor", "ceil",
    "round", "trunc", "reciprocal", "square", "masked_fill", "scatter", "scatter_add"]})
ALIASES["index_put_"] = "setitem"
ALIASES.update({f"bitwise_{name}_": "logical" for name in ["and", "or", "xor"]})  # |= ^= &=: test_views_inplace
ALIASES.update({f"{name}_": name for name in ["index_add", "index_copy", "index_fill"]})

# In-place methods of the newer ops (tests/test_more_ops.py runs them vs torch: values, dtypes,
# version counters, gradients, and the shape changes of squeeze_/unsqueeze_/t_/transpose_).
ALIASES.update({f"{name}_": name for name in [
    "addcmul", "addcdiv", "lerp", "floor_divide", "remainder", "fmod", "tril", "triu", "cumsum",
    "scatter_reduce", "index_reduce", "masked_scatter", "squeeze", "unsqueeze", "transpose"]})
ALIASES.update({"clamp_min_": "clamp", "clamp_max_": "clamp", "t_": "transpose"})

# Exported building blocks that are not PyTorch ops of their own.
HELPERS = {"sum_to_shape"}
