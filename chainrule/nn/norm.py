"""Normalization: batch_norm, layer_norm, group_norm, instance_norm and their layers.

Each normalizes with the biased variance (as PyTorch does in the forward pass)
and is composed from differentiable ops, so its gradient needs no rule of its own.
"""
from .. import creation
from ..grad_mode import no_grad
from .._errors import at_user_line, shape_str, ShapeError
from .module import Module
from .parameter import Parameter


def _normalize(x, dims, eps):
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dims, keepdim=True)
    return centered * (var + eps).rsqrt()


def _channel_shape(ndim):
    return [1, -1] + [1] * (ndim - 2)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Normalize each channel (dim 1) over the batch and spatial dims; update running stats in training."""
    dims = [0] + list(range(2, input.ndim))
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(at_user_line(
                f"Expected more than 1 value per channel when training, got input size {list(input.shape)}"))
        out = _normalize(input, dims, eps)
        if running_mean is not None:
            with no_grad():  # running_var keeps the unbiased estimate
                _update_running(running_mean, running_var, input.mean(dims), input.var(dims, correction=1),
                                momentum)
    else:
        out = _from_running(input, running_mean, running_var, eps)
    return _affine_per_channel(out, weight, bias)


def _update_running(running_mean, running_var, mean, var, momentum):
    running_mean.mul_(1 - momentum).add_(mean * momentum)
    running_var.mul_(1 - momentum).add_(var * momentum)


def _from_running(input, running_mean, running_var, eps):
    shape = _channel_shape(input.ndim)
    return (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()


def _affine_per_channel(out, weight, bias):
    shape = _channel_shape(out.ndim)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last ``len(normalized_shape)`` dims."""
    normalized_shape = tuple(normalized_shape) if not isinstance(normalized_shape, int) else (normalized_shape,)
    if tuple(input.shape[input.ndim - len(normalized_shape):]) != normalized_shape:
        raise ShapeError(at_user_line(
            f"layer_norm: expected input with shape [*, {', '.join(map(str, normalized_shape))}], but got "
            f"input of size {list(input.shape)}"))
    dims = list(range(input.ndim - len(normalized_shape), input.ndim))
    out = _normalize(input, dims, eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each group of channels over (channels in the group, spatial dims)."""
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise ValueError(at_user_line(f"group_norm: {c} channels are not divisible into {num_groups} groups"))
    grouped = input.reshape(n, num_groups, -1)                      # (N, G, C/G * spatial)
    out = _normalize(grouped, [2], eps).reshape(input.shape)
    return _affine_per_channel(out, weight, bias)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalize each (sample, channel) over its spatial dims."""
    if use_input_stats:
        dims = list(range(2, input.ndim))
        out = _normalize(input, dims, eps)
        if running_mean is not None:
            with no_grad():
                _update_running(running_mean, running_var, input.mean(dims).mean(0),
                                input.var(dims, correction=1).mean(0), momentum)
    else:
        out = _from_running(input, running_mean, running_var, eps)
    return _affine_per_channel(out, weight, bias)


def _per_channel_state(module, num_features, eps, momentum, affine, track_running_stats, dtype):
    """The options, affine parameters (ones, zeros) and running statistics of a norm layer."""
    module.num_features, module.eps, module.momentum = num_features, eps, momentum
    module.affine, module.track_running_stats = affine, track_running_stats
    module.weight = Parameter(creation.ones(num_features, dtype=dtype)) if affine else None
    module.bias = Parameter(creation.zeros(num_features, dtype=dtype)) if affine else None
    if track_running_stats:
        module.register_buffer("running_mean", creation.zeros(num_features, dtype=dtype))
        module.register_buffer("running_var", creation.ones(num_features, dtype=dtype))
    else:
        module.running_mean = module.running_var = None


class _BatchNorm(Module):
    expected_ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, dtype=None):
        super().__init__()
        _per_channel_state(self, num_features, eps, momentum, affine, track_running_stats, dtype)
        if track_running_stats:
            self.register_buffer("num_batches_tracked", creation.tensor(0))

    def _check(self, input):
        if input.ndim not in self.expected_ndims or input.shape[1] != self.num_features:
            wanted = " or ".join(f"{n}-D" for n in self.expected_ndims)
            raise ShapeError(at_user_line(
                f"{type(self).__name__}({self.num_features}): expected a {wanted} input with "
                f"{self.num_features} channels in dim 1, got shape {shape_str(input.shape)}"))

    def forward(self, input):
        self._check(input)
        use_batch_stats = self.training or not self.track_running_stats
        momentum = self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if momentum is None:  # cumulative moving average; a () float64 tensor, so compile can follow it
                momentum = 1.0 / self.num_batches_tracked.double()
        return batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                          use_batch_stats, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs."""
    expected_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs."""
    expected_ndims = (4,)


class LayerNorm(Module):
    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=None):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.weight = Parameter(creation.ones(*self.normalized_shape, dtype=dtype)) if elementwise_affine else None
        self.bias = (Parameter(creation.zeros(*self.normalized_shape, dtype=dtype))
                     if elementwise_affine and bias else None)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, dtype=None):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight = Parameter(creation.ones(num_channels, dtype=dtype)) if affine else None
        self.bias = Parameter(creation.zeros(num_channels, dtype=dtype)) if affine else None

    def forward(self, input):
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ShapeError(at_user_line(
                f"{self!r}: expected input of shape (N, {self.num_channels}, *), got {shape_str(input.shape)}; "
                f"dim 1 must equal num_channels"))
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(Module):
    expected_ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, dtype=None):
        super().__init__()
        _per_channel_state(self, num_features, eps, momentum, affine, track_running_stats, dtype)

    def forward(self, input):
        if input.ndim not in self.expected_ndims:
            raise ShapeError(at_user_line(
                f"{type(self).__name__}: expected a {self.expected_ndims[0]}-D input (N, C, ...), got "
                f"shape {shape_str(input.shape)}"))
        if (self.affine or self.track_running_stats) and input.shape[1] != self.num_features:
            raise ShapeError(at_user_line(
                f"{type(self).__name__}({self.num_features}): expected {self.num_features} channels in dim 1, got "
                f"shape {shape_str(input.shape)}"))
        if self.training or not self.track_running_stats:  # statistics of the input itself
            running = self.track_running_stats
            return instance_norm(input, self.running_mean if running else None,
                                 self.running_var if running else None, self.weight, self.bias,
                                 True, self.momentum, self.eps)
        return instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                             False, self.momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    expected_ndims = (3,)


class InstanceNorm2d(_InstanceNorm):
    expected_ndims = (4,)
