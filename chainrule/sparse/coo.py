"""``SparseCOOTensor``: a sparse tensor in coordinate (COO) layout, PyTorch's ``torch.sparse_coo``.

It holds ``indices``, an int64 tensor of shape (ndim, nnz) with one column per stored element,
and ``values``, a tensor of shape (nnz,); every other element is zero. Duplicate columns are
allowed until ``coalesce()`` sums them (``sparse_coo_tensor`` makes an uncoalesced tensor,
``to_sparse`` a coalesced one, as in PyTorch). Gradients flow to ``values`` (and, through
``to_sparse``, to the dense tensor it came from). Products with dense tensors are in
``products.py``; ``to_dense`` and addition to a dense tensor give dense results.
"""
from .. import backend as B
from .._errors import at_user_line, shape_str
from ..tensor import Tensor, Size
from ..layouts import sparse_coo

xp = B.xp


class SparseCOOTensor:
    is_sparse = True
    layout = sparse_coo

    def __init__(self, indices, values, shape, coalesced=False, source=None):
        self._indices_tensor = indices          # (ndim, nnz) int64
        self._values_tensor = values            # (nnz,)
        self._shape = tuple(int(n) for n in shape)
        self._coalesced = coalesced
        self._source = source                   # the dense tensor of to_sparse(): products differentiate it

    # ------------------------------------------------------------------ what it is

    @property
    def shape(self):
        return Size(self._shape)

    def size(self, dim=None):
        return self.shape if dim is None else self._shape[dim]

    def dim(self):
        return len(self._shape)

    ndim = property(dim)

    def __len__(self):
        return self._shape[0]

    @property
    def dtype(self):
        return self._values_tensor.dtype

    @property
    def device(self):
        return self._values_tensor.device

    @property
    def requires_grad(self):
        return self._values_tensor.requires_grad

    def requires_grad_(self, requires_grad=True):
        self._values_tensor.requires_grad_(requires_grad)
        return self

    @property
    def grad_fn(self):
        return self._values_tensor.grad_fn

    @property
    def grad(self):
        """A leaf's gradient at its stored positions, coalesced (a repeated position appears once,
        with the gradient of the element there, as in PyTorch)."""
        grad = self._values_tensor.grad
        if grad is None:
            return None
        unique, first = xp.unique(self._flat_positions(), return_index=True)
        indices = self._indices_tensor._data[:, first]
        return SparseCOOTensor(Tensor._make(indices), Tensor._make(grad._data[first]), self._shape, coalesced=True)

    def _nnz(self):
        return self._values_tensor.shape[0]

    def sparse_dim(self):
        return len(self._shape)

    def dense_dim(self):
        return 0

    def is_coalesced(self):
        return self._coalesced

    def _indices(self):
        return self._indices_tensor

    def _values(self):
        return self._values_tensor

    def indices(self):
        self._require_coalesced("indices")
        return self._indices_tensor

    def values(self):
        self._require_coalesced("values")
        return self._values_tensor

    def _require_coalesced(self, name):
        if not self._coalesced:
            raise RuntimeError(at_user_line(
                f"{name}(): Cannot get {name} on an uncoalesced tensor, please call .coalesce() first "
                f"(or ._{name}() for the raw, possibly repeated entries)"))

    # ------------------------------------------------------------------ conversions

    def coalesce(self):
        """The same tensor with its entries sorted by position and duplicates summed."""
        if self._coalesced:
            return self
        from ..ops.indexing import index_add
        positions = self._flat_positions()
        unique, inverse = xp.unique(positions, return_inverse=True)
        summed = index_add(Tensor._make(xp.zeros(unique.shape, self._values_tensor._data.dtype)), 0,
                           Tensor._make(inverse.reshape(-1)), self._values_tensor)
        indices = xp.stack(xp.unravel_index(unique, self._shape)) if self._shape else \
            xp.zeros((0, unique.size), xp.int64)
        return SparseCOOTensor(Tensor._make(indices.astype(xp.int64)), summed, self._shape, coalesced=True)

    def _flat_positions(self):
        if not self._shape:
            return xp.zeros(self._nnz(), xp.int64)
        return xp.ravel_multi_index(tuple(self._indices_tensor._data), self._shape)

    def to_dense(self):
        """The dense tensor; differentiable with respect to the values (duplicates add up)."""
        from ..creation import zeros
        from ..ops.indexing import index_put
        dense = zeros(self._shape, dtype=self.dtype)
        index = tuple(Tensor._make(row) for row in self._indices_tensor._data)
        return index_put(dense, index, self._values_tensor, accumulate=True)

    def to_sparse(self):
        return self

    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
        return self._mapped(lambda t: t.to(*args, dtype=dtype, device=device, copy=copy))

    def type(self, dtype=None):
        if dtype is None:
            return self._values_tensor.type().replace("chainrule.", "chainrule.sparse.")
        return self._mapped(lambda t: t.type(dtype))

    def float(self):
        return self._mapped(lambda t: t.float())

    def double(self):
        return self._mapped(lambda t: t.double())

    def long(self):
        return self._mapped(lambda t: t.long())

    def detach(self):
        return self._mapped(lambda t: t.detach())

    def clone(self):
        return SparseCOOTensor(self._indices_tensor.clone(), self._values_tensor.clone(), self._shape,
                               self._coalesced)

    def cpu(self):
        return self

    def _mapped(self, fn):
        """``fn`` (a cast, a scaling: ``fn(0) == 0``) applied to the values, and to the dense source
        of a ``to_sparse()`` tensor, which products keep differentiating."""
        values = fn(self._values_tensor)
        if values is self._values_tensor:
            return self
        source = None if self._source is None else fn(self._source)
        return SparseCOOTensor(self._indices_tensor, values, self._shape, self._coalesced, source)

    def t(self):
        if len(self._shape) != 2:
            raise RuntimeError(at_user_line(
                f"t(): expects a 2-D sparse tensor, got shape {shape_str(self._shape)}"))
        return self.transpose(0, 1)

    def transpose(self, dim0, dim1):
        order = list(range(len(self._shape)))
        order[dim0], order[dim1] = order[dim1], order[dim0]
        shape = tuple(self._shape[d] for d in order)
        source = None if self._source is None else self._source.transpose(dim0, dim1)
        return SparseCOOTensor(Tensor._make(self._indices_tensor._data[order]), self._values_tensor, shape,
                               source=source)

    # ------------------------------------------------------------------ arithmetic

    def __matmul__(self, other):
        from .products import mm
        return mm(self, other)

    def __rmatmul__(self, other):
        from .products import mm
        return mm(other, self)

    def __add__(self, other):
        if isinstance(other, SparseCOOTensor):
            self._check_same_shape(other, "add")
            from ..ops.join import cat
            return SparseCOOTensor(cat([self._indices_tensor, other._indices_tensor], 1),
                                   cat([self._values_tensor, other._values_tensor.to(self.dtype)]), self._shape)
        return self.to_dense() + other     # a dense result, as in PyTorch

    __radd__ = __add__

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __neg__(self):
        return self._mapped(lambda t: -t)

    def __mul__(self, other):
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return self._mapped(lambda t: t * other)
        raise TypeError(at_user_line(
            f"mul: a sparse tensor multiplies only by a number here, got {type(other).__name__}; "
            f"use x.to_dense() * y"))

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self * (1 / other)

    def sum(self, dim=None, keepdim=False, dtype=None):
        if dim is None:
            return self._values_tensor.sum(dtype=dtype)
        return self.to_dense().sum(dim, keepdim=keepdim, dtype=dtype)

    def _check_same_shape(self, other, op):
        if self._shape != other._shape:
            raise RuntimeError(at_user_line(
                f"{op}: sparse tensors of shapes {shape_str(self._shape)} and {shape_str(other._shape)} "
                f"must have the same shape"))

    def __repr__(self):
        extra = f", dtype={self.dtype}" if self.dtype != B.get_default_dtype() else ""
        return (f"tensor(indices={self._indices_tensor!r},\n       values={self._values_tensor!r},\n"
                f"       size={self._shape}, nnz={self._nnz()}{extra}, layout={self.layout})")
