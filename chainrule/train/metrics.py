"""Metrics on predictions (logits or class indices) and targets; each returns a Python float
(``confusion_matrix`` an int64 tensor). Computed outside the graph."""
from .. import backend as B
from ..tensor import Tensor
from .._errors import at_user_line

xp = B.xp


def _array(x):
    return x.detach().numpy() if isinstance(x, Tensor) else xp.asarray(x)   # a compiled function stops here


def _labels(predictions):
    """Class indices: argmax over dim 1 of logits, or the predictions themselves if already indices."""
    p = _array(predictions)
    return p.argmax(1) if p.ndim > 1 else p.astype(xp.int64)


def _check_batch(pred, target, op):
    if pred.shape[0] != target.shape[0]:
        raise ValueError(at_user_line(
            f"{op}: {pred.shape[0]} predictions for {target.shape[0]} targets; they must match"))


def accuracy(predictions, targets):
    """Fraction of samples whose predicted class equals the target."""
    pred, target = _labels(predictions), _array(targets)
    _check_batch(pred, target, "accuracy")
    return float((pred == target).mean()) if target.size else 0.0


def top_k_accuracy(logits, targets, k=5):
    """Fraction of samples whose target is among the ``k`` highest logits."""
    scores, target = _array(logits), _array(targets)
    _check_batch(scores, target, "top_k_accuracy")
    if not 0 < k <= scores.shape[1]:
        raise ValueError(at_user_line(f"top_k_accuracy: k={k} must be between 1 and the {scores.shape[1]} classes"))
    top = xp.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float((top == target[:, None]).any(1).mean())


def confusion_matrix(predictions, targets, num_classes=None):
    """counts[i, j] = number of samples of true class i predicted as class j."""
    pred, target = _labels(predictions), _array(targets).astype(xp.int64)
    _check_batch(pred, target, "confusion_matrix")
    if num_classes is None:
        num_classes = int(max(pred.max(initial=0), target.max(initial=0))) + 1
    counts = xp.bincount(target * num_classes + pred, minlength=num_classes * num_classes)
    return Tensor._make(counts.reshape(num_classes, num_classes).astype(xp.int64))


def precision_recall_f1(predictions, targets, num_classes=None, average="macro"):
    """(precision, recall, f1) averaged over classes ('macro'), weighted by support ('weighted'),
    or from global counts ('micro'); a class with no predicted (or true) samples counts as 0."""
    counts = confusion_matrix(predictions, targets, num_classes)._data.astype(xp.float64)
    true_positive = xp.diag(counts)
    predicted, actual = counts.sum(0), counts.sum(1)
    if average == "micro":
        p = r = float(true_positive.sum() / max(counts.sum(), 1))
        return p, r, p
    with xp.errstate(divide="ignore", invalid="ignore"):
        precision = xp.where(predicted > 0, true_positive / predicted, 0.0)
        recall = xp.where(actual > 0, true_positive / actual, 0.0)
        f1 = xp.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    if average == "macro":
        weights = xp.full(len(counts), 1.0 / len(counts))
    elif average == "weighted":
        weights = actual / max(actual.sum(), 1)
    else:
        raise ValueError(f"average must be 'macro', 'weighted' or 'micro', got '{average}'")
    return float(precision @ weights), float(recall @ weights), float(f1 @ weights)


def precision(predictions, targets, num_classes=None, average="macro"):
    return precision_recall_f1(predictions, targets, num_classes, average)[0]


def recall(predictions, targets, num_classes=None, average="macro"):
    return precision_recall_f1(predictions, targets, num_classes, average)[1]


def f1(predictions, targets, num_classes=None, average="macro"):
    return precision_recall_f1(predictions, targets, num_classes, average)[2]


def mse(predictions, targets):
    diff = _array(predictions).astype(xp.float64) - _array(targets)
    return float((diff * diff).mean())


def mae(predictions, targets):
    return float(xp.abs(_array(predictions).astype(xp.float64) - _array(targets)).mean())
