"""The engine: backward, accumulation, retain_graph, grad(), create_graph, hooks, freeing."""
import gc
import weakref

import numpy as np
import pytest
import torch

import chainrule as cr


def leaf(values, dtype=cr.float64):
    return cr.tensor(values, dtype=dtype, requires_grad=True)


def test_backward_scalar_and_gradient_argument():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])

    y = leaf([1.0, 2.0, 3.0])
    (y * y).backward(gradient=cr.tensor([1.0, 0.5, 0.0], dtype=cr.float64))
    np.testing.assert_allclose(y.grad.numpy(), [2, 2, 0])


def test_gradients_accumulate_on_leaves_until_reset():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6, 6])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])


def test_grad_buffers_are_not_shared_between_leaves():
    # Add's backward hands the same gradient to both inputs; each leaf must own its .grad
    a, b = leaf([1.0]), leaf([2.0])
    (a + b).sum().backward()
    a.grad += 10
    assert b.grad.item() == 1.0


def test_diamond_graph_sums_both_paths():
    x = leaf(2.0)
    y = x * x
    z = y * 3 + y.exp()
    z.backward()
    xt = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    yt = xt * xt
    (yt * 3 + yt.exp()).backward()
    assert x.grad.item() == pytest.approx(xt.grad.item())


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    xt = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (xt.exp() * xt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * xt.grad.numpy())


def test_second_backward_through_freed_graph_explains_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_backward_on_non_scalar_without_gradient():
    x = leaf([[1.0, 2.0]])
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for scalar outputs.*\(1, 2\)"):
        (x * 2).backward()


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        cr.ones(3).sum().backward()


def test_backward_gradient_shape_mismatch():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the output has shape \(2,\)"):
        (x * 2).backward(cr.ones(3, dtype=cr.float64))


def test_autograd_grad_returns_without_touching_dot_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (gx, gw) = cr.autograd.grad((x * w).sum(), [x, w])
    np.testing.assert_allclose(gx.numpy(), [3, 4])
    np.testing.assert_allclose(gw.numpy(), [1, 2])
    assert x.grad is None and w.grad is None


def test_autograd_grad_of_intermediate_tensor():
    x = leaf([1.0, 2.0])
    h = x * 3
    out = (h * h).sum()
    (gh,) = cr.autograd.grad(out, h)
    np.testing.assert_allclose(gh.numpy(), [6, 12])


def test_autograd_grad_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="was not used to compute the outputs.*allow_unused=True"):
        cr.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = cr.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None and gx.item() == 2.0
    _, gu = cr.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    assert gu.item() == 0.0


def test_gradient_of_gradient_matches_torch():
    # d/dx (d/dx x^3 sin x) twice
    x = leaf([0.3, 1.7])
    y = (x ** 3 * x.exp()).sum()
    (g,) = cr.autograd.grad(y, x, create_graph=True)
    (gg,) = cr.autograd.grad(g.sum(), x)
    xt = torch.tensor([0.3, 1.7], dtype=torch.float64, requires_grad=True)
    yt = (xt ** 3 * xt.exp()).sum()
    (gt,) = torch.autograd.grad(yt, xt, create_graph=True)
    (ggt,) = torch.autograd.grad(gt.sum(), xt)
    np.testing.assert_allclose(g.detach().numpy(), gt.detach().numpy())
    np.testing.assert_allclose(gg.numpy(), ggt.numpy())


def test_hessian_vector_product_and_create_graph_backward():
    a = cr.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=cr.float64)
    x = leaf([1.0, -1.0])
    f = 0.5 * (x @ (a @ x))
    (g,) = cr.autograd.grad(f, x, create_graph=True)
    v = cr.tensor([1.0, 0.0], dtype=cr.float64)
    (g @ v).backward()
    np.testing.assert_allclose(x.grad.numpy(), (a @ v).numpy())  # H v = A v


def test_no_grad_and_enable_grad_as_context_and_decorator():
    x = leaf([1.0])
    with cr.no_grad():
        assert not (x * 2).requires_grad
        with cr.enable_grad():
            assert (x * 2).requires_grad
    assert (x * 2).requires_grad

    @cr.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad and cr.is_grad_enabled()


def test_set_grad_enabled_forms():
    x = leaf([1.0])
    with cr.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert cr.is_grad_enabled()
    cr.set_grad_enabled(False)
    assert not cr.is_grad_enabled()
    cr.set_grad_enabled(True)

    @cr.set_grad_enabled(False)
    def g(t):
        return t * 2
    assert cr.is_grad_enabled()
    assert not g(x).requires_grad


def test_detach_requires_grad_and_is_leaf():
    x = leaf([1.0, 2.0])
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.requires_grad
    d = y.detach()
    assert d.is_leaf and not d.requires_grad
    d[0] = 5.0  # shares memory
    assert y[0].item() == 5.0
    z = cr.ones(2)
    assert z.requires_grad_() is z and z.requires_grad


def test_requires_grad_on_integer_tensor_is_refused():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        cr.tensor([1, 2]).requires_grad_()


def test_grad_fn_names_and_next_functions():
    x = leaf([1.0])
    y = x * 2 + 1
    assert y.grad_fn.name() == "AddBackward0"
    (mul_node, _), (none, _) = y.grad_fn.next_functions
    assert mul_node.name() == "MulBackward0" and none is None
    (acc, _), _ = mul_node.next_functions
    assert acc.name() == "AccumulateGrad" and acc.variable is x
    assert "MulBackward0" in repr(mul_node)


def test_nonleaf_grad_warns_and_retain_grad_keeps_it():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    k = x * 4
    (h * h + k).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [6, 12])
    with pytest.warns(UserWarning, match="not a leaf.*retain_grad"):
        assert k.grad is None


def test_tensor_hooks_see_and_replace_gradients():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    h = x * 3
    handle = h.register_hook(lambda g: g * 10)
    h.sum().backward()
    np.testing.assert_allclose(seen[0], [30, 30])
    np.testing.assert_allclose(x.grad.numpy(), [30, 30])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])


def test_leaf_hook_gets_total_gradient_once():
    x = leaf([1.0])
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    (x * 2 + x * 3).sum().backward()
    assert calls == [5.0]


def test_register_hook_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        cr.ones(2).register_hook(lambda g: g)


def test_deep_chain_has_no_recursion_limit():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_graph_is_freed_after_backward():
    x = leaf(np.ones(1000))
    y = (x * 2).exp()
    node_ref = weakref.ref(y.grad_fn)
    y.sum().backward()
    del y
    gc.collect()
    assert node_ref() is None


def test_graph_memory_does_not_grow_in_a_training_loop():
    w = leaf(np.ones((50, 50)))
    x = cr.ones(8, 50, dtype=cr.float64)
    live = []
    for step in range(30):
        loss = ((x @ w).tanh() ** 2).mean()
        live.append(weakref.ref(loss.grad_fn))
        loss.backward()
        with cr.no_grad():
            w -= 0.01 * w.grad
        w.grad = None
    del loss
    assert sum(ref() is not None for ref in live) == 0  # no cycles keep old graphs alive


def test_backward_inputs_argument_limits_accumulation():
    a, b = leaf([1.0]), leaf([2.0])
    (a * b).sum().backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


def test_broadcast_gradients_are_summed_back():
    x = leaf(np.ones((3, 1)))
    b = leaf(np.ones(4))
    (x * b).sum().backward()
    assert x.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


def test_variable_is_a_pass_through():
    from chainrule.autograd import Variable
    t = cr.ones(2)
    v = Variable(t, requires_grad=True)
    assert v is t and v.requires_grad and isinstance(t, Variable)
    (v * 2).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), [2, 2])


def test_leaf_gradients_take_the_leafs_memory_layout():
    """A weight used through a transpose gets a transposed gradient; the stored .grad is laid out
    like the weight (C order), so that optimizers stream over param, grad and state together."""
    import chainrule as cr
    w = cr.randn(5, 3, requires_grad=True)
    x = cr.randn(4, 3)
    (x @ w.mT).sum().backward()
    assert w.grad._data.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(w.grad.numpy(), np.ones((4, 5)).T @ x.numpy(), rtol=1e-6)
