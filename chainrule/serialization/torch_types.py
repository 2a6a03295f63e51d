"""PyTorch's names for storage and tensor dtypes, as a checkpoint pickles them."""
import numpy as np

from .. import backend as B

# torch.<Name>Storage -> the element type of its bytes. BFloat16 has no NumPy dtype: its
# bytes are read as uint16 and widened to float32 (exactly) in torch_checkpoint.py.
STORAGE_DTYPES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
    "BFloat16Storage": np.uint16, "UntypedStorage": np.uint8,
    "ComplexFloatStorage": np.complex64, "ComplexDoubleStorage": np.complex128,
}

TENSOR_DTYPES = {
    "float64": "float64", "double": "float64", "float32": "float32", "float": "float32",
    "float16": "float16", "half": "float16", "int64": "int64", "long": "int64", "int32": "int32",
    "int": "int32", "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8",
    "bool": "bool",
}


class StorageType:
    """What ``torch.FloatStorage`` and its kin stand for in a checkpoint: a dtype tag."""

    def __init__(self, name):
        self.name = name
        self.numpy_dtype = np.dtype(STORAGE_DTYPES[name])

    @property
    def is_bfloat16(self):
        return self.name == "BFloat16Storage"

    def __call__(self, *args, **kwargs):
        raise TypeError(f"torch.{self.name} cannot be called while loading a checkpoint")


def tensor_dtype(name):
    """The chainrule dtype that ``torch.<name>`` names in a checkpoint (e.g. in a config)."""
    return B.to_dtype(TENSOR_DTYPES[name])
