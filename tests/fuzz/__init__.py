"""A differential fuzzer: random small programs run in chainrule and in PyTorch.

A program is a few lines of Python over named values (``x0 = lib.tensor(...)``,
``v1 = x0[0]``, ``x0.add_(1)``, ``loss.backward()``), written once with ``lib``
standing for the library, so the same text runs in both. Every difference in
outputs, dtypes, shapes, aliasing, in-place effects, gradients (first and
second order) and errors is reported, unless it is one of the deliberate
differences listed at the end of ``docs/differences-from-pytorch.md``.

Modules: ``choices`` (where random decisions come from), ``values`` (inputs),
``pool`` (what the live values are), ``ops/`` (the op table), ``line`` and
``program`` (a program and its generation), ``render`` (a program as a script),
``execute`` (running both libraries in lockstep), ``observe`` and ``compare``
(what counts as the same), ``classify`` and ``known`` (deliberate differences),
``verdict`` (the finding of a program and its group), ``shrink``, ``campaign``,
``report`` and ``cli`` (long runs), ``same`` (the regression tests' helper).

Run a campaign with ``python -m tests.fuzz --seed 0 --programs 20000``.
"""
