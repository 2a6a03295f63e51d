"""Transforms for augmentation: each is a callable on one sample (a Tensor or NumPy array).

Random transforms draw from chainrule's generator, so ``chainrule.manual_seed``
makes an augmented epoch reproducible.
"""
from .. import backend as B
from ..tensor import Tensor, tracer
from .._errors import at_user_line

xp = B.xp


def _array(x):
    if isinstance(x, Tensor):
        if tracer[0] is not None:   # transforms work on arrays: chainrule.compile cannot follow them
            tracer[0].value_escapes(x, "a data transform")
        return x._data
    return xp.asarray(x)


class Compose:
    """Apply transforms one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        return "Compose(\n" + "".join(f"    {t!r}\n" for t in self.transforms) + ")"


class ToTensor:
    """A NumPy array (or nested lists) as a float32 tensor (values unchanged)."""

    def __call__(self, x):
        return Tensor._make(_array(x).astype(B.get_default_dtype().np))


class Normalize:
    """(x - mean) / std per channel (dim 0 of a (C, ...) sample)."""

    def __init__(self, mean, std):
        self.mean, self.std = xp.asarray(mean, dtype=float), xp.asarray(std, dtype=float)
        if (self.std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {self.std.dtype}, leading to division by zero.")

    def __call__(self, x):
        a = _array(x)
        shape = (-1,) + (1,) * (a.ndim - 1) if a.ndim else ()
        return Tensor._make(((a - self.mean.reshape(shape)) / self.std.reshape(shape)).astype(a.dtype))

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class RandomCrop:
    """Pad a (C, H, W) sample by ``padding`` zeros on each side, then crop ``size`` at a random place."""

    def __init__(self, size, padding=0):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding = padding

    def __call__(self, x):
        a = _array(x)
        if a.ndim != 3:
            raise ValueError(at_user_line(f"RandomCrop expects a (C, H, W) sample, got shape {a.shape}"))
        p = self.padding
        padded = xp.pad(a, ((0, 0), (p, p), (p, p))) if p else a
        h, w = self.size
        if padded.shape[1] < h or padded.shape[2] < w:
            raise ValueError(at_user_line(
                f"RandomCrop: required crop size {self.size} is larger than the padded input {padded.shape[1:]}"))
        rng = B.rng()
        top = int(rng.integers(0, padded.shape[1] - h + 1))
        left = int(rng.integers(0, padded.shape[2] - w + 1))
        return Tensor._make(xp.ascontiguousarray(padded[:, top:top + h, left:left + w]))

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror the last dimension with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, x):
        a = _array(x)
        if B.rng().random() < self.p:
            a = xp.ascontiguousarray(a[..., ::-1])
        return Tensor._make(a)

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class RandomNoise:
    """Add Gaussian noise of standard deviation ``std``."""

    def __init__(self, std=0.1):
        self.std = std

    def __call__(self, x):
        a = _array(x)
        return Tensor._make((a + B.rng().normal(0.0, self.std, a.shape)).astype(a.dtype))

    def __repr__(self):
        return f"RandomNoise(std={self.std})"


class RandomShift1d:
    """Shift a (C, L) or (L,) signal along its last dimension by up to ``max_shift`` steps, zero-filled."""

    def __init__(self, max_shift):
        self.max_shift = max_shift

    def __call__(self, x):
        a = _array(x)
        shift = int(B.rng().integers(-self.max_shift, self.max_shift + 1))
        out = xp.zeros_like(a)
        if shift > 0:
            out[..., shift:] = a[..., :-shift]
        elif shift < 0:
            out[..., :shift] = a[..., -shift:]
        else:
            out[...] = a
        return Tensor._make(out)

    def __repr__(self):
        return f"RandomShift1d(max_shift={self.max_shift})"


class TransformDataset:
    """A dataset whose inputs (the first field of each sample) pass through ``transform``."""

    def __init__(self, dataset, transform):
        self.dataset, self.transform = dataset, transform

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        sample = self.dataset[index]
        if isinstance(sample, tuple):
            return (self.transform(sample[0]),) + tuple(sample[1:])
        return self.transform(sample)
