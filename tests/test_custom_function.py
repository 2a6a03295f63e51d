"""chainrule.autograd.Function: PyTorch's extension API, code written for torch runs unchanged."""
import numpy as np
import pytest
import torch

import chainrule as cr


def make_cube(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return scale * x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * ctx.scale * x ** 2, None
    return Cube


def test_custom_function_same_code_as_torch():
    values = [0.5, -1.0, 2.0]
    x = cr.tensor(values, dtype=cr.float64, requires_grad=True)
    xt = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    y = make_cube(cr).apply(x, 2.0)
    yt = make_cube(torch).apply(xt, 2.0)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    assert y.grad_fn.name() == "CubeBackward"


def test_custom_function_gradcheck_and_double_backward():
    Cube = make_cube(cr)
    x = cr.tensor([0.5, -1.0, 2.0], dtype=cr.float64, requires_grad=True)
    assert cr.autograd.gradcheck(lambda t: Cube.apply(t, 1.5), (x,))
    assert cr.autograd.gradgradcheck(lambda t: Cube.apply(t, 1.5), (x,))


class SplitSign(cr.autograd.Function):
    """Two outputs; the second is non-differentiable."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        positive = x.relu()
        mask = x > 0
        ctx.mark_non_differentiable(mask)
        return positive, mask

    @staticmethod
    def backward(ctx, grad_positive, grad_mask):
        (x,) = ctx.saved_tensors
        return grad_positive * (x > 0)


def test_multiple_outputs_and_mark_non_differentiable():
    x = cr.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    positive, mask = SplitSign.apply(x)
    assert positive.requires_grad and not mask.requires_grad
    positive.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 1, 1])


def test_needs_input_grad_and_no_recording_without_grad():
    seen = {}

    class Probe(cr.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g

    a = cr.ones(2, requires_grad=True)
    b = cr.ones(2)
    out = Probe.apply(a, b)
    assert seen["needs"] == (True, False) and out.requires_grad
    with cr.no_grad():
        assert not Probe.apply(a, b).requires_grad


def test_wrong_number_of_gradients_is_reported():
    class Bad(cr.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g

    a = cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients.*expected 2, got 1"):
        Bad.apply(a, a).sum().backward()


def test_wrong_gradient_shape_is_reported():
    class BadShape(cr.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return cr.ones(5)

    a = cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"invalid gradient at index 0 - got \[5\] but expected shape compatible with \[2\]"):
        BadShape.apply(a).sum().backward()
