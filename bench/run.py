"""Side-by-side benchmarks: the same workload in chainrule and in PyTorch (eager), one process.

    python bench/run.py            # full run
    python bench/run.py --quick    # fewer repeats (a smoke run)

Both frameworks are pinned to the same number of threads (1 by default, set
with --threads) before NumPy and torch are imported. Each figure is the
median over repeats of a timed loop, after warm-up; the ratio is
chainrule time / PyTorch time (below 1: chainrule is faster).
"""
import argparse
import os
import platform
import statistics
import sys
import time


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--threads", type=int, default=1, help="threads for BLAS and torch (default 1)")
    return parser.parse_args()


ARGS = parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)  # before NumPy and torch load their BLAS

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import chainrule as cr  # noqa: E402

torch.set_num_threads(ARGS.threads)
REPEATS = 5 if ARGS.quick else 15


def median_seconds(fn, number):
    """Median over REPEATS of the mean time of ``number`` calls, after a warm-up."""
    for _ in range(max(number // 10, 3)):
        fn()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


# ---------------------------------------------------------------- W1: the lecture network

def w1_step(lib):
    """3 -> 4 (ReLU) -> 2, MSE, one SGD step at batch 1: the same code for both libraries."""
    lib.manual_seed(0)
    w1 = lib.randn(3, 4, requires_grad=True)
    b1 = lib.zeros(4, requires_grad=True)
    w2 = lib.randn(4, 2, requires_grad=True)
    b2 = lib.zeros(2, requires_grad=True)
    x, target = lib.randn(1, 3), lib.randn(1, 2)
    params = [w1, b1, w2, b2]

    def step():
        y = (x @ w1 + b1).relu() @ w2 + b2
        loss = ((y - target) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None
    return step


# ---------------------------------------------------------------- per-op overhead

def op_cases(lib):
    a, b = lib.ones(4, 4), lib.ones(4, 4)
    ga, gb = lib.ones(4, 4, requires_grad=True), lib.ones(4, 4, requires_grad=True)
    return {
        "add fwd": lambda: a + b,
        "mul fwd": lambda: a * b,
        "matmul fwd": lambda: a @ b,
        "sum fwd": lambda: a.sum(),
        "add fwd+bwd": lambda: (ga + gb).sum().backward(),
        "mul fwd+bwd": lambda: (ga * gb).sum().backward(),
        "matmul fwd+bwd": lambda: (ga @ gb).sum().backward(),
        "sum fwd+bwd": lambda: ga.sum().backward(),
    }


# ---------------------------------------------------------------- W5: MLP inference

def w5_forward(lib):
    lib.manual_seed(0)
    layers = [(lib.randn(784, 512) * 0.05, lib.zeros(512)), (lib.randn(512, 512) * 0.05, lib.zeros(512)),
              (lib.randn(512, 10) * 0.05, lib.zeros(10))]
    x = lib.randn(1024, 784)

    def forward():
        with lib.no_grad():
            h = x
            for i, (w, b) in enumerate(layers):
                h = h @ w + b
                if i < len(layers) - 1:
                    h = h.relu()
        return h
    return forward


def run_workload(workload, library, *flags):
    import json
    import subprocess
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads.py")
    command = [sys.executable, script, workload, library, "--threads", str(ARGS.threads), *flags]
    if ARGS.quick:
        command.append("--quick")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


TITLES = {"W2": "W2 MLP 784-512-512-10, Adam, batch 128", "W3": "W3 LeNet-5, SGD momentum, batch 64",
          "W4": "W4 LSTM 32->128, 50 steps, Adam, batch 32"}


def training_rows():
    """W2-W4, eager and compiled, each run in its own process so that peak memory is its own."""
    rows, compiled_rows = [], []
    for workload, title in TITLES.items():
        ours, theirs = run_workload(workload, "chainrule"), run_workload(workload, "torch")
        compiled = run_workload(workload, "chainrule", "--compiled")
        rows.append(f"| {title} (training samples/s; peak MB) | {ours['samples_per_s']:,.0f}; "
                    f"{ours['peak_mb']:.0f} MB | {theirs['samples_per_s']:,.0f}; {theirs['peak_mb']:.0f} MB | "
                    f"{theirs['samples_per_s'] / ours['samples_per_s']:.2f} |")
        compiled_rows.append(
            f"| {workload} compiled | {compiled['samples_per_s']:,.0f} samples/s | "
            f"{theirs['samples_per_s']:,.0f} samples/s | "
            f"**{theirs['samples_per_s'] / compiled['samples_per_s']:.2f}** | {compiled['compile_s']:.2f} s | "
            f"{compiled['peak_mb']:.0f} MB peak, {compiled['resident_mb']:.0f} MB resident | "
            f"{ours['peak_mb']:.0f} MB peak, {ours['resident_mb']:.0f} MB resident |")
    return rows, compiled_rows


def compiled_header():
    return ["", "| chainrule.compile | compiled | PyTorch eager | ratio (time) | compile time | memory, compiled "
            "| memory, chainrule eager |", "|---|---|---|---|---|---|---|"]


def anomaly_rows():
    """W2 under detect_anomaly() against W2 without it, in each library (the slowdown it costs)."""
    rates = {}
    for library in ("chainrule", "torch"):
        for anomaly in (False, True):
            flags = ["--anomaly"] if anomaly else []
            rates[library, anomaly] = run_workload("W2", library, *flags)["samples_per_s"]
    slowdown = {lib: rates[lib, False] / rates[lib, True] for lib in ("chainrule", "torch")}
    return ["", "| W2 under detect_anomaly() (samples/s; slowdown vs. without) | chainrule | PyTorch |",
            "|---|---|---|",
            f"| W2 MLP 784-512-512-10, Adam, batch 128 | {rates['chainrule', True]:,.0f}; "
            f"{slowdown['chainrule']:.2f}x | {rates['torch', True]:,.0f}; {slowdown['torch']:.2f}x |"]


def row(name, ours, theirs, unit, scale):
    return f"| {name} | {ours * scale:.1f} | {theirs * scale:.1f} | {ours / theirs:.2f} |"


def main():
    lines = [f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
             f"threads: {ARGS.threads}; Python {platform.python_version()}, NumPy {np.__version__}, "
             f"torch {torch.__version__}, chainrule {cr.__version__}",
             "", "| workload | chainrule | PyTorch | ratio (time) |", "|---|---|---|---|"]
    n = 300 if ARGS.quick else 2000
    ours, theirs = median_seconds(w1_step(cr), n), median_seconds(w1_step(torch), n)
    lines.append(row("W1 lecture net, SGD step, batch 1 (us/step)", ours, theirs, "us", 1e6))
    ours_cases, theirs_cases = op_cases(cr), op_cases(torch)
    for name in ours_cases:
        ours = median_seconds(ours_cases[name], n * 2)
        theirs = median_seconds(theirs_cases[name], n * 2)
        lines.append(row(f"{name}, 4x4 float32 (us/call)", ours, theirs, "us", 1e6))
    ours, theirs = median_seconds(w5_forward(cr), 3 if ARGS.quick else 10), median_seconds(w5_forward(torch), 3 if ARGS.quick else 10)
    lines.append(f"| W5 MLP 784-512-512-10 inference, batch 1024 (samples/s) | {1024 / ours:,.0f} | "
                 f"{1024 / theirs:,.0f} | {ours / theirs:.2f} |")
    rows, compiled_rows = training_rows()
    lines += rows
    lines += compiled_header()
    compiled_step = cr.compile(w1_step(cr))
    start = time.perf_counter()
    compiled_step()
    compile_seconds = time.perf_counter() - start
    ours, theirs = median_seconds(compiled_step, n), median_seconds(w1_step(torch), n)
    lines.append(f"| W1 compiled | {ours * 1e6:.1f} us/step | {theirs * 1e6:.1f} us/step | **{ours / theirs:.2f}** | "
                 f"{compile_seconds:.3f} s | | |")
    lines += compiled_rows
    lines += anomaly_rows()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
