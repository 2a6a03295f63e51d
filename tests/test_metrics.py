"""Metrics against direct NumPy computations of their definitions."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.train import metrics as M

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((60, 4))
TARGETS = RNG.integers(0, 4, 60)
PRED = LOGITS.argmax(1)


def reference_per_class():
    rows = []
    for c in range(4):
        tp = np.sum((PRED == c) & (TARGETS == c))
        predicted, actual = np.sum(PRED == c), np.sum(TARGETS == c)
        p = tp / predicted if predicted else 0.0
        r = tp / actual if actual else 0.0
        rows.append((p, r, 2 * p * r / (p + r) if p + r else 0.0, actual))
    return np.array(rows)


def test_accuracy_and_top_k():
    assert M.accuracy(cr.tensor(LOGITS), cr.tensor(TARGETS)) == pytest.approx(np.mean(PRED == TARGETS))
    assert M.accuracy(PRED, TARGETS) == pytest.approx(np.mean(PRED == TARGETS))
    top2 = np.argsort(-LOGITS, 1)[:, :2]
    assert M.top_k_accuracy(LOGITS, TARGETS, k=2) == pytest.approx(np.mean((top2 == TARGETS[:, None]).any(1)))
    assert M.top_k_accuracy(LOGITS, TARGETS, k=4) == 1.0


def test_confusion_matrix_and_precision_recall_f1():
    counts = M.confusion_matrix(LOGITS, TARGETS).numpy()
    for i in range(4):
        for j in range(4):
            assert counts[i, j] == np.sum((TARGETS == i) & (PRED == j))
    ref = reference_per_class()
    p, r, f = M.precision_recall_f1(LOGITS, TARGETS)
    assert (p, r, f) == pytest.approx(tuple(ref[:, :3].mean(0)))
    weights = ref[:, 3] / ref[:, 3].sum()
    assert M.f1(LOGITS, TARGETS, average="weighted") == pytest.approx(ref[:, 2] @ weights)
    assert M.precision(LOGITS, TARGETS, average="micro") == pytest.approx(np.mean(PRED == TARGETS))
    assert M.recall(LOGITS, TARGETS) == pytest.approx(ref[:, 1].mean())


def test_regression_metrics_and_errors():
    a, b = RNG.standard_normal(10), RNG.standard_normal(10)
    assert M.mse(cr.tensor(a), b) == pytest.approx(np.mean((a - b) ** 2))
    assert M.mae(a, cr.tensor(b)) == pytest.approx(np.mean(np.abs(a - b)))
    with pytest.raises(ValueError, match="accuracy: 60 predictions for 59 targets"):
        M.accuracy(LOGITS, TARGETS[:-1])
    with pytest.raises(ValueError, match="k=5 must be between 1 and the 4 classes"):
        M.top_k_accuracy(LOGITS, TARGETS, k=5)
    with pytest.raises(ValueError, match="average must be 'macro', 'weighted' or 'micro'"):
        M.f1(LOGITS, TARGETS, average="binary")
