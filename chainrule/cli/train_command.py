"""``chainrule train [CONFIG]``: validate, train with progress, leave a run directory.

Everything that can be checked is checked before the run directory is claimed, so bad
input (exit code 2) writes nothing; the directory is then claimed atomically, so two runs
never share one.
"""
import copy
import importlib.util
import os
import sys
import time

from .. import config as config_module
from ..train import TrainingInterrupted
from .arguments import positive_int, seed
from .errors import UsageError
from .report import evaluate, format_report
from .run_files import (RunRecorder, write_text, write_json, checkpoint_dir, claim_run_directory, resolved_config,
                        config_yaml, load_model_weights)
from . import resume as resume_module
from .boundary import EXIT_INTERRUPTED


def add_arguments(parser):
    parser.add_argument("config", nargs="?", help="the config file (default: a small CNN on digits, "
                                                  "chainrule/config/default.yaml)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set solver.lr=0.01 (repeatable)")
    parser.add_argument("--out", help="the run directory (default: runs/<name>-<date>-<time>)")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint")
    parser.add_argument("--epochs", type=positive_int, help="train this many epochs in all (solver.epochs)")
    parser.add_argument("--seed", type=seed, help="the seed of every random number (solver.seed)")
    parser.add_argument("--allow-changed-config", action="store_true",
                        help="--resume even though config.yaml differs from the config the run was trained with")
    parser.add_argument("--no-plots", action="store_true", help="skip curves.png (no matplotlib needed)")
    parser.add_argument("--debug", action="store_true",
                        help="anomaly mode (the first op making a NaN/Inf is named) and layer monitors "
                             "(monitors.jsonl, monitors.png, flags for vanishing/exploding gradients)")


class _NewRun:
    """A run about to start: its config, where it is read from and where it will be written."""

    def __init__(self, args):
        overrides = list(args.set)
        if args.epochs is not None:
            overrides.append(f"solver.epochs={args.epochs}")
        if args.seed is not None:
            overrides.append(f"solver.seed={args.seed}")
        if args.allow_changed_config:
            raise UsageError("--allow-changed-config goes with --resume")
        path = args.config or config_module.DEFAULT_CONFIG
        self.source = config_module.read_config(path, overrides)
        self.config_dir = os.path.dirname(os.path.abspath(path))
        self.name = self.source.data.get("name") or config_module.default_name(path)
        self.out, self.resume_from, self.finished_message = args.out, None, None
        self.recorded_config = None          # known once the config is valid (claim)

    def claim(self):
        """Create the run directory (the first thing written) and its config.yaml."""
        self.recorded_config = resolved_config(self.source.data, self.config_dir, self.name)
        if self.out is not None:
            run_dir = claim_run_directory(self.out, chosen=True)
        else:
            run_dir = claim_run_directory(os.path.join("runs", f"{self.name}-{time.strftime('%Y%m%d-%H%M%S')}"),
                                          chosen=False)
        write_text(os.path.join(run_dir, "config.yaml"), config_yaml(self.recorded_config))
        return run_dir


def run(args):
    if not args.no_plots and importlib.util.find_spec("matplotlib") is None:
        raise UsageError("curves.png needs the optional package 'matplotlib': pip install matplotlib "
                         "(or train with --no-plots)")
    plan = resume_module.Resume(args) if args.resume else _NewRun(args)
    if plan.finished_message is not None:        # a finished run resumed without more epochs
        print(plan.finished_message)
        return 0
    experiment = config_module.build(plan.source, plan.config_dir, name=plan.name)  # every config error is here
    summary_text = _summary(experiment)
    if args.resume:
        plan.check_weights(experiment)
    run_dir = plan.claim()
    args.session.run_dir = run_dir
    write_text(os.path.join(run_dir, "summary.txt"), summary_text)
    monitor, mode = experiment.checkpoint_monitor
    recorder = RunRecorder(run_dir, monitor, mode, plots=not args.no_plots,
                           config=copy.deepcopy(plan.recorded_config))
    extra = []
    if args.debug:
        from ..diag import MonitorCallback
        every = max(1, len(experiment.train_loader) // 5)              # about five records per epoch
        extra.append(MonitorCallback(every=every, dirpath=None if args.no_plots else run_dir))
    trainer = experiment.trainer(progress=True, callbacks=extra)
    trainer.callbacks.append(recorder)          # after History: each saved checkpoint holds its epoch
    args.session.position = lambda: f"in epoch {trainer.epoch} at step {trainer.global_step}"
    args.session.activity = "training"
    print(f"run directory: {run_dir}" + (f" (resuming from {plan.resume_from})" if plan.resume_from else ""),
          flush=True)
    start = time.perf_counter()
    from ..autograd import set_detect_anomaly
    try:
        with set_detect_anomaly(args.debug):
            trainer.fit(experiment.train_loader, experiment.val_loader, experiment.epochs,
                        resume_from=plan.resume_from, interrupt_checkpoint=checkpoint_dir(run_dir, "last"))
    except TrainingInterrupted as stop:
        print(f"\ninterrupted in epoch {stop.epoch} after step {stop.step}; checkpoint saved in {stop.checkpoint}\n"
              f"continue with: {_continue_command(args, run_dir)}", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    args.session.activity, args.session.position = "the report", lambda: "after training"
    elapsed = time.perf_counter() - start
    return _finish(experiment, trainer, recorder, run_dir, elapsed)


def _continue_command(args, run_dir):
    """The command that continues this run: its epochs are in its config.yaml, so only flags remain."""
    flags = "".join(f" {flag}" for flag, used in (("--no-plots", args.no_plots), ("--debug", args.debug)) if used)
    return f"chainrule train --resume {run_dir}{flags}"


def _summary(experiment):
    from ..diag import summary
    table = summary(experiment.model, input=experiment.sample_input())
    return f"{experiment.name} (shapes for a batch of 1)\n\n{table}\n"


def _finish(experiment, trainer, recorder, run_dir, elapsed):
    nan_stop = next((c.report for c in trainer.callbacks if getattr(c, "report", None)), None)
    best = checkpoint_dir(run_dir, "best")
    if os.path.exists(best):        # report on the best epoch's weights
        load_model_weights(experiment, best)
    result, matrices = evaluate(experiment, experiment.test_loader)
    samples = trainer.samples_seen                  # trained in this session (a resumed run: since resuming)
    report = {
        "name": experiment.name, "epochs": len(trainer.history.epochs), "best_epoch": recorder.best_epoch,
        "monitor": {recorder.monitor: recorder.best}, "test": result, "confusion_matrix": matrices,
        "run_time_s": round(elapsed, 3), "train_samples_per_s": round(samples / max(elapsed, 1e-9), 1),
        "stopped_on_nan": nan_stop,
    }
    write_json(os.path.join(run_dir, "report.json"), report)
    _sample_grid(experiment, run_dir)
    weights = f"weights of epoch {recorder.best_epoch}" if os.path.exists(best) else "final weights"
    print(format_report(f"test set ({result['samples']} samples, {weights}):", result, matrices))
    print(f"{report['epochs']} epochs in {elapsed:.1f}s; outputs in {run_dir}/")
    return 1 if nan_stop else 0


def _sample_grid(experiment, run_dir):
    """report.sample_grid: test inputs (top rows) above the model's outputs (bottom rows)."""
    options = experiment.config.get("report", {}).get("sample_grid")
    if not options:
        return
    from .. import backend as B
    from ..grad_mode import no_grad
    from ..data.loader import default_collate
    from ..train import save_image_grid
    count = options.get("count", 8)
    shape = tuple(options.get("image_shape", ()))
    inputs = experiment.test_data.columns[experiment.inputs[0]][:count]
    evaluation = experiment.test_loader.dataset               # the evaluation transforms applied
    experiment.model.eval()
    with no_grad():
        batch = default_collate([evaluation[i][0] for i in range(len(inputs))])
        outputs = experiment.model(batch).numpy()
    images = B.xp.concatenate([inputs.reshape((len(inputs),) + shape), outputs.reshape((len(outputs),) + shape)])
    save_image_grid(images, os.path.join(run_dir, "samples.png"), columns=len(inputs),
                    titles=["input"] * len(inputs) + ["output"] * len(inputs))
