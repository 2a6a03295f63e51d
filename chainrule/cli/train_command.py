"""``chainrule train [CONFIG]``: validate, train with progress, leave a run directory."""
import importlib.util
import os
import sys
import time
import traceback

from .. import config as config_module
from ..io import load_state_dict
from ..train import TrainingInterrupted
from .errors import UsageError
from .report import evaluate, format_report
from .run_files import RunRecorder, write_text, write_json, checkpoint_dir

EXIT_INTERRUPTED = 130   # the shell's code for a run stopped by Ctrl-C


def add_arguments(parser):
    parser.add_argument("config", nargs="?", help="the config file (default: a small CNN on digits, "
                                                  "chainrule/config/default.yaml)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set solver.lr=0.01 (repeatable)")
    parser.add_argument("--out", help="the run directory (default: runs/<name>-<date>-<time>)")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint")
    parser.add_argument("--epochs", type=int, help="train this many epochs in all (solver.epochs)")
    parser.add_argument("--seed", type=int, help="the seed of every random number (solver.seed)")
    parser.add_argument("--no-plots", action="store_true", help="skip curves.png (no matplotlib needed)")
    parser.add_argument("--debug", action="store_true",
                        help="anomaly mode (the first op making a NaN/Inf is named) and layer monitors "
                             "(monitors.jsonl, monitors.png, flags for vanishing/exploding gradients)")


def _resolved_yaml(source, config_dir, name):
    """The config as trained: include-free, overrides applied, named, data files as absolute paths."""
    import copy
    import yaml
    data = {"name": name, **copy.deepcopy(source.data)}
    for key in ("file", "test_file"):
        value = data.get("data", {}).get(key)
        if isinstance(value, str) and not os.path.isabs(value):
            data["data"][key] = os.path.abspath(os.path.join(config_dir, value))
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None)


def _prepare(args):
    """(source, config_dir, run_dir, resume checkpoint or None, name); raises before anything is written."""
    overrides = list(args.set)
    if args.epochs is not None:
        overrides.append(f"solver.epochs={args.epochs}")
    if args.seed is not None:
        overrides.append(f"solver.seed={args.seed}")
    if args.resume:
        if args.config or args.set or args.seed is not None or args.out:
            raise UsageError("--resume continues a run with its own config: only --epochs may be added")
        run_dir = args.resume
        path = os.path.join(run_dir, "config.yaml")
        last = checkpoint_dir(run_dir, "last")
        if not os.path.exists(path) or not os.path.exists(os.path.join(last, "state.json")):
            raise UsageError(f"{run_dir} is not a run directory with a checkpoint (needs config.yaml and "
                             f"checkpoints/last/)")
        source = config_module.read_config(path, overrides)
        name = source.data.get("name") or os.path.basename(os.path.normpath(run_dir))
        return source, os.path.dirname(os.path.abspath(path)), run_dir, last, name
    path = args.config or config_module.DEFAULT_CONFIG
    source = config_module.read_config(path, overrides)
    name = source.data.get("name") or config_module.default_name(path)
    run_dir = args.out or os.path.join("runs", f"{name}-{time.strftime('%Y%m%d-%H%M%S')}")
    if os.path.exists(run_dir) and os.listdir(run_dir):
        raise UsageError(f"the run directory {run_dir} already exists and is not empty; choose another --out "
                         f"or continue it with --resume {run_dir}")
    return source, os.path.dirname(os.path.abspath(path)), run_dir, None, name


def run(args):
    if not args.no_plots and importlib.util.find_spec("matplotlib") is None:
        raise UsageError("curves.png needs the optional package 'matplotlib': pip install matplotlib "
                         "(or train with --no-plots)")
    source, config_dir, run_dir, resume, name = _prepare(args)
    experiment = config_module.build(source, config_dir, name=name)      # every config error is raised here
    os.makedirs(run_dir, exist_ok=True)
    if resume is None:
        write_text(os.path.join(run_dir, "config.yaml"), _resolved_yaml(source, config_dir, name))
    _write_summary(experiment, run_dir)
    monitor, mode = experiment.checkpoint_monitor
    recorder = RunRecorder(run_dir, monitor, mode, plots=not args.no_plots)
    extra = []
    if args.debug:
        from ..diag import MonitorCallback
        every = max(1, len(experiment.train_loader) // 5)              # about five records per epoch
        extra.append(MonitorCallback(every=every, dirpath=None if args.no_plots else run_dir))
    trainer = experiment.trainer(progress=True, callbacks=extra)
    trainer.callbacks.append(recorder)          # after History: each saved checkpoint holds its epoch
    print(f"run directory: {run_dir}" + (f" (resuming from {resume})" if resume else ""), flush=True)
    start = time.perf_counter()
    from ..autograd import set_detect_anomaly
    try:
        with set_detect_anomaly(args.debug):
            trainer.fit(experiment.train_loader, experiment.val_loader, experiment.epochs, resume_from=resume,
                        interrupt_checkpoint=checkpoint_dir(run_dir, "last"))
    except TrainingInterrupted as stop:
        print(f"\ninterrupted in epoch {stop.epoch} after step {stop.step}; checkpoint saved in {stop.checkpoint}\n"
              f"continue with: chainrule train --resume {run_dir}", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - a failure during training is reported, not a traceback
        return _report_failure(run_dir, trainer, error)
    elapsed = time.perf_counter() - start
    return _finish(experiment, trainer, recorder, run_dir, elapsed)


def _write_summary(experiment, run_dir):
    from ..diag import summary
    table = summary(experiment.model, input=experiment.sample_input())
    write_text(os.path.join(run_dir, "summary.txt"), f"{experiment.name} (shapes for a batch of 1)\n\n{table}\n")


def _report_failure(run_dir, trainer, error):
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    write_text(os.path.join(run_dir, "error.txt"), details)
    last = checkpoint_dir(run_dir, "last")
    saved = f"the last checkpoint is {last}" if os.path.exists(last) else "no checkpoint was saved"
    print(f"training failed in epoch {trainer.epoch} at step {trainer.global_step}: {type(error).__name__}: "
          f"{error}\n{saved}; the full traceback is in {os.path.join(run_dir, 'error.txt')}", file=sys.stderr)
    return 1


def _finish(experiment, trainer, recorder, run_dir, elapsed):
    nan_stop = next((c.report for c in trainer.callbacks if getattr(c, "report", None)), None)
    best = checkpoint_dir(run_dir, "best")
    if os.path.exists(best):        # report on the best epoch's weights
        arrays = load_state_dict(os.path.join(best, "arrays.safetensors"))
        experiment.model.load_state_dict({k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")})
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
    from ..train import save_image_grid
    count = options.get("count", 8)
    shape = tuple(options.get("image_shape", ()))
    inputs = experiment.test_data.columns[experiment.inputs[0]][:count]
    experiment.model.eval()
    with no_grad():
        outputs = experiment.model(experiment.test_data[list(range(len(inputs)))][0]).numpy()
    images = B.xp.concatenate([inputs.reshape((len(inputs),) + shape), outputs.reshape((len(outputs),) + shape)])
    save_image_grid(images, os.path.join(run_dir, "samples.png"), columns=len(inputs),
                    titles=["input"] * len(inputs) + ["output"] * len(inputs))
