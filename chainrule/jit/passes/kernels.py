"""Lowering: elementwise ops and matrix products become direct NumPy calls that accept ``out=``.

A ``kernel`` node calls ``fn(*args, out=buffer)``: no Function object, no saved values,
and (with the memory pass) no fresh allocation. Each entry gives the same array as the
op's ``forward``, bit for bit: ``x ** 2`` is ``numpy.square``, as NumPy itself computes
it, and ``relu`` is ``maximum(x, 0)``, as the op does.
"""
from ... import backend as B
from ...ops import elementwise, linalg, unary
from ...ops.reduce import Mean, SumToShape
from .util import Ref, value_info

xp = B.xp

ELEMENTWISE = {
    elementwise.Add: xp.add,
    elementwise.Sub: xp.subtract,
    elementwise.Mul: xp.multiply,
    elementwise.Div: xp.true_divide,
    elementwise.Neg: xp.negative,
    unary.Exp: xp.exp,
    unary.Log: xp.log,
    unary.Sqrt: xp.sqrt,
    unary.Tanh: xp.tanh,
    unary.Abs: xp.abs,
    unary.Sin: xp.sin,
    unary.Cos: xp.cos,
}
_POWERS = {2: xp.square, 0.5: xp.sqrt, -1: xp.reciprocal}   # NumPy's own fast paths for a ** b


def _matmul_ta(a, b, out=None):
    return xp.matmul(xp.swapaxes(a, -1, -2), b, out=out)


def _matmul_tb(a, b, out=None):
    return xp.matmul(a, xp.swapaxes(b, -1, -2), out=out)


def _matmul_tab(a, b, out=None):
    return xp.matmul(xp.swapaxes(a, -1, -2), xp.swapaxes(b, -1, -2), out=out)


class TransposedProduct2D:
    """``a.T @ b`` (or ``a @ b.T``) of 2-D operands, written inline in the replay (no call frame)."""

    def __init__(self, transpose_a):
        self.transpose_a = transpose_a
        self.__name__ = "_matmul_ta_2d" if transpose_a else "_matmul_tb_2d"

    def __call__(self, a, b, out=None):
        return xp.matmul(a.T, b, out=out) if self.transpose_a else xp.matmul(a, b.T, out=out)

    def emit(self, value, args, buffer, namespace, key):
        namespace["_matmul"] = xp.matmul
        a, b = args
        operands = f"{a}.T, {b}" if self.transpose_a else f"{a}, {b}.T"
        return [f"{value} = _matmul({operands}, out={buffer})"]


_MATMULS = {(False, False): xp.matmul, (True, False): _matmul_ta, (False, True): _matmul_tb,
            (True, True): _matmul_tab}
_MATMULS_2D = {(True, False): TransposedProduct2D(True), (False, True): TransposedProduct2D(False)}


class SumTo:
    """``sum_to_shape`` with its axes worked out once: a reduction that accepts ``out=``."""

    def __init__(self, source_shape, shape):
        lead = len(source_shape) - len(shape)
        self.axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and source_shape[lead + i] != 1)
        self.kept = tuple(1 if i in self.axes else n for i, n in enumerate(source_shape))
        self.shape = shape
        self.__name__ = f"sum_to{shape}"

    def __call__(self, a, out=None):
        if out is None:
            return xp.add.reduce(a, axis=self.axes, keepdims=True).reshape(self.shape)
        xp.add.reduce(a, axis=self.axes, keepdims=True, out=out.reshape(self.kept))
        return out

    def emit(self, value, args, buffer, namespace, key):
        """The reduction straight into a view of the buffer made once, at code generation."""
        namespace["_add_reduce"] = xp.add.reduce
        namespace[f"{key}_view"] = namespace[buffer].reshape(self.kept)
        return [f"_add_reduce({args[0]}, axis={self.axes!r}, keepdims=True, out={key}_view)",
                f"{value} = {buffer}"]


class MeanOver:
    """``mean`` as the op computes it (a sum, then a division by the count) into ``out=``."""

    def __init__(self, source_shape, axes, keepdim, dtype):
        count = 1
        for a in range(len(source_shape)) if axes is None else axes:
            count *= source_shape[a]
        self.axes, self.keepdim, self.count = axes, keepdim, dtype.type(count)
        self.__name__ = "mean"

    def __call__(self, a, out=None):
        total = xp.add.reduce(a, axis=self.axes, keepdims=self.keepdim, out=out)
        return xp.true_divide(total, self.count, out=out)


class PositiveMaskKernel:
    """ReLU's gradient selector: 1.0 where a > 0, else 0.0 (NaN included), in a's dtype.

    Into a buffer it is ``fmax(sign(a), 0)``: the same values, bit for bit, without the
    slow cast of a comparison's booleans into floats."""

    __name__ = "_positive_mask"

    def __call__(self, a, out=None):
        if out is None:
            return (a > 0).astype(a.dtype)
        xp.sign(a, out=out)
        return xp.fmax(out, 0.0, out=out)

    def emit(self, value, args, buffer, namespace, key):
        namespace["_sign"], namespace["_fmax"] = xp.sign, xp.fmax
        return [f"_sign({args[0]}, out={buffer})", f"{value} = _fmax({buffer}, 0.0, out={buffer})"]


_positive_mask = PositiveMaskKernel()


def kernel_of(node, info):
    """(callable, args) computing the op node's output with ``out=``, or None."""
    fn, args = node.fn, node.args
    if fn is SumToShape and isinstance(args[0], Ref):
        source_shape = info[args[0].id][0]
        if len(SumTo(source_shape, tuple(node.params["shape"])).axes):
            return SumTo(source_shape, tuple(node.params["shape"])), [args[0]]
        return None
    if fn is unary.PositiveMask:
        return _positive_mask, list(args)
    if fn is Mean and isinstance(args[0], Ref):
        source_shape = info[args[0].id][0]
        axes = node.params["axes"]
        if all(source_shape[a] for a in (range(len(source_shape)) if axes is None else axes)):
            return MeanOver(source_shape, axes, node.params["keepdim"], node.dtypes[0]), [args[0]]
        return None
    if fn is unary.ReLU:
        return xp.maximum, [args[0], 0]
    if fn is elementwise.Pow and len(args) == 2 and not isinstance(args[1], Ref):
        exponent = args[1]
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool) and exponent in _POWERS \
                and isinstance(args[0], Ref):
            return _POWERS[exponent], [args[0]]
        return None
    if fn is linalg.MatMul and len(node.shapes[0]) >= 2:
        flags = (bool(node.params.get("ta", False)), bool(node.params.get("tb", False)))
        two_d = flags in _MATMULS_2D and all(isinstance(a, Ref) and len(info[a.id][0]) == 2 for a in args[:2])
        return (_MATMULS_2D if two_d else _MATMULS)[flags], list(args[:2])
    ufunc = ELEMENTWISE.get(fn)
    if ufunc is None or node.params:
        return None
    return ufunc, list(args)


def lower_to_kernels(graph):
    info = value_info(graph)
    for node in graph.nodes:
        if node.kind != "op" or node.pinned or node.dtypes[0].kind != "f":
            continue
        found = kernel_of(node, info)
        if found is None:
            continue
        node.origin = node.fn
        node.kind, (node.fn, node.args), node.params = "kernel", found, {}
    return graph


def is_elementwise(node):
    """A kernel node computed element by element (its output may be written step by step)."""
    return node.kind == "kernel" and isinstance(node.fn, xp.ufunc) and node.fn is not xp.matmul
