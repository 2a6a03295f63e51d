"""The ``out=`` keyword, with PyTorch's rules, for the functions that have it in PyTorch.

``chainrule.exp(x, out=r)`` computes ``exp(x)`` and writes it into ``r``, which it returns.
As in PyTorch: ``out`` of another shape is resized (with a warning unless it was empty),
the result must be castable to ``out``'s dtype (a float result never goes into an integer
``out``), and ``out=`` refuses to take part in autograd. Functions with several results
(``max(x, dim)``, ``sort``) take a tuple of tensors.
"""
import functools
import warnings

from .. import backend as B
from .._errors import at_user_line
from ..grad_mode import is_grad_enabled, no_grad
from ..tensor import Tensor

# The functions that take out= in PyTorch 2.13 (tests/test_out_argument.py checks each against it).
OUT_FUNCTIONS = frozenset("""
zeros ones empty full eye arange linspace logspace rand randn randint randperm normal
add sub subtract mul multiply div divide true_divide floor_divide remainder fmod neg negative pow
where maximum minimum fmax fmin lerp addcmul addcdiv exp expm1 log log1p log2 log10 sqrt rsqrt
square reciprocal abs absolute sign floor ceil trunc round frac sin cos tan asin acos atan sinh cosh
tanh asinh acosh atanh arcsin arccos arctan sigmoid erf erfc clamp clip clamp_min clamp_max eq ne lt le gt ge less
less_equal greater greater_equal not_equal logical_and logical_or logical_xor logical_not
bitwise_and bitwise_or bitwise_xor bitwise_not any all nonzero sum prod mean var std var_mean
std_mean cumsum cumprod amax amin max min aminmax mode median nanmedian norm logsumexp cat concat
concatenate stack hstack vstack dstack tril triu gather take_along_dim index_select masked_select
sort topk kthvalue msort matmul mm bmm mv dot inner outer ger addmm addmv baddbmm addbmm
matrix_power kron atan2 arctan2 hypot logaddexp logaddexp2 float_power lgamma digamma erfinv exp2
xlogy sgn signbit copysign nansum nanmean nan_to_num cummax cummin logcumsumexp diff searchsorted
bucketize cross isin argmax argmin quantile nanquantile scatter scatter_add index_add index_copy
take trace histc tensordot
""".split())

_KIND = {"b": 0, "u": 1, "i": 1, "f": 2}  # PyTorch's casting order: bool < integer < float


def with_out(function, name):
    """``function`` with an ``out=`` keyword."""
    @functools.wraps(function)
    def call(*args, out=None, **kwargs):
        result = function(*args, **kwargs)
        return result if out is None else write_out(name, result, out)
    return call


def write_out(name, result, out):
    """Write ``result`` (a tensor or a tuple of them) into ``out``; return what PyTorch returns."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(at_user_line(
                f"{name}(): out must be a tuple of {len(result)} tensors, got {_describe(out)}"))
        written = [_write_one(name, r, o) for r, o in zip(result, out)]
        return type(result)(*written) if hasattr(result, "_fields") else tuple(written)
    return _write_one(name, result, out)


def _write_one(name, result, out):
    if not isinstance(out, Tensor):
        raise TypeError(at_user_line(f"{name}(): argument 'out' must be Tensor, not {_describe(out)}"))
    if not isinstance(result, Tensor):
        result = Tensor._make(B.xp.asarray(result))
    if is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(at_user_line(
            f"{name}(): functions with out=... arguments don't support automatic differentiation, but "
            f"one of the arguments requires grad. Call it without out= (y = {name}(...)), or under "
            f"chainrule.no_grad()"))
    if _KIND[result._data.dtype.kind] > _KIND[out._data.dtype.kind]:
        raise RuntimeError(at_user_line(
            f"{name}(): result type {result.dtype} can't be cast to the desired output type {out.dtype} "
            f"(out=); pass an out of a wider kind, e.g. chainrule.empty(0, dtype={result.dtype})"))
    if tuple(out.shape) != tuple(result.shape):
        if out.numel() != 0:
            warnings.warn(
                f"{name}(): an output with one or more elements was resized since it had shape "
                f"{list(out.shape)}, which does not match the required output shape {list(result.shape)}. "
                f"Resizing a non-empty out is deprecated; pass an empty tensor (chainrule.empty(0)) to "
                f"be resized", UserWarning, stacklevel=4)
        out._data = B.xp.empty(result._data.shape, out._data.dtype)
        out._vbox[0] += 1
    with no_grad():
        out.copy_(result)
    return out


def _describe(value):
    return f"a tuple of {len(value)}" if isinstance(value, (tuple, list)) else type(value).__name__
