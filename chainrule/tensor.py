"""The Tensor: an array, its gradient, and its place in the graph.

No math lives here: arithmetic and every other op is a function in
``chainrule.ops`` (bound as a method by ``chainrule.ops``); this file holds
the attributes, conversions and the operator dunders that forward to ops.
"""
import weakref
import warnings

from . import backend as B
from ._errors import at_user_line
from ._dims import wrap_dim

from .tracing_slot import tracer  # noqa: F401  (re-exported: ops read tensor.tracer)
from .layouts import sparse_coo, strided


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``chainrule.Size([2, 3])``."""

    def __repr__(self):
        return f"chainrule.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


_new = object.__new__


class Tensor:
    """A multi-dimensional array that can record how it was computed.

    ``_data`` is the backend array; ``grad_fn`` is the graph node that produced
    the tensor (None for leaves); ``_vbox`` is a one-item list holding the
    version counter, shared between a tensor and its views.
    """

    # The attributes every tensor sets live in slots; the rarely used ones take their
    # class-level defaults until set (that keeps creating a tensor, the ops' hot path, cheap).
    __slots__ = ("_data", "_rg", "grad_fn", "_output_nr", "_vbox", "__dict__", "__weakref__")
    _grad = None           # the accumulated gradient (leaves, or after retain_grad)
    _base = None           # for a view: the tensor that owns the memory (see chainrule/views.py)
    _view_chain = ()       # for a view: the (view op, params) steps from _base to it
    _views = None          # for a tensor with views: weak references to them
    _made_without_grad = False  # a view made while grad mode was off
    _multi_output = None   # a view out of split/chunk/unbind (or a view of one): that op's name
    _hooks = None          # leaf tensor hooks {id: fn}
    _accumulator = None    # weakref to this leaf's AccumulateGrad node
    _retains_grad = False

    __array_priority__ = 1000  # numpy_scalar * tensor calls Tensor.__rmul__
    is_sparse = False
    layout = strided

    def __init__(self, *args, dtype=None, requires_grad=False):
        """``Tensor(data)`` copies ``data`` as the default float dtype and ``Tensor(2, 3)`` makes a
        (2, 3) tensor of zeros: PyTorch's legacy constructor (``chainrule.tensor`` infers the
        dtype). A subclass (``Parameter``) or a ``dtype=`` keeps the data's own dtype or that one."""
        if type(self) is Tensor and dtype is None:
            from .legacy_tensors import legacy_array
            self._data = legacy_array(B.get_default_dtype(), args, "Tensor")
        else:
            from .creation import as_array
            (data,) = args
            self._data = as_array(data, dtype)
        self._rg = False
        self.grad_fn = None
        self._output_nr = 0
        self._vbox = [0]
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array, requires_grad=False, grad_fn=None, output_nr=0):
        """Wrap a backend array without copying or checking (the ops' fast path)."""
        t = _new(cls)
        t._data = array
        t._rg = requires_grad
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._vbox = [0]
        return t

    # ------------------------------------------------------------ attributes

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[wrap_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def dtype(self):
        return B.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return B.CPU

    @property
    def is_cuda(self):
        return False

    is_xpu = is_mps = is_cuda  # no accelerator of any kind

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def _version(self):
        return self._vbox[0]

    @property
    def data(self):
        """The same memory as a tensor outside the graph (PyTorch's ``.data``)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        """``x.data = t`` makes ``x`` hold ``t``'s memory (any shape), outside autograd's view."""
        if not isinstance(value, Tensor):
            raise TypeError(at_user_line(
                f"Variable data has to be a tensor, but got {type(value).__name__}; wrap it first: "
                f"x.data = chainrule.as_tensor(value)"))
        if tracer[0] is not None:
            tracer[0].value_escapes(self, "assigning .data")
        self._data = value._data

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self):
        if self._data.ndim == 0:  # PyTorch: the identity, with a deprecation warning
            warnings.warn("Tensor.mT is deprecated on 0-D tensors. This function is the identity "
                          "in these cases.", UserWarning, stacklevel=2)
            return self
        return self.transpose(-2, -1)

    # ------------------------------------------------------------ autograd state

    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(at_user_line(
                f"only Tensors of floating point dtype can require gradients; this tensor is "
                f"{self.dtype} of shape {tuple(self.shape)}. Convert it first: x = x.float()"))
        if not self.is_leaf and not requires_grad:
            raise RuntimeError(at_user_line(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."))
        self._rg = bool(requires_grad)
        return self

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "It is None because backward() only stores gradients on leaves (tensors you "
                "created, not computed). Call .retain_grad() on this tensor before backward() "
                "to keep its gradient, or use chainrule.autograd.grad(output, this_tensor).",
                UserWarning, stacklevel=2)
        if tracer[0] is not None:
            tracer[0].grad_read(self)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None and tuple(value.shape) != tuple(self.shape):
            raise RuntimeError(at_user_line(
                f"assigned grad has shape {tuple(value.shape)} but the tensor has shape "
                f"{tuple(self.shape)}; they must match"))
        self._grad = value
        if tracer[0] is not None:
            tracer[0].grad_set(self, value)

    @property
    def output_nr(self):
        return self._output_nr

    def detach(self):
        """A tensor sharing this memory, cut off from the graph."""
        t = Tensor._make(self._data)
        t._vbox = self._vbox
        return t

    def detach_(self):
        self.grad_fn = None
        self._rg = False
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward()."""
        if not self._rg:
            raise RuntimeError(at_user_line(
                "can't retain_grad on Tensor that has requires_grad=False"))
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        self.grad_fn._retain_grad_of(self._output_nr, weakref.ref(self))

    @property
    def retains_grad(self):
        return self._retains_grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a return value replaces it."""
        if not self._rg:
            raise RuntimeError(at_user_line(
                "cannot register a hook on a tensor that doesn't require gradient"))
        from .autograd.hooks import RemovableHandle
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = {}
            return RemovableHandle(self._hooks, hook)
        return self.grad_fn._register_tensor_hook(self._output_nr, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd.engine import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ------------------------------------------------------------ conversion

    def numpy(self, *, force=False):
        if tracer[0] is not None:
            tracer[0].value_escapes(self, '.numpy()')
        if self._rg and not force:
            raise RuntimeError(at_user_line(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."))
        return self._data

    def __array__(self, dtype=None, copy=None):
        if tracer[0] is not None:
            tracer[0].value_escapes(self, 'converting to a NumPy array')
        if dtype is not None and self._data.dtype != dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def item(self):
        if tracer[0] is not None:
            tracer[0].value_escapes(self, '.item()')
        if self._data.size != 1:
            raise RuntimeError(at_user_line(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar; "
                f"item() needs exactly one element (shape {tuple(self.shape)})"))
        return self._data.item()

    def tolist(self):
        if tracer[0] is not None:
            tracer[0].value_escapes(self, '.tolist()')
        return self._data.tolist()

    def __bool__(self):
        if tracer[0] is not None:
            tracer[0].value_escapes(self, 'using a tensor as a Python bool (if, while, and, or)')
        if self._data.size != 1:
            raise RuntimeError(at_user_line(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(shape {tuple(self.shape)}); use .any() or .all()"))
        return bool(self._data)

    def __float__(self):
        if tracer[0] is not None:
            tracer[0].value_escapes(self, 'float()')
        return float(self.item())

    def __int__(self):
        if tracer[0] is not None:
            tracer[0].value_escapes(self, 'int()')
        return int(self.item())

    def __index__(self):
        if tracer[0] is not None:
            tracer[0].value_escapes(self, 'using a tensor as a Python index')
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self):
        return id(self)

    def __repr__(self):
        if tracer[0] is not None:
            tracer[0].value_escapes(self, "formatting a tensor as text (str, repr, an f-string)")
        from .printing import tensor_repr
        return tensor_repr(self)

    def __deepcopy__(self, memo):
        """A copy with its own memory (leaves only, as in PyTorch); keeps the class (Parameter)."""
        if self.grad_fn is not None:
            raise RuntimeError(at_user_line(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment; use .detach().clone() first"))
        new = _new(type(self))
        new._data = self._data.copy()
        new._rg = self._rg
        new.grad_fn = None
        new._output_nr = 0
        new._vbox = [0]
        if self._grad is not None:
            new._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = new
        return new

    def __reduce__(self):
        raise TypeError("chainrule tensors are not pickled, because loading a pickle can run code; "
                        "save tensor.detach().numpy() with numpy.save instead")

    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, (str, B.device)):
                device = arg
            else:
                dtype = arg
        if device is not None:
            B.check_device(device)
        out = self if dtype is None else self.type(dtype)
        return out.clone() if copy and out is self else out

    def to_sparse(self, sparse_dim=None):
        """The nonzero elements as a sparse COO tensor (``chainrule.sparse``)."""
        from .sparse.creation import to_sparse
        return to_sparse(self, sparse_dim)

    def to_dense(self):
        return self

    def type(self, dtype=None):
        """``x.type()`` is the type string (``'chainrule.FloatTensor'``); ``x.type(t)`` converts to
        ``t``: a dtype, a legacy class (``chainrule.LongTensor``) or its name."""
        from .legacy_tensors import dtype_of_type, type_string
        if dtype is None:
            return type_string(self.dtype)
        from .ops.elementwise import cast
        return cast(self, dtype_of_type(dtype))

    def type_as(self, other):
        return self.type(other.dtype)

    def float(self):
        return self.type(B.float32)

    def double(self):
        return self.type(B.float64)

    def half(self):
        return self.type(B.float16)

    def long(self):
        return self.type(B.int64)

    def int(self):
        return self.type(B.int32)

    def bool(self):
        return self.type(B.bool_)

    def cpu(self):
        return self

    def cuda(self, device=None):
        B.check_device("cuda")

    def is_contiguous(self):
        return self._data.flags.c_contiguous

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    # ------------------------------------------------------------ operators (see ops/)

    def __neg__(self):
        return _ops.elementwise.neg(self)

    def __pos__(self):
        if self._data.dtype == bool:
            raise RuntimeError(at_user_line(
                "The `+` operator, on a bool tensor is not supported. Use x.to(chainrule.int64) first "
                "for arithmetic on a mask."))
        return self

    def __abs__(self):
        return _ops.unary.abs(self)

    def __add__(self, other):
        try:
            return _ops.elementwise.add(self, other)
        except TypeError:   # (off the hot path) a sparse tensor's own method computes it
            if getattr(other, "layout", None) is sparse_coo:
                return NotImplemented
            raise

    def __radd__(self, other):
        try:
            return _ops.elementwise.add(other, self)
        except TypeError:   # (off the hot path) a sparse tensor's own method computes it
            if getattr(other, "layout", None) is sparse_coo:
                return NotImplemented
            raise

    def __sub__(self, other):
        try:
            return _ops.elementwise.sub(self, other)
        except TypeError:   # (off the hot path) a sparse tensor's own method computes it
            if getattr(other, "layout", None) is sparse_coo:
                return NotImplemented
            raise

    def __rsub__(self, other):
        try:
            return _ops.elementwise.sub(other, self)
        except TypeError:   # (off the hot path) a sparse tensor's own method computes it
            if getattr(other, "layout", None) is sparse_coo:
                return NotImplemented
            raise

    def __mul__(self, other):
        return _ops.elementwise.mul(self, other)

    def __rmul__(self, other):
        return _ops.elementwise.mul(other, self)

    def __truediv__(self, other):
        return _ops.elementwise.div(self, other)

    def __rtruediv__(self, other):
        if isinstance(other, (int, float)):   # (bools included)
            # number / x is reciprocal(x) * number, as in PyTorch: the same rounding, and
            # backward reads the saved reciprocal, not x
            return _ops.unary.reciprocal(self) * other
        return _ops.elementwise.div(other, self)

    def __floordiv__(self, other):
        return _ops.elementwise.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.elementwise.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.elementwise.remainder(self, other)

    def __rmod__(self, other):
        return _ops.elementwise.remainder(other, self)

    def __pow__(self, other):
        return _ops.elementwise.pow(self, other)

    def __rpow__(self, other):
        return _ops.elementwise.pow(other, self)

    def __matmul__(self, other):
        return _ops.linalg.matmul(self, other)   # (matmul hands a sparse operand to chainrule.sparse)

    def __rmatmul__(self, other):
        return _ops.linalg.matmul(other, self)   # (matmul hands a sparse operand to chainrule.sparse)

    def __eq__(self, other):
        return _ops.compare.eq(self, other)

    def __ne__(self, other):
        return _ops.compare.ne(self, other)

    def __lt__(self, other):
        return _ops.compare.lt(self, other)

    def __le__(self, other):
        return _ops.compare.le(self, other)

    def __gt__(self, other):
        return _ops.compare.gt(self, other)

    def __ge__(self, other):
        return _ops.compare.ge(self, other)

    def __and__(self, other):
        return _ops.compare.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _ops.compare.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _ops.compare.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __invert__(self):
        if self.is_floating_point():
            raise TypeError(at_user_line(
                f"~ (operator.invert) is only implemented on integer and Boolean-type tensors, got "
                f"{self.dtype}. For masks, compare first (~(x > 0)) or use logical_not()."))
        return _ops.compare.bitwise_not(self)

    def __getitem__(self, index):
        return _ops.indexing.getitem(self, index)

    def __setitem__(self, index, value):
        _ops.inplace.setitem_(self, index, value)

    def __iadd__(self, other):
        return _ops.inplace.add_(self, other)

    def __isub__(self, other):
        return _ops.inplace.sub_(self, other)

    def __imul__(self, other):
        return _ops.inplace.mul_(self, other)

    def __itruediv__(self, other):
        return _ops.inplace.div_(self, other)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __ipow__(self, other):
        return _ops.inplace.pow_(self, other)

    def __iand__(self, other):
        return _ops.inplace.bitwise_and_(self, other)

    def __ior__(self, other):
        return _ops.inplace.bitwise_or_(self, other)

    def __ixor__(self, other):
        return _ops.inplace.bitwise_xor_(self, other)


def gradient_edge(t):
    """The (node, output_nr) a gradient for ``t`` flows into, or None."""
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if not t._rg:
        return None
    acc = t._accumulator() if t._accumulator is not None else None
    if acc is None:
        acc = _accumulate_grad_class(t)
        t._accumulator = weakref.ref(acc)
    return (acc, 0)


def _accumulate_grad_class(t):
    """Import AccumulateGrad on first use (the engine imports this module)."""
    global _accumulate_grad_class
    from .autograd.engine import AccumulateGrad
    _accumulate_grad_class = AccumulateGrad
    return AccumulateGrad(t)


from . import ops as _ops  # noqa: E402  (ops import Tensor; bound here to break the cycle)
