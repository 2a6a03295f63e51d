"""Views and in-place writes at PyTorch's edges: every program runs in chainrule and in torch.

Each program is written once, ``program(lib)``, and returns the values to compare
(tensors, gradients, Python values); both libraries must give the same values and
dtypes. Error cases check the exception and the words of the message.
"""
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr


def _plain(value):
    if isinstance(value, (cr.Tensor, torch.Tensor)):
        return value.detach().numpy()
    return value


def same_in_both(program):
    ours, theirs = program(cr), program(torch)
    assert len(ours) == len(theirs)
    for i, (o, t) in enumerate(zip(ours, theirs)):
        o, t = _plain(o), _plain(t)
        if isinstance(t, np.ndarray):
            assert o.dtype == t.dtype, f"value {i}: dtype {o.dtype} != torch {t.dtype}"
            np.testing.assert_allclose(o, t, rtol=1e-6, atol=1e-7, equal_nan=True, err_msg=f"value {i}")
        else:
            assert o == t, f"value {i}: {o!r} != torch {t!r}"


# ---------------------------------------------------------------- 1. integer indexing is a view

VIEWS_TO_0D = {
    "x[0]": lambda x: x[0],
    "x.select(0, 1)": lambda x: x.select(0, 1),
    "x.unbind(0)[2]": lambda x: x.unbind(0)[2],
    "x[-1, ...]": lambda x: x[-1, ...],
}


@pytest.mark.parametrize("take", VIEWS_TO_0D.values(), ids=VIEWS_TO_0D.keys())
def test_an_integer_index_to_a_0d_result_is_a_view(take):
    def program(lib):
        x = lib.tensor([1.0, 2.0, 3.0])
        v = take(x)
        x.add_(1)               # the view sees the base's write
        seen = v.clone()
        v.fill_(7)              # and the base sees the view's
        return [seen, x, v._version, x._version]
    same_in_both(program)


def test_x_of_empty_tuple_on_a_0d_tensor_is_a_view():
    def program(lib):
        x = lib.tensor(3.0)
        v = x[()]
        v.fill_(1)
        return [x]
    same_in_both(program)


# ---------------------------------------------------------------- 2. views follow their base's history

BASE_WRITES = {
    "b[0] = 5": lambda b: b.__setitem__(0, 5.0),
    "b.mul_(3)": lambda b: b.mul_(3),
    "b.exp_()": lambda b: b.exp_(),
    "b.fill_(2)": lambda b: b.fill_(2),
    "b[1:] = b[:1] * 4": lambda b: b.__setitem__(slice(1, None), b[:1] * 4),
    "b.copy_(b.flip(0))": lambda b: b.copy_(b.flip(0)),
}
VIEWS = {
    "b[0]": lambda b: b[0],
    "b[1:]": lambda b: b[1:],
    "b.view(2, 2)[1]": lambda b: b.view(2, 2)[1],
    "b.unsqueeze(0).t()": lambda b: b.unsqueeze(0).t(),
    "b.expand(2, 4)": lambda b: b.expand(2, 4),
}


@pytest.mark.parametrize("write", BASE_WRITES.values(), ids=BASE_WRITES.keys())
@pytest.mark.parametrize("take", VIEWS.values(), ids=VIEWS.keys())
def test_a_view_taken_before_a_write_to_its_base_backpropagates_through_the_write(take, write):
    def program(lib):
        a = lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64, requires_grad=True)
        b = a * 2
        c = take(b)
        write(b)
        (c * lib.arange(1, c.numel() + 1, dtype=lib.float64).reshape(c.shape)).sum().backward()
        return [c, b, a.grad]
    same_in_both(program)


def test_second_derivatives_through_a_rebased_view():
    def program(lib):
        a = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        b = a * a
        c = b[1:]
        b.mul_(a)                                  # b = a ** 3; c sees it
        (g,) = lib.autograd.grad(c.sum(), a, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), a)
        return [g, gg]
    same_in_both(program)


VIEW_WRITES = {
    "b[0:2].mul_(3)": lambda b, w: b[0:2].mul_(3),
    "b[1].add_(w)": lambda b, w: b[1].add_(w),
    "b.view(2, 2)[:, 1].copy_(w * w)": lambda b, w: b.view(2, 2)[:, 1].copy_(w * w),
    "b[2:][0] = w": lambda b, w: b[2:].__setitem__(0, w),
    "b.t()[1:].exp_()": lambda b, w: b.unsqueeze(1).t()[:, 1:].exp_(),
}


@pytest.mark.parametrize("write", VIEW_WRITES.values(), ids=VIEW_WRITES.keys())
def test_a_write_into_a_view_changes_the_base_and_its_history(write):
    def program(lib):
        a = lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor(0.5, dtype=lib.float64, requires_grad=True)
        b = a * 1
        other_view = b[1:3]
        write(b, w)
        loss = (b * lib.tensor([1.0, -2.0, 3.0, 0.5], dtype=lib.float64)).sum() + other_view.sum() * 7
        loss.backward()
        return [b, other_view, a.grad, w.grad]
    same_in_both(program)


def test_a_view_of_a_tensor_without_grad_gets_history_from_an_operand_that_requires_it():
    def program(lib):
        w = lib.tensor(2.0, requires_grad=True)
        x = lib.ones(3)
        v = x[0:2]
        v.mul_(w)
        x.sum().backward()
        return [x, x.requires_grad, w.grad]
    same_in_both(program)


def test_writes_into_views_of_leaves_that_require_grad_are_refused_with_the_fix():
    leaf = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"a view of a leaf Variable that requires grad is being used "
                                           r"in an in-place operation .*no_grad"):
        leaf[1:].mul_(2)
    with cr.no_grad():   # parameter updates: allowed
        leaf[1:].mul_(2)
    assert leaf.tolist() == [1.0, 2.0, 2.0]


def test_a_view_made_under_no_grad_then_rebased_refuses_backward_with_the_reason():
    w = cr.tensor(2.0, requires_grad=True)
    x = cr.ones(2)
    with cr.no_grad():
        v = x[0]
    x.mul_(w)
    with pytest.raises(RuntimeError, match=r"A view was created in no_grad mode and its base .* "
                                           r"modified inplace with grad mode enabled"):
        (v * 1).backward()


def test_changing_a_no_grad_view_with_grad_mode_on_is_refused():
    a = cr.ones(3, requires_grad=True)
    b = a * 1
    with cr.no_grad():
        v = b[1:]
    with pytest.raises(RuntimeError, match=r"a view was created in no_grad mode and is being modified "
                                           r"inplace with grad mode enabled"):
        v.mul_(2)


def test_the_view_write_node_has_pytorchs_name():
    a = cr.ones(3, requires_grad=True)
    b = a * 1
    b[1:].mul_(2)
    assert b.grad_fn.name() == "CopySlices"


# ---------------------------------------------------------------- 3. augmented assignment is in place

AUGMENTED = {
    "//=": (lambda x, y: x.__ifloordiv__(y), "int64"),
    "%=": (lambda x, y: x.__imod__(y), "int64"),
    "**=": (lambda x, y: x.__ipow__(y), "float32"),
    "|=": (lambda x, y: x.__ior__(y), "bool"),
    "^=": (lambda x, y: x.__ixor__(y), "int64"),
    "&=": (lambda x, y: x.__iand__(y), "int32"),
    "+=": (lambda x, y: x.__iadd__(y), "float32"),
}


@pytest.mark.parametrize("op,dtype", AUGMENTED.values(), ids=AUGMENTED.keys())
def test_augmented_assignment_writes_into_the_tensor_and_its_base(op, dtype):
    def program(lib):
        dt = getattr(lib, dtype)
        base = lib.tensor([5, 6, 7, 8]).to(dt)
        x = base[1:3]
        other = lib.tensor([2, 3]).to(dt)
        result = op(x, other)
        return [result is x, x, base, x.dtype == dt, base._version]
    same_in_both(program)


def test_augmented_assignment_keeps_the_dtype_or_refuses():
    x = cr.tensor([1, 2])
    with pytest.raises(RuntimeError, match=r"result type .*float.* can't be cast to the desired output "
                                           r"type chainrule.int64"):
        x **= 0.5


# ---------------------------------------------------------------- 5. fills of integer tensors

@pytest.mark.parametrize("dtype,big", [("int32", 2 ** 31 - 1), ("int64", 2 ** 53 + 1), ("int64", 2 ** 62 + 3)])
@pytest.mark.parametrize("fill", [
    lambda x, lib: x.masked_fill(lib.tensor([False, True, False]), 2.7),
    lambda x, lib: x.index_fill(0, lib.tensor([1]), -2.5),
    lambda x, lib: x.clone().masked_fill_(lib.tensor([False, True, False]), 3),
    lambda x, lib: x.clone().index_fill_(0, lib.tensor([1]), 3.9),
], ids=["masked_fill", "index_fill", "masked_fill_", "index_fill_"])
def test_filling_an_integer_tensor_leaves_the_other_elements_exact(dtype, big, fill):
    same_in_both(lambda lib: [fill(lib.tensor([big, 5, -big], dtype=getattr(lib, dtype)), lib)])


def test_fills_convert_the_number_as_pytorch_does():
    def program(lib):
        x = lib.tensor([1, 2], dtype=lib.int32)
        x[0] = 2.7
        b = lib.tensor([False, False]).masked_fill(lib.tensor([True, False]), 2.5)
        u = lib.tensor([1], dtype=lib.uint8).masked_fill(lib.tensor([True]), -1)
        f = lib.tensor([1, 2], dtype=lib.int64).fill_(3.9)
        return [x, b, u, f]
    same_in_both(program)


@pytest.mark.parametrize("fill", [
    lambda x: x.masked_fill(cr.tensor([True]), 1e10),
    lambda x: x.fill_(float("nan")),
    lambda x: x.__setitem__(0, float("inf")),
], ids=["masked_fill", "fill_", "setitem"])
def test_a_float_that_no_integer_can_hold_is_refused(fill):
    with pytest.raises(RuntimeError, match=r"value .* cannot be converted to type chainrule.int32 "
                                           r"without overflow"):
        fill(cr.tensor([1], dtype=cr.int32))


# ---------------------------------------------------------------- 9. in-place with an operand that requires grad

def test_in_place_op_on_a_tensor_without_grad_with_an_operand_that_requires_it():
    def program(lib):
        w = lib.tensor([2.0, -1.0], requires_grad=True)
        x = lib.ones(2) * 3
        x.mul_(w)
        x.div_(w + 3)
        x.sum().backward()
        return [x, w.grad]
    same_in_both(program)


# ---------------------------------------------------------------- 10. expanded views

def test_fill_and_row_assignment_write_through_an_expanded_view():
    def program(lib):
        x = lib.zeros(3)
        e = x.expand(2, 3)
        e.fill_(1)
        e[0] = lib.tensor([1.0, 2.0, 3.0])
        return [x, e]
    same_in_both(program)


@pytest.mark.parametrize("write", [
    lambda e: e.add_(1), lambda e: e.exp_(), lambda e: e.clamp_(0.5), lambda e: e.copy_(cr.ones(2, 3)),
    lambda e: e.__setitem__((slice(None), 0), 4.0), lambda e: e.mul_(cr.ones(2, 3)),
], ids=["add_", "exp_", "clamp_", "copy_", "setitem column", "mul_"])
def test_writes_that_would_race_inside_an_expanded_view_are_refused(write):
    e = cr.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError, match=r"more than one element of the written-to tensor refers to a "
                                           r"single memory location.*clone\(\)"):
        write(e)


def test_an_expanded_view_of_a_tensor_that_requires_grad_refuses_writes():
    b = cr.ones(3, requires_grad=True) * 1
    with pytest.raises(RuntimeError, match=r"fill_: writing into an expand\(\)/broadcast_to\(\) view of a "
                                           r"tensor that requires grad is not supported"):
        b.expand(2, 3).fill_(2)


def test_a_read_only_array_refuses_writes_with_the_fix():
    array = np.zeros(3)
    array.flags.writeable = False
    x = cr.from_numpy(array) if hasattr(cr, "from_numpy") else cr.Tensor._make(array)
    with pytest.raises(RuntimeError, match=r"memory is read-only .* \.clone\(\)"):
        x.add_(1)


def test_mT_of_a_0d_tensor_is_the_identity_with_pytorchs_warning():
    x = cr.tensor(2.0)
    with pytest.warns(UserWarning, match="Tensor.mT is deprecated on 0-D tensors"):
        y = x.mT
    assert y.item() == 2.0 and y.shape == ()


def test_scatter_add_with_an_index_smaller_than_src():
    same_in_both(lambda lib: [lib.zeros(3, 3).scatter_add(0, lib.tensor([[0, 2]]), lib.arange(9.0).reshape(3, 3)),
                              lib.zeros(2, 4).scatter_add(1, lib.tensor([[3], [0]]), lib.ones(2, 2))])
    # torch's backward fails here (a shape error); src[0][1] went to out[2][1], the rest is unused
    src = cr.arange(9.0, requires_grad=True)
    out = cr.zeros(3, 3).scatter_add(0, cr.tensor([[0, 2]]), src.reshape(3, 3))
    (out * cr.arange(9.0).reshape(3, 3)).sum().backward()
    assert src.grad.tolist() == [0.0, 7.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]


# ---------------------------------------------------------------- 11. dtypes of scatter and friends

@pytest.mark.parametrize("call,words", [
    (lambda z: z.scatter(0, cr.tensor([0]), cr.ones(1, dtype=cr.float64)),
     r"scatter\(\): Expected self.dtype to be equal to src.dtype"),
    (lambda z: z.scatter_add(0, cr.tensor([0]), cr.ones(1, dtype=cr.float64)),
     r"scatter_add\(\): Expected self.dtype to be equal to src.dtype"),
    (lambda z: z.index_add(0, cr.tensor([0]), cr.ones(1, dtype=cr.float64)),
     r"index_add\(\): self and source expected to have the same dtype"),
    (lambda z: z.index_copy(0, cr.tensor([0]), cr.ones(1, dtype=cr.float64)),
     r"index_copy\(\): self and source expected to have the same dtype"),
])
def test_scatter_family_refuses_a_src_of_another_dtype(call, words):
    with pytest.raises(RuntimeError, match=words + ".*convert"):
        call(cr.zeros(3))


def test_scatter_with_reduce_multiply():
    def program(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # torch deprecates the reduce argument
            return [lib.ones(3).scatter(0, lib.tensor([0, 0]), lib.tensor([2.0, 3.0]), reduce="multiply"),
                    lib.ones(2, 3).scatter(1, lib.tensor([[0], [2]]), 2.0, reduce="multiply"),
                    lib.ones(3).scatter(0, lib.tensor([0, 0]), 2.0, reduce="add")]
    same_in_both(program)


def test_scatter_multiply_is_not_differentiable_and_says_what_is():
    a = cr.ones(3, requires_grad=True)
    out = a.scatter(0, cr.tensor([0]), cr.tensor([2.0]), reduce="multiply")
    with pytest.raises(RuntimeError, match=r"derivative of scatter\(\.\.\., reduce='multiply'\) is not "
                                           r"implemented; use scatter_reduce"):
        out.sum().backward()


# ---------------------------------------------------------------- outputs of split/chunk/unbind

@pytest.mark.parametrize("piece", [lambda a: a.split(1)[0], lambda a: a.chunk(2)[1], lambda a: a.unbind(0)[0],
                                   lambda a: a.split(1)[0][0:1]], ids=["split", "chunk", "unbind", "view of split"])
def test_an_in_place_op_on_an_output_of_split_is_refused_when_grad_is_involved(piece):
    a = cr.tensor([1.0, 2.0], requires_grad=True) * 1
    with pytest.raises(RuntimeError, match=r"add_: a view made by (split|unbind)\(\).*out-of-place op"):
        piece(a).add_(1)
    with cr.no_grad():
        piece(a).add_(1)               # no graph: allowed, as in PyTorch
    plain = cr.zeros(2)
    piece(plain).add_(1)               # nothing requires grad: allowed
    assert plain.tolist() in ([1.0, 0.0], [0.0, 1.0])


def test_a_view_whose_shape_changed_under_no_grad_backpropagates_to_its_base():
    def program(lib):
        x = lib.tensor([[1.0, 2.0]], requires_grad=True)
        a = x * 1
        v = a[0]
        with lib.no_grad():
            v.unsqueeze_(0)
        (v * lib.tensor([[3.0, 4.0]])).sum().backward()
        return v.shape == (1, 2), x.grad
    same_in_both(program)


def test_a_fill_cuts_the_create_graph_gradient():
    def program(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = x * 3
        y[0:1].fill_(5.0)             # y[0] no longer depends on x
        (g,) = lib.autograd.grad((y * y).sum(), [x], create_graph=True)
        return g, g.requires_grad
    same_in_both(program)
