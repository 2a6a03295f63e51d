"""``chainrule.accelerator``: PyTorch's device-agnostic accelerator queries. chainrule runs on
the CPU only, so there is no accelerator: the usual line
``device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"``
picks the CPU."""
from ._errors import at_user_line


def is_available():
    return False


def current_accelerator(check_available=False):
    """The accelerator device, or None when there is none (always, here)."""
    return None


def device_count():
    return 0


def current_device_index():
    return -1


def set_device_index(device):
    raise RuntimeError(at_user_line(
        f"accelerator.set_device_index({device!r}): there is no accelerator (chainrule runs on the CPU); "
        f"check accelerator.is_available() first"))


def synchronize(device=None):
    """Nothing to wait for: CPU work is done when the call returns."""
