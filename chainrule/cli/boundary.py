"""The one error boundary of the ``chainrule`` command: every exception becomes an exit code
and a one-paragraph message (what, where, the fix), never a traceback.

    0    success
    1    a failure while working (training diverged, a disk filled up, an unexpected error);
         when a run directory exists, the full traceback goes to its error.txt (and only there)
    2    bad input: the config, a data file, a checkpoint or the arguments; nothing is written
    130  stopped by Ctrl-C

``CHAINRULE_TRACEBACK=1`` also prints the traceback, for the people who work on chainrule.
"""
import os
import sys
import traceback

from ..config import ConfigError
from ..config.data import DataFileError
from ..train import CheckpointError
from .errors import UsageError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

# Errors whose message already says what is wrong with the user's input, and where.
BAD_INPUT = (ConfigError, UsageError, DataFileError, CheckpointError, ImportError)


class Session:
    """What the boundary needs to know about the command it guards: set by the command as it goes."""

    def __init__(self, command):
        self.command = command
        self.run_dir = None             # set once the command owns a run directory
        self.position = None            # a function -> "in epoch 3 at step 40", while training
        self.activity = None            # "training", while it trains: "training failed in epoch 3 ..."


def run_guarded(handler, args):
    """``handler(args)``'s exit code; any exception turned into a message on stderr and a code."""
    session = Session(args.command)
    args.session = session
    try:
        return handler(args)
    except KeyboardInterrupt:
        _say(session, "stopped by Ctrl-C" + _where(session) + _resume_hint(session))
        return EXIT_INTERRUPTED
    except BAD_INPUT as error:
        _say(session, str(error))
        return EXIT_BAD_INPUT
    except RecursionError as error:
        return _failed(session, error, "the input nests too deeply for Python's recursion limit")
    except OSError as error:
        return _failed(session, error, _os_error_text(error))
    except Exception as error:  # noqa: BLE001 - the boundary: anything else is reported, not raised
        return _failed(session, error, f"{type(error).__name__}: {error}")


def _say(session, text):
    print(f"chainrule {session.command}: error: {text}", file=sys.stderr, flush=True)


def _where(session):
    position = session.position() if session.position is not None else None
    return f" {position}" if position else ""


def _resume_hint(session):
    if session.run_dir is None:
        return "; nothing was written"
    last = os.path.join(session.run_dir, "checkpoints", "last")
    if os.path.exists(last):
        return f"; continue with: chainrule train --resume {session.run_dir}"
    return f"; {session.run_dir} holds no checkpoint yet"


def _os_error_text(error):
    name = error.filename if error.filename is not None else ""
    what = error.strerror or str(error)
    return f"cannot use '{name}': {what}" if name else what


def _failed(session, error, text):
    """Exit code 1: the message, and the traceback in the run's error.txt when there is a run."""
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    if os.environ.get("CHAINRULE_TRACEBACK"):
        print(details, file=sys.stderr)
    what = f"{session.activity} failed" if session.activity else "failed"
    where = _where(session)
    if session.run_dir is not None:
        saved = _save_traceback(session.run_dir, details)
        _say(session, f"{what}{where}: {text}\n{saved}")
    else:
        _say(session, f"{what}{where}: {text}\n(unexpected: please report it with the command line; "
                      f"CHAINRULE_TRACEBACK=1 prints the traceback)")
    return EXIT_FAILED


def _save_traceback(run_dir, details):
    from .run_files import write_text
    path = os.path.join(run_dir, "error.txt")
    last = os.path.join(run_dir, "checkpoints", "last")
    checkpoint = f"the last checkpoint is {last}" if os.path.exists(last) else "no checkpoint was saved"
    try:
        write_text(path, details)
    except OSError as error:
        return f"{checkpoint}; the traceback could not be saved to {path} ({error.strerror})"
    return f"{checkpoint}; the full traceback is in {path}"
