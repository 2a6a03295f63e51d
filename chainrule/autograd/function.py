"""``chainrule.autograd.Function``: PyTorch's API for user-defined differentiable ops.

Write ``forward(ctx, *args)`` on Tensors and ``backward(ctx, *grads)``, call
``MyOp.apply(...)``. It runs on the same engine as chainrule's own primitives
(``chainrule.function.Function``), which use a leaner form of the same
contract: their ``forward`` receives backend arrays instead of Tensors.
"""
from .. import backend as B
from ..grad_mode import no_grad, _state as _grad_state
from ..tensor import Tensor, tracer as _tracer
from ..function import Node
from .._errors import at_user_line


class BackwardCFunction(Node):
    """The graph node (and ``ctx``) of one call of a user Function."""

    def __init__(self, fn_class):
        self._fn_class = fn_class
        self._non_differentiable = ()
        self._materialize_grads = True
        self._dirty = ()

    def name(self):
        return f"{self._fn_class.__name__}Backward"

    @property
    def needs_input_grad(self):
        """Available in forward already (PyTorch sets it before forward runs)."""
        return self._needs

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tuple(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        self._dirty = tuple(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        self._materialize_grads = bool(value)

    def _fill_missing(self, grads):
        return super()._fill_missing(grads) if self._materialize_grads else grads

    def backward(self, *grad_outputs):
        grads = self._fn_class.backward(self, *grad_outputs)
        if not isinstance(grads, tuple):
            grads = (grads,)
        n_inputs = len(self._next)
        if len(grads) != n_inputs:
            raise RuntimeError(at_user_line(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {n_inputs}, got {len(grads)}): backward() must return one "
                f"gradient (or None) per argument of forward()"))
        checked = []
        for i, (g, shape) in enumerate(zip(grads, self._input_shapes)):
            if g is not None and not isinstance(g, Tensor):
                raise TypeError(f"{self.name()}: gradient {i} must be a Tensor or None, "
                                f"got {type(g).__name__}")
            if g is not None and shape is not None and g._data.shape != shape:
                try:
                    B.xp.broadcast_shapes(g._data.shape, shape)
                except ValueError:
                    raise RuntimeError(at_user_line(
                        f"function {self.name()} returned an invalid gradient at index {i} - got "
                        f"{list(g.shape)} but expected shape compatible with {list(shape)}")) from None
            checked.append(g)
        return tuple(checked)


class _FunctionMeta(type):
    """Gives each Function subclass its own node class named after it."""


class Function(metaclass=_FunctionMeta):
    """Base class for custom differentiable operations (PyTorch's ``torch.autograd.Function``).

    Example::

        class Square(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return 2 * x * grad

        y = Square.apply(x)
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a custom Function must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a custom Function must define backward(ctx, *grad_outputs) "
                                  "to be differentiated")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = BackwardCFunction(cls)
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        record = _grad_state["enabled"] and any(a._rg for a in tensor_args)
        ctx._needs = tuple(isinstance(a, Tensor) and a._rg for a in args)
        tracer = _tracer[0]
        frame = tracer.begin_custom() if tracer is not None and tracer.recording else None
        with no_grad():
            outputs = cls.forward(ctx, *args, **kwargs)
        if frame is not None:   # chainrule.compile records the call whole (its forward may work on arrays)
            tracer.end_custom(frame, cls, ctx, args, kwargs, outputs)
        single = not isinstance(outputs, tuple)
        outputs = (outputs,) if single else outputs
        if not record:
            return outputs[0] if single else outputs
        wrapped = []
        for i, out in enumerate(outputs):
            if not isinstance(out, Tensor):
                wrapped.append(out)
                continue
            differentiable = id(out) not in ctx._non_differentiable and out._data.dtype.kind == "f"
            if id(out) in ctx._dirty:  # modified in place: the same object moves to this node
                new = out
                new.grad_fn, new._output_nr, new._rg = (ctx, i, True) if differentiable else (None, 0, False)
                new._vbox[0] += 1
            else:
                new = Tensor._make(out._data, differentiable, ctx if differentiable else None, i)
                new._vbox = out._vbox
            wrapped.append(new)
        if len(wrapped) > 1:  # the engine fills in zeros for outputs that got no gradient
            ctx._output_meta = [(w._data.shape, w._data.dtype) if isinstance(w, Tensor)
                                else ((), B.get_default_dtype().np) for w in wrapped]
        ctx._record(args, wrapped)
        return wrapped[0] if single else tuple(wrapped)


class InplaceFunction(Function):
    pass


def once_differentiable(fn):
    """Decorator kept for PyTorch compatibility: backward runs without recording a graph."""
    def wrapper(ctx, *grads):
        with no_grad():
            return fn(ctx, *grads)
    return wrapper
