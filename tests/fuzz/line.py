"""One line of a program: Python source that runs with ``lib`` bound to either library."""
from dataclasses import dataclass

# What a line does, for grouping and for the deliberate-difference rules.
KINDS = ("input", "value", "view", "index", "inplace", "setitem", "loss", "backward", "grad", "grad2")
GRAD_KINDS = ("loss", "backward", "grad", "grad2")


@dataclass(frozen=True)
class Line:
    code: str
    op: str                  # e.g. "add", ".add" (method), "+", "r+" (reflected), "[int]", "add_", "+="
    kind: str
    defines: tuple = ()      # names the line binds
    uses: tuple = ()         # names of tensors it reads
    target: str = None       # the tensor an in-place line writes
    flags: frozenset = frozenset()   # facts the rules need: "self-arg", "list-of-lists", ...

    def __post_init__(self):
        assert self.kind in KINDS, self.kind
