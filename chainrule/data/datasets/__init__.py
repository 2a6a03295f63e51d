"""Built-in datasets that work offline, each returning (train, test) TensorDatasets with a fixed seed.

``digits`` needs scikit-learn and ``mnist1d`` the mnist1d package (both optional:
a missing one raises an error naming the pip install line); the synthetic sets
need nothing.
"""
from .synthetic import xor, spirals, moons, linear_regression  # noqa: F401
from .packaged import digits, mnist1d  # noqa: F401

AVAILABLE = {"xor": xor, "spirals": spirals, "moons": moons, "linear_regression": linear_regression,
             "digits": digits, "mnist1d": mnist1d}

_SKLEARN = {"module": "sklearn", "pip": "scikit-learn"}
# What `chainrule datasets` shows: per-sample input shape, targets, the optional package needed.
INFO = {
    "xor": {"inputs": "(2,)", "targets": "2 classes", "package": None,
            "about": "noisy corners of the unit square, label x1 XOR x2"},
    "spirals": {"inputs": "(2,)", "targets": "3 classes", "package": None,
                "about": "interleaved spiral arms (CS231n's toy set)"},
    "moons": {"inputs": "(2,)", "targets": "2 classes", "package": None, "about": "two interleaving half circles"},
    "linear_regression": {"inputs": "(3,)", "targets": "(1,) real", "package": None,
                          "about": "y = x w + b + noise"},
    "digits": {"inputs": "(1, 8, 8)", "targets": "10 classes", "package": _SKLEARN,
               "about": "scikit-learn's 1,797 handwritten 8x8 digits (flatten=True: (64,))"},
    "mnist1d": {"inputs": "(40,)", "targets": "10 classes", "package": {"module": "mnist1d", "pip": "mnist1d"},
                "about": "MNIST-1D signals generated locally (4,000 by default)"},
}
