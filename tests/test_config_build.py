"""What a config builds: data from .npz and .csv files (columns, derive, splits), transforms,
graph joins (Add, Concat) and several inputs, the solver's schedule and L1, the loss."""
import textwrap

import numpy as np
import pytest

import chainrule as cr
from chainrule.config import load, ConfigError


def write(tmp_path, text, name="model.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_npz_file_with_columns_derive_and_test_fraction(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "table.npz", a=rng.normal(size=100), b=rng.normal(size=100),
             label=rng.integers(0, 4, 100))
    experiment = load(write(tmp_path, """\
        data:
          file: table.npz
          test_fraction: 0.25
          validation_fraction: 0
          columns: {x: [a, b]}
          derive: {big: {from: label, ge: 2}}
          targets: big
        model: {layers: [{Linear: {in_features: 2, out_features: 2}}]}
        loss: CrossEntropyLoss
        solver: {batch_size: 10}
        """))
    assert len(experiment.train_data) == 75 and len(experiment.test_data) == 25 and experiment.val_data is None
    x, y = experiment.train_data.get_batch(list(range(75)))
    assert tuple(x.shape) == (75, 2) and x.dtype == cr.float32 and y.dtype == cr.int64
    table = np.load(tmp_path / "table.npz")
    order = np.random.default_rng(0).permutation(100)[25:]       # the seeded split
    np.testing.assert_allclose(x.numpy(), np.stack([table["a"][order], table["b"][order]], 1), rtol=1e-6)
    np.testing.assert_array_equal(y.numpy(), (table["label"][order] >= 2).astype(np.int64))


def test_csv_file_and_test_file(tmp_path):
    (tmp_path / "train.csv").write_text("u,v,t\n" + "".join(f"{i},{-i},{i * 0.5}\n" for i in range(20)))
    (tmp_path / "test.csv").write_text("u,v,t\n1,2,3\n4,5,6\n")
    experiment = load(write(tmp_path, """\
        data: {file: train.csv, test_file: test.csv, columns: {x: [u, v]}, targets: t, validation_fraction: 0.1}
        model: {layers: [{Linear: {in_features: 2, out_features: 1}}, {Flatten: {start_dim: 0}}]}
        loss: MSELoss
        metrics: [mae]
        """))
    assert len(experiment.test_data) == 2 and len(experiment.train_data) == 18 and len(experiment.val_data) == 2
    x, t = experiment.test_data.get_batch([0, 1])
    np.testing.assert_array_equal(x.numpy(), [[1, 2], [4, 5]])
    np.testing.assert_array_equal(t.numpy(), [3, 6])


def test_a_csv_with_text_is_refused(tmp_path):
    (tmp_path / "bad.csv").write_text("u,name\n1,cat\n2,dog\n")
    with pytest.raises(ConfigError, match=r"model.yaml:1: data.file: cannot read 'bad.csv': bad.csv: column 'name' "
                                          r"is not numeric"):
        load(write(tmp_path, "data: {file: bad.csv}\nmodel: {layers: [ReLU]}\nloss: MSELoss\n"))
    with pytest.raises(ConfigError, match=r"data file 'none.npz' does not exist"):
        load(write(tmp_path, "data: {file: none.npz}\nmodel: {layers: [ReLU]}\nloss: MSELoss\n"))


def test_transforms_normalize_every_split_and_augment_only_training(tmp_path):
    experiment = load(write(tmp_path, """\
        data:
          dataset: xor
          transforms:
            - Normalize: {mean: [0.5], std: [0.25]}
            - RandomNoise: {std: 0.1}
        model: {layers: [{Linear: {in_features: 2, out_features: 2}}]}
        loss: CrossEntropyLoss
        solver: {batch_size: 400}
        """))
    raw = experiment.test_data.get_batch(list(range(len(experiment.test_data))))[0].numpy()
    test_x = next(iter(experiment.test_loader))[0].numpy()
    np.testing.assert_allclose(test_x, (raw - 0.5) / 0.25, rtol=1e-6)       # normalized, no noise
    train_raw = experiment.train_loader.dataset.dataset
    first = experiment.train_loader.dataset[0][0].numpy()
    assert not np.allclose(first, (train_raw[0][0].numpy() - 0.5) / 0.25)   # noise added in training


RESIDUAL = """\
data: {dataset: xor, options: {n: 40}, validation_fraction: 0}
model:
  graph:
    - {name: a, type: Linear, in_features: 2, out_features: 3}
    - {name: b, type: Linear, inputs: x, in_features: 2, out_features: 3}
    - {name: sum, type: Add, inputs: [a, b]}
    - {name: joined, type: Concat, inputs: [sum, x], dim: 1}
    - {name: out, type: Linear, in_features: 5, out_features: 2}
  outputs: out
loss: CrossEntropyLoss
"""


def test_graph_joins_compute_what_they_say(tmp_path):
    experiment = load(write(tmp_path, RESIDUAL))
    model = experiment.model
    x = cr.randn(4, 2)
    layers = model.layers
    expected = layers["out"](cr.cat([layers["a"](x) + layers["b"](x), x], dim=1))
    np.testing.assert_allclose(model(x).detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    assert sorted(k.split(".")[1] for k in model.state_dict()) == ["a", "a", "b", "b", "out", "out"]


def test_graph_with_two_inputs(tmp_path):
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "pairs.npz", left=rng.normal(size=(30, 3)), right=rng.normal(size=(30, 2)),
             y=rng.integers(0, 2, 30))
    experiment = load(write(tmp_path, """\
        data: {file: pairs.npz, inputs: [left, right], validation_fraction: 0}
        model:
          graph:
            - {name: joined, type: Concat, inputs: [left, right]}
            - {name: head, type: Linear, in_features: 5, out_features: 2}
          outputs: head
        loss: CrossEntropyLoss
        """))
    x, y = next(iter(experiment.train_loader))
    assert sorted(x) == ["left", "right"]
    assert tuple(experiment.model(x).shape) == (len(y), 2)
    with pytest.raises(ConfigError, match="layer 'joined' needs 'inputs': the model has several inputs"):
        load(write(tmp_path, """\
            data: {file: pairs.npz, inputs: [left, right]}
            model: {graph: [{name: joined, type: Concat}], outputs: joined}
            loss: CrossEntropyLoss
            """, "again.yaml"))


def test_one_cycle_and_cosine_schedules_are_sized_from_the_run(tmp_path):
    text = RESIDUAL + "solver: {epochs: 3, batch_size: 10, schedule: {type: OneCycleLR, max_lr: 0.1}}\n"
    experiment = load(write(tmp_path, text))
    assert experiment.scheduler_interval == "step"
    assert experiment.scheduler.total_steps == 3 * len(experiment.train_loader) == 9   # 30 samples, batch 10
    text = RESIDUAL + "solver: {epochs: 7, schedule: CosineAnnealingLR}\n"
    experiment = load(write(tmp_path, text, "cosine.yaml"))
    assert experiment.scheduler.T_max == 7 and experiment.scheduler_interval == "epoch"


def test_l1_and_the_loss_weights_enter_the_training_loss(tmp_path):
    experiment = load(write(tmp_path, RESIDUAL + "solver: {l1: 0.01}\n"))
    x, y = next(iter(experiment.train_loader))
    plain = cr.nn.functional.cross_entropy(experiment.model(x), y)
    penalty = sum(p.abs().sum() for p in experiment.model.parameters()) * 0.01
    np.testing.assert_allclose(experiment.loss(experiment.model(x), y).item(), (plain + penalty).item(), rtol=1e-6)


def test_the_same_config_builds_the_same_model_and_order(tmp_path):
    path = write(tmp_path, RESIDUAL)
    first = load(path)
    first_batch = next(iter(first.train_loader))[1].numpy()    # shuffling draws from the seeded generator
    second = load(path)
    second_batch = next(iter(second.train_loader))[1].numpy()
    for a, b in zip(first.model.parameters(), second.model.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    np.testing.assert_array_equal(first_batch, second_batch)


def test_size_arguments_take_lists_and_padding_takes_same(tmp_path):
    experiment = load(write(tmp_path, """\
        data: {dataset: digits}
        model:
          layers:
            - Conv2d: {in_channels: 1, out_channels: 2, kernel_size: [3, 1], stride: [2, 1], padding: [1, 0]}
            - Conv2d: {in_channels: 2, out_channels: 2, kernel_size: 3, padding: same}
            - Flatten
            - Linear: {in_features: 64, out_features: 10}
        loss: CrossEntropyLoss
        """))
    assert experiment.model[0].stride == (2, 1) and experiment.model[1].padding == "same"
