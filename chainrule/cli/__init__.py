"""The ``chainrule`` command: train, summary, eval, predict, datasets, diagnose.

Exit codes: 0 success; 2 bad input: the config, a data file, a checkpoint or the arguments
(a message on stderr, no traceback, nothing written); 1 a failure while working (with a
report of what happened, and the traceback in the run's error.txt); 130 stopped by Ctrl-C
(a run saves a checkpoint to resume from). ``boundary.py`` turns every exception into one.
"""
import argparse
import sys

from . import train_command, inspect_commands, diagnose_command
from .boundary import run_guarded, EXIT_BAD_INPUT


class _Parser(argparse.ArgumentParser):
    def error(self, message):       # argparse's own exit code for usage errors is 2 as well
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def build_parser():
    parser = _Parser(prog="chainrule", description="Train and inspect models described by YAML configs "
                                                   "(docs/config.md).")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    commands.required = True

    train = commands.add_parser("train", help="train a config (default: a small CNN on digits)",
                                description="Validate the config, train it with progress, and write a run "
                                            "directory (config, metrics, curves, checkpoints, summary, report). "
                                            "Ctrl-C saves a checkpoint; --resume continues it exactly.")
    train_command.add_arguments(train)
    train.set_defaults(handler=train_command.run)

    summary = commands.add_parser("summary", help="the layer table of a config's model",
                                  description="Name, type, output shape, parameters and multiply-adds of every "
                                              "layer, with totals.")
    summary.add_argument("config")
    summary.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    summary.set_defaults(handler=inspect_commands.summary)

    evaluate = commands.add_parser("eval", help="evaluate a trained run on its test set or a file",
                                   description="Loss, metrics and confusion matrices of a run's best weights.")
    evaluate.add_argument("run_dir")
    evaluate.add_argument("--data", help="a .npz or .csv file with the config's input and target columns")
    evaluate.add_argument("--checkpoint", choices=("best", "last"), default="best")
    evaluate.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    evaluate.set_defaults(handler=inspect_commands.evaluate_run)

    predict = commands.add_parser("predict", help="run a trained model on the inputs in a .npz file",
                                  description="Writes the outputs (and class probabilities and labels for "
                                              "classification heads) to a .npz file.")
    predict.add_argument("run_dir")
    predict.add_argument("input", help="a .npz file with the model's input array(s)")
    predict.add_argument("--out", required=True, help="the .npz file to write")
    predict.add_argument("--checkpoint", choices=("best", "last"), default="best")
    predict.set_defaults(handler=inspect_commands.predict)

    diagnose = commands.add_parser("diagnose", help="sanity checks of a config's model before a long run",
                                   description="Initial loss against chance level, overfitting one batch, and "
                                               "gradients against finite differences; a verdict per check "
                                               "(exit code 1 if one fails).")
    diagnose_command.add_arguments(diagnose)
    diagnose.set_defaults(handler=diagnose_command.run)

    datasets = commands.add_parser("datasets", help="the built-in datasets and whether their package is installed")
    datasets.add_argument("--json", action="store_true", help="print JSON")
    datasets.set_defaults(handler=inspect_commands.datasets)
    return parser


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
    except KeyboardInterrupt:
        print("chainrule: stopped by Ctrl-C; nothing was written", file=sys.stderr)
        return 130
    return run_guarded(args.handler, args)
