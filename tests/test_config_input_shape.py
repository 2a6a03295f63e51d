"""model.input_shape: a model summarized and checked without its data, and the data checked against it."""
import textwrap

import pytest

from chainrule.cli import main
from chainrule.config import ConfigError, load

CONV = """\
data:
  file: not_there.npz
model:
  input_shape: [1, 8, 8]
  layers:
    - Conv2d: {in_channels: 1, out_channels: 4, kernel_size: 3}
    - ReLU
    - Flatten
    - Linear: {in_features: 144, out_features: 10}
loss: CrossEntropyLoss
"""

XOR = """\
data:
  dataset: xor
  options: {n: 64}
model:
  input_shape: SHAPE
  layers:
    - Linear: {in_features: 2, out_features: 4}
    - Tanh
    - Linear: {in_features: 4, out_features: 2}
loss: CrossEntropyLoss
solver: {epochs: 1, batch_size: 16}
"""


def write(tmp_path, text):
    path = tmp_path / "model.yaml"
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_summary_runs_from_the_input_shape_without_data(tmp_path, capsys):
    assert main(["summary", write(tmp_path, CONV)]) == 0
    out = capsys.readouterr().out
    assert "from model.input_shape" in out and "(1, 4, 6, 6)" in out and "Total params: 1,490" in out


def test_a_model_that_does_not_fit_its_input_shape_names_the_layer(tmp_path, capsys):
    assert main(["summary", write(tmp_path, CONV.replace("in_features: 144", "in_features: 100"))]) == 2
    err = capsys.readouterr().err
    assert "model.yaml:9" in err and "layer '3' (Linear) fails on a sample batch: it got input (1, 144)" in err


def test_a_graph_model_takes_one_shape_per_input(tmp_path, capsys):
    graph = """\
    model:
      inputs: [image, extra]
      input_shape: {image: [4], extra: [3]}
      outputs: head
      graph:
        - {type: Linear, name: a, inputs: image, in_features: 4, out_features: 2}
        - {type: Linear, name: b, inputs: extra, in_features: 3, out_features: 2}
        - {type: Add, name: head, inputs: [a, b]}
    """
    assert main(["summary", write(tmp_path, graph)]) == 0
    assert "head" in capsys.readouterr().out


@pytest.mark.parametrize("shape, words", [
    ("[]", "an input shape is a non-empty list of positive integers"),
    ("[2, 0]", "non-empty list of positive integers"),
    ("[2.5]", "non-empty list of positive integers"),
    ("{x: [2], y: [3]}", "input_shape must give a shape for each model input ['x']; unknown: ['y']"),
])
def test_a_bad_input_shape_is_located(tmp_path, capsys, shape, words):
    assert main(["summary", write(tmp_path, XOR.replace("SHAPE", shape))]) == 2
    err = capsys.readouterr().err
    assert words in err and "model.yaml:5" in err


def test_training_checks_the_data_against_the_input_shape(tmp_path):
    assert load(write(tmp_path, XOR.replace("SHAPE", "[2]"))).model is not None
    with pytest.raises(ConfigError, match=r"model.yaml:5: .*model.input_shape says one sample of 'x' has shape "
                                          r"\[3\], but the data's samples have shape \[2\]"):
        load(write(tmp_path, XOR.replace("SHAPE", "[3]")))
