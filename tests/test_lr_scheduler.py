"""Learning-rate schedules: the same sequence of rates as PyTorch's."""
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr


def sequence(lib, make, steps=30, optimizer="SGD", metrics=None):
    params = [lib.zeros(2, requires_grad=True)]
    groups = [{"params": params, "lr": 0.1}, {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.02}]
    opt = lib.optim.SGD(groups, lr=0.1, momentum=0.9) if optimizer == "SGD" else lib.optim.Adam(groups, lr=0.1)
    scheduler = make(lib, opt)
    rates = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about calling step() before optimizer.step()
        for i in range(steps):
            opt.step()
            scheduler.step(metrics[i]) if metrics else scheduler.step()
            group = opt.param_groups[0]
            rates.append([g["lr"] for g in opt.param_groups]
                         + [group["momentum"] if "momentum" in group else group["betas"][0]])
    return np.array(rates)


S = lambda lib: lib.optim.lr_scheduler  # noqa: E731
CASES = {
    "StepLR": lambda lib, o: S(lib).StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda lib, o: S(lib).MultiStepLR(o, milestones=[3, 8, 20], gamma=0.3),
    "ExponentialLR": lambda lib, o: S(lib).ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda lib, o: S(lib).CosineAnnealingLR(o, T_max=12, eta_min=0.001),
    "LinearLR": lambda lib, o: S(lib).LinearLR(o, start_factor=0.1, total_iters=7),
    "LambdaLR": lambda lib, o: S(lib).LambdaLR(o, lambda e: 1 / (1 + e)),
    "LambdaLR per group": lambda lib, o: S(lib).LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 + e]),
    "warmup then cosine": lambda lib, o: S(lib).SequentialLR(
        o, [S(lib).LinearLR(o, start_factor=0.2, total_iters=5), S(lib).CosineAnnealingLR(o, T_max=20)],
        milestones=[5]),
    "OneCycleLR": lambda lib, o: S(lib).OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=30),
    "OneCycleLR linear three-phase": lambda lib, o: S(lib).OneCycleLR(o, max_lr=1.0, total_steps=30,
                                                                        anneal_strategy="linear", three_phase=True),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_schedule_matches_torch(name, optimizer):
    ours = sequence(cr, CASES[name], optimizer=optimizer)
    theirs = sequence(torch, CASES[name], optimizer=optimizer)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)


def test_reduce_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    make = lambda lib, o: S(lib).ReduceLROnPlateau(o, patience=2, factor=0.5, cooldown=1, min_lr=0.004)  # noqa: E731
    ours = sequence(cr, make, steps=len(metrics), metrics=metrics)
    theirs = sequence(torch, make, steps=len(metrics), metrics=metrics)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_one_cycle_rejects_too_many_steps():
    opt = cr.optim.SGD([cr.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    scheduler = S(cr).OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        scheduler.step()
