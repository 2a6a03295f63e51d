"""The compiler's errors: a construct the trace cannot follow, and a failed check=True comparison."""


class TraceError(RuntimeError):
    """Raised while tracing when the graph could not reproduce what the Python code does."""


class CompileCheckError(AssertionError):
    """Raised by ``compile(fn, check=True)`` when a compiled value differs from eager."""
