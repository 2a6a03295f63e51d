"""Same lambda, two frameworks: run an op in chainrule and in PyTorch and compare.

``check_op(fn, shapes)`` builds random inputs of the given shapes, runs ``fn``
on chainrule tensors and on torch tensors (``torch_fn`` if the spelling
differs), and compares, in float32 and float64:
  - the forward outputs,
  - the gradient of every input, for the same random upstream gradient;
then runs chainrule's ``gradcheck`` (and, with ``gradgrad=True``,
``gradgradcheck``) in float64 on inputs small enough for finite differences.
"""
import numpy as np
import torch

import chainrule as cr

TOLERANCE = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-7, atol=1e-9)}


def make_inputs(shapes, dtype=np.float64, low=-2.0, high=2.0, seed=0, sampler=None):
    """Random arrays for ``shapes``; ``sampler(rng, shape)`` overrides the uniform default."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        if sampler is not None:
            arrays.append(np.asarray(sampler(rng, shape), dtype=dtype))
        else:
            arrays.append(rng.uniform(low, high, size=shape).astype(dtype))
    return arrays


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def to_chainrule(array, requires_grad):
    t = cr.tensor(array)
    return t.requires_grad_() if requires_grad and t.is_floating_point() else t


def to_torch(array, requires_grad):
    t = torch.tensor(array)
    return t.requires_grad_() if requires_grad and t.is_floating_point() else t


def compare(ours, theirs, rtol, atol, what):
    ours_np = np.asarray(ours.detach().numpy() if isinstance(ours, cr.Tensor) else ours)
    theirs_np = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours_np.shape == theirs_np.shape, f"{what}: shape {ours_np.shape} != torch {theirs_np.shape}"
    assert ours_np.dtype == theirs_np.dtype, f"{what}: dtype {ours_np.dtype} != torch {theirs_np.dtype}"
    np.testing.assert_allclose(ours_np, theirs_np, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def check_against_torch(fn, arrays, torch_fn=None, grad=True, rtol=None, atol=None):
    """Forward outputs and input gradients of ``fn`` in chainrule vs PyTorch."""
    torch_fn = torch_fn or fn
    dtype = arrays[0].dtype.type if arrays else np.float32
    tol = dict(TOLERANCE.get(dtype, TOLERANCE[np.float32]))
    if rtol is not None:
        tol["rtol"] = rtol
    if atol is not None:
        tol["atol"] = atol
    ours_in = [to_chainrule(a, grad) for a in arrays]
    theirs_in = [to_torch(a, grad) for a in arrays]
    ours_out = _as_list(fn(*ours_in))
    theirs_out = _as_list(torch_fn(*theirs_in))
    assert len(ours_out) == len(theirs_out), "different number of outputs"
    for i, (o, t) in enumerate(zip(ours_out, theirs_out)):
        compare(o, t, what=f"forward output {i}", **tol)
    if not grad:
        return
    differentiable = [(o, t) for o, t in zip(ours_out, theirs_out)
                      if isinstance(t, torch.Tensor) and t.requires_grad]
    if not differentiable:
        return
    rng = np.random.default_rng(1)
    seeds = [rng.uniform(-1, 1, size=tuple(t.shape)).astype(t.detach().numpy().dtype)
             for _, t in differentiable]
    torch.autograd.backward([t for _, t in differentiable], [torch.tensor(s) for s in seeds])
    cr.autograd.backward([o for o, _ in differentiable], [cr.tensor(s) for s in seeds])
    for i, (o, t) in enumerate(zip(ours_in, theirs_in)):
        if t.requires_grad:
            if t.grad is None:
                assert o.grad is None, f"input {i}: chainrule has a gradient, torch has none"
            else:
                assert o.grad is not None, f"input {i}: torch has a gradient, chainrule has none"
                compare(o.grad, t.grad, what=f"gradient of input {i}", **tol)


def check_op(fn, shapes, torch_fn=None, *, low=-2.0, high=2.0, sampler=None, grad=True,
             gradcheck=True, gradgrad=False, dtypes=(np.float32, np.float64), rtol=None, atol=None,
             gradcheck_atol=1e-5, gradcheck_rtol=1e-3):
    """The full oracle test for one op on one set of input shapes."""
    for dtype in dtypes:
        arrays = make_inputs(shapes, dtype, low, high, sampler=sampler)
        check_against_torch(fn, arrays, torch_fn, grad=grad, rtol=rtol, atol=atol)
    small = all(int(np.prod(s)) <= 64 for s in shapes)
    if grad and gradcheck and small:
        arrays = make_inputs(shapes, np.float64, low, high, sampler=sampler)
        inputs = [to_chainrule(a, True) for a in arrays]
        assert cr.autograd.gradcheck(fn, inputs, atol=gradcheck_atol, rtol=gradcheck_rtol)
        if gradgrad:
            assert cr.autograd.gradgradcheck(fn, inputs, atol=gradcheck_atol, rtol=gradcheck_rtol)
