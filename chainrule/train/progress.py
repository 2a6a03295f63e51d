"""Progress reporting: a tqdm bar on a terminal, one line per epoch otherwise (readable logs)."""
import sys
import time


def _format(logs):
    return "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in logs.items())


class Progress:
    def __init__(self, enabled=True, stream=None):
        self.enabled = enabled
        self.stream = stream or sys.stdout
        self.bar = None

    def _use_tqdm(self):
        import importlib.util
        return self.stream.isatty() and importlib.util.find_spec("tqdm") is not None

    def epoch_begin(self, epoch, epochs, batches):
        self.epoch, self.epochs, self.start, self.samples = epoch, epochs, time.perf_counter(), 0
        if self.enabled and self._use_tqdm():
            from tqdm import tqdm
            self.bar = tqdm(total=batches, desc=f"epoch {epoch}/{epochs}", file=self.stream, leave=True)

    def batch_end(self, batch_size, logs):
        self.samples += batch_size
        if self.bar is not None:
            rate = self.samples / max(time.perf_counter() - self.start, 1e-9)
            self.bar.set_postfix_str(f"{_format(logs)}  {rate:,.0f} samples/s")
            self.bar.update(1)

    def epoch_end(self, logs, remaining_epochs):
        elapsed = time.perf_counter() - self.start
        rate = self.samples / max(elapsed, 1e-9)
        if self.bar is not None:
            self.bar.set_postfix_str(_format(logs))
            self.bar.close()
            self.bar = None
        elif self.enabled:
            eta = elapsed * remaining_epochs
            print(f"epoch {self.epoch}/{self.epochs}  {_format(logs)}  {rate:,.0f} samples/s  "
                  f"{elapsed:.1f}s  eta {eta:.0f}s", file=self.stream, flush=True)

    def close(self):
        """Close an open bar (after an interrupt), so that messages start on a clean line."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
