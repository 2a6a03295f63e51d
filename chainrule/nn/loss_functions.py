"""Loss functions (the math behind ``nn.*Loss``), each with ``reduction='mean'|'sum'|'none'``.

Cross-entropy and BCE-with-logits are built on the stable forms (log-softmax,
log1p(exp(-|x|))), so logits of +-1000 give finite losses and gradients.
A loss whose input and target shapes differ refuses to broadcast silently.
"""
from .. import backend as B
from .._errors import at_user_line, shape_str, ShapeError
from ..ops.fused import log_softmax
from ..ops.elementwise import where
from ..ops.unary import softplus
from ..function import Function
from ..ops.array_op import checked

xp = B.xp


def _reduce(loss, reduction, op):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: {reduction} is not a valid value for reduction; use 'mean', 'sum' or 'none'")


def _same_shape(input, target, op):
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(at_user_line(
            f"{op}: input shape {shape_str(input.shape)} and target shape {shape_str(target.shape)} "
            f"differ; broadcasting them would silently compare every input with every target. "
            f"Make them match, e.g. target.view_as(input) or input.squeeze(-1)"))


def mse_loss(input, target, reduction="mean"):
    _same_shape(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input, target, reduction="mean"):
    _same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction, "l1_loss")


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere."""
    _same_shape(input, target, "smooth_l1_loss")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction, "smooth_l1_loss")
    loss = where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere."""
    _same_shape(input, target, "huber_loss")
    d = (input - target).abs()
    loss = where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _reduce(loss, reduction, "huber_loss")


def _class_weights(weight, target, num_classes):
    """Per-element weight of each target class: (N, ...)."""
    if weight is None:
        return None
    if tuple(weight.shape) != (num_classes,):
        raise RuntimeError(at_user_line(
            f"weight tensor should be defined either for all {num_classes} classes or no classes "
            f"but got weight tensor of shape: {list(weight.shape)}"))
    return weight[target]


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """-input[n, target[n]] (input holds log-probabilities, classes along dim 1)."""
    if input.ndim == 1:  # (C,) with a 0-d target: a batch of one
        out = nll_loss(input.unsqueeze(0), target.unsqueeze(0), weight, ignore_index, reduction)
        return out.squeeze(0) if reduction == "none" else out
    if target.dtype.is_floating_point:
        raise RuntimeError(at_user_line(
            f"nll_loss: expected target of class indices (int64), got {target.dtype}; for class "
            f"probabilities use cross_entropy"))
    batch = input.shape[0]
    if target.shape[0] != batch or tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise ShapeError(at_user_line(
            f"nll_loss: Expected input batch_size ({batch}) to match target batch_size "
            f"({target.shape[0]}); input shape {shape_str(input.shape)} (N, C, ...) needs a "
            f"target of shape {shape_str((batch,) + tuple(input.shape[2:]))}, got {shape_str(target.shape)}"))
    num_classes = input.shape[1]
    ignored = target == ignore_index                                   # (N, ...)
    safe_target = where(ignored, 0, target)
    safe_target = checked(_targets_in_range, safe_target, num_classes=num_classes)   # on each replay too
    picked = -input.gather(1, safe_target.unsqueeze(1)).squeeze(1)     # (N, ...)
    w = _class_weights(weight, safe_target, num_classes)
    keep = (~ignored).to(input.dtype)
    w = keep if w is None else w * keep
    loss = picked * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduce(loss, reduction, "nll_loss")


def _targets_in_range(target, num_classes):
    """``target`` (ignored entries already 0) after checking 0 <= target < num_classes."""
    bad = (target < 0) | (target >= num_classes)
    if bad.any():
        raise IndexError(at_user_line(
            f"nll_loss: Target {int(target[bad].reshape(-1)[0])} is out of bounds (there are {num_classes} classes)"))
    return target


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy from logits: class indices or class probabilities as target."""
    class_dim = 0 if input.ndim == 1 else 1
    num_classes = input.shape[class_dim]
    log_p = log_softmax(input, class_dim)
    if target.dtype.is_floating_point:  # class probabilities, same shape as input
        _same_shape(input, target, "cross_entropy")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / num_classes
        weighted = log_p * target
        if weight is not None:
            weighted = weighted * weight.reshape([-1] + [1] * (input.ndim - class_dim - 1))
        loss = -weighted.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (input.numel() // num_classes if input.numel() else 1)
        return _reduce(loss, reduction, "cross_entropy")
    if input.ndim == 1:
        log_p, target = log_p.unsqueeze(0), target.unsqueeze(0)
    nll = nll_loss(log_p, target, weight, ignore_index, reduction)
    if label_smoothing <= 0:
        return nll.squeeze(0) if input.ndim == 1 and reduction == "none" else nll
    ignored = target == ignore_index
    if weight is not None:
        smooth = -(log_p * weight.reshape([-1] + [1] * (log_p.ndim - 2))).sum(1)
    else:
        smooth = -log_p.sum(1)
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        if weight is not None:
            # the weights of the counted targets, in a fixed shape (compile-friendly): ignored ones as 0
            counted = weight[target.masked_fill(ignored, 0)].masked_fill(ignored, 0.0)
            smooth = smooth.sum() / counted.sum()
        else:
            smooth = smooth.sum() / (~ignored).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    loss = (1 - label_smoothing) * nll + smooth * (label_smoothing / num_classes)
    return loss.squeeze(0) if input.ndim == 1 and reduction == "none" else loss


class BinaryCrossEntropy(Function):
    """-(t log p + (1 - t) log(1 - p)) with PyTorch's guards: each log is at least -100 and
    the gradient's denominator p (1 - p) at least 1e-12, so p = 0 or 1 stays finite."""

    is_check = True   # its forward checks 0 <= p <= 1: a compiled graph keeps it even when unused

    def forward(ctx, p, t):
        _check_probabilities(p)
        ctx.save_for_backward(p, t)
        with xp.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(p), -100)
            log_q = xp.maximum(xp.log1p(-p), -100)
        return -(t * log_p + (1 - t) * log_q)

    def backward(ctx, g):
        p, t = ctx.saved_tensors
        grad_p = g * (p - t) / (p * (1 - p)).clamp(min=1e-12)
        grad_t = None
        if ctx.needs_input_grad[1]:
            with xp.errstate(divide="ignore"):
                grad_t = g * ((1 - p).log() - p.log())  # unclamped, as PyTorch: infinite at p = 0 or 1
        return grad_p, grad_t


def _check_probabilities(p):
    # In the op's forward rather than an array_op beside it: the check's result could not
    # stand for an input that requires grad, and a compiled replay runs the forward each call.
    if p.size and ((p < 0) | (p > 1)).any():
        raise RuntimeError(at_user_line(
            "binary_cross_entropy: all elements of input should be between 0 and 1; pass logits "
            "to binary_cross_entropy_with_logits instead"))


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-(t log p + (1 - t) log(1 - p)) on probabilities; each log is clamped at -100 as in PyTorch."""
    _same_shape(input, target, "binary_cross_entropy")
    loss = BinaryCrossEntropy.apply(input, target.to(input.dtype))   # checks 0 <= input <= 1
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """BCE of sigmoid(x), computed as max(x, 0) - x t + log(1 + exp(-|x|)) (stable for any x)."""
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    softplus_neg = softplus(-input)   # log(1 + exp(-x)), stable and smooth for any x
    if pos_weight is not None:
        log_weight = 1 + (pos_weight - 1) * target
        loss = (1 - target) * input + log_weight * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def kl_div(input, target, reduction="mean", log_target=False):
    """KL(target || exp(input)) elementwise: target (log target - input); 'batchmean' divides by N."""
    _same_shape(input, target, "kl_div")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        safe_log = where(target > 0, target, 1.0).log()
        loss = where(target > 0, target * (safe_log - input), 0.0 * input)
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction, "kl_div")


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1."""
    eps = 1e-12
    cos = (input1 * input2).sum(-1) / ((input1 * input1).sum(-1) * (input2 * input2).sum(-1) + eps).sqrt()
    loss = where(target == 1, 1 - cos, (cos - margin).clamp(min=0.0))
    return _reduce(loss, reduction, "cosine_embedding_loss")


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """max(0, -target (x1 - x2) + margin)."""
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0.0), reduction, "margin_ranking_loss")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) with the p-norm distance d (eps added to the difference)."""
    def distance(x, y):
        return ((x - y + eps).abs() ** p).sum(-1) ** (1.0 / p)
    d_pos, d_neg = distance(anchor, positive), distance(anchor, negative)
    if swap:
        from ..ops.elementwise import minimum
        d_neg = minimum(d_neg, distance(positive, negative))
    return _reduce((d_pos - d_neg + margin).clamp(min=0.0), reduction, "triplet_margin_loss")
