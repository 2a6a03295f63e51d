"""``draw_graph``: the ops, shapes, parameter names, gradient norms and module groups of a graph,
as DOT; rendered by Graphviz when it is there, with install advice when it is not."""
import re
import shutil

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.diag import draw_graph, to_dot, record_modules


def lecture_net():
    cr.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2))
    x, y = cr.randn(1, 3), cr.randn(1, 2)
    with record_modules():
        loss = nn.functional.mse_loss(net(x), y)
    return net, loss


def test_dot_lists_ops_parameters_and_modules():
    net, loss = lecture_net()
    text = to_dot(loss, model=net)
    assert text.count("MatMulBackward0") == 2 and text.count("SigmoidBackward0") == 1
    assert 'label="0 (Linear)"' in text and 'label="1 (Sigmoid)"' in text and 'label="2 (Linear)"' in text
    for name, shape in (("0.weight", "(4, 3)"), ("0.bias", "(4,)"), ("2.weight", "(2, 4)"), ("2.bias", "(2,)")):
        assert f"{name}\\n{shape} float32" in text
    assert "in: (1, 3) (4, 3)\\nout: (1, 4) float32" in text      # x and W: linear multiplies by W^T itself
    assert "grad norm" not in text                                  # no backward yet
    nodes = re.findall(r"^\s*(n\d+) \[", text, re.M)
    edges = re.findall(r"^\s*(n\d+) -> (n\d+|out\d+);", text, re.M)
    assert len(nodes) == len(set(nodes)) == 12                      # 8 ops + 4 parameters
    assert len(edges) == len(nodes)                                 # a tree here: one edge out of each


def test_gradient_norms_after_backward():
    net, loss = lecture_net()
    loss.backward()
    text = to_dot(loss, model=net)
    norm = float(np.linalg.norm(net[0].weight.grad.numpy().astype(np.float64)))
    assert f"0.weight\\n(4, 3) float32\\ngrad norm {norm:.4g}" in text


def test_without_graphviz_the_dot_text_is_written_and_the_fix_named(tmp_path, monkeypatch):
    net, loss = lecture_net()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.warns(UserWarning, match=r"Graphviz 'dot' program is not installed.*apt-get install graphviz"):
        written = draw_graph(loss, str(tmp_path / "net.svg"), model=net)
    assert written == [str(tmp_path / "net.dot")]
    assert (tmp_path / "net.dot").read_text().startswith("digraph chainrule {")
    assert not (tmp_path / "net.svg").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_renders_svg(tmp_path):
    net, loss = lecture_net()
    written = draw_graph(loss, str(tmp_path / "net.svg"), model=net, title="3-4-2")
    assert written[1].endswith("net.svg") and "<svg" in (tmp_path / "net.svg").read_text()


def test_bad_extension_and_plain_tensors(tmp_path):
    with pytest.raises(ValueError, match=r"path must end in .dot, .svg, .png or .pdf, got 'x.jpg'"):
        draw_graph(cr.ones(1), "x.jpg")
    a = cr.ones(2, requires_grad=True)
    text = to_dot([(a * 2).sum(), a.exp()])
    assert "out0" in text and "out1" in text and text.count("tensor\\n(2,)") == 1
