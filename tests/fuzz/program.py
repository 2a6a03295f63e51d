"""A program: 1-3 inputs, 1-6 steps over the live values, then a float loss and its gradients.

Steps are drawn from the op table: new values (functions, methods, operators,
reductions, copies), views, index reads, and writes (in-place ops, augmented
assignment, index assignment), the writes mostly aimed at a value that has a
live view or base, so that later steps and the loss read the other one. Each
line is run in PyTorch as it is written, so the generator knows every value's
shape, dtype and memory; a line PyTorch refuses is kept now and then, as the
last one, to compare the errors. Now and then a view is taken under ``no_grad()``.

The loss sums a few terms over floating values that require grad. Then either
``loss.backward()`` (the inputs' ``.grad`` are compared) or, when every input
that requires grad is float64, ``autograd.grad`` with ``create_graph=True``
followed by the gradient of a random combination of those first-order gradients.
"""
import contextlib
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from .line import Line
from .ops import STEP_KINDS
from .ops.base import Ctx
from .pool import Pool, memory_of
from .values import draw_input, draw_shape, related_shape

STEP_WEIGHTS = ((4, "value"), (2, "view"), (1, "index"), (3, "inplace"))
MAX_NUMEL = 256
ERROR_KEEP_PERCENT = 15
NO_GRAD_VIEW_PERCENT = 8
PRELUDE = {"inf": float("inf"), "nan": float("nan")}


@dataclass
class Program:
    lines: list
    checks: list = field(default_factory=list)   # expressions compared at the end, e.g. "x0.grad"

    def without(self, index):
        return Program(self.lines[:index] + self.lines[index + 1:], list(self.checks))


def namespace(lib):
    space = dict(PRELUDE)
    space["lib"] = lib
    return space


@contextlib.contextmanager
def quiet():
    """No warnings from either library (NumPy's floating-point ones included)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def run_line(line, space):
    _refuse_what_crashes_pytorch(line, space)
    with quiet():
        exec(compile(line.code, "<fuzz program>", "exec"), space)


# Integer division of the dtype's minimum by -1 overflows in PyTorch's C kernels: the CPU traps
# (SIGFPE) and the whole process dies. Such a line raises here instead, in both libraries.
_INTEGER_DIVISIONS = {"div", "divide", "floor_divide", "//", "r//", "//=", "floor_divide_", "%", "r%",
                      "remainder", "fmod", "%=", "remainder_", "fmod_", "div_", "/=", "true_divide"}


def _refuse_what_crashes_pytorch(line, space):
    if line.op.removeprefix(".").removeprefix("F.") not in _INTEGER_DIVISIONS:
        return
    names = set(line.uses) | ({line.target} if line.target else set())
    for name in names:
        value = space.get(name)
        if not hasattr(value, "detach"):
            continue
        array = np.asarray(value.detach().numpy())
        if array.dtype.kind == "i" and array.size and array.min() == np.iinfo(array.dtype).min:
            raise RuntimeError("fuzz guard: an integer division of the dtype's minimum may trap in PyTorch")


class Generator:
    def __init__(self, g, max_steps=6):
        self.g = g
        self.max_steps = max_steps
        self.lines = []
        self.checks = []
        self.space = namespace(torch)
        self.pool = Pool()
        self.counter = 0
        self.ctx = Ctx(g, self.pool, self.space, self.new_name)

    def new_name(self):
        self.counter += 1
        return f"v{self.counter}"

    def program(self):
        self.add_inputs()
        for _ in range(self.g.integer(1, self.max_steps)):
            if self.add_step() == "error":
                return Program(self.lines, self.checks)
        self.add_gradients()
        return Program(self.lines, self.checks)

    # ---------------------------------------------------------------- inputs

    def add_inputs(self):
        special_percent = self.g.pick([0, 0, 10, 30])
        first = draw_shape(self.g)
        for i in range(self.g.integer(1, 3)):
            shape = first if i == 0 else related_shape(self.g, first)
            spec = draw_input(self.g, f"x{i}", shape, special_percent)
            line = Line(spec.code(), "input", "input", defines=(spec.name,))
            run_line(line, self.space)
            self.lines.append(line)
            self.pool.add(spec.name, self.space[spec.name], is_input=True)

    # ---------------------------------------------------------------- steps

    def add_step(self):
        kind = self.g.weighted(STEP_WEIGHTS)
        entries = STEP_KINDS[kind]
        for _ in range(6):
            op = self.g.weighted([(entry.weight, entry) for entry in entries])
            with quiet():
                line = op.build(self.ctx)
            if line is None:
                continue
            if line.kind == "view" and self.g.chance(NO_GRAD_VIEW_PERCENT):
                line = made_under_no_grad(line)
            outcome = self.try_line(line)
            if outcome == "ok":
                return "ok"
            if outcome == "error" and self.g.chance(ERROR_KEEP_PERCENT):
                self.lines.append(line)
                return "error"
        return "skipped"

    def try_line(self, line):
        try:
            run_line(line, self.space)
        except Exception:
            return "error"
        if not self.sizes_ok(line):
            return "too big"
        if self.implementation_detail(line):
            return "odd"
        self.lines.append(line)
        self.pool.refresh(self.space)
        for name in line.defines:
            self.pool.add(name, self.space[name])
        return "ok"

    def implementation_detail(self, line):
        """PyTorch returning memory of an input from an op that is not a view (``einsum('->', x)``)
        is an implementation detail; later writes would show it everywhere, so such lines go."""
        if line.kind == "view":
            return False
        for name in line.defines:
            value = self.space.get(name)
            if not isinstance(value, torch.Tensor):
                continue
            memory = memory_of(value)
            for used in line.uses:
                source = self.space.get(used)
                if not isinstance(source, torch.Tensor):
                    continue
                if value is source:   # (diff of an empty tensor returns its input itself)
                    return True
                if memory is not None and memory_of(source) == memory:
                    return True
                # an empty tensor has no memory to compare: ask autograd whether it is a view
                if value._is_view() and value._base is (source._base if source._is_view() else source):
                    return True
        return False

    def sizes_ok(self, line):
        for name in line.defines:
            value = self.space.get(name)
            if isinstance(value, torch.Tensor) and value.numel() > MAX_NUMEL:
                return False
        return True

    # ---------------------------------------------------------------- loss and gradients

    def add_gradients(self):
        differentiable = self.pool.names(lambda m: m.requires_grad and m.is_float)
        if not differentiable:
            return
        count = self.g.integer(1, min(3, len(differentiable)))
        terms = [self.loss_term(self.g.pick(differentiable)) for _ in range(count)]
        names = tuple(sorted({name for _, name in terms}))
        loss = Line("loss = " + " + ".join(text for text, _ in terms), "loss", "loss",
                    defines=("loss",), uses=names)
        if not self.keep(loss):
            return
        wrt = [name for name in self.pool.names(lambda m: m.is_input and m.requires_grad)]
        if not wrt:
            return
        if all(self.pool[name].dtype == "float64" for name in wrt) and self.g.chance(50):
            self.add_second_order(wrt)
        else:
            if self.keep(Line("loss.backward()", "backward", "backward", uses=("loss",))):
                self.checks.extend(f"{name}.grad" for name in wrt)

    def loss_term(self, name):
        form = self.g.weighted([(3, "{}.sum()"), (3, "({0} * {0}).sum()"), (2, "({} * 0.5).sum()"),
                                (1, "{}.exp().sum()")])
        return form.format(name), name

    def keep(self, line):
        """Add ``line`` whatever PyTorch says; False when it raised (nothing can follow it)."""
        self.lines.append(line)
        try:
            run_line(line, self.space)
        except Exception:
            return False
        return True

    def add_second_order(self, wrt):
        targets = "[" + ", ".join(wrt) + "]"
        first = Line(f"g = lib.autograd.grad(loss, {targets}, create_graph=True, allow_unused=True)",
                     "autograd.grad", "grad", defines=("g",), uses=("loss",) + tuple(wrt))
        if not self.keep(first):
            return
        weights = (0.5, -1.0, 2.0, 1.5)
        terms = [f"(g[{i}] * {self.g.pick(weights)}).sum()" for i, grad in enumerate(self.space["g"])
                 if grad is not None and grad.requires_grad]
        if not terms:
            return
        second = Line(f"h = lib.autograd.grad({' + '.join(terms)}, {targets}, allow_unused=True)",
                      "autograd.grad(create_graph)", "grad2", defines=("h",), uses=("g",) + tuple(wrt))
        self.keep(second)


def made_under_no_grad(line):
    """The same view taken inside ``with lib.no_grad():`` (a later write to its base then has
    PyTorch's rules for views made without grad)."""
    return Line(f"with lib.no_grad(): {line.code}", line.op, line.kind, line.defines, line.uses, line.target,
                line.flags | {"no-grad"})


def generate(g, max_steps=6):
    return Generator(g, max_steps).program()
