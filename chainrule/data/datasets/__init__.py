"""Built-in datasets that work offline, each returning (train, test) TensorDatasets with a fixed seed.

``digits`` needs scikit-learn and ``mnist1d`` the mnist1d package (both optional:
a missing one raises an error naming the pip install line); the synthetic sets
need nothing.
"""
from .synthetic import xor, spirals, moons, linear_regression  # noqa: F401
from .packaged import digits, mnist1d  # noqa: F401

AVAILABLE = {"xor": xor, "spirals": spirals, "moons": moons, "linear_regression": linear_regression,
             "digits": digits, "mnist1d": mnist1d}
