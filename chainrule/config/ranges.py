"""The valid range of every number in a config, by key name, checked before anything is built.

A NaN is never a valid setting, and infinity only where a bound may be open (``max_val``);
sizes are at least 1, rates and strengths are not negative, fractions stay in their
interval. The rules go by key name wherever the key appears (``solver.lr`` and
``solver.optimizer.lr``, a layer's ``kernel_size`` in ``layers`` or in ``graph``), so one
table covers layers, losses, optimizers, schedules, transforms and callbacks alike.
Names a user chooses (columns, derived columns) are not keys of this table.
"""
import math

# Integers of at least 1 (each entry, for a list of per-dimension sizes).
SIZES = frozenset((
    "in_features", "out_features", "in_channels", "out_channels", "kernel_size", "stride", "dilation", "groups",
    "num_features", "num_channels", "num_groups", "normalized_shape", "hidden_size", "input_size", "num_layers",
    "embedding_dim", "num_embeddings", "embed_dim", "num_heads", "d_model", "nhead", "dim_feedforward",
    "output_size", "size", "num_classes", "epochs", "batch_size", "accumulate_grad_batches", "step_size",
    "T_max", "T_0", "total_iters", "total_steps", "steps_per_epoch", "count", "image_shape", "in1_features",
    "in2_features", "num_parameters", "n", "num_samples", "classes", "features",
))
# Numbers of at least 0.
NON_NEGATIVE = frozenset((
    "padding", "lr", "max_lr", "momentum", "dampening", "weight_decay", "eps", "l1", "patience", "min_delta",
    "cooldown", "eta_min", "min_lr", "lr_decay", "initial_accumulator_value", "momentum_decay", "std",
    "max_shift", "weight", "base_momentum", "max_momentum", "threshold", "output_padding", "noise", "seed",
))
# Numbers above 0.
POSITIVE = frozenset(("grad_clip_norm", "gamma", "div_factor", "final_div_factor", "delta", "max_norm"))
# Numbers in an interval: (low, high, low included, high included).
INTERVALS = {
    "label_smoothing": (0.0, 1.0, True, False),
    "p": (0.0, 1.0, True, True),
    "dropout": (0.0, 1.0, True, True),
    "betas": (0.0, 1.0, True, False),
    "rho": (0.0, 1.0, True, True),
    "factor": (0.0, 1.0, False, False),
    "pct_start": (0.0, 1.0, False, False),
    "validation_fraction": (0.0, 1.0, True, False),
    "test_fraction": (0.0, 1.0, True, False),
}
# Keys that mean something else for one class: (key, class name) -> not checked by the table.
OTHER_MEANING = frozenset((("p", "TripletMarginLoss"),))       # there: the norm's degree
# Bounds that may be open: the only keys that may be infinite.
MAY_BE_INFINITE = frozenset(("min_val", "max_val", "max_norm", "norm_type", "threshold"))
# Subtrees whose keys are the user's own names, not settings.
USER_NAMES = (("data", "columns"), ("data", "derive"))


def _numbers(value):
    """The numbers in a number or a (nested) list; None when it holds anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return [value]
    if isinstance(value, list) and value:
        found = []
        for item in value:
            numbers = _numbers(item)
            if numbers is None:
                return None
            found += numbers
        return found
    return None


def _interval_text(low, high, low_in, high_in):
    return f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"


def problem(name, value, owner=None):
    """What is wrong with ``value`` for a key called ``name`` (of the class named ``owner``, if known),
    or None when it is in range."""
    numbers = _numbers(value)
    if numbers is None or (name, owner) in OTHER_MEANING:
        return None
    for number in numbers:
        if isinstance(number, float) and math.isnan(number):
            return f"must be a number, got NaN ({value!r})"
        if isinstance(number, float) and math.isinf(number) and name not in MAY_BE_INFINITE:
            return f"must be finite, got {value!r}"
    if name in SIZES:
        if not all(isinstance(n, int) for n in numbers):
            return f"must be a whole number (a size), got {value!r}"
        if any(n < 1 for n in numbers):
            return f"must be at least 1, got {value!r}"
    if name in NON_NEGATIVE and any(n < 0 for n in numbers):
        return f"must be at least 0, got {value!r}"
    if name in POSITIVE and any(n <= 0 for n in numbers):
        return f"must be above 0, got {value!r}"
    if name in INTERVALS:
        low, high, low_in, high_in = INTERVALS[name]
        inside = lambda n: (low <= n if low_in else low < n) and (n <= high if high_in else n < high)  # noqa: E731
        if not all(inside(n) for n in numbers):
            return f"must be in {_interval_text(low, high, low_in, high_in)}, got {value!r}"
    return None


def check_ranges(source):
    """Walk the whole config; the first number out of its key's range is a ConfigError at its line."""
    def walk(value, path, owner):
        if path in USER_NAMES:
            return
        if isinstance(value, dict):
            inner = value.get("type") if isinstance(value.get("type"), str) else None
            for key, item in value.items():
                walk(item, path + (key,), inner or (key if isinstance(key, str) and key[:1].isupper() else owner))
            return
        name = next((part for part in reversed(path) if isinstance(part, str)), None)
        message = problem(name, value, owner) if name is not None else None
        if message is not None:
            raise source.error(message, path)
        if isinstance(value, list) and _numbers(value) is None:
            for index, item in enumerate(value):
                walk(item, path + (index,), owner)
    walk(source.data, (), None)
