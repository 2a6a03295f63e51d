"""Names that ported PyTorch programs use at once: legacy tensor types, x.type(), threads,
submodules reachable as attributes, chainrule.diag as an op."""
import subprocess
import sys
import pkgutil
import textwrap

import numpy as np
import pytest
import torch

import chainrule as cr

LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "ByteTensor",
          "CharTensor", "BoolTensor"]


def same(ours, theirs):
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize("args", [([1.7, 2.0, 0.0],), ([[1, 0], [3, 4]],), (np.array([2.5, 3.0]),), ()],
                         ids=["floats", "nested ints", "ndarray", "nothing"])
def test_typed_constructors_from_data_match_torch(name, args):
    same(getattr(cr, name)(*args), getattr(torch, name)(*args))


@pytest.mark.parametrize("name", LEGACY)
def test_typed_constructors_from_sizes_give_the_shape_and_dtype(name):
    ours, theirs = getattr(cr, name)(2, 3), getattr(torch, name)(2, 3)
    assert tuple(ours.shape) == (2, 3) and str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert ours.sum().item() == 0  # zeros, where PyTorch leaves the memory uninitialised
    assert tuple(getattr(cr, name)(cr.Size([4, 1])).shape) == (4, 1)


def test_isinstance_with_a_legacy_type_checks_the_dtype():
    for lib in (cr, torch):
        assert isinstance(lib.zeros(2), lib.FloatTensor) and not isinstance(lib.zeros(2), lib.LongTensor)
        assert isinstance(lib.arange(3), lib.LongTensor) and isinstance(lib.tensor([True]), lib.BoolTensor)


def test_tensor_constructor_follows_pytorchs_legacy_rules():
    same(cr.Tensor([1, 2]), torch.Tensor([1, 2]))            # data becomes the default float dtype
    same(cr.Tensor(np.arange(3.0)), torch.Tensor(np.arange(3.0)))
    assert tuple(cr.Tensor(2, 3).shape) == tuple(torch.Tensor(2, 3).shape) == (2, 3)
    assert tuple(cr.Tensor().shape) == tuple(torch.Tensor().shape) == (0,)
    assert cr.nn.Parameter(cr.zeros(2, dtype=cr.float64)).dtype == cr.float64  # subclasses keep the dtype


def test_a_legacy_constructor_aliases_a_tensor_of_its_type_and_refuses_another():
    x = cr.zeros(2)
    y = cr.FloatTensor(x)
    y[0] = 5.0
    assert x[0].item() == 5.0
    with pytest.raises(TypeError, match=r"LongTensor\(\): expected a chainrule.int64 tensor, but got chainrule.float32"):
        cr.LongTensor(x)
    with pytest.raises(TypeError, match="data must be a sequence"):
        cr.FloatTensor(3.5)
    with pytest.raises(RuntimeError, match="negative dimension"):
        cr.FloatTensor(2, -1)


@pytest.mark.parametrize("name", LEGACY)
def test_type_string_and_conversion(name):
    x, t = cr.tensor([1.0, 0.0]), torch.tensor([1.0, 0.0])
    assert x.type() == "chainrule.FloatTensor" and t.type() == "torch.FloatTensor"
    for target in (f"torch.{name}", getattr(cr, name)):
        converted = x.type(target)
        same(converted, t.type(f"torch.{name}"))
        assert converted.type() == f"chainrule.{name}"
    with pytest.raises(ValueError, match="invalid type 'torch.cuda.FloatTensor'"):
        x.type("torch.cuda.FloatTensor")


def test_set_and_get_num_threads():
    before = cr.get_num_threads()
    try:
        cr.set_num_threads(1)
        assert cr.get_num_threads() == 1
    finally:
        cr.set_num_threads(before)
    assert cr.get_num_threads() == before
    with pytest.raises(ValueError, match="set_num_threads expects a positive integer, got 0"):
        cr.set_num_threads(0)


def test_diag_is_the_op_and_the_diagnostics_package():
    v, m = np.arange(3.0), np.arange(9.0).reshape(3, 3)
    for data, k in ((v, 0), (v, 1), (m, 0), (m, -1)):
        same(cr.diag(cr.tensor(data), k), torch.diag(torch.tensor(data), k))
    assert callable(cr.diag.summary) and callable(cr.diag.Monitor)


def public_submodules():
    return sorted(m.name for m in pkgutil.iter_modules(cr.__path__) if not m.name.startswith("_"))


def test_every_public_submodule_is_an_attribute_after_import_chainrule():
    """On a fresh interpreter, as a user would meet it (also for subpackages added later)."""
    names = public_submodules()
    assert {"diag", "nn", "optim", "serialization"} <= set(names)
    script = textwrap.dedent(f"""
        import types
        import chainrule
        # chainrule.tensor is the function, as torch.tensor is: a public name may shadow a module
        missing = [name for name in {names!r}
                   if not isinstance(getattr(chainrule, name, None), types.ModuleType)
                   and not (name in chainrule.__all__ and callable(getattr(chainrule, name)))]
        print(missing)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_missing_attribute_still_raises_attribute_error():
    with pytest.raises(AttributeError, match="module 'chainrule' has no attribute 'no_such_name'"):
        cr.no_such_name


def test_data_shares_memory_outside_autograd_as_in_pytorch():
    results = {}
    for lib in (cr, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        out = (w * w).sum()
        w.data.mul_(2)           # not seen by the version counter: backward reads the new values
        out.backward()
        assert not w.data.requires_grad and w._version == 0
        x = lib.zeros(2, requires_grad=True)
        x.data = lib.ones(3)     # any shape; x stays a leaf that requires grad
        results[lib] = (w.grad.tolist(), x.tolist(), x.requires_grad)
    assert results[cr] == results[torch] == ([4.0, 8.0], [1.0, 1.0, 1.0], True)
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got int"):
        cr.zeros(2).data = 5
