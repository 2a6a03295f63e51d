"""What a compiled call pays before its replay: the generated guard check, on W1 and W2.

    python bench/compile_guards.py [--quick] [--threads 1]

For W1 (the lecture network at batch 1) and W2 (the 784-512-512-10 MLP with Adam, batch 128),
each compiled with ``chainrule.compile``: the time of the guard check alone (the generated
function that decides whether the cached trace fits), of the whole compiled step, and of
PyTorch's eager step in the same process, with the ratio compiled / PyTorch.
"""
from run import ARGS, cr, median_seconds, torch, w1_step   # parses the same flags, pins the threads
from chainrule.jit import compiled as compiled_module


def w2_step(lib):
    """W2 of bench/workloads.py as a step without arguments."""
    lib.manual_seed(0)
    n = lib.nn
    model = n.Sequential(n.Linear(784, 512), n.ReLU(), n.Linear(512, 512), n.ReLU(), n.Linear(512, 10))
    x, y = lib.randn(128, 784), lib.randint(0, 10, (128,))
    loss_fn, optimizer = n.CrossEntropyLoss(), lib.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    return step


def guard_check_seconds(compiled, number):
    """The generated check of the trace a call without arguments replays."""
    check = compiled.traces[0].guards.check
    literals = compiled_module._NO_ARGUMENTS
    assert check([], literals), "the trace must fit the call being timed"
    return median_seconds(lambda: check([], literals), number)


def main():
    quick = 3 if ARGS.quick else 1
    print("| workload | guard check | compiled step | PyTorch eager step | ratio (time) |")
    print("|---|---|---|---|---|")
    for name, make, number in (("W1", w1_step, 3000), ("W2", w2_step, 20)):
        compiled = cr.compile(make(cr))
        compiled()                                           # traces
        guard = guard_check_seconds(compiled, 30000 // quick)
        ours, theirs = median_seconds(compiled, number // quick), median_seconds(make(torch), number // quick)
        print(f"| {name} | {guard * 1e6:.1f} us | {ours * 1e6:,.0f} us | {theirs * 1e6:,.0f} us | "
              f"**{ours / theirs:.2f}** |")


if __name__ == "__main__":
    main()
