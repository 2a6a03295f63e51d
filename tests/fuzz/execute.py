"""Run a program in PyTorch and chainrule in lockstep, line by line, until the end or the first
line that raises in either, and record what the comparator needs:

- which line raised, in which library, with what;
- each new value and each write's target, observed right after its line;
- every value, the input objects (a program may rebind a name) and the gradients at the end;
- aliasing: whether each new tensor shares memory with each tensor its line read;
- whether a write kept its target's identity (``x //= y`` must not rebind ``x``);
- for the tolerance: the magnitude of the numbers and the least precise float dtype
  each value came from;
- when PyTorch's backward refuses because a saved tensor was changed in place and
  chainrule's does not: the gradients PyTorch computes when saved tensors are copied
  as they are saved (what chainrule's snapshots promise), to judge chainrule's.
"""
import math
import re
from dataclasses import dataclass, field

import chainrule
import numpy as np
import torch

from .observe import FLOAT_ORDER, magnitude, observe, weakest_float
from .pool import memory_of
from .program import namespace, quiet, run_line

LIBRARIES = (torch, chainrule)
AREAS = {"grad": "grad-", "grad2": "grad2-"}
VERSION_ERROR = "modified by an inplace operation"


@dataclass
class Observation:
    line: int            # the line after which it was taken (for "end": the last that wrote it)
    what: str            # a name, "x0 (input)" or a check such as "x0.grad"
    when: str            # "line" (right after ``line`` ran) or "end"
    area: str            # "", "input-", "grad-" or "grad2-"
    theirs: object
    ours: object
    scale: float
    precision: str       # least precise float dtype involved, or None


@dataclass
class Run:
    errors: dict = field(default_factory=dict)        # library -> exception of the line that raised
    stopped_at: int = None
    observations: list = field(default_factory=list)
    aliasing: list = field(default_factory=list)      # (line, name, used, torch shares, ours shares)
    rebound: list = field(default_factory=list)       # (line, target, torch kept it, ours kept it)
    kept_saved: list = None    # observations against PyTorch with saved tensors kept (see above)


_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d*)?(?:e[-+]?\d+)?")


def literal_scale(code):
    """The largest finite number written in a line (``v * 2147483648`` computes at that scale)."""
    numbers = (float(text) for text in _NUMBER.findall(code))
    return max((n for n in numbers if math.isfinite(n)), default=0.0)


@dataclass
class Origin:
    """Where a value's numbers came from: the largest magnitude, the weakest dtype, the last write."""
    scale: float = 0.0
    precision: str = None
    written: int = 0

    def merge(self, scale, precision, line):
        self.scale = max(self.scale, scale)
        self.precision = weakest([self.precision, precision])
        self.written = line


class Lockstep:
    def __init__(self, program):
        self.program = program
        self.spaces = {lib: namespace(lib) for lib in LIBRARIES}
        self.inputs = {lib: {} for lib in LIBRARIES}
        self.origins = {}
        self.kinds = {}
        self.run = Run()

    @property
    def theirs(self):
        return self.spaces[torch]

    def execute(self):
        for index, line in enumerate(self.program.lines):
            if not self.step(index, line):
                break
        self.observe_end()
        return self.run

    def step(self, index, line):
        """Run one line in both libraries; False when either raised (the run stops there)."""
        used = [self.theirs.get(name) for name in line.uses]
        # the largest magnitude the value was computed from, through every earlier step: rounding
        # at a scale of 1e30 shows in the numbers made from it, however small they are
        inherited_scales = [self.origins[name].scale for name in line.uses if name in self.origins]
        scale = max([magnitude(value) for value in used] + inherited_scales + [literal_scale(line.code)])
        inherited = [self.origins[name].precision for name in line.uses if name in self.origins]
        before = {lib: self.spaces[lib].get(line.target) for lib in LIBRARIES}
        for lib in LIBRARIES:
            try:
                run_line(line, self.spaces[lib])
            except Exception as error:      # the comparator decides what an error means
                self.run.errors[lib] = error
        if self.run.errors:
            self.run.stopped_at = index
            if self.version_error_only_in_torch(line):
                self.run.kept_saved = self.against_kept_saved(index, line)
            return False
        produced = [self.theirs.get(name) for name in line.defines]
        precision = weakest(inherited + [weakest_float(used + produced)])
        self.record_new_values(index, line, scale, precision)
        if line.target is not None:
            self.record_write(index, line, scale, precision, before)
        return True

    def record_new_values(self, index, line, scale, precision):
        for name in line.defines:
            self.origins[name] = Origin()
            self.kinds[name] = line.kind
            self.origins[name].merge(max(scale, magnitude(self.theirs.get(name))), precision, index)
            if line.kind == "input":
                for lib in LIBRARIES:
                    self.inputs[lib][name] = self.spaces[lib][name]
            self.observe_now(index, name)
            for source in line.uses:
                self.check_aliasing(index, name, source)

    def record_write(self, index, line, scale, precision, before):
        for name in sharing_memory(self.theirs, line.target):
            self.origins.setdefault(name, Origin()).merge(scale, precision, index)
        self.observe_now(index, line.target)
        kept = [self.spaces[lib].get(line.target) is before[lib] for lib in LIBRARIES]
        self.run.rebound.append((index, line.target, kept[0], kept[1]))

    def version_error_only_in_torch(self, line):
        theirs = self.run.errors.get(torch)
        return (line.kind in AREAS or line.kind == "backward") and chainrule not in self.run.errors \
            and theirs is not None and VERSION_ERROR in str(theirs)

    def against_kept_saved(self, index, line):
        """Observations of chainrule's gradients against PyTorch's with saved tensors kept, or None."""
        reference = namespace(torch)
        try:
            with torch.autograd.graph.saved_tensors_hooks(lambda saved: saved.clone(), lambda saved: saved):
                for earlier in self.program.lines[:index + 1]:
                    run_line(earlier, reference)
        except Exception:
            return None
        spaces = {torch: reference, chainrule: self.spaces[chainrule]}
        whats = self.program.checks if line.kind == "backward" else list(line.defines)
        origin = self.program_origin()
        observations = []
        for what in whats:
            with quiet():
                theirs, ours = (observe(evaluate(what, spaces[lib])) for lib in LIBRARIES)
            observations.append(Observation(index, what, "line", "grad-", theirs, ours, origin.scale,
                                            origin.precision))
        return observations

    def observe_now(self, index, name):
        origin = self.origins.get(name, Origin())
        area = AREAS.get(self.kinds.get(name), "")
        self.add(index, name, "line", area, [self.spaces[lib].get(name) for lib in LIBRARIES], origin)

    def add(self, index, what, when, area, values, origin):
        with quiet():
            theirs, ours = (observe(value) for value in values)
        if area in ("grad-", "grad2-"):
            origin = self.program_origin()
        self.run.observations.append(Observation(index, what, when, area, theirs, ours, origin.scale,
                                                 origin.precision))

    def program_origin(self):
        whole = Origin()
        for origin in self.origins.values():
            whole.merge(origin.scale, origin.precision, 0)
        return whole

    def observe_end(self):
        skipped = self.touched_by_failing_line()
        for name, origin in self.origins.items():
            if name in skipped or name not in self.kinds:
                continue
            area = AREAS.get(self.kinds[name], "")
            self.add(origin.written, name, "end", area, [self.spaces[lib].get(name) for lib in LIBRARIES], origin)
        for name in self.inputs[torch]:
            if name not in skipped:
                values = [self.inputs[lib][name] for lib in LIBRARIES]
                self.add(self.origins[name].written, f"{name} (input)", "end", "input-", values, self.origins[name])
        if self.run.stopped_at is None:
            last = len(self.program.lines) - 1
            for check in self.program.checks:
                values = [evaluate(check, self.spaces[lib]) for lib in LIBRARIES]
                self.add(last, check, "end", "grad-", values, Origin())

    def touched_by_failing_line(self):
        """Names the line that raised may have changed: in the library that did not raise, or
        partly in one that did (PyTorch may write some elements before it finds the error)."""
        if self.run.stopped_at is None:
            return set()
        line = self.program.lines[self.run.stopped_at]
        touched = set(line.defines)
        if line.target is not None:
            touched.add(line.target)
            touched.update(sharing_memory(self.theirs, line.target))
        return touched

    def check_aliasing(self, index, name, source):
        verdicts = []
        for lib in LIBRARIES:
            out, used = self.spaces[lib].get(name), self.spaces[lib].get(source)
            tensor_type = torch.Tensor if lib is torch else chainrule.Tensor
            if not isinstance(out, tensor_type) or not isinstance(used, tensor_type):
                return
            verdicts.append(shares(lib, out, used))
        if None not in verdicts:
            self.run.aliasing.append((index, name, source, verdicts[0], verdicts[1]))


def weakest(precisions):
    """The least precise of some float dtype names (None entries ignored), or None."""
    found = [p for p in precisions if p]
    return min(found, key=FLOAT_ORDER.index) if found else None


def evaluate(expression, space):
    """The value of a check such as ``x0.grad``; a description of the error if it raises."""
    with quiet():
        try:
            return eval(expression, space)
        except Exception as error:
            return f"<{type(error).__name__}>"


def shares(lib, a, b):
    """Whether two tensors of one library share a storage, as PyTorch counts it: two views of
    disjoint parts of one tensor share it (None for empty ones: nothing to share)."""
    if a.numel() == 0 or b.numel() == 0:
        return None
    if lib is torch:
        first, second = memory_of(a), memory_of(b)
        return None if first is None or second is None else first == second
    return _owner(a.detach().numpy()) is _owner(b.detach().numpy())


def _owner(array):
    """The array that owns ``array``'s memory (through views, and as_strided's DummyArray)."""
    while True:
        parent = array.base
        if parent is not None and not isinstance(parent, np.ndarray):
            parent = getattr(parent, "base", None)
        if not isinstance(parent, np.ndarray):
            return array
        array = parent


def sharing_memory(space, target):
    """Names of PyTorch tensors in ``space`` that share ``target``'s memory (``target`` included)."""
    value = space.get(target)
    if not isinstance(value, torch.Tensor):
        return []
    memory = memory_of(value)
    return [name for name, other in space.items() if isinstance(other, torch.Tensor)
            and (other is value or memory is not None and memory_of(other) == memory)]


def execute(program):
    return Lockstep(program).execute()
