"""Padding layers and PixelShuffle/PixelUnshuffle against PyTorch (values and gradients)."""
import numpy as np
import pytest
import torch

import chainrule as cr


def compare(make, shape, *args):
    x = np.random.default_rng(0).standard_normal(shape)
    results = []
    for lib in (cr, torch):
        t = lib.tensor(x, requires_grad=True)
        out = getattr(lib.nn, make)(*args)(t)
        (out * lib.tensor(np.arange(out.numel(), dtype=np.float64).reshape(out.shape))).sum().backward()
        results.append((out.detach().numpy(), t.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("kind", ["Zero", "Constant", "Reflection", "Replication", "Circular"])
@pytest.mark.parametrize("dims, shape, padding", [
    (1, (2, 3, 5), 2), (1, (3, 5), (1, 2)),
    (2, (2, 3, 4, 5), (1, 2, 0, 3)), (2, (3, 4, 5), 1),
    (3, (1, 2, 3, 4, 5), (1, 0, 2, 1, 1, 2)),
])
def test_padding_layers_match_torch(kind, dims, shape, padding):
    args = (padding, 1.5) if kind == "Constant" else (padding,)
    compare(f"{kind}Pad{dims}d", shape, *args)


def test_a_padding_layer_names_the_dims_it_expects():
    with pytest.raises(cr.ShapeError, match=r"ReflectionPad2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input, "
                                            r"got shape \(5,\)"):
        cr.nn.ReflectionPad2d(1)(cr.zeros(5))
    with pytest.raises(ValueError, match="padding must be an int or a tuple of 4 ints"):
        cr.nn.ZeroPad2d((1, 2))


@pytest.mark.parametrize("shape, factor", [((2, 8, 3, 5), 2), ((9, 2, 2), 3), ((2, 1, 4, 4, 6), 2)])
def test_pixel_shuffle_matches_torch(shape, factor):
    compare("PixelShuffle", shape, factor)
    unshuffled = (*shape[:-3], shape[-3] // factor ** 2, shape[-2] * factor, shape[-1] * factor)
    compare("PixelUnshuffle", unshuffled, factor)


def test_pixel_shuffle_names_a_bad_channel_count():
    with pytest.raises(cr.ShapeError, match=r"divisible by upscale_factor\*\*2 = 4, got shape \(1, 6, 2, 2\)"):
        cr.nn.PixelShuffle(2)(cr.zeros(1, 6, 2, 2))
