"""Every config error is found before training, names the file, the line and the key or
layer, and (for names) suggests the closest valid one."""
import textwrap

import pytest

from chainrule.config import load, ConfigError

BASE = """\
data:
  dataset: xor
  options: {n: 64}
model:
  layers:
    - Linear: {in_features: 2, out_features: 4}
    - ReLU
    - Linear: {in_features: 4, out_features: 2}
loss: CrossEntropyLoss
metrics: [accuracy]
solver:
  optimizer: SGD
  lr: 0.1
  epochs: 2
  batch_size: 16
"""


def write(tmp_path, text, name="model.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def error_of(tmp_path, text, overrides=(), name="model.yaml"):
    path = write(tmp_path, text, name)
    with pytest.raises(ConfigError) as info:
        load(path, overrides)
    return str(info.value)


def test_a_good_config_loads(tmp_path):
    experiment = load(write(tmp_path, BASE))
    assert experiment.epochs == 2 and experiment.batch_size == 16
    assert [type(m).__name__ for m in experiment.model.children()] == ["Linear", "ReLU", "Linear"]


def test_unknown_top_level_key_suggests_the_closest(tmp_path):
    message = error_of(tmp_path, BASE + "solvr: {}\n")
    assert "model.yaml:16: solvr: unknown key 'solvr'; did you mean 'solver'?" in message


def test_unknown_section_key_is_located(tmp_path):
    message = error_of(tmp_path, BASE.replace("  batch_size: 16", "  batch_sise: 16"))
    assert "model.yaml:15: solver.batch_sise: unknown key 'batch_sise'; did you mean 'batch_size'?" in message


def test_unknown_layer_type_suggests_the_closest(tmp_path):
    message = error_of(tmp_path, BASE.replace("    - ReLU", "    - Relu"))
    assert "model.yaml:7: model.layers[1]: layer '1': unknown layer type 'Relu'; did you mean 'ReLU'?" in message


def test_a_loss_among_the_layers_is_pointed_to_the_loss_key(tmp_path):
    message = error_of(tmp_path, BASE.replace("    - ReLU", "    - MSELoss"))
    assert "losses go under 'loss' or 'losses'" in message


def test_unknown_layer_argument_is_located_on_its_line(tmp_path):
    text = BASE.replace("    - Linear: {in_features: 4, out_features: 2}",
                        "    - Linear:\n        in_features: 4\n        out_feature: 2")
    message = error_of(tmp_path, text)
    assert "model.yaml:10: model.layers[2].Linear.out_feature: layer '2' (Linear): unknown argument " \
           "'out_feature'; did you mean 'out_features'?" in message


def test_missing_layer_argument_shows_the_signature(tmp_path):
    message = error_of(tmp_path, BASE.replace("{in_features: 4, out_features: 2}", "{in_features: 4}"))
    assert "model.yaml:8: model.layers[2]: layer '2' (Linear): missing required argument 'out_features' " \
           "(signature: Linear(in_features, out_features, bias=True, dtype=None))" in message


@pytest.mark.parametrize("old,new,words", [
    ("  epochs: 2", "  epochs: two", "model.yaml:14: solver.epochs: must be an integer, got 'two' (str)"),
    ("  lr: 0.1", "  lr: fast", "model.yaml:13: solver.lr: must be an integer or a number, got 'fast' (str)"),
    ("  lr: 0.1", "  lr: true", "solver.lr: must be an integer or a number, got True (bool)"),
    ("metrics: [accuracy]", "metrics: accuracy", "model.yaml:10: metrics: must be a list or a mapping"),
    ("    - ReLU", "    - Dropout: {p: high}", "layer '1' (Dropout): argument 'p' must be float, got 'high'"),
    ("  epochs: 2", "  epochs: 0", "solver.epochs: must be at least 1, got 0"),
])
def test_wrong_value_types(tmp_path, old, new, words):
    assert words in error_of(tmp_path, BASE.replace(old, new))


def test_shape_error_from_the_sample_batch_names_layer_line_and_shapes(tmp_path):
    message = error_of(tmp_path, BASE.replace("{in_features: 4, out_features: 2}", "{in_features: 5, out_features: 2}"))
    assert "model.yaml:8: model.layers[2]: layer '2' (Linear) fails on a sample batch: it got input (16, 4)" in message
    assert "expected input of shape (*, 5), got (16, 4)" in message


def test_loss_that_cannot_take_the_output_is_reported_at_the_loss(tmp_path):
    message = error_of(tmp_path, BASE.replace("out_features: 2}", "out_features: 1}").replace(
        "loss: CrossEntropyLoss", "loss: {type: BCEWithLogitsLoss}"))
    assert "model.yaml:9: loss: BCEWithLogitsLoss cannot compare the model's output of shape (16, 1) with " \
           "target 'y' of shape (16,)" in message


def test_metric_that_does_not_exist(tmp_path):
    message = error_of(tmp_path, BASE.replace("metrics: [accuracy]", "metrics: [acuracy]"))
    assert "model.yaml:10: metrics[0]: unknown metric 'acuracy'; did you mean 'accuracy'?" in message


def test_unknown_dataset_and_option(tmp_path):
    assert "data.dataset: unknown dataset 'digit'; did you mean 'digits'?" in error_of(
        tmp_path, BASE.replace("dataset: xor", "dataset: digit"))
    assert "model.yaml:3: data.options.m: dataset 'xor': unknown option 'm'" in error_of(
        tmp_path, BASE.replace("{n: 64}", "{m: 64}"))


def test_missing_sections(tmp_path):
    assert "the config has no 'model' section" in error_of(tmp_path, "data: {dataset: xor}\nloss: MSELoss\n")
    assert "give exactly one of 'loss'" in error_of(tmp_path, BASE.replace("loss: CrossEntropyLoss\n", ""))


def test_invalid_yaml_names_the_line(tmp_path):
    message = error_of(tmp_path, BASE.replace("  lr: 0.1", "  lr: [0.1"))
    assert "model.yaml:14: this is not valid YAML" in message


def test_duplicate_keys_are_refused(tmp_path):
    assert "model.yaml:16: key 'loss' is written twice" in error_of(tmp_path, BASE + "loss: MSELoss\n")


def test_monitoring_a_value_that_is_not_logged(tmp_path):
    text = BASE + "callbacks:\n  early_stopping: {monitor: val_acc}\n"
    message = error_of(tmp_path, text)
    assert "model.yaml:17: callbacks.early_stopping.monitor: cannot monitor 'val_acc'" in message
    text = BASE.replace("  options: {n: 64}", "  options: {n: 64}\n  validation_fraction: 0") + \
        "callbacks:\n  checkpoint: {monitor: val_loss}\n"
    assert "set data.validation_fraction above 0" in error_of(tmp_path, text)


def test_unknown_optimizer_and_schedule_and_their_arguments(tmp_path):
    assert "solver.optimizer: unknown optimizer 'Adamw'; did you mean 'AdamW'?" in error_of(
        tmp_path, BASE.replace("optimizer: SGD", "optimizer: Adamw"))
    assert "optimizer Adam: unknown argument 'momentum'" in error_of(
        tmp_path, BASE.replace("optimizer: SGD", "optimizer: Adam\n  momentum: 0.9"))
    assert "unknown schedule 'Cosine'" in error_of(tmp_path, BASE + "  schedule: Cosine\n")
    assert "schedule StepLR: missing required argument 'step_size'" in error_of(tmp_path, BASE + "  schedule: StepLR\n")


GRAPH = """\
data:
  dataset: xor
  options: {n: 64}
  derive: {flip: {from: y, eq: 0}}
  targets: [y, flip]
model:
  graph:
    - {name: hidden, type: Linear, inputs: x, in_features: 2, out_features: 8}
    - {name: act, type: Tanh}
    - {name: a, type: Linear, inputs: act, in_features: 8, out_features: 2}
    - {name: b, type: Linear, inputs: act, in_features: 8, out_features: 2}
  outputs: [a, b]
losses:
  a: {type: CrossEntropyLoss, target: y}
  b: {type: CrossEntropyLoss, target: flip, weight: 0.5}
metrics: {a: [accuracy], b: [accuracy]}
solver: {epochs: 1, batch_size: 8}
"""


def test_a_graph_config_loads_with_two_heads(tmp_path):
    experiment = load(write(tmp_path, GRAPH))
    x, y = next(iter(experiment.train_loader))
    out = experiment.model(x)
    assert sorted(out) == ["a", "b"] and tuple(out["a"].shape) == (8, 2)
    assert sorted(y) == ["flip", "y"] and (y["flip"].numpy() == (y["y"].numpy() == 0)).all()
    assert sorted(experiment.metrics) == ["a_accuracy", "b_accuracy"]


def test_graph_missing_input(tmp_path):
    message = error_of(tmp_path, GRAPH.replace("inputs: act, in_features: 8, out_features: 2}\n    - {name: b",
                                               "inputs: ac, in_features: 8, out_features: 2}\n    - {name: b"))
    assert "model.yaml:10: model.graph[2]: layer 'a' takes input 'ac', which is neither a model input (x) " \
           "nor a layer; did you mean 'act'?" in message


def test_graph_cycle(tmp_path):
    text = GRAPH.replace("{name: act, type: Tanh}", "{name: act, type: Tanh, inputs: b}")
    message = error_of(tmp_path, text)
    assert "the graph has a cycle: act -> b -> act; a layer cannot depend on its own output" in message


def test_graph_output_that_is_not_a_layer(tmp_path):
    assert "output 'c' is not a layer of the graph" in error_of(tmp_path, GRAPH.replace("[a, b]", "[a, c]"))


def test_graph_duplicate_layer_name(tmp_path):
    message = error_of(tmp_path, GRAPH.replace("{name: b,", "{name: a,"))
    assert "model.yaml:11: model.graph[3]: layer name 'a' is used twice (first at " in message
    assert message.endswith("model.yaml:10)")


def test_head_without_a_loss_and_unknown_target(tmp_path):
    assert "model outputs ['b'] have no loss" in error_of(
        tmp_path, GRAPH.replace("  b: {type: CrossEntropyLoss, target: flip, weight: 0.5}\n", ""))
    assert "losses.b.target: target must be one of data.targets ['y', 'flip'], got 'flp'" in error_of(
        tmp_path, GRAPH.replace("target: flip", "target: flp"))


def test_include_and_overrides(tmp_path):
    write(tmp_path, BASE, "base.yaml")
    path = write(tmp_path, "include: base.yaml\nsolver:\n  lr: 0.5\n", "child.yaml")
    experiment = load(path, ["solver.batch_size=8", "model.layers.0.Linear.out_features=6",
                             "model.layers.2.Linear.in_features=6"])
    assert experiment.optimizer.param_groups[0]["lr"] == 0.5           # the child wins
    assert experiment.batch_size == 8 and experiment.model[0].out_features == 6
    assert experiment.epochs == 2                                      # kept from the base


def test_errors_in_included_files_and_overrides_are_located_there(tmp_path):
    write(tmp_path, BASE.replace("  epochs: 2", "  epochs: two"), "base.yaml")
    path = write(tmp_path, "include: base.yaml\n", "child.yaml")
    assert "base.yaml:14: solver.epochs: must be an integer" in error_of_path(path)
    write(tmp_path, BASE, "base.yaml")
    with pytest.raises(ConfigError, match=r"--set solver.epochs=x: solver.epochs: must be an integer"):
        load(path, ["solver.epochs=x"])
    with pytest.raises(ConfigError, match="--set needs key=value"):
        load(path, ["solver.epochs"])


def error_of_path(path):
    with pytest.raises(ConfigError) as info:
        load(path)
    return str(info.value)


def test_include_cycle(tmp_path):
    write(tmp_path, "include: b.yaml\n", "a.yaml")
    write(tmp_path, "include: a.yaml\n", "b.yaml")
    assert "include cycle: a.yaml -> b.yaml -> a.yaml" in error_of_path(str(tmp_path / "a.yaml"))


def test_a_python_dict_works_like_a_file():
    import yaml
    experiment = load(yaml.safe_load(BASE))
    assert experiment.epochs == 2


@pytest.mark.parametrize("written, value", [
    ("1.0e12", 1e12), ("1e12", 1e12), ("2.5e-4", 2.5e-4), ("1.0E+3", 1e3), ("1.5e-3", 1.5e-3), (".5", 0.5),
    ("+.5e2", 50.0), ("1.", 1.0), ("+1.5", 1.5), ("0.1", 0.1), ("3E2", 300.0), ("1_000.5", 1000.5),
])
def test_every_yaml_12_float_form_is_a_number(tmp_path, written, value):
    """YAML 1.1 (PyYAML) reads 1.0e12 (an unsigned exponent) or 1e12 as strings; a config reads them as
    YAML 1.2 and users do: as numbers. The learning rate is where they are written."""
    experiment = load(write(tmp_path, BASE.replace("lr: 0.1", f"lr: {written}")))
    assert experiment.optimizer.param_groups[0]["lr"] == value


def test_words_and_integers_are_not_floats(tmp_path):
    from chainrule.config.source import loader
    import yaml
    parsed = yaml.load("a: 1e\nb: 12e3x\nc: 12\nd: .inf\ne: abc", Loader=loader())
    assert parsed == {"a": "1e", "b": "12e3x", "c": 12, "d": float("inf"), "e": "abc"}
