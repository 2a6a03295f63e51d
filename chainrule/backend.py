"""The one seam between chainrule and an array library.

Every array call in chainrule goes through this module: the array namespace
``xp`` (NumPy today; CuPy plugs in here later), the dtypes, the default dtype,
devices and the random generator. No other module imports NumPy.
"""
import numpy as np

from .tracing_slot import tracer

xp = np  # the array namespace every op computes with
ndarray = np.ndarray


# ---------------------------------------------------------------- dtypes

class dtype:
    """A chainrule dtype: a name, a NumPy dtype and a promotion category."""

    __slots__ = ("name", "np", "category", "itemsize")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category  # 0 bool, 1 integer, 2 floating
        self.itemsize = self.np.itemsize

    @property
    def is_floating_point(self):
        return self.category == 2

    def __repr__(self):
        return f"chainrule.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)

ALL_DTYPES = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NUMPY = {d.np: d for d in ALL_DTYPES}
_BY_NAME = {d.name: d for d in ALL_DTYPES}


def _dtype_by_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype):
    """The chainrule dtype of a NumPy dtype (TypeError for unsupported ones)."""
    found = _BY_NUMPY.get(np.dtype(np_dtype))
    if found is None:
        raise TypeError(
            f"chainrule does not support the NumPy dtype {np.dtype(np_dtype)}; "
            f"supported: {', '.join(d.name for d in ALL_DTYPES)}")
    return found


def to_dtype(value):
    """Accept a chainrule dtype, a NumPy dtype, a Python type or a name."""
    if isinstance(value, dtype):
        return value
    if value is float:
        return _default_float
    if value is int:
        return int64
    if value is bool:
        return bool_
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]
    return from_numpy_dtype(value)


_default_float = float32


def get_default_dtype():
    return _default_float


def set_default_dtype(d):
    """Set the floating dtype that creation functions and Python floats use."""
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {d}")
    _default_float = d


def promote_types(a, b):
    """PyTorch's promote_types: the higher category wins whole (float16 + int64 is float16)."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return from_numpy_dtype(np.promote_types(a.np, b.np))


# ---------------------------------------------------------------- devices

class device:
    """Where a tensor's memory lives. Only ``cpu`` exists until a GPU backend."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if ":" in type:
            type, _, idx = type.partition(":")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        self.type = type
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")
_default_device = CPU


def check_device(value):
    """Return the device object for ``value``; only the CPU is available."""
    d = value if isinstance(value, device) else device(value)
    if d.type != "cpu":
        raise RuntimeError(
            f"device '{d}' is not available: chainrule has no GPU backend yet "
            "(chainrule.cuda.is_available() is False); use device='cpu'")
    return CPU


def set_default_device(value):
    global _default_device
    _default_device = check_device(value)


def get_default_device():
    return _default_device


# ---------------------------------------------------------------- randomness

class Generator:
    """A seeded source of random numbers (wraps NumPy's PCG64)."""

    def __init__(self, seed=None):
        self.manual_seed(seed if seed is not None else np.random.SeedSequence().entropy % (2**63))

    def manual_seed(self, seed):
        if tracer[0] is not None and tracer[0].recording:   # compiled: seeded again on each replay
            return tracer[0].call_opaque(self.manual_seed, seed)
        self._seed = int(seed)
        self.rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self):
        return self._seed

    def get_state(self):
        if tracer[0] is not None and tracer[0].recording:
            from .jit.errors import TraceError
            from ._errors import user_location
            raise TraceError(
                f"chainrule.compile: Generator.get_state() inside a compiled function would give the "
                f"state seen while tracing on every call.\n  at {user_location()}\nSave and restore the "
                f"generator state outside the compiled function, or reseed inside it with manual_seed().")
        return self.rng.bit_generator.state

    def set_state(self, state):
        if tracer[0] is not None and tracer[0].recording:   # compiled: restored on each replay
            return tracer[0].call_opaque(self.set_state, state)
        self.rng.bit_generator.state = state


default_generator = Generator(0)


def manual_seed(seed):
    """Seed chainrule's default generator: every random function becomes reproducible."""
    return default_generator.manual_seed(seed)


def rng(generator=None):
    return (generator or default_generator).rng
