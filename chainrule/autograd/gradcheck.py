"""Check analytic gradients against central finite differences (run them in float64)."""
import warnings

from .. import backend as B
from ..tensor import Tensor
from .engine import grad as autograd_grad

xp = B.xp


class GradcheckError(RuntimeError):
    """Analytic and numerical gradients disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_inputs(inputs):
    return [(i, x) for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._rg]


def _outputs(fn, inputs):
    return [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _warn_if_low_precision(inputs, caller):
    for i, x in _differentiable_inputs(inputs):
        if x._data.dtype != xp.float64:
            warnings.warn(
                f"{caller}: input {i} is {x.dtype}, not float64. Finite differences in low precision "
                f"are too noisy to check gradients reliably; pass inputs created with "
                f"dtype=chainrule.float64.", UserWarning, stacklevel=3)


def _numerical_jacobian_column(fn, inputs, x, flat_index, eps):
    """d(outputs)/d(x[flat_index]) by central differences, as a list of arrays."""
    flat = x._data.reshape(-1)  # a view: writing to it changes x in place
    original = flat[flat_index].item()
    flat[flat_index] = original + eps
    plus = [o._data.astype(xp.float64) for o in _outputs(fn, inputs)]
    flat[flat_index] = original - eps
    minus = [o._data.astype(xp.float64) for o in _outputs(fn, inputs)]
    flat[flat_index] = original
    return [(p - m) / (2 * eps) for p, m in zip(plus, minus)]


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, fast_mode=False):
    """True if ``func``'s gradients match finite differences for every input that requires grad.

    Compares, for every output element ``o`` and input element ``x[j]``,
    the analytic d o / d x[j] (one backward pass per output element) with
    (f(x + eps) - f(x - eps)) / (2 eps). On a mismatch it reports the worst
    element: the input, its index, the analytic and the numerical value.
    """
    inputs = _as_tuple(inputs)
    _warn_if_low_precision(inputs, "gradcheck")
    differentiable = _differentiable_inputs(inputs)
    outputs = _outputs(func, inputs)
    worst = None  # (excess over tolerance, message)
    for out_i, out in enumerate(outputs):
        analytic = _analytic_jacobian(out, differentiable)  # per input: (out.size, x.size)
        for (in_i, x), jac in zip(differentiable, analytic):
            for j in range(x._data.size):
                numeric = _numerical_jacobian_column(func, inputs, x, j, eps)[out_i].reshape(-1)
                diff = xp.abs(jac[:, j] - numeric)
                allowed = atol + rtol * xp.abs(numeric)
                if diff.size and (diff > allowed).any():
                    k = int(xp.argmax(diff - allowed))
                    excess = float(diff[k] - allowed[k])
                    if worst is None or excess > worst[0]:
                        index = tuple(int(v) for v in xp.unravel_index(j, x._data.shape))
                        worst = (excess, (
                            f"Jacobian mismatch for output {out_i} with respect to input {in_i}: "
                            f"worst at input index {index}, output element {k}: "
                            f"analytic {jac[k, j]:.8g} vs numerical {numeric[k]:.8g} "
                            f"(difference {diff[k]:.3g}, allowed atol={atol} + rtol={rtol} * |numerical|)"))
    if worst is not None:
        if raise_exception:
            raise GradcheckError(worst[1])
        return False
    return True


def _analytic_jacobian(out, differentiable):
    """One matrix (out.size, x.size) per differentiable input, one backward per output element."""
    jacobians = [xp.zeros((out._data.size, x._data.size)) for _, x in differentiable]
    xs = [x for _, x in differentiable]
    for k in range(out._data.size):
        seed = xp.zeros(out._data.size, dtype=out._data.dtype)
        seed[k] = 1
        grads = autograd_grad(out, xs, Tensor._make(seed.reshape(out._data.shape)),
                              retain_graph=True, allow_unused=True)
        for jac, g in zip(jacobians, grads):
            if g is not None:
                jac[k] = g._data.reshape(-1)
    return jacobians


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, gen_non_contig_grad_outputs=False):
    """gradcheck of the gradient itself: checks second derivatives (``create_graph=True``).

    The checked function maps (inputs, grad_outputs) to the vector-Jacobian
    products d(outputs)/d(inputs) . grad_outputs; random grad_outputs are used
    when none are given.
    """
    inputs = _as_tuple(inputs)
    _warn_if_low_precision(inputs, "gradgradcheck")
    outputs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = xp.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._make(rng.standard_normal(o._data.shape).astype(o._data.dtype)).requires_grad_()
            for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    n_inputs = len(inputs)
    differentiable_positions = [i for i, _ in _differentiable_inputs(inputs)]

    def first_derivatives(*args):
        xs, gs = args[:n_inputs], args[n_inputs:]
        outs = _outputs(func, xs)
        wrt = [xs[i] for i in differentiable_positions]
        grads = autograd_grad(outs, wrt, list(gs), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
