"""Module: attribute walking, state dicts, hooks, modes, repr, containers."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(3, 4)
        self.layers = [nn.Linear(4, 4), nn.Linear(4, 4)]       # a plain list counts
        self.heads = {"a": nn.Linear(4, 1), "b": nn.Linear(4, 2)}  # so does a plain dict
        self.scale = nn.Parameter(cr.ones(1))
        self.register_buffer("running", cr.zeros(4))
        self.register_buffer("scratch", cr.zeros(2), persistent=False)

    def forward(self, x):
        h = self.first(x).relu()
        for layer in self.layers:
            h = layer(h).relu()
        return self.heads["a"](h) * self.scale, self.heads["b"](h)


def test_parameters_are_found_in_attribute_order_including_lists_and_dicts():
    # as in PyTorch: the module's own parameters first, then each submodule's, in attribute order
    names = [n for n, _ in Block().named_parameters()]
    assert names == ["scale", "first.weight", "first.bias", "layers.0.weight", "layers.0.bias", "layers.1.weight",
                     "layers.1.bias", "heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias"]
    assert len(list(Block().parameters())) == 11


def test_shared_layer_is_counted_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(3, 3)
            self.decoder = self.encoder
    tied = Tied()
    assert [n for n, _ in tied.named_parameters()] == ["encoder.weight", "encoder.bias"]
    assert len(list(tied.modules())) == 2


def test_module_without_super_init_still_works():
    class Bare(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc(x)
    bare = Bare()
    assert len(list(bare.parameters())) == 2 and bare.training
    bare.eval()
    assert not bare.training and not bare.fc.training


def test_children_modules_and_buffers():
    block = Block()
    assert [n for n, _ in block.named_children()] == ["first", "layers.0", "layers.1", "heads.a", "heads.b"]
    assert [n for n, _ in block.named_modules()][:2] == ["", "first"]
    assert [n for n, _ in block.named_buffers()] == ["running", "scratch"]
    state = block.state_dict()
    assert "running" in state and "scratch" not in state  # non-persistent buffers are not saved


def test_state_dict_round_trip_and_shared_memory():
    a, b = Block(), Block()
    b.load_state_dict(a.state_dict())
    x = cr.randn(2, 3)
    for ya, yb in zip(a(x), b(x)):
        np.testing.assert_array_equal(ya.detach().numpy(), yb.detach().numpy())
    assert a.state_dict()["first.weight"].requires_grad is False


def test_load_state_dict_reports_every_problem_at_once():
    block = Block()
    state = block.state_dict()
    del state["scale"]
    state["extra.weight"] = cr.zeros(1)
    state["first.bias"] = cr.zeros(7)
    with pytest.raises(RuntimeError) as info:
        block.load_state_dict(state)
    message = str(info.value)
    assert "missing keys (in the model, not in the checkpoint): scale" in message
    assert "unexpected keys (in the checkpoint, not in the model): extra.weight" in message
    assert "first.bias: checkpoint (7,), model (4,)" in message
    state["first.bias"] = cr.zeros(4)
    result = block.load_state_dict(state, strict=False)
    assert result.missing_keys == ["scale"] and result.unexpected_keys == ["extra.weight"]


def test_torch_state_dict_loads_and_gives_the_same_outputs():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    ours = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_forward_hooks_and_pre_hooks():
    layer = nn.Linear(2, 2)
    calls = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = layer(cr.ones(3, 2))
    np.testing.assert_allclose(out.detach().numpy(), (layer.bias + 1).detach().numpy()[None].repeat(3, 0))
    assert calls == [(3, 2)]
    pre.remove()
    post.remove()
    assert layer(cr.zeros(1, 2)).shape == (1, 2) and len(calls) == 1


def test_zero_grad_requires_grad_apply_and_to():
    block = Block()
    out_a, out_b = block(cr.randn(2, 3))
    (out_a.sum() + out_b.sum()).backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())
    block.requires_grad_(False)
    assert not any(p.requires_grad for p in block.parameters())
    seen = []
    block.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Block" and seen.count("Linear") == 5
    block.to(cr.float64)
    assert all(p.dtype is cr.float64 for p in block.parameters()) and block.running.dtype is cr.float64
    with pytest.raises(TypeError, match="only accepts floating point dtypes"):
        block.to(cr.int32)


def test_repr_matches_torch():
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 2, bias=False), nn.Sigmoid()),
                         nn.Dropout(0.2), nn.Flatten())
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                 torch.nn.Sequential(torch.nn.Linear(4, 2, bias=False), torch.nn.Sigmoid()),
                                 torch.nn.Dropout(0.2), torch.nn.Flatten())
    assert repr(ours) == repr(theirs)


def test_sequential_indexing_slicing_append_and_module_list_dict():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(seq[0], nn.Linear) and len(seq[1:]) == 2 and isinstance(seq[-1], nn.Linear)
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and seq(cr.ones(5, 2)).shape == (5, 1)
    assert [n for n, _ in seq[1:].named_parameters()] == ["2.weight", "2.bias"]
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert [n for n, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"] and len(layers) == 3
    heads = nn.ModuleDict({"x": nn.Linear(2, 1)})
    heads["y"] = nn.Linear(2, 3)
    assert [n for n, _ in heads.named_parameters()] == ["x.weight", "x.bias", "y.weight", "y.bias"]
    assert "y" in heads and list(heads.keys()) == ["x", "y"]


def test_missing_forward_and_bad_buffer():
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        nn.Module()(cr.ones(1))
    with pytest.raises(KeyError, match=r"buffer name can.*t contain.*a\.b"):
        nn.Module().register_buffer("a.b", cr.ones(1))
    with pytest.raises(TypeError, match="cannot assign 'list' object to buffer 'x'"):
        nn.Module().register_buffer("x", [1])


def test_parameter_shares_memory_and_prints_like_torch():
    t = cr.zeros(2)
    p = nn.Parameter(t)
    p.data += 1
    assert t.tolist() == [1.0, 1.0] and p.requires_grad and p.is_leaf
    assert repr(p).replace("chainrule.", "") == repr(torch.nn.Parameter(torch.ones(2))).replace("torch.", "")


def test_shape_errors_name_the_module_path():
    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2))

        def forward(self, x):
            return self.blocks(x)

    model = nn.Sequential(Encoder())
    with pytest.raises(RuntimeError, match=r"in module '0\.blocks\.2' \(Linear\) of Sequential: Linear\(in_features=5.*got \(2, 4\)") as info:
        model(cr.ones(2, 3))
    assert "test_nn_module.py" in str(info.value)
    with pytest.raises(RuntimeError, match=r"in module '1' \(Conv2d\) of Sequential: conv2d: expected input with 3 channels"):
        nn.Sequential(nn.Identity(), nn.Conv2d(3, 4, 3))(cr.ones(1, 4, 8, 8))


def _models_with_buffers_at_several_depths(lib):
    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = lib.nn.BatchNorm1d(4)
            self.lin = lib.nn.Linear(4, 4)
            self.inner = lib.nn.Sequential(lib.nn.Linear(4, 4), lib.nn.BatchNorm1d(4))

    return {
        "linear-relu-norm-linear": lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.BatchNorm1d(4),
                                                     lib.nn.Linear(4, 2)),
        "nested blocks": lib.nn.Sequential(lib.nn.BatchNorm1d(4), Block(), Block(), lib.nn.Linear(4, 1)),
        "conv net": lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2), lib.nn.Conv2d(2, 2, 3),
                                      lib.nn.BatchNorm2d(2), lib.nn.Flatten(), lib.nn.Linear(8, 3)),
    }


@pytest.mark.parametrize("name", ["linear-relu-norm-linear", "nested blocks", "conv net"])
@pytest.mark.parametrize("prefix", ["", "model."])
def test_state_dict_keys_are_in_pytorchs_order(name, prefix):
    ours = _models_with_buffers_at_several_depths(cr)[name].state_dict(prefix=prefix)
    theirs = _models_with_buffers_at_several_depths(torch)[name].state_dict(prefix=prefix)
    assert list(ours) == list(theirs)
    assert type(ours).__name__ == "OrderedDict"
