"""``draw_graph(tensor, path)``: the computational graph behind a tensor, as DOT and SVG/PNG.

Each box is an op of the forward pass (its backward node's name beside it) with its input
shapes; leaves are parameters (named, when the model is given) and other tensors that
require grad, with shape, dtype and, after ``backward()``, the gradient's norm. Ops that
ran inside ``record_modules()`` are grouped by the module that ran them, so that large
graphs read as their modules. The Graphviz ``dot`` program renders the picture; without it
the DOT text is still written and a warning says how to install Graphviz.
"""
import contextlib
import os
import shutil
import subprocess
import warnings

from .. import function
from ..io import atomic_write
from .. import module_calls
from ..tensor import Tensor

INSTALL_GRAPHVIZ = ("the Graphviz 'dot' program is not installed, so only the DOT text was written: install it "
                    "(apt-get install graphviz, brew install graphviz or conda install graphviz) and run "
                    "`dot -Tsvg {dot} -o {image}`")


def _note_module(cls, inputs, params, result):
    """Remember the running module and the op's output shape and dtype on its node."""
    if result.grad_fn is None:
        return
    result.grad_fn._graph_output = (tuple(result.shape), str(result.dtype).replace("chainrule.", ""))
    stack = module_calls.stack
    if stack:
        result.grad_fn._module_origin = (stack[0], stack[-1])


@contextlib.contextmanager
def record_modules():
    """Within the block, each recorded op remembers which module ran it and its output's shape and
    dtype (for ``draw_graph``)."""
    previous = module_calls.track(True)
    function.apply_hooks.append(_note_module)
    try:
        yield
    finally:
        function.apply_hooks.remove(_note_module)
        module_calls.track(previous or bool(function.apply_hooks))


def _shape(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _escape(text):
    """Quotes escaped for a DOT string (labels keep their \\n line breaks)."""
    return str(text).replace('"', '\\"')


def _leaf_label(variable, names):
    name = names.get(id(variable), "tensor")
    label = f"{name}\\n{_shape(tuple(variable.shape))} {str(variable.dtype).replace('chainrule.', '')}"
    if variable.grad is not None:
        label += f"\\ngrad norm {float((variable.grad.detach().double() ** 2).sum().item()) ** 0.5:.4g}"
    return label


def _module_name(origin, paths):
    if origin is None:
        return None
    root, inner = origin
    if root not in paths:
        paths[root] = {id(m): name for name, m in root.named_modules()}
    name = paths[root].get(id(inner), "")
    return f"{name} ({type(inner).__name__})" if name else type(inner).__name__


def to_dot(outputs, model=None, title=None):
    """The DOT text of the graph that produced ``outputs`` (a tensor or a list of tensors)."""
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    names = {id(p): name for name, p in model.named_parameters()} if model is not None else {}
    ids, lines, clusters, edges, paths = {}, [], {}, [], {}

    def node_id(node):
        if id(node) not in ids:
            ids[id(node)] = f"n{len(ids)}"
        return ids[id(node)]

    stack, seen = [], set()
    for index, out in enumerate(outputs):
        label = f"output {index}\\n{_shape(tuple(out.shape))} {str(out.dtype).replace('chainrule.', '')}"
        lines.append(f'  out{index} [label="{label}", shape=box, style="rounded,filled", fillcolor="#cfe8cf"];')
        if out.grad_fn is not None:
            edges.append(f"  {node_id(out.grad_fn)} -> out{index};")
            stack.append(out.grad_fn)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        me = node_id(node)
        variable = getattr(node, "variable", None)
        if variable is not None:                       # a leaf: AccumulateGrad
            lines.append(f'  {me} [label="{_escape(_leaf_label(variable, names))}", shape=box, '
                         f'style=filled, fillcolor="#dae8fc"];')
            continue
        op = type(node).__name__
        shapes = " ".join(_shape(s) for s in getattr(node, "_input_shapes", ()) if s is not None)
        label = f"{op.lower()}\\n{node.name()}" + (f"\\nin: {shapes}" if shapes else "")
        output = getattr(node, "_graph_output", None)
        if output is not None:
            label += f"\\nout: {_shape(output[0])} {output[1]}"
        entry = f'  {me} [label="{_escape(label)}", shape=box, style=filled, fillcolor="#f5f5f5"];'
        module = _module_name(getattr(node, "_module_origin", None), paths)
        clusters.setdefault(module, []).append(entry)
        for edge in node._next:
            if edge is not None and edge[0] is not None:
                edges.append(f"  {node_id(edge[0])} -> {me};")
                stack.append(edge[0])
    body = []
    for index, (module, entries) in enumerate(clusters.items()):
        if module is None:
            body += entries
        else:
            body.append(f'  subgraph cluster_{index} {{\n    label="{_escape(module)}"; style=dashed;')
            body += ["  " + e for e in entries]
            body.append("  }")
    header = ["digraph chainrule {", "  rankdir=TB;", '  node [fontname="Helvetica", fontsize=10];']
    if title:
        header.append(f'  labelloc="t"; label="{_escape(title)}";')
    return "\n".join(header + lines + body + sorted(set(edges), key=edges.index) + ["}"]) + "\n"


def _write_text(path, text):
    def write(temporary):
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
    atomic_write(path, write)


def draw_graph(outputs, path, model=None, title=None):
    """Write the graph of ``outputs`` to ``path``: ``.dot`` (text), or ``.svg`` / ``.png`` (also
    writes the ``.dot`` beside it). Returns the paths written."""
    return write_dot(to_dot(outputs, model, title), path, "draw_graph")


def write_dot(dot_text, path, caller="draw"):
    """Write DOT text to ``path`` (``.dot``), or render it to ``.svg``/``.png``/``.pdf`` with
    Graphviz, keeping the ``.dot`` beside it. Returns the paths written."""
    stem, extension = os.path.splitext(path)
    extension = extension.lower().lstrip(".")
    if extension not in ("dot", "svg", "png", "pdf"):
        raise ValueError(f"{caller}: path must end in .dot, .svg, .png or .pdf, got '{path}'")
    dot_path = path if extension == "dot" else stem + ".dot"
    _write_text(dot_path, dot_text)
    if extension == "dot":
        return [dot_path]
    program = shutil.which("dot")
    if program is None:
        warnings.warn(INSTALL_GRAPHVIZ.format(dot=dot_path, image=path))
        return [dot_path]

    def render(temporary):
        subprocess.run([program, f"-T{extension}", dot_path, "-o", temporary], check=True, capture_output=True)
    atomic_write(path, render)
    return [dot_path, path]
