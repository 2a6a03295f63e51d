"""gradcheck / gradgradcheck: they pass on right gradients and name the worst element on wrong ones."""
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck, GradcheckError


class WrongSquare(cr.autograd.Function):
    """x^2 with a deliberately wrong backward (3x instead of 2x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x


class WrongSecondDerivative(cr.autograd.Function):
    """x^3 whose backward 3 x^2 is computed from a detached x: first order right, second wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x.detach() ** 2


def inputs():
    return cr.tensor([[0.5, -1.0], [2.0, 1.5]], dtype=cr.float64, requires_grad=True)


def test_gradcheck_passes_on_correct_gradients():
    assert gradcheck(lambda x: (x.exp() * x).sum(dim=1), (inputs(),))
    assert gradgradcheck(lambda x: x.tanh() * x, (inputs(),))


def test_gradcheck_reports_worst_element():
    with pytest.raises(GradcheckError, match=r"worst at input index \(1, 0\).*analytic 6 vs numerical 4"):
        gradcheck(WrongSquare.apply, (inputs(),))
    assert gradcheck(WrongSquare.apply, (inputs(),), raise_exception=False) is False


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = inputs()
    assert gradcheck(WrongSecondDerivative.apply, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(WrongSecondDerivative.apply, (x,))


def test_gradcheck_warns_on_float32_inputs():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="input 0 is chainrule.float32, not float64.*dtype=chainrule.float64"):
        assert gradcheck(lambda t: t * 2, (x,), eps=1e-2, atol=1e-2, rtol=1e-2)
