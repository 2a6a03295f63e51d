"""Rules that recognise a deliberate difference, one per key of the table in
``docs/differences-from-pytorch.md`` ("Differences the op fuzzer accepts").

A rule looks at a difference and its program and returns the names of the ops it
blames (empty: the rule does not apply). ``known.py`` accepts the difference when
one of them is among the ops the table lists for that key. This file holds the
registry and the helpers the rules share (a line's op name, the tensors PyTorch
holds before a line); the rules live in ``rules/`` by theme: ``autograd`` (saved
values, views, in-place writes), ``numerics`` (zero signs, non-finite results,
subnormals, exact derivatives, amplified rounding) and ``checks`` (errors, empty
tensors, index and dtype rules, PyTorch's own failures).
"""
import torch

from .program import namespace, run_line

RULES = {}


def rule(key):
    def register(function):
        RULES[key] = function
        return function
    return register


def op_name(label):
    """The op's own name from a line's label: ".add" -> "add", "F.pad" -> "pad", ".max(dim)" -> "max"."""
    name = label.removeprefix("F.").removeprefix(".")
    if name.endswith(")") and "(" in name and not name.startswith("["):
        name = name[:name.index("(")]
    return name


def line_of(difference, program):
    return program.lines[difference.line]


def ops_with_flag(program, flag, upto=None):
    lines = program.lines if upto is None else program.lines[:upto + 1]
    return {op_name(line.op) for line in lines if flag in line.flags}


def read_tensors(program, index):
    """The tensors line ``index`` reads, as they are just before it runs (in PyTorch)."""
    return read_names(program, index)[1]


def space_before(program, index, inputs_only=False):
    """PyTorch's namespace just before line ``index`` runs (None when an earlier line raised)."""
    space = namespace(torch)
    try:
        for earlier in program.lines[:index]:
            if earlier.kind == "input" or not inputs_only:
                run_line(earlier, space)
    except Exception:
        return None
    return space


def tensors_before(program, index):
    space = space_before(program, index)
    return [] if space is None else [value for value in space.values() if isinstance(value, torch.Tensor)]


def read_names(program, index):
    """(names, tensors) that line ``index`` reads, as they are just before it runs (in PyTorch)."""
    space = space_before(program, index)
    if space is None:
        return [], []
    line = program.lines[index]
    names = sorted(set(line.uses) | ({line.target} if line.target else set()))
    names = [name for name in names if isinstance(space.get(name), torch.Tensor)]
    return names, [space[name] for name in names]


SUBNORMALS = ("1e-40", "5e-324", "5.960464477539063e-08")   # float32, float64, float16


def made_an_empty_tensor(program, index):
    return any(value.numel() == 0 for value in tensors_before(program, index))


def input_scale(program, index):
    """The largest finite magnitude among the program's inputs (as PyTorch holds them)."""
    space = space_before(program, index, inputs_only=True)
    if space is None:
        return 0.0
    finite = [value[torch.isfinite(value)].abs().max().item() for value in space.values()
              if isinstance(value, torch.Tensor) and value.is_floating_point() and bool(torch.isfinite(value).any())]
    return max(finite, default=0.0)


def made_a_nan(program, index):
    return any(value.is_floating_point() and bool(torch.isnan(value).any())
               for value in tensors_before(program, index))


# The rules, by theme; importing them registers them in RULES.
from .rules import autograd, checks, numerics  # noqa: E402,F401
