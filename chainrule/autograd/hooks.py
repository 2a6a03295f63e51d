"""Handles returned by ``register_hook`` so a hook can be removed again."""
import itertools

_ids = itertools.count()


class RemovableHandle:
    """Keeps ``hook`` in ``hooks_dict`` until ``remove()`` (also a context manager)."""

    def __init__(self, hooks_dict, hook):
        self.hooks_dict = hooks_dict
        self.id = next(_ids)
        hooks_dict[self.id] = hook

    def remove(self):
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
