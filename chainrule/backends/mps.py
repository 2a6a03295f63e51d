"""Apple's Metal (MPS) backend: not available, chainrule runs on the CPU."""


def is_available():
    return False


def is_built():
    return False
