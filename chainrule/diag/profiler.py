"""``profile()``: where the time of a block goes, op by op.

    with chainrule.diag.profile() as prof:
        for x, y in loader:
            ...                              # forward, backward, optimizer step
    print(prof.table())

For every op type: forward calls and time, backward calls and time (the op's backward
rule, including the ops it runs), and how much of that time was array work (NumPy inside
``forward``) rather than chainrule's Python around it (checking, recording the graph,
walking it). The totals add the time spent outside any op (module calls, optimizer
updates, data loading) so that every benchmark gap can be split into array work, op
overhead and everything else.
"""
import time
from collections import defaultdict

from .. import function as function_module
from ..function import Function

_original_apply = Function.__dict__["apply"]          # the classmethod, restored after each block
_untimed_apply = _original_apply.__func__

_clock = time.perf_counter


class _Stats:
    __slots__ = ("forward_calls", "forward_s", "backward_calls", "backward_s", "array_s")

    def __init__(self):
        self.forward_calls = self.backward_calls = 0
        self.forward_s = self.backward_s = self.array_s = 0.0


class Profile:
    """The measurements of one ``profile()`` block (``table()``, ``rows()``, ``totals()``)."""

    def __init__(self):
        self.stats = defaultdict(_Stats)
        self.wall_s = 0.0
        self._node = None          # the backward rule running now: its ops are its own cost
        self._array = 0.0          # array time of the innermost op, accumulated by the forward wrapper
        self._wrapped = {}

    # -- called by Function.apply and the engine while profiling
    def timed_apply(self, cls, inputs, params):
        if cls not in self._wrapped:
            self._wrap(cls)
        outer_array = self._array
        self._array = 0.0
        start = _clock()
        try:
            return _untimed_apply(cls, *inputs, **params)
        finally:
            elapsed = _clock() - start
            array = self._array
            self._array = outer_array
            if self._node is None:
                entry = self.stats[cls.__name__.lower()]
                entry.forward_calls += 1
                entry.forward_s += elapsed
                entry.array_s += array
            else:                                    # part of a backward rule
                self.stats[self._node].array_s += array

    def timed_backward(self, node, run):
        name = type(node).__name__.lower()
        outer, self._node = self._node, name
        start = _clock()
        try:
            return run()
        finally:
            entry = self.stats[name]
            entry.backward_calls += 1
            entry.backward_s += _clock() - start
            self._node = outer

    def _wrap(self, cls):
        original = cls.__dict__.get("forward")
        if original is None:
            self._wrapped[cls] = None
            return
        profile = self

        def forward(ctx, *args, **kwargs):
            start = _clock()
            try:
                return original(ctx, *args, **kwargs)
            finally:
                profile._array += _clock() - start
        cls.forward = forward
        self._wrapped[cls] = original

    def _unwrap(self):
        for cls, original in self._wrapped.items():
            if original is not None:
                cls.forward = original
        self._wrapped = {}

    # -- reading the results
    def rows(self):
        """(op, forward calls, forward s, backward calls, backward s, array s), slowest first."""
        rows = [(name, s.forward_calls, s.forward_s, s.backward_calls, s.backward_s, s.array_s)
                for name, s in self.stats.items()]
        return sorted(rows, key=lambda r: -(r[2] + r[4]))

    def totals(self):
        in_ops = sum(s.forward_s + s.backward_s for s in self.stats.values())
        array = sum(s.array_s for s in self.stats.values())
        return {"wall_s": self.wall_s, "in_ops_s": in_ops, "array_s": array, "op_overhead_s": in_ops - array,
                "outside_ops_s": max(self.wall_s - in_ops, 0.0)}

    def table(self, limit=25):
        header = ("op", "fwd calls", "fwd ms", "bwd calls", "bwd ms", "array ms", "Python share")
        lines = [header]
        for name, fc, fs, bc, bs, arr in self.rows()[:limit]:
            total = fs + bs
            share = f"{1 - arr / total:.0%}" if total > 0 else "-"
            lines.append((name, str(fc), f"{fs * 1e3:.2f}", str(bc), f"{bs * 1e3:.2f}", f"{arr * 1e3:.2f}", share))
        widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
        text = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                          enumerate(zip(row, widths))) for row in lines]
        t = self.totals()
        wall = max(t["wall_s"], 1e-12)
        text.append("")
        text.append(f"wall {t['wall_s'] * 1e3:.1f} ms: ops {t['in_ops_s'] * 1e3:.1f} ms ({t['in_ops_s'] / wall:.0%}) = "
                    f"array work {t['array_s'] * 1e3:.1f} ms + chainrule overhead {t['op_overhead_s'] * 1e3:.1f} ms; "
                    f"outside ops {t['outside_ops_s'] * 1e3:.1f} ms ({t['outside_ops_s'] / wall:.0%})")
        return "\n".join(text)

    def __str__(self):
        return self.table()


class profile:
    """Context manager: ``with profile() as prof: ...`` then ``print(prof.table())``."""

    def __init__(self):
        self.result = Profile()

    def __enter__(self):
        if function_module.profiler[0] is not None:
            raise RuntimeError("profile(): another profile() block is already running")
        function_module.profiler[0] = self.result
        result = self.result
        Function.apply = classmethod(lambda cls, *inputs, **params: result.timed_apply(cls, inputs, params))
        self._start = _clock()
        return self.result

    def __exit__(self, *exc):
        self.result.wall_s = _clock() - self._start
        function_module.profiler[0] = None
        Function.apply = _original_apply
        self.result._unwrap()
        return False


__all__ = ["profile", "Profile"]
