"""``chainrule.cuda``: GPU queries. chainrule has no GPU backend yet, so none is available."""


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """No-op without a GPU (kept so seeding code written for PyTorch runs)."""


def manual_seed_all(seed):
    """No-op without a GPU."""
