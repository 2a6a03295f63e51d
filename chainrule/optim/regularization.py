"""Penalties added to the loss: L1 (sparse weights) beside the optimizers' L2 weight decay."""


def l1_penalty(parameters, weight):
    """``weight * sum(|p|)`` over the parameters, to add to the loss (its gradient is weight * sign(p))."""
    total = None
    for p in parameters:
        term = p.abs().sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError("l1_penalty: got no parameters")
    return total * weight
