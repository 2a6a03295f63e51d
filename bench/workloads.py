"""Training workloads W2-W4 (and their peak memory), one library per process.

    python bench/workloads.py W2 chainrule [--threads 1] [--quick] [--anomaly] [--compiled]

prints one JSON line: samples per second and the peak resident memory that
the timed training steps reach above the resident memory before them (MB,
from the kernel's high-water mark, reset just before the steps). ``bench/run.py`` runs it
for both libraries and puts the figures side by side. Each library uses its own
optimizer (``lib.optim.Adam`` / ``lib.optim.SGD``) on the same model code.
"""
import json
import os
import sys
import time

WORKLOAD, LIBRARY = sys.argv[1], sys.argv[2]
THREADS = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
QUICK = "--quick" in sys.argv
ANOMALY = "--anomaly" in sys.argv     # the steps run under the library's detect_anomaly()
COMPILED = "--compiled" in sys.argv   # chainrule only: the step runs as chainrule.compile(step)
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = THREADS

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
if LIBRARY == "torch":
    import torch as lib
    lib.set_num_threads(int(THREADS))
else:
    import chainrule as lib


def w2():
    n = lib.nn
    model = n.Sequential(n.Linear(784, 512), n.ReLU(), n.Linear(512, 512), n.ReLU(), n.Linear(512, 10))
    x, y = lib.randn(128, 784), lib.randint(0, 10, (128,))
    loss_fn, opt = n.CrossEntropyLoss(), lib.optim.Adam(model.parameters(), lr=1e-3)
    return lambda: (opt.zero_grad(), loss_fn(model(x), y).backward(), opt.step()), 128


def w3():
    n = lib.nn
    model = n.Sequential(n.Conv2d(1, 6, 5, padding=2), n.ReLU(), n.MaxPool2d(2), n.Conv2d(6, 16, 5), n.ReLU(),
                         n.MaxPool2d(2), n.Flatten(), n.Linear(400, 120), n.ReLU(), n.Linear(120, 84), n.ReLU(),
                         n.Linear(84, 10))
    x, y = lib.randn(64, 1, 28, 28), lib.randint(0, 10, (64,))
    loss_fn, opt = n.CrossEntropyLoss(), lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return lambda: (opt.zero_grad(), loss_fn(model(x), y).backward(), opt.step()), 64


def w4():
    n = lib.nn
    lstm, head = n.LSTM(32, 128), n.Linear(128, 1)
    x, y = lib.randn(50, 32, 32), lib.randn(32, 1)
    opt = lib.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3)

    def step():
        opt.zero_grad()
        out, _ = lstm(x)
        ((head(out[-1]) - y) ** 2).mean().backward()
        opt.step()
    return step, 32


def _status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def _reset_peak():
    """Reset the kernel's resident-memory high-water mark (Linux: writing 5 to clear_refs)."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def main():
    lib.manual_seed(0)
    step, batch = {"W2": w2, "W3": w3, "W4": w4}[WORKLOAD]()
    if ANOMALY:
        plain = step

        def step():
            with lib.autograd.detect_anomaly():
                plain()
    compile_seconds = None
    if COMPILED:
        step = lib.compile(step)
        step()   # traces (one eager run of the step), optimizes and generates the replay
        compile_seconds = step.compile_seconds
    steps = {"W2": 20, "W3": 10, "W4": 4}[WORKLOAD] // (2 if QUICK else 1)
    step()  # warm-up
    base = _status_kb("VmRSS:")
    _reset_peak()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    elapsed = time.perf_counter() - start
    peak = _status_kb("VmHWM:")
    print(json.dumps({"samples_per_s": batch * steps / elapsed, "peak_mb": (peak - base) / 1024,
                      "resident_mb": base / 1024, "compile_s": compile_seconds}))


if __name__ == "__main__":
    main()
