"""Tensor creation, dtypes, conversion, repr and devices, against PyTorch."""
import numpy as np
import pytest
import torch

import chainrule as cr

DTYPES = ["float32", "float64", "float16", "int32", "int64", "bool", "uint8", "int8", "int16"]


def same(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("data", [1.5, 3, True, [1, 2, 3], [1.0, 2], [[True, False]], [], [[1], [2]]])
def test_tensor_infers_dtype_like_torch(data):
    same(cr.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_with_explicit_dtype(dtype):
    same(cr.tensor([0, 1, 2], dtype=getattr(cr, dtype if dtype != "bool" else "bool")),
         torch.tensor([0, 1, 2], dtype=getattr(torch, dtype)))


def test_tensor_from_numpy_keeps_numpy_dtype_and_copies():
    a = np.arange(4, dtype=np.float64)
    t = cr.tensor(a)
    assert t.dtype is cr.float64
    a[0] = 100
    assert t[0].item() == 0.0


def test_from_numpy_shares_memory():
    a = np.zeros(3, dtype=np.float32)
    t = cr.from_numpy(a)
    a[1] = 5
    assert t.tolist() == [0.0, 5.0, 0.0]
    with pytest.raises(TypeError, match="from_numpy expected a NumPy array"):
        cr.from_numpy([1, 2])


def test_unsupported_numpy_dtype_is_named():
    with pytest.raises(TypeError, match="does not support the NumPy dtype complex128"):
        cr.tensor(np.ones(2, dtype=np.complex128))


@pytest.mark.parametrize("name,args", [
    ("zeros", (2, 3)), ("ones", ((2, 3),)), ("empty", (0, 2)), ("eye", (3,)), ("eye", (2, 4)),
])
def test_shape_creation(name, args):
    ours, theirs = getattr(cr, name)(*args), getattr(torch, name)(*args)
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype is cr.float32
    if name != "empty":
        same(ours, theirs)


@pytest.mark.parametrize("args", [(5,), (1, 4), (0, 10, 3), (0.0, 1.0, 0.1), (10, 0, -2), (1, 2.5, 0.5)])
def test_arange_matches_torch(args):
    same(cr.arange(*args), torch.arange(*args))


def test_linspace_full_and_like_functions():
    same(cr.linspace(0, 1, 5), torch.linspace(0, 1, 5))
    same(cr.full((2, 2), 7), torch.full((2, 2), 7))
    same(cr.full((2,), 1.5), torch.full((2,), 1.5))
    x = cr.ones(2, 3, dtype=cr.float64)
    for name in ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"]:
        y = getattr(cr, name)(x)
        assert y.shape == (2, 3) and y.dtype is cr.float64
    assert cr.full_like(x, 3).tolist() == [[3.0] * 3] * 2
    assert cr.randint_like(x, 5).dtype is cr.float64


def test_random_functions_are_reproducible_with_manual_seed():
    def draw():
        return [cr.rand(3).tolist(), cr.randn(2, 2).tolist(), cr.randint(0, 10, (4,)).tolist(),
                cr.randperm(5).tolist(), cr.normal(0.0, 1.0, (2,)).tolist()]
    cr.manual_seed(123)
    first = draw()
    cr.manual_seed(123)
    assert draw() == first
    cr.manual_seed(124)
    assert draw() != first


def test_random_ranges_and_dtypes():
    r = cr.rand(1000)
    assert r.dtype is cr.float32 and 0 <= r.min().item() and r.max().item() < 1
    n = cr.randn(4000, dtype=cr.float64)
    assert abs(n.mean().item()) < 0.1 and abs(n.std().item() - 1) < 0.1
    i = cr.randint(3, 7, (500,))
    assert i.dtype is cr.int64 and set(i.tolist()) == {3, 4, 5, 6}
    assert sorted(cr.randperm(6).tolist()) == list(range(6))
    g = cr.Generator().manual_seed(5)
    assert cr.rand(2, generator=g).tolist() == cr.rand(2, generator=cr.Generator().manual_seed(5)).tolist()


def test_attributes_and_conversions():
    x = cr.arange(6).reshape(2, 3)
    assert x.shape == (2, 3) and x.size() == cr.Size([2, 3]) and x.size(1) == 3 and x.size(-1) == 3
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert x.T.shape == (3, 2) and cr.ones(4, 2, 3).mT.shape == (4, 3, 2)
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert np.asarray(x).dtype == np.int64
    assert x.float().dtype is cr.float32 and x.double().dtype is cr.float64
    assert x.float().long().dtype is cr.int64 and x.int().dtype is cr.int32
    assert x.to(cr.float16).dtype is cr.float16 and x.half().dtype is cr.float16
    assert x.bool().dtype is cr.bool and x.to(cr.ones(1)).dtype is cr.float32
    assert cr.tensor(2.5).item() == 2.5 and float(cr.tensor([3.0])) == 3.0 and int(cr.tensor(4)) == 4
    assert repr(x.size()) == "chainrule.Size([2, 3])"


def test_size_out_of_range_and_item_of_many():
    x = cr.ones(2, 3)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.size(2)
    with pytest.raises(RuntimeError, match="a Tensor with 6 elements cannot be converted to Scalar"):
        x.item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(x)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(cr.tensor(1.0))


def test_cast_keeps_gradient_flowing():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3
    y.sum().backward()
    assert x.grad.dtype is cr.float32 and x.grad.tolist() == [3.0, 3.0]


def test_numpy_of_tensor_that_requires_grad_is_refused():
    x = cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad.*detach\(\)"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]


def test_data_attribute_is_outside_the_graph_and_shares_memory():
    w = cr.ones(3, requires_grad=True)
    w.data -= 0.5 * cr.ones(3)          # the pre-0.4 lecture style of update
    assert w.is_leaf and w.requires_grad and w.detach().tolist() == [0.5] * 3
    w.data = cr.zeros(2)
    assert w.shape == (2,)


@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor([1.0, 2.5, -3.0]),
    lambda lib: lib.tensor([[1.0, 2.0], [3.0, 4.0]]),
    lambda lib: lib.tensor([1, 2, 3]),
    lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    lambda lib: lib.tensor([True, False]),
    lambda lib: lib.tensor(3.25),
    lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64),
    lambda lib: lib.tensor([1e-5, 1.0]),
    lambda lib: lib.zeros(0),
    lambda lib: lib.tensor([0.5, 1.5], requires_grad=True),
    lambda lib: lib.tensor([0.0, 1.0, 2.0, 1997.0]),
    lambda lib: lib.tensor([float("nan"), 1.0, float("inf")]),
    lambda lib: lib.tensor([-float("inf"), 2.5]),
    lambda lib: lib.tensor([[1e10, 1.0], [2.0, 3.0]]),
])
def test_repr_looks_like_pytorch(make):
    ours = repr(make(cr)).replace("chainrule.", "")
    theirs = repr(make(torch)).replace("torch.", "")
    assert ours == theirs


def test_repr_shows_grad_fn():
    x = cr.tensor([1.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2.], grad_fn=<MulBackward0>)"


def test_devices():
    x = cr.ones(2)
    assert x.device == cr.device("cpu") and str(x.device) == "cpu" and x.device.type == "cpu"
    assert x.to("cpu") is x and x.cpu() is x
    assert not cr.cuda.is_available() and cr.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="device 'cuda' is not available.*no GPU backend"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="not available"):
        cr.set_default_device("cuda")
    cr.set_default_device("cpu")
    assert cr.zeros(1, device="cpu").device == cr.device("cpu")


def test_public_submodules_available_after_import():
    import chainrule
    for name in ["nn", "optim", "autograd", "cuda"]:
        assert hasattr(chainrule, name)
    assert chainrule.nn.functional.relu is chainrule.relu


def test_default_dtype_switch():
    try:
        cr.set_default_dtype(cr.float64)
        assert cr.tensor([1.5]).dtype is cr.float64 and cr.zeros(1).dtype is cr.float64
    finally:
        cr.set_default_dtype(cr.float32)
    with pytest.raises(TypeError, match="only floating dtypes"):
        cr.set_default_dtype(cr.int32)


def test_python_scalar_never_upcasts_float32():
    x = cr.ones(3)
    for y in [x + 1.5, 2.0 * x, x / 3, x ** 2.5, x - 1e300 * 0]:
        assert y.dtype is cr.float32
    assert (cr.tensor([1, 2]) * 1.5).dtype is cr.float32
    assert (cr.tensor([1, 2]) / cr.tensor([2, 2])).dtype is cr.float32
