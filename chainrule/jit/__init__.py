"""``chainrule.compile``: define-by-run code traced once into a static graph, then replayed.

See docs/compile.md. The pieces, in the order a call meets them:

- ``compiled.py``: the cache of traces and the guards that choose one;
- ``tracer.py``: records one eager call as a ``graph.Graph``;
- ``passes/``: dead code, common subexpressions, constants, algebra, fusion, memory;
- ``codegen.py``: the graph as one flat Python function of arrays;
- ``check.py``: ``check=True``, eager and compiled side by side.
"""
from .compiled import CompiledFunction
from .errors import TraceError, CompileCheckError


def compile(fn=None, *, dynamic=False, check=False, cache_size=8, optimize=True):
    """Trace ``fn`` on its first call into a graph of primitive ops and replay that graph after.

    ``fn`` may be a function (also as ``@compile`` or ``@compile(...)``) or a Module. A whole
    training step, ``loss.backward()`` and ``optimizer.step()`` included, compiles into one graph
    whose replay updates parameters, gradients and optimizer state in place, as eager code does.
    """
    if fn is None:
        return lambda f: compile(f, dynamic=dynamic, check=check, cache_size=cache_size, optimize=optimize)
    from ..nn.module import Module
    if isinstance(fn, Module):
        from .module import CompiledModule
        return CompiledModule(fn, dynamic=dynamic, check=check, cache_size=cache_size, optimize=optimize)
    return CompiledFunction(fn, dynamic=dynamic, check=check, cache_size=cache_size, optimize=optimize)


__all__ = ["compile", "CompiledFunction", "TraceError", "CompileCheckError"]
