"""In-place ops and version counters."""
import numpy as np
import pytest
import torch

import chainrule as cr


def both(values):
    x = cr.tensor(values, dtype=cr.float64, requires_grad=True)
    xt = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    return x, xt


@pytest.mark.parametrize("op", [
    lambda t: t.add_(2.0), lambda t: t.sub_(1.5), lambda t: t.mul_(3.0), lambda t: t.div_(4.0),
    lambda t: t.add_(t * 0 + 1, alpha=2), lambda t: t.clamp_(-0.5, 0.5), lambda t: t.pow_(2),
    lambda t: t.zero_(), lambda t: t.fill_(7.0),
], ids=["add_", "sub_", "mul_", "div_", "add_alpha", "clamp_", "pow_", "zero_", "fill_"])
def test_inplace_on_nonleaf_matches_torch(op):
    values = [[-1.0, 0.25, 2.0], [0.75, -0.3, 1.5]]
    x, xt = both(values)
    h, ht = x * 2, xt * 2
    op(h)
    op(ht)
    (h * h).sum().backward()
    (ht * ht).sum().backward()
    np.testing.assert_allclose(h.detach().numpy(), ht.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_copy_is_differentiable_wrt_source():
    src, src_t = both([1.0, 2.0])
    dst, dst_t = both([5.0, 6.0])
    h, ht = dst * 1, dst_t * 1
    h.copy_(src * 3)
    ht.copy_(src_t * 3)
    (h * h).sum().backward()
    (ht * ht).sum().backward()
    np.testing.assert_allclose(src.grad.numpy(), src_t.grad.numpy())
    np.testing.assert_allclose(dst.grad.numpy(), dst_t.grad.numpy())


def test_inplace_on_leaf_that_requires_grad_is_refused():
    w = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad.*no_grad"):
        w.add_(1)


def test_inplace_on_leaf_under_no_grad_updates_memory():
    w = cr.ones(3, requires_grad=True)
    with cr.no_grad():
        w.sub_(0.5)
        w *= 2
    np.testing.assert_allclose(w.detach().numpy(), [1, 1, 1])
    assert w.is_leaf and w.requires_grad


def test_modifying_a_saved_tensor_names_the_op_and_shape():
    x = cr.ones(2, 3, requires_grad=True)
    h = x * 2
    y = h.exp()      # exp saves its output
    y.add_(1)        # ... which is changed here
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*shape \(2, 3\).*ExpBackward0"):
        y.sum().backward()


def test_modifying_an_input_saved_by_mul_is_detected():
    a = cr.ones(4, requires_grad=True)
    b = a * 1
    c = b * b
    b.mul_(2)
    with pytest.raises(RuntimeError, match="version 1; expected version 0"):
        c.sum().backward()


def test_unsaved_inputs_may_change_in_place():
    a = cr.ones(4, requires_grad=True)
    b = a * 1
    c = b + 3        # add saves nothing
    b.mul_(2)
    c.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.ones(4))


def test_version_counter_counts_writes_and_is_shared_with_views():
    x = cr.zeros(3, 4)
    v = x.view(12)
    assert x._version == 0
    x.add_(1)
    v.mul_(2)
    assert x._version == 2 and v._version == 2
    np.testing.assert_allclose(x.numpy(), np.full((3, 4), 2.0))


def test_inplace_dtype_that_cannot_be_kept():
    x = cr.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="result type chainrule.float32 can't be cast"):
        x.add_(0.5)


def test_augmented_assignment_on_nonleaf_records_graph():
    x, xt = both([1.0, 2.0])
    h, ht = x * 1, xt * 1
    h += 3
    h *= 2
    ht += 3
    ht *= 2
    h.sum().backward()
    ht.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_target_read_twice_uses_its_old_value_both_times():
    # PyTorch refuses x.mul_(x) on a tensor in the graph; chainrule computes it from the old x
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    h = x * 1
    h.mul_(h)
    h.sum().backward()
    np.testing.assert_allclose(h.detach().numpy(), [1, 4])
    np.testing.assert_allclose(x.grad.numpy(), [2, 4])


@pytest.mark.parametrize("name", ["exp_", "sqrt_", "abs_", "neg_", "relu_", "sigmoid_", "tanh_", "sin_",
                                  "cos_", "reciprocal_", "square_", "log_", "floor_"])
def test_unary_inplace_methods_match_torch(name):
    values = [[0.5, 1.25, 2.0], [0.75, 0.3, 1.5]]
    x, xt = both(values)
    h, ht = x * 1, xt * 1
    getattr(h, name)()
    getattr(ht, name)() if name != "square_" else ht.mul_(ht.detach())
    if name == "square_":  # torch has no square_; compare with the same math
        ht = (xt * 1) ** 2
    (h * 3).sum().backward()
    (ht * 3).sum().backward()
    np.testing.assert_allclose(h.detach().numpy(), ht.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_masked_fill_index_put_and_scatter_in_place():
    x, xt = both([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    h, ht = x * 1, xt * 1
    h.masked_fill_(h < 0, 0.5)
    ht.masked_fill_(ht < 0, 0.5)
    h.index_put_((cr.tensor([0, 0]), cr.tensor([1, 1])), cr.tensor([1.0, 2.0], dtype=cr.float64), accumulate=True)
    ht.index_put_((torch.tensor([0, 0]), torch.tensor([1, 1])), torch.tensor([1.0, 2.0], dtype=torch.float64),
                  accumulate=True)
    h.scatter_(1, cr.tensor([[2], [0]]), 9.0)
    ht.scatter_(1, torch.tensor([[2], [0]]), 9.0)
    h.scatter_add_(0, cr.tensor([[1, 0, 1]]), x[:1] * 2)
    ht.scatter_add_(0, torch.tensor([[1, 0, 1]]), xt[:1] * 2)
    (h * h).sum().backward()
    (ht * ht).sum().backward()
    np.testing.assert_allclose(h.detach().numpy(), ht.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_index_add_copy_fill_in_place():
    x, xt = both([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    s, st = both([[0.5, 1.5], [2.5, -1.0]])
    h, ht = x * 1, xt * 1
    h.index_add_(1, cr.tensor([2, 2]), s, alpha=2)
    ht.index_add_(1, torch.tensor([2, 2]), st, alpha=2)
    h.index_copy_(1, cr.tensor([1, 0]), s * 3)
    ht.index_copy_(1, torch.tensor([1, 0]), st * 3)
    h.index_fill_(0, cr.tensor([1]), -0.25)
    ht.index_fill_(0, torch.tensor([1]), -0.25)
    (h * h).sum().backward()
    (ht * ht).sum().backward()
    np.testing.assert_allclose(h.detach().numpy(), ht.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    np.testing.assert_allclose(s.grad.numpy(), st.grad.numpy())


def test_clone_and_new_tensor_methods():
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    y = x.clone()
    assert y.grad_fn.name() == "CloneBackward0" and y.data_ptr() != x.data_ptr()
    (y * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    assert x.new_zeros(2, 3).dtype is cr.float64 and x.new_ones((2,)).tolist() == [1.0, 1.0]
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_tensor([1, 2]).dtype is cr.float64
    assert x.new_empty(0).shape == (0,)
