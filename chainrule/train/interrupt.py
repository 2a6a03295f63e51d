"""Ctrl-C during ``Trainer.fit``: finish the current step, save a checkpoint, then stop.

The first SIGINT only sets a flag that the trainer reads between steps, so the
checkpoint is always taken at a step boundary (never half-way through a
backward pass) and resuming from it is exact. A second Ctrl-C aborts at once.
"""
import contextlib
import signal
import sys
import threading


class TrainingInterrupted(KeyboardInterrupt):
    """Raised by ``fit`` after an interrupt was handled; ``checkpoint`` is where the state went."""

    def __init__(self, epoch, step, checkpoint=None):
        self.epoch, self.step, self.checkpoint = epoch, step, checkpoint
        super().__init__(f"interrupted in epoch {epoch} after step {step}")


class InterruptRequest:
    requested = False


@contextlib.contextmanager
def graceful_interrupt(enabled=True, stream=None):
    """Within the block, Ctrl-C sets ``request.requested`` instead of raising (main thread only)."""
    request = InterruptRequest()
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield request
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        if request.requested:          # the second Ctrl-C: stop now
            signal.signal(signal.SIGINT, previous)
            raise KeyboardInterrupt
        request.requested = True
        print("\ninterrupt: finishing this step and saving a checkpoint (Ctrl-C again to abort)",
              file=stream or sys.stderr, flush=True)

    signal.signal(signal.SIGINT, handler)
    try:
        yield request
    finally:
        signal.signal(signal.SIGINT, previous)
