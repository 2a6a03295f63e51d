"""Whether ops record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""
import functools

# One global flag, read by Function.apply on every call. (chainrule runs ops on
# one thread; a per-thread flag can replace this if that changes.)
_state = {"enabled": True}


def is_grad_enabled():
    return _state["enabled"]


class _GradModeContext:
    """Base for context managers that also work as decorators."""

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args()):
                return fn(*args, **kwargs)
        return wrapper

    def _args(self):
        return ()

    def __exit__(self, *exc):
        _state["enabled"] = self._previous
        return False


class no_grad(_GradModeContext):
    """Context manager and decorator: ops inside record no graph."""

    def __enter__(self):
        self._previous = _state["enabled"]
        _state["enabled"] = False


class enable_grad(_GradModeContext):
    """Context manager and decorator: turn recording back on inside ``no_grad``."""

    def __enter__(self):
        self._previous = _state["enabled"]
        _state["enabled"] = True


class set_grad_enabled(_GradModeContext):
    """Turn recording on or off; works as a function, context manager or decorator."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._previous = _state["enabled"]
        _state["enabled"] = self.mode  # takes effect at once, as torch.set_grad_enabled(False) does

    def _args(self):
        return (self.mode,)

    def __enter__(self):
        pass

    def __call__(self, fn):
        _state["enabled"] = self._previous  # used as a decorator: undo the eager switch
        return super().__call__(fn)


class inference_mode(no_grad):
    """Same as ``no_grad`` in chainrule (there is no separate inference tensor kind)."""

    def __init__(self, mode=True):
        self.mode = mode

    def __enter__(self):
        self._previous = _state["enabled"]
        if self.mode:
            _state["enabled"] = False

    def _args(self):
        return (self.mode,)
