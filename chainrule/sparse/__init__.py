"""Sparse tensors in COO layout (``torch.sparse``): ``chainrule.sparse_coo_tensor``,
``x.to_sparse()``, and their products with dense tensors (``chainrule.sparse.mm``, ``spmm``, ``@``).

Only the layout the graph examples use is here: every dimension sparse (no hybrid tensors),
products sparse @ dense and dense @ sparse (dense results), addition to dense tensors.
"""
from .coo import SparseCOOTensor
from .creation import sparse_coo_tensor, to_sparse
from ..layouts import layout, strided, sparse_coo
from .products import mm, spmm


def sum(input, dim=None, dtype=None):
    """The sum of a sparse tensor's elements (over ``dim``: a dense result)."""
    return input.sum(dim=dim, dtype=dtype)


__all__ = ["SparseCOOTensor", "sparse_coo_tensor", "to_sparse", "layout", "strided", "sparse_coo", "mm",
           "spmm", "sum"]
