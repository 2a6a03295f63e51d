"""The op set. Each module is one family; its functions become ``chainrule.<name>``
and, for the names in its ``TENSOR_METHODS``, methods of ``Tensor``."""
from ..tensor import Tensor
from .. import creation
from . import (elementwise, unary, compare, reduce, fused, movement, join, pad, indexing,
               sorting, linalg, inplace, binary_math, special_functions, sign, nan_ops, scan,
               search, layout, scatter_reduce, inplace_variants)

FAMILIES = (elementwise, unary, compare, reduce, fused, movement, join, pad, indexing, sorting,
            linalg, inplace, binary_math, special_functions, sign, nan_ops, scan, search, layout,
            scatter_reduce, inplace_variants)

for _family in FAMILIES + (creation,):
    for _name in _family.TENSOR_METHODS:
        setattr(Tensor, _name, getattr(_family, _name))
