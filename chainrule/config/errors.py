"""``ConfigError``: what is wrong in a config file, and where (file, line, key path)."""
import difflib


class ConfigError(ValueError):
    """A config that cannot be trained: raised before anything runs or is written.

    ``str(error)`` reads ``model.yaml:12: model.layers[3] (conv2, Conv2d): <what and the fix>``.
    """

    def __init__(self, message, where=None, path=()):
        self.message, self.where, self.path = message, where, tuple(path)
        super().__init__(self._text())

    def _text(self):
        location = f"{self.where}: " if self.where else ""
        key = f"{format_path(self.path)}: " if self.path else ""
        return f"{location}{key}{self.message}"


def format_path(path):
    """('model', 'layers', 3, 'kernel_size') -> 'model.layers[3].kernel_size'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def did_you_mean(name, choices):
    """' (did you mean 'kernel_size'?)' for the closest valid name, or ''."""
    by_lower = {str(c).lower(): str(c) for c in choices}      # 'Relu' finds 'ReLU'
    close = difflib.get_close_matches(str(name).lower(), list(by_lower), n=1, cutoff=0.6)
    return f"; did you mean '{by_lower[close[0]]}'?" if close else ""


def unknown_key(kind, name, choices):
    """The message for a key or type name that does not exist, with the closest valid one."""
    hint = did_you_mean(name, choices)
    listing = "" if hint else f"; valid: {', '.join(sorted(map(str, choices)))}"
    return f"unknown {kind} '{name}'{hint}{listing}"


def without_location(error):
    """An error's message without chainrule's "(called at file:line)" suffix (the config line replaces it)."""
    return str(error).split("\n  (called at")[0].strip()
