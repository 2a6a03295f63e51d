"""Saving and loading arrays: safetensors for tensors, JSON for the rest; never pickle."""
from .safetensors_io import save_state_dict, load_state_dict, atomic_write  # noqa: F401
