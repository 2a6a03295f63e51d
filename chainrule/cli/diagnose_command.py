"""``chainrule diagnose CONFIG``: the lectures' first checks on a config's model, a verdict each.

1. initial loss near chance level (``check_init``),
2. one batch can be overfitted (``overfit_batch``),
3. parameter gradients equal finite differences (``gradcheck_module``, float64).

Exit code 0 when every check passes, 1 when one fails, 2 for a bad config.
"""
import os

from .. import config as config_module
from .arguments import positive_int
from ..data.loader import default_collate
from ..diag import check_init, overfit_batch, gradcheck_module, chance_level


def add_arguments(parser):
    parser.add_argument("config")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--batch", type=positive_int, default=16, help="samples in the batch the checks use (16)")
    parser.add_argument("--steps", type=positive_int, default=200, help="steps of the overfit check (200)")


def _expected_loss(experiment, output, target):
    """Chance level of the config's loss: the weighted sum over its heads."""
    total = 0.0
    for head in experiment.heads:
        out = output if head.output is None else output[head.output]
        y = target if not isinstance(target, dict) else target[head.target]
        level, _ = chance_level(head.loss, out, y)
        if level is None:
            return None
        total += head.weight * level
    return total


def run(args):
    source = config_module.read_config(args.config, args.set)
    experiment = config_module.build(source, os.path.dirname(os.path.abspath(args.config)),
                                     name=config_module.default_name(args.config))
    dataset = experiment.train_data
    batch = default_collate([dataset[i] for i in range(min(args.batch, len(dataset)))])
    x, y = batch
    from ..grad_mode import no_grad
    with no_grad():
        experiment.model.eval()
        expected = _expected_loss(experiment, experiment.model(x), y)
        experiment.model.train()
    results = [check_init(experiment.model, batch, experiment.loss, expected=expected,
                          reason="log(classes) of each head, weighted as in the config's loss"),
               overfit_batch(experiment.model, experiment.loss, batch, steps=args.steps),
               gradcheck_module(experiment.model, x)]
    print(f"diagnosing {experiment.name} on a batch of {len(y) if not isinstance(y, dict) else args.batch}:")
    for result in results:
        print(f"  {result}")
    failed = [r.name for r in results if not r.passed]
    print("verdict: " + ("every check passed" if not failed else f"{', '.join(failed)} failed"))
    return 1 if failed else 0
