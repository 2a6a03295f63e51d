"""``Parameter``: a leaf tensor that a Module trains."""
from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor that requires grad by default and that ``Module.parameters()`` finds.

    ``Parameter(t)`` shares ``t``'s memory, like PyTorch's.
    """

    def __init__(self, data=None, requires_grad=True):
        from ..creation import empty
        source = data if data is not None else empty(0)
        super().__init__(source._data if isinstance(source, Tensor) else source)  # shares memory
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
