"""Convolution and pooling against PyTorch: outputs and gradients of input, weight and bias."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from test_nn_layers import compare_layer

CONV2D = {
    "basic": dict(in_channels=3, out_channels=4, kernel_size=3),
    "stride padding": dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1),
    "rect kernel dilation": dict(in_channels=2, out_channels=3, kernel_size=(2, 3), dilation=(2, 1), padding=(1, 2)),
    "groups": dict(in_channels=4, out_channels=6, kernel_size=3, groups=2),
    "depthwise": dict(in_channels=3, out_channels=3, kernel_size=3, groups=3, padding=1),
    "same": dict(in_channels=2, out_channels=2, kernel_size=4, padding="same"),
    "no bias": dict(in_channels=3, out_channels=2, kernel_size=1, bias=False),
}


@pytest.mark.parametrize("name", CONV2D)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_matches_torch(name, dtype):
    kwargs = CONV2D[name]
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    compare_layer(lambda: nn.Conv2d(**kwargs), lambda: torch.nn.Conv2d(**kwargs),
                  [(2, kwargs["in_channels"], 7, 8)], dtype, **tol)


@pytest.mark.parametrize("kwargs", [dict(in_channels=3, out_channels=4, kernel_size=3),
                                    dict(in_channels=2, out_channels=4, kernel_size=2, stride=2, padding=1, groups=2),
                                    dict(in_channels=2, out_channels=2, kernel_size=3, padding="same", dilation=2)])
def test_conv1d_matches_torch(kwargs):
    compare_layer(lambda: nn.Conv1d(**kwargs), lambda: torch.nn.Conv1d(**kwargs),
                  [(2, kwargs["in_channels"], 9)], np.float64, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(in_channels=3, out_channels=2, kernel_size=3),
                                    dict(in_channels=2, out_channels=4, kernel_size=3, stride=2, padding=1,
                                         output_padding=1),
                                    dict(in_channels=4, out_channels=2, kernel_size=2, stride=2, groups=2),
                                    dict(in_channels=2, out_channels=3, kernel_size=3, dilation=2)])
def test_conv_transpose2d_matches_torch(kwargs):
    compare_layer(lambda: nn.ConvTranspose2d(**kwargs), lambda: torch.nn.ConvTranspose2d(**kwargs),
                  [(2, kwargs["in_channels"], 4, 5)], np.float64, rtol=1e-10, atol=1e-12)


POOLS = {
    "MaxPool2d": (lambda lib: lib.nn.MaxPool2d(2), (2, 3, 6, 6)),
    "MaxPool2d stride padding": (lambda lib: lib.nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 6)),
    "MaxPool2d dilation": (lambda lib: lib.nn.MaxPool2d(2, stride=1, dilation=2), (1, 2, 6, 6)),
    "AvgPool2d": (lambda lib: lib.nn.AvgPool2d(2), (2, 3, 6, 6)),
    "AvgPool2d padding": (lambda lib: lib.nn.AvgPool2d(3, stride=2, padding=1), (2, 3, 7, 6)),
    "AvgPool2d no pad count": (lambda lib: lib.nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
                               (2, 3, 7, 6)),
    "MaxPool1d": (lambda lib: lib.nn.MaxPool1d(3, stride=2), (2, 3, 9)),
    "AvgPool1d": (lambda lib: lib.nn.AvgPool1d(2), (2, 3, 8)),
    "AdaptiveAvgPool2d even": (lambda lib: lib.nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 6, 6)),
    "AdaptiveAvgPool2d uneven": (lambda lib: lib.nn.AdaptiveAvgPool2d(3), (2, 3, 7, 5)),
    "AdaptiveAvgPool2d global": (lambda lib: lib.nn.AdaptiveAvgPool2d(1), (2, 3, 5, 5)),
    "AdaptiveMaxPool2d uneven": (lambda lib: lib.nn.AdaptiveMaxPool2d((2, 3)), (2, 3, 5, 7)),
}


@pytest.mark.parametrize("name", POOLS)
def test_pooling_matches_torch(name):
    make, shape = POOLS[name]
    rng = np.random.default_rng(0)
    values = rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)  # no ties
    x, xt = cr.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    out, ref = make(cr)(x), make(torch)(xt)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy())
    seed = rng.standard_normal(ref.shape)
    out.backward(cr.tensor(seed))
    ref.backward(torch.tensor(seed))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10)


def test_max_pool_return_indices_match_torch():
    values = np.random.default_rng(1).permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6).astype(np.float32)
    ours = nn.functional.max_pool2d(cr.tensor(values), 3, 2, 1, return_indices=True)
    theirs = torch.nn.functional.max_pool2d(torch.tensor(values), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())


def test_conv_and_pool_gradcheck_and_second_order():
    F = nn.functional
    x = cr.tensor(np.random.default_rng(0).standard_normal((1, 2, 4, 4)), requires_grad=True)
    w = cr.tensor(np.random.default_rng(1).standard_normal((2, 1, 2, 2)), requires_grad=True)
    assert cr.autograd.gradcheck(lambda a, b: F.conv2d(a, b, stride=2, padding=1, groups=2), (x, w))
    assert cr.autograd.gradgradcheck(lambda a, b: F.conv2d(a, b, padding=1, groups=2), (x, w))
    assert cr.autograd.gradcheck(lambda a: F.avg_pool2d(a, 2), (x,))
    assert cr.autograd.gradcheck(lambda a, b: F.conv_transpose2d(a, b.transpose(0, 1).reshape(2, 1, 2, 2), stride=2),
                                 (x, w))


def test_unfold_and_fold_match_torch():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6))
    cols = nn.functional.unfold(cr.tensor(x), (2, 3), dilation=1, padding=1, stride=(2, 1))
    ref = torch.nn.functional.unfold(torch.tensor(x), (2, 3), dilation=1, padding=1, stride=(2, 1))
    np.testing.assert_allclose(cols.numpy(), ref.numpy())
    back = nn.functional.fold(cols, (5, 6), (2, 3), padding=1, stride=(2, 1))
    np.testing.assert_allclose(back.numpy(), torch.nn.functional.fold(ref, (5, 6), (2, 3), padding=1, stride=(2, 1)).numpy())


def test_conv_errors_name_the_layer_and_shapes():
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(RuntimeError, match=r"expected input with 3 channels in dim 1.*got input of shape \(2, 32, 32, 3\).*NHWC.*permute\(0, 3, 1, 2\)"):
        conv(cr.ones(2, 32, 32, 3))
    with pytest.raises(RuntimeError, match=r"conv2d: expected a 4-D input \(N, C, H, W\), got shape \(3, 8, 8\)"):
        conv(cr.ones(3, 8, 8))
    with pytest.raises(RuntimeError, match=r"input of spatial size \(2, 2\) is smaller than the kernel \(3, 3\)"):
        conv(cr.ones(1, 3, 2, 2))
    with pytest.raises(RuntimeError, match=r"max_pool2d: expected a 4-D input, got shape \(3, 4\)"):
        nn.MaxPool2d(2)(cr.ones(3, 4))
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        nn.MaxPool2d(2, padding=2)(cr.ones(1, 1, 4, 4))


def test_conv_default_init_follows_torch_distribution():
    cr.manual_seed(0)
    conv = nn.Conv2d(16, 32, 3)
    bound = 1 / np.sqrt(16 * 9)
    w = conv.weight.detach().numpy()
    assert w.min() >= -bound and w.max() <= bound and abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert repr(conv) == repr(torch.nn.Conv2d(16, 32, 3))


def test_unsupported_pooling_options_say_so():
    with pytest.raises(NotImplementedError, match="max_pool2d: ceil_mode=True is not supported yet"):
        nn.MaxPool2d(2, ceil_mode=True)(cr.ones(1, 1, 5, 5))
    with pytest.raises(NotImplementedError, match="avg_pool2d: ceil_mode=True is not supported yet"):
        nn.AvgPool2d(2, ceil_mode=True)(cr.ones(1, 1, 5, 5))
    with pytest.raises(NotImplementedError, match="adaptive_max_pool2d: return_indices=True is not supported yet"):
        nn.functional.adaptive_max_pool2d(cr.ones(1, 1, 4, 4), 2, return_indices=True)


@pytest.mark.parametrize("size,kernel", [((2, 3, 7, 9), 2), ((1, 2, 6, 6), 3), ((2, 1, 5, 4), (2, 1))])
def test_non_overlapping_pooling_matches_torch_on_ragged_sizes(size, kernel):
    """Stride equal to the kernel takes windows by reshaping; odd sizes drop the ragged edge."""
    rng = np.random.default_rng(0)
    data = rng.normal(size=size)
    x, xt = cr.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, idx = cr.nn.functional.max_pool2d(x, kernel, return_indices=True)
    out_t, idx_t = torch.nn.functional.max_pool2d(xt, kernel, return_indices=True)
    avg, avg_t = cr.nn.functional.avg_pool2d(x, kernel), torch.nn.functional.avg_pool2d(xt, kernel)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy())
    np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())
    np.testing.assert_allclose(avg.detach().numpy(), avg_t.detach().numpy(), rtol=1e-12)
    weights = rng.normal(size=tuple(out.shape))
    ((out + avg) * cr.tensor(weights)).sum().backward()
    ((out_t + avg_t) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
