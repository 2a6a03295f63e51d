"""The end-of-run report: test metrics, confusion matrices, time, throughput; printed and saved."""
from .. import backend as B
from ..grad_mode import no_grad
from ..train import metrics as metric_module
from ..train.batches import batch_size, to_numpy, concatenate

xp = B.xp


def evaluate(experiment, loader):
    """Loss, metrics and confusion matrices of ``experiment.model`` on ``loader`` (eval mode)."""
    model = experiment.model
    model.eval()
    total, seen, outputs, targets = 0.0, 0, [], []
    with no_grad():
        for x, y in loader:
            prediction = model(x)
            size = batch_size(x)
            total += experiment.loss(prediction, y).item() * size
            seen += size
            outputs.append(to_numpy(prediction))
            targets.append(to_numpy(y))
    predictions, truth = concatenate(outputs), concatenate(targets)
    result = {"loss": total / max(seen, 1), "samples": seen}
    result.update({name: float(fn(predictions, truth)) for name, fn in experiment.metrics.items()})
    matrices = {}
    for head in experiment.classification_heads():
        output = predictions if head.output is None else predictions[head.output]
        target = truth[head.target] if isinstance(truth, dict) else truth
        matrix = metric_module.confusion_matrix(output, target, num_classes=output.shape[1])
        matrices[head.output or "output"] = matrix.numpy().tolist()
    return result, matrices


def format_matrix(matrix):
    width = max(len(str(v)) for row in matrix for v in row) + 1
    header = "true\\pred " + "".join(f"{j:>{width}}" for j in range(len(matrix)))
    rows = [f"{i:>9} " + "".join(f"{v:>{width}}" for v in row) for i, row in enumerate(matrix)]
    return "\n".join([header] + rows)


def format_report(title, result, matrices):
    lines = [title]
    lines += [f"  {key:<22} {value:.4f}" if isinstance(value, float) else f"  {key:<22} {value}"
              for key, value in result.items()]
    for name, matrix in matrices.items():
        lines.append(f"  confusion matrix ({name}):")
        lines += ["    " + line for line in format_matrix(matrix).splitlines()]
    return "\n".join(lines)
