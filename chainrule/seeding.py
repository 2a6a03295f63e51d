"""``seed_everything``: one seed for chainrule's generator, NumPy's global one and Python's ``random``."""
import random

from . import backend as B


def seed_everything(seed):
    """Seed every source of randomness a chainrule run uses; the same seed gives the same run.

    DataLoader shuffling draws from chainrule's generator (it loads in the main
    process), so it is covered too.
    """
    seed = int(seed)
    random.seed(seed)
    B.xp.random.seed(seed % 2**32)
    B.manual_seed(seed)
    return seed
