"""chainrule.save / chainrule.load: round trips, shared storages, PyTorch checkpoints, refusals."""
import collections
import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.serialization import CorruptFileError, RefusedGlobalError


def bits(array):
    """The exact bytes of an array, so that -0.0 and NaN payloads count."""
    array = np.ascontiguousarray(array)
    return array.dtype, array.shape, array.tobytes()


# ---------------------------------------------------------------- chainrule's own format

def test_a_nested_checkpoint_round_trips_exactly(tmp_path):
    tensors = {name: cr.tensor(np.arange(6).reshape(2, 3) % 2 == 0 if name == "bool" else
                               np.arange(-3, 3).reshape(2, 3), dtype=getattr(cr, name))
               for name in ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]}
    specials = cr.tensor([0.0, -0.0, float("inf"), -float("inf"), float("nan"), 1e-310], dtype=cr.float64)
    obj = collections.OrderedDict([
        ("tensors", tensors), ("specials", specials), ("epoch", 3), ("lr", 2.5e-4), ("nan", float("nan")),
        ("neg_zero", -0.0), ("name", "run"), ("flags", (True, False, None)), ("ints", {0: "a", 7: "b"}),
        ("array", np.arange(4, dtype=np.int16)), ("scalar", np.float32(0.1)), ("dtype", cr.float16),
        ("size", cr.Size([2, 3])), ("big", 2 ** 70), ("empty", cr.zeros(0, 3)),
    ])
    cr.save(obj, tmp_path / "c.pt")
    back = cr.load(tmp_path / "c.pt")
    assert type(back) is collections.OrderedDict and list(back) == list(obj)
    assert list(back["tensors"]) == list(tensors)
    for name, tensor in tensors.items():
        assert back["tensors"][name].dtype == tensor.dtype
        assert bits(back["tensors"][name].numpy()) == bits(tensor.numpy())
    assert bits(back["specials"].numpy()) == bits(specials.numpy())
    assert back["epoch"] == 3 and back["lr"] == 2.5e-4 and np.isnan(back["nan"])
    assert str(back["neg_zero"]) == "-0.0" and back["name"] == "run" and back["flags"] == (True, False, None)
    assert back["ints"] == {0: "a", 7: "b"} and back["big"] == 2 ** 70
    assert bits(back["array"]) == bits(obj["array"]) and isinstance(back["array"], np.ndarray)
    assert type(back["scalar"]) is np.float32 and back["scalar"] == np.float32(0.1)
    assert back["dtype"] is cr.float16 and back["size"] == cr.Size([2, 3])
    assert back["empty"].shape == (0, 3)


def test_parameters_and_requires_grad_survive(tmp_path):
    p = cr.nn.Parameter(cr.randn(2))
    frozen = cr.nn.Parameter(cr.randn(2), requires_grad=False)
    leaf = cr.randn(3, requires_grad=True)
    cr.save([p, frozen, leaf, leaf.detach()], tmp_path / "p.pt")
    back = cr.load(tmp_path / "p.pt")
    assert isinstance(back[0], cr.nn.Parameter) and back[0].requires_grad
    assert isinstance(back[1], cr.nn.Parameter) and not back[1].requires_grad
    assert not isinstance(back[2], cr.nn.Parameter) and back[2].requires_grad and not back[3].requires_grad


def test_tensors_that_share_memory_are_stored_once_and_share_it_again(tmp_path):
    w = cr.randn(100, 100)
    cr.save({"w": w}, tmp_path / "one.pt")
    cr.save({"w": w, "t": w.T, "row": w[3], "cols": w[:, 10:20], "same": w}, tmp_path / "views.pt")
    extra = os.path.getsize(tmp_path / "views.pt") - os.path.getsize(tmp_path / "one.pt")
    assert extra < 1000, f"the views added {extra} bytes: their storage was stored again"
    back = cr.load(tmp_path / "views.pt")
    np.testing.assert_array_equal(back["t"].numpy(), w.T.numpy())
    np.testing.assert_array_equal(back["cols"].numpy(), w[:, 10:20].numpy())
    back["w"][3, 15] = 1234.0
    assert back["t"][15, 3].item() == 1234.0 and back["row"][15].item() == 1234.0
    assert back["cols"][3, 5].item() == 1234.0 and back["same"][3, 15].item() == 1234.0


def test_a_model_and_its_optimizer_resume_exactly(tmp_path):
    def build():
        cr.manual_seed(1)
        model = cr.nn.Sequential(cr.nn.Linear(3, 8), cr.nn.BatchNorm1d(8), cr.nn.ReLU(), cr.nn.Linear(8, 1))
        return model, cr.optim.Adam(model.parameters(), lr=0.01)

    def step(model, optimizer, seed):
        cr.manual_seed(seed)
        optimizer.zero_grad()
        model(cr.randn(16, 3)).square().mean().backward()
        optimizer.step()

    model, optimizer = build()
    for seed in range(3):
        step(model, optimizer, seed)
    cr.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}, tmp_path / "ck.pt")
    step(model, optimizer, 3)

    resumed, resumed_optimizer = build()
    checkpoint = cr.load(tmp_path / "ck.pt")
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    step(resumed, resumed_optimizer, 3)
    for (name, a), (_, b) in zip(model.state_dict().items(), resumed.state_dict().items()):
        assert bits(a.numpy()) == bits(b.numpy()), name


def test_a_binary_file_object_works_both_ways():
    buffer = io.BytesIO()
    cr.save({"x": cr.arange(3)}, buffer)
    buffer.seek(0)
    assert cr.load(buffer)["x"].tolist() == [0, 1, 2]


def test_a_plain_safetensors_file_loads_as_a_dict_of_tensors(tmp_path):
    from safetensors.numpy import save_file
    save_file({"a": np.ones(2, np.float32), "b": np.arange(3)}, str(tmp_path / "w.safetensors"))
    back = cr.load(tmp_path / "w.safetensors")
    assert back["a"].dtype == cr.float32 and back["b"].tolist() == [0, 1, 2]


@pytest.mark.parametrize("obj, path", [
    ({"model": [1, 2, 3, lambda x: x]}, "obj['model'][3]"),
    ({"net": cr.nn.Linear(2, 2)}, "obj['net']"),
    ([{"a": {1, 2}}], "obj[0]['a']"),
    ({"o": np.array([object()])}, "obj['o']"),
])
def test_an_object_that_cannot_be_saved_is_named_by_its_path_and_nothing_is_written(tmp_path, obj, path):
    target = tmp_path / "ck.pt"
    cr.save({"good": 1}, target)
    before = target.read_bytes()
    with pytest.raises(TypeError) as error:
        cr.save(obj, target)
    message = str(error.value)
    assert path in message and "state_dict()" in message
    assert target.read_bytes() == before and os.listdir(tmp_path) == ["ck.pt"]


def test_a_dict_key_that_cannot_be_saved_is_refused():
    with pytest.raises(TypeError, match=r"the key .* of obj\['a'\] is a object"):
        cr.save({"a": {object(): 1}}, io.BytesIO())


def test_save_refuses_what_is_neither_a_path_nor_a_file():
    with pytest.raises(TypeError, match="f must be a path or a binary file object, got int"):
        cr.save({}, 3)


# ---------------------------------------------------------------- PyTorch's checkpoints

class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3)
        self.norm = torch.nn.BatchNorm2d(4)
        self.embed = torch.nn.Embedding(10, 4)
        self.lstm = torch.nn.LSTM(4, 5, batch_first=True)
        self.head = torch.nn.Linear(5, 2)


def torch_state_dicts():
    torch.manual_seed(0)
    return {
        "mlp": torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).state_dict(),
        "net": TorchNet().state_dict(),
        "norm1d": torch.nn.BatchNorm1d(6).state_dict(),
    }


def assert_matches_torch(ours, theirs, path="obj"):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, cr.Tensor), path
        assert bits(ours.numpy()) == bits(theirs.detach().numpy()), path
        assert ours.requires_grad == theirs.requires_grad, path
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs), path
        for key in theirs:
            assert_matches_torch(ours[key], theirs[key], f"{path}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_matches_torch(a, b, f"{path}[{i}]")
    else:
        assert ours == theirs, path


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".bin"])
def test_state_dicts_written_by_torch_save_load_exactly(tmp_path, suffix):
    state = torch_state_dicts()
    torch.save(state, tmp_path / f"model{suffix}")
    assert_matches_torch(cr.load(tmp_path / f"model{suffix}", map_location="cpu"), state)


def test_a_torch_state_dict_drives_the_twin_chainrule_model(tmp_path):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    torch.save(theirs.state_dict(), tmp_path / "m.pt")
    ours = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Tanh(), cr.nn.Linear(4, 2))
    ours.load_state_dict(cr.load(tmp_path / "m.pt"))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)


def test_a_torch_optimizer_state_loads(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(4, 3)).sum().backward()
    optimizer.step()
    state = {"optimizer": optimizer.state_dict(), "epoch": 4, "best": 0.25}
    torch.save(state, tmp_path / "opt.pt")
    assert_matches_torch(cr.load(tmp_path / "opt.pt"), state)


def test_views_dtypes_and_parameters_from_torch(tmp_path):
    w = torch.randn(6, 5)
    obj = {
        "w": w, "t": w.t(), "slice": w[2:, 1:4], "row": w[4], "stepped": w[::2],
        "half": torch.randn(4).half(), "ints": [torch.arange(3, dtype=d) for d in
                                                (torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64)],
        "bool": torch.tensor([True, False]), "double": torch.randn(2, dtype=torch.float64),
        "param": torch.nn.Parameter(torch.randn(2)), "frozen": torch.nn.Parameter(torch.ones(1), requires_grad=False),
        "scalar": torch.tensor(3.5), "empty": torch.zeros(0, 4), "numpy_number": np.float64(0.5),
        "dtype": torch.float16, "size": torch.Size([2, 3]), "set": {1, 2}, "bytes_key": {"k": b"\x00\xff"},
    }
    torch.save(obj, tmp_path / "v.pt")
    back = cr.load(tmp_path / "v.pt")
    for key in ("w", "t", "slice", "row", "stepped", "half", "bool", "double", "scalar", "empty"):
        assert_matches_torch(back[key], obj[key], key)
    assert_matches_torch(back["ints"], obj["ints"], "ints")
    assert isinstance(back["param"], cr.nn.Parameter) and back["param"].requires_grad
    assert isinstance(back["frozen"], cr.nn.Parameter) and not back["frozen"].requires_grad
    assert back["numpy_number"] == 0.5 and back["dtype"] is cr.float16 and tuple(back["size"]) == (2, 3)
    assert back["set"] == {1, 2} and back["bytes_key"] == {"k": b"\x00\xff"}
    back["w"][4, 2] = 99.0  # one storage: every view sees the write, as in PyTorch
    assert back["t"][2, 4].item() == 99.0 and back["slice"][2, 1].item() == 99.0
    assert back["row"][2].item() == 99.0 and back["stepped"][2, 2].item() == 99.0


def test_bfloat16_loads_as_exact_float32_with_a_warning(tmp_path):
    values = torch.tensor([1.5, -2.25, 3e38, 1e-40]).bfloat16()
    torch.save({"b": values}, tmp_path / "b.pt")
    with pytest.warns(UserWarning, match="bfloat16 tensors; they were loaded as float32"):
        back = cr.load(tmp_path / "b.pt")
    assert back["b"].dtype == cr.float32
    assert bits(back["b"].numpy()) == bits(values.float().numpy())


def test_loading_a_torch_checkpoint_never_imports_torch(tmp_path):
    torch.manual_seed(0)
    state = TorchNet().state_dict()
    torch.save(state, tmp_path / "net.pt")
    np.savez(tmp_path / "expected.npz", **{k: v.numpy() for k, v in state.items()})
    script = textwrap.dedent(f"""
        import sys
        class NoTorch:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ImportError("torch is blocked in this process")
        sys.meta_path.insert(0, NoTorch())
        import numpy as np
        import chainrule
        state = chainrule.load({str(tmp_path / 'net.pt')!r})
        expected = np.load({str(tmp_path / 'expected.npz')!r})
        assert list(state) == list(expected.files), (list(state), expected.files)
        for key in expected.files:
            np.testing.assert_array_equal(state[key].numpy(), expected[key])
        assert not any(name == "torch" or name.startswith("torch.") for name in sys.modules)
        print("loaded", len(state))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"loaded {len(state)}"


# ---------------------------------------------------------------- files that must be refused

def torch_style_archive(path, pickled, storages=None):
    """A zip laid out as torch.save lays it out, with our own pickle bytes inside."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickled)
        archive.writestr("archive/byteorder", "little")
        for key, data in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", data)


class RunsAShellCommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class CallsEval:
    def __reduce__(self):
        return eval, ("__import__('os').system('true')",)


@pytest.mark.parametrize("payload, refused", [
    (lambda marker: {"state": RunsAShellCommand(marker)}, "system'"),
    (lambda marker: [CallsEval()], "builtins.eval'"),
])
def test_a_malicious_pickle_is_refused_and_nothing_runs(tmp_path, payload, refused):
    marker = tmp_path / "pwned"
    torch_style_archive(tmp_path / "evil.pt", pickle.dumps(payload(marker), protocol=2))
    for weights_only in (True, False):
        with pytest.raises(RefusedGlobalError, match=refused) as error:
            cr.load(tmp_path / "evil.pt", weights_only=weights_only)
        assert "nothing in it was run" in str(error.value) and "state_dict()" in str(error.value)
    assert not marker.exists()


def test_a_whole_pickled_torch_module_is_refused_by_name(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")
    with pytest.raises(RefusedGlobalError, match=r"torch\.nn\.modules\.linear\.Linear"):
        cr.load(tmp_path / "module.pt")


def test_a_tensor_that_reaches_past_its_storage_is_refused(tmp_path):
    torch.save({"w": torch.zeros(4)}, tmp_path / "ok.pt")
    with zipfile.ZipFile(tmp_path / "ok.pt") as source:
        names = source.namelist()
        pkl = next(n for n in names if n.endswith("data.pkl"))
        data = {n: source.read(n) for n in names}
    # keep the pickle (a 4-element tensor) but shrink its storage to two elements
    storage = next(n for n in names if "/data/" in n)
    data[storage] = data[storage][:8]
    with zipfile.ZipFile(tmp_path / "bad.pt", "w") as target:
        for name, content in data.items():
            target.writestr(name, content)
    assert pkl in data
    with pytest.raises(CorruptFileError, match=r"reaches elements 0\.\.3 of a storage of 2 elements"):
        cr.load(tmp_path / "bad.pt")


def test_a_chainrule_file_whose_structure_lies_is_refused(tmp_path):
    from safetensors.numpy import save
    tree = {"type": "tensor", "storage": 0, "offset": 2, "shape": [3], "strides": [1], "dtype": "float32",
            "requires_grad": False, "parameter": False}
    data = save({"storage.0": np.zeros(4, np.float32)},
                metadata={"chainrule.format": "1", "chainrule.structure": json.dumps(tree)})
    with pytest.raises(CorruptFileError, match=r"reaches elements 2\.\.4 of a storage of 4 elements"):
        cr.load(io.BytesIO(data))


def test_a_legacy_torch_file_gets_the_way_out(tmp_path):
    torch.save({"w": torch.zeros(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(CorruptFileError, match="legacy format .* save it again with torch.save's default"):
        cr.load(tmp_path / "old.pt")


def test_a_torchscript_archive_is_named(tmp_path):
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), tmp_path / "script.pt")
    with pytest.raises(CorruptFileError, match="TorchScript archive"):
        cr.load(tmp_path / "script.pt")


def test_a_file_of_another_kind_is_named(tmp_path):
    (tmp_path / "notes.txt").write_text("hello world")
    with pytest.raises(CorruptFileError, match="neither a chainrule.save/safetensors file nor a torch.save"):
        cr.load(tmp_path / "notes.txt")


def test_map_location_accepts_the_cpu_and_refuses_what_it_cannot_do(tmp_path):
    cr.save({"x": cr.ones(1)}, tmp_path / "x.pt")
    for where in ("cpu", cr.device("cpu"), {"cuda:0": "cpu"}):
        assert cr.load(tmp_path / "x.pt", map_location=where)["x"].tolist() == [1.0]
    with pytest.raises(RuntimeError, match="device .cuda. is not available"):
        cr.load(tmp_path / "x.pt", map_location="cuda")
    with pytest.raises(TypeError, match="a callable map_location cannot be applied"):
        cr.load(tmp_path / "x.pt", map_location=lambda storage, location: storage)
    with pytest.raises(TypeError, match="pickle options do not apply"):
        cr.load(tmp_path / "x.pt", encoding="latin1")


def test_a_chainrule_file_with_misnamed_storages_is_refused():
    from safetensors.numpy import save
    data = save({"weights": np.zeros(4, np.float32)},
                metadata={"chainrule.format": "1", "chainrule.structure": json.dumps(None)})
    with pytest.raises(CorruptFileError, match=r"the arrays \['weights'\] are not the storages storage.0"):
        cr.load(io.BytesIO(data))
