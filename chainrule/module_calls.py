"""Which modules are running: a stack that ``Module.__call__`` keeps while diagnostics ask for it.

Anomaly mode, the graph drawer, monitors and ``chainrule.compile`` want to know which layer ran
an op. They live below or beside ``nn``, so the stack lives here, in a leaf module that imports
nothing: ``nn.Module`` pushes and pops, the readers read.
"""

# While diagnostics are on (anomaly mode, profiler, monitors), the modules being called,
# outermost first; None otherwise (then Module.__call__ pays one attribute read).
stack = None
# Called with each module that starts running while calls are tracked (chainrule.compile
# guards on the training flag of every module its trace ran).
hooks = []


def track(enabled):
    """Start (or stop) recording which modules are running; returns the previous state."""
    global stack
    previous = stack is not None
    stack = [] if enabled else None
    return previous


def current_path():
    """'model.features.3 (Conv2d)' for the innermost running module, or None."""
    if not stack:
        return None
    root, inner = stack[0], stack[-1]
    path = next((name for name, m in root.named_modules() if m is inner), "")
    return f"{path} ({type(inner).__name__})" if path else type(inner).__name__
