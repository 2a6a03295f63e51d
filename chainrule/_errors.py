"""Helpers that make error messages point at the user's own code."""
import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_location():
    """``file:line`` of the innermost frame outside the chainrule package."""
    frame = sys._getframe(1)
    while frame is not None:
        if not called_from_library(frame):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def called_from_library(frame):
    """True when ``frame`` runs chainrule's own code (or Python's frozen modules, or the code that
    chainrule.compile generates, ``<chainrule.compile replay>``: its caller is the user's line)."""
    filename = frame.f_code.co_filename
    return os.path.abspath(filename).startswith(_PACKAGE_DIR) or filename.startswith(("<frozen", "<chainrule"))


def at_user_line(message):
    """Append the user's ``file:line`` to an error message."""
    return f"{message}\n  (called at {user_location()})"


def shape_str(shape):
    return "(" + ", ".join(str(s) for s in shape) + ")" if len(shape) != 1 else f"({shape[0]},)"


class ShapeError(RuntimeError):
    """Shapes that do not fit an op. A RuntimeError, as in PyTorch."""
