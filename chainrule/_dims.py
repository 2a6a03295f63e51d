"""Normalizing ``dim`` arguments and shape arguments the way PyTorch accepts them."""
from ._errors import at_user_line


def wrap_dim(dim, ndim, op="op"):
    """A non-negative axis for ``dim`` in a tensor of ``ndim`` dimensions (0-d acts as 1-d)."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(at_user_line(
            f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"))
    return dim + n if dim < 0 else dim


def wrap_dims(dim, ndim, op="op"):
    """``dim`` (None, an int or a sequence) as a sorted tuple of axes, or None for all."""
    if dim is None:
        return None
    if isinstance(dim, int):
        dim = (dim,)
    axes = tuple(sorted({wrap_dim(d, ndim, op) for d in dim}))
    if ndim == 0:
        return ()
    return axes


def shape_arg(shape):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)
