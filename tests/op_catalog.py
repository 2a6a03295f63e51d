"""One entry per public op: a sample call run in chainrule and in PyTorch.

``tests/test_ops_catalog.py`` runs every entry through the oracle (forward and
gradients vs PyTorch in float32/float64, gradcheck, gradgradcheck where
marked) and checks that every public op has an entry; ``docs/ops.md`` is
generated from this list (``python docs/gen_ops_table.py``), so the table
cannot claim a test that does not exist.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np


@dataclass
class Op:
    name: str                      # the chainrule function (also a Tensor method where torch has one)
    fn: Callable                   # fn(lib, *tensors): the same call for lib = chainrule and lib = torch
    shapes: list                   # input shapes
    family: str
    low: float = -2.0
    high: float = 2.0
    grad: bool = True              # compare gradients (False: forward only, e.g. comparisons)
    gradgrad: bool = False         # also check second derivatives
    sampler: Optional[Callable] = None
    cases: list = field(default_factory=list)   # more input shapes: broadcasting, size-1, 0-d, empty

    def all_cases(self):
        """The sample shapes plus the family's standard edge cases."""
        standard = STANDARD_CASES.get((self.family, len(self.shapes)), []) if self.auto_cases else []
        return [self.shapes] + self.cases + standard

    auto_cases: bool = True


# Edge cases every elementwise op runs on, by (family, number of inputs).
_UNARY_CASES = [[()], [(0, 3)], [(2, 1, 3)], [(1,)]]
_BINARY_CASES = [[(), (2, 3)], [(2, 3), ()], [(0, 3), (3,)], [(2, 1, 5), (3, 1)], [(1,), (1, 1)]]
STANDARD_CASES = {
    ("unary", 1): _UNARY_CASES, ("activation", 1): _UNARY_CASES,
    ("arithmetic", 1): _UNARY_CASES, ("arithmetic", 2): _BINARY_CASES,
    ("selection", 2): _BINARY_CASES, ("comparison", 2): _BINARY_CASES,
}


def distinct(rng, shape):
    """Well-separated values: no ties, no kinks hit by finite differences."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 - n * 0.18).reshape(shape) + rng.uniform(-0.05, 0.05, shape)


def away_from_zero(rng, shape):
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def positive(rng, shape):
    return rng.uniform(0.3, 2.0, shape)


def with_nan(rng, shape):
    values = rng.uniform(-2.0, 2.0, shape)
    return np.where(rng.random(shape) < 0.3, np.nan, values)


def with_nan_and_inf(rng, shape):
    values = rng.uniform(-2.0, 2.0, shape)
    special = rng.choice([np.nan, np.inf, -np.inf], shape)
    return np.where(rng.random(shape) < 0.4, special, values)


def small_integers(rng, shape):
    """Few distinct values: repeats for unique, ties for searchsorted."""
    return rng.integers(-3, 4, shape).astype(float)


def F(lib):
    """chainrule.nn.functional or torch.nn.functional."""
    return lib.nn.functional


CATALOG = [
    # --- arithmetic -----------------------------------------------------------
    Op("add", lambda lib, a, b: a + b, [(3, 4), (4,)], "arithmetic", gradgrad=True),
    Op("sub", lambda lib, a, b: a - b, [(2, 1, 3), (4, 1)], "arithmetic", gradgrad=True),
    Op("mul", lambda lib, a, b: a * b, [(3, 4), (3, 1)], "arithmetic", gradgrad=True),
    Op("div", lambda lib, a, b: a / b, [(3, 4), (4,)], "arithmetic", gradgrad=True, sampler=away_from_zero),
    Op("floor_divide", lambda lib, a, b: a // b, [(3, 4), (4,)], "arithmetic", grad=False, sampler=away_from_zero),
    Op("remainder", lambda lib, a, b: a % b, [(3, 4), (4,)], "arithmetic", sampler=distinct),
    Op("pow", lambda lib, a, b: a ** b, [(3, 4), (4,)], "arithmetic", gradgrad=True, sampler=positive),
    Op("neg", lambda lib, a: -a, [(3, 4)], "arithmetic", gradgrad=True),
    Op("scalar forms", lambda lib, a: (2.0 - a) * 3 + 1 / (a ** 2 + 1) - 2 ** a + (a + 3) % 2, [(3, 4)],
       "arithmetic", gradgrad=True, sampler=positive),
    # --- unary math ----------------------------------------------------------
    Op("exp", lambda lib, a: lib.exp(a), [(3, 4)], "unary", gradgrad=True),
    Op("log", lambda lib, a: lib.log(a), [(3, 4)], "unary", gradgrad=True, sampler=positive),
    Op("log1p", lambda lib, a: lib.log1p(a), [(3, 4)], "unary", gradgrad=True, sampler=positive),
    Op("expm1", lambda lib, a: lib.expm1(a), [(3, 4)], "unary", gradgrad=True),
    Op("sqrt", lambda lib, a: lib.sqrt(a), [(3, 4)], "unary", gradgrad=True, sampler=positive),
    Op("rsqrt", lambda lib, a: lib.rsqrt(a), [(3, 4)], "unary", gradgrad=True, sampler=positive),
    Op("abs", lambda lib, a: lib.abs(a), [(3, 4)], "unary", sampler=away_from_zero),
    Op("sign", lambda lib, a: lib.sign(a), [(3, 4)], "unary", sampler=away_from_zero),
    Op("sin", lambda lib, a: lib.sin(a), [(3, 4)], "unary", gradgrad=True),
    Op("cos", lambda lib, a: lib.cos(a), [(3, 4)], "unary", gradgrad=True),
    Op("tan", lambda lib, a: lib.tan(a), [(3, 4)], "unary", gradgrad=True, low=-1.2, high=1.2),
    Op("tanh", lambda lib, a: lib.tanh(a), [(3, 4)], "unary", gradgrad=True),
    Op("sigmoid", lambda lib, a: lib.sigmoid(a), [(3, 4)], "unary", gradgrad=True),
    # --- activations ---------------------------------------------------------
    Op("relu", lambda lib, a: lib.relu(a), [(3, 4)], "activation", sampler=away_from_zero),
    Op("leaky_relu", lambda lib, a: F(lib).leaky_relu(a, 0.1), [(3, 4)], "activation", sampler=away_from_zero),
    Op("elu", lambda lib, a: F(lib).elu(a, alpha=1.3), [(3, 4)], "activation", gradgrad=True, sampler=away_from_zero),
    Op("selu", lambda lib, a: F(lib).selu(a), [(3, 4)], "activation", gradgrad=True, sampler=away_from_zero),
    Op("gelu", lambda lib, a: F(lib).gelu(a), [(3, 4)], "activation", gradgrad=True),
    Op("gelu tanh", lambda lib, a: F(lib).gelu(a, approximate="tanh"), [(3, 4)], "activation", gradgrad=True),
    Op("silu", lambda lib, a: F(lib).silu(a), [(3, 4)], "activation", gradgrad=True),
    Op("softplus", lambda lib, a: F(lib).softplus(a, beta=2.0), [(3, 4)], "activation", gradgrad=True),
    Op("clamp", lambda lib, a: lib.clamp(a, -0.5, 0.7), [(3, 4)], "activation", sampler=distinct),
    # --- selection -----------------------------------------------------------
    Op("maximum", lambda lib, a, b: lib.maximum(a, b), [(3, 4), (4,)], "selection", sampler=distinct),
    Op("minimum", lambda lib, a, b: lib.minimum(a, b), [(3, 4), (4,)], "selection", sampler=distinct),
    Op("where", lambda lib, a, b: lib.where(a > 0, a, b), [(3, 4), (4,)], "selection", sampler=away_from_zero),
    # --- comparisons and logic (not differentiable) -------------------------------
    Op("eq ne lt le gt ge", lambda lib, a, b: [a == b, a != b, a < b, a <= b, a > b, a >= b], [(3, 4), (4,)],
       "comparison", grad=False, sampler=distinct),
    Op("logical", lambda lib, a, b: [lib.logical_and(a > 0, b > 0), lib.logical_or(a > 0, b > 0),
                                     lib.logical_not(a > 0), lib.logical_xor(a > 0, b > 0),
                                     (a > 0) & (b > 0), (a > 0) | (b > 0), ~(a > 0)],
       [(3, 4), (4,)], "comparison", grad=False),
    # --- linear algebra ------------------------------------------------------
    Op("matmul", lambda lib, a, b: a @ b, [(2, 3, 4), (4, 5)], "linalg", gradgrad=True,
       cases=[[(4,), (4,)], [(1, 4), (4, 1)], [(0, 3), (3, 2)], [(2, 1, 3, 4), (5, 4, 2)], [(3, 4), (4,)]]),
    Op("matmul 1-D", lambda lib, a, b: lib.matmul(a, b), [(4,), (2, 4, 3)], "linalg", gradgrad=True),
    Op("einsum", lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 2)], "linalg", gradgrad=True),
    Op("outer", lambda lib, a, b: lib.outer(a, b), [(3,), (4,)], "linalg", gradgrad=True),
    # --- reductions ----------------------------------------------------------
    Op("sum", lambda lib, a: a.sum(dim=1, keepdim=True), [(3, 4)], "reduction", gradgrad=True,
       cases=[[(1, 1)], [(2, 1, 3)], [(0, 4)], [(3, 0)]]),
    Op("mean", lambda lib, a: a.mean(dim=(0, 1)), [(3, 4, 2)], "reduction", gradgrad=True),
    Op("var", lambda lib, a: a.var(dim=0), [(3, 4)], "reduction", gradgrad=True, cases=[[(2, 1)], [(5,)]]),
    Op("std", lambda lib, a: a.std(dim=1, keepdim=True), [(3, 4)], "reduction", gradgrad=True),
    Op("prod", lambda lib, a: a.prod(dim=1), [(3, 4)], "reduction", gradgrad=True, sampler=away_from_zero,
       cases=[[(2, 1)], [(3, 0)]]),
    Op("prod with zeros", lambda lib, a: [a.prod(dim=1), a.prod()], [(3, 4)], "reduction",
       sampler=lambda rng, shape: np.where(rng.random(shape) < 0.3, 0.0, rng.uniform(0.5, 1.5, shape))),
    Op("max", lambda lib, a: list(a.max(dim=1)) + [a.max()], [(3, 4)], "reduction", sampler=distinct),
    Op("min", lambda lib, a: list(a.min(dim=0)) + [a.min()], [(3, 4)], "reduction", sampler=distinct),
    Op("amax", lambda lib, a: a.amax(dim=(0, 1)), [(3, 4, 2)], "reduction", sampler=distinct,
       cases=[[(1, 1, 3)], [(2, 3, 0)]]),
    Op("amin", lambda lib, a: a.amin(dim=-1), [(3, 4)], "reduction", sampler=distinct),
    Op("argmax argmin", lambda lib, a: [a.argmax(), a.argmax(dim=1), a.argmin(dim=0, keepdim=True)], [(3, 4)],
       "reduction", grad=False, sampler=distinct),
    Op("logsumexp", lambda lib, a: a.logsumexp(dim=1), [(3, 4)], "reduction", gradgrad=True),
    Op("norm", lambda lib, a: [a.norm(), a.norm(p=1, dim=1), a.norm(dim=0, keepdim=True)], [(3, 4)],
       "reduction", gradgrad=True, sampler=away_from_zero),
    Op("cumsum", lambda lib, a: a.cumsum(dim=1), [(3, 4)], "reduction", gradgrad=True,
       cases=[[(2, 1)], [(0, 3)], [(2, 0)]]),
    Op("softmax", lambda lib, a: a.softmax(dim=1), [(3, 4)], "reduction", gradgrad=True,
       cases=[[(2, 1)], [(2, 3, 4)], [(0, 3)]]),
    Op("log_softmax", lambda lib, a: a.log_softmax(dim=0), [(3, 4)], "reduction", gradgrad=True,
       cases=[[(1, 4)], [(3,)], [(3, 0)]]),
    # --- shape and layout ------------------------------------------------------
    Op("reshape", lambda lib, a: a.reshape(4, -1), [(2, 3, 2)], "shape", gradgrad=True),
    Op("view", lambda lib, a: a.view(6, 2), [(2, 3, 2)], "shape", gradgrad=True),
    Op("flatten", lambda lib, a: a.flatten(1), [(2, 3, 2)], "shape", gradgrad=True),
    Op("unflatten", lambda lib, a: a.unflatten(1, (2, 3)), [(2, 6)], "shape", gradgrad=True),
    Op("squeeze", lambda lib, a: a.squeeze(1), [(2, 1, 3)], "shape", gradgrad=True),
    Op("unsqueeze", lambda lib, a: a.unsqueeze(-1), [(2, 3)], "shape", gradgrad=True),
    Op("permute", lambda lib, a: a.permute(2, 0, 1), [(2, 3, 4)], "shape", gradgrad=True),
    Op("transpose", lambda lib, a: a.transpose(0, 2), [(2, 3, 4)], "shape", gradgrad=True),
    Op("expand", lambda lib, a: a.expand(2, 3, 4), [(3, 1)], "shape", gradgrad=True, cases=[[(1, 1)], [(4,)], [()]]),
    Op("broadcast_to", lambda lib, a: lib.broadcast_to(a, (2, 3, 4)), [(4,)], "shape", gradgrad=True),
    Op("repeat", lambda lib, a: a.repeat(2, 1, 3), [(2, 3)], "shape", gradgrad=True),
    Op("tile", lambda lib, a: a.tile((2, 2)), [(2, 3)], "shape", gradgrad=True),
    Op("flip", lambda lib, a: a.flip(0, 1), [(2, 3)], "shape", gradgrad=True),
    Op("roll", lambda lib, a: a.roll(1, 1), [(2, 3)], "shape", gradgrad=True),
    Op("cat", lambda lib, a, b: lib.cat([a, b], dim=1), [(2, 3), (2, 2)], "shape", gradgrad=True,
       cases=[[(2, 0), (2, 2)], [(1, 1), (1, 3)]]),
    Op("stack", lambda lib, a, b: lib.stack([a, b], dim=1), [(2, 3), (2, 3)], "shape", gradgrad=True),
    Op("split", lambda lib, a: list(a.split([1, 3], dim=1)), [(2, 4)], "shape", gradgrad=True),
    Op("chunk", lambda lib, a: list(a.chunk(3, dim=0)), [(5, 2)], "shape", gradgrad=True),
    Op("pad", lambda lib, a: F(lib).pad(a, (1, 2, 0, 1)), [(2, 3)], "shape", gradgrad=True),
    Op("pad reflect", lambda lib, a: F(lib).pad(a, (2, 1), mode="reflect"), [(2, 3, 4)], "shape", gradgrad=True),
    Op("tril", lambda lib, a: a.tril(), [(3, 4)], "shape", gradgrad=True),
    Op("triu", lambda lib, a: a.triu(1), [(3, 4)], "shape", gradgrad=True),
    # --- indexing --------------------------------------------------------------
    Op("getitem", lambda lib, a: [a[1], a[:, 1:3], a[..., None, ::2], a[[0, 2, 2]], a[a > 0]], [(3, 4)],
       "indexing", gradgrad=True),
    Op("setitem", lambda lib, a, b: _setitem(a, b), [(3, 4), (4,)], "indexing", gradgrad=True),
    Op("index_select", lambda lib, a: a.index_select(1, lib.tensor([2, 0, 2])), [(3, 4)], "indexing", gradgrad=True),
    Op("gather", lambda lib, a: a.gather(1, lib.tensor([[0, 0], [1, 0], [3, 2]])), [(3, 4)], "indexing",
       gradgrad=True),
    Op("scatter", lambda lib, a, b: a.scatter(1, lib.tensor([[0, 1], [2, 3], [3, 0]]), b), [(3, 4), (3, 2)],
       "indexing", gradgrad=True),
    Op("scatter_add", lambda lib, a, b: a.scatter_add(0, lib.tensor([[0, 1], [0, 2], [2, 2]]), b),
       [(3, 4), (3, 2)], "indexing", gradgrad=True),
    Op("masked_fill", lambda lib, a: a.masked_fill(a > 0.5, -1.0), [(3, 4)], "indexing", gradgrad=True),
    Op("take_along_dim", lambda lib, a: lib.take_along_dim(a, lib.tensor([[1], [0], [3]]), dim=1), [(3, 4)],
       "indexing", gradgrad=True),
    Op("sort", lambda lib, a: list(a.sort(dim=1, descending=True)), [(3, 4)], "indexing", gradgrad=True,
       sampler=distinct),
    Op("topk", lambda lib, a: list(a.topk(2, dim=0)), [(3, 4)], "indexing", gradgrad=True, sampler=distinct),
    # --- more math -------------------------------------------------------------
    Op("erf", lambda lib, a: lib.erf(a), [(3, 4)], "unary", gradgrad=True, low=-3, high=3),
    Op("log2 log10", lambda lib, a: [lib.log2(a), lib.log10(a)], [(3, 4)], "unary", gradgrad=True,
       sampler=positive),
    Op("sinh cosh", lambda lib, a: [lib.sinh(a), lib.cosh(a)], [(3, 4)], "unary", gradgrad=True),
    Op("square reciprocal", lambda lib, a: [lib.square(a), lib.reciprocal(a)], [(3, 4)], "unary",
       gradgrad=True, sampler=away_from_zero),
    Op("floor ceil round trunc frac", lambda lib, a: [lib.floor(a), lib.ceil(a), lib.round(a), lib.trunc(a),
                                                      lib.frac(a)], [(3, 4)], "unary", sampler=distinct),
    Op("fmod", lambda lib, a, b: lib.fmod(a, b), [(3, 4), (4,)], "arithmetic", sampler=away_from_zero),
    Op("relu6 hardtanh", lambda lib, a: [F(lib).relu6(a * 4), F(lib).hardtanh(a, -0.5, 0.5)], [(3, 4)],
       "activation", sampler=distinct),
    Op("celu mish logsigmoid softsign", lambda lib, a: [F(lib).celu(a, 0.7), F(lib).mish(a), F(lib).logsigmoid(a),
                                                        F(lib).softsign(a)], [(3, 4)], "activation",
       gradgrad=True, sampler=away_from_zero),
    Op("hardsigmoid hardswish", lambda lib, a: [F(lib).hardsigmoid(a * 4), F(lib).hardswish(a * 4)], [(3, 4)],
       "activation", sampler=distinct),
    Op("isnan isinf isfinite", lambda lib, a: [lib.isnan(lib.log(a)), lib.isinf(1 / (a * 0)), lib.isfinite(a)],
       [(3, 4)], "comparison", grad=False),
    Op("isclose equal allclose", lambda lib, a, b: [lib.isclose(a, b), lib.tensor(lib.equal(a, a)),
                                                    lib.tensor(lib.allclose(a, b))], [(3, 4), (3, 4)],
       "comparison", grad=False),
    Op("any all count_nonzero nonzero", lambda lib, a: [(a > 0).any(), (a > 0).all(dim=1), lib.count_nonzero(a > 0),
                                                        lib.nonzero(a > 0)], [(3, 4)], "comparison", grad=False),
    Op("median", lambda lib, a: [a.median(), *a.median(dim=-1)], [(3, 4)], "reduction", sampler=distinct,
       cases=[[()], [(5,)], [(2, 3, 3)]]),
    Op("mode", lambda lib, a: list(a.mode(dim=-1)), [(3, 5)], "reduction", grad=False,
       sampler=lambda rng, shape: rng.integers(0, 3, shape).astype(float), cases=[[()], [(4, 1)]]),
    Op("cumprod", lambda lib, a: a.cumprod(dim=1), [(3, 4)], "reduction", gradgrad=True, sampler=away_from_zero),
    Op("kthvalue", lambda lib, a: list(a.kthvalue(2, dim=1)), [(3, 4)], "indexing", gradgrad=True,
       sampler=distinct),
    Op("movedim", lambda lib, a: a.movedim(0, -1), [(2, 3, 4)], "shape", gradgrad=True),
    Op("repeat_interleave", lambda lib, a: [a.repeat_interleave(2, dim=1),
                                            lib.repeat_interleave(a, lib.tensor([1, 0, 2]), dim=0)],
       [(3, 4)], "shape", gradgrad=True),
    Op("diagonal", lambda lib, a: [a.diagonal(), a.diagonal(1, 0, 2)], [(3, 4, 3)], "shape", gradgrad=True),
    Op("contiguous", lambda lib, a: a.transpose(0, 1).contiguous(), [(2, 3)], "shape", gradgrad=True),
    Op("unbind", lambda lib, a: list(a.unbind(1)), [(2, 3)], "shape", gradgrad=True),
    Op("tensordot", lambda lib, a, b: lib.tensordot(a, b, dims=([1, 2], [0, 1])), [(2, 3, 4), (3, 4, 2)],
       "linalg", gradgrad=True),
    Op("einsum diagonal", lambda lib, a, b: lib.einsum("ii,i->i", a, b), [(3, 3), (3,)], "linalg",
       gradgrad=True),
    Op("asin acos atan", lambda lib, a: [lib.asin(a), lib.acos(a), lib.atan(a * 3)], [(3, 4)], "unary",
       gradgrad=True, low=-0.9, high=0.9),
    Op("lerp", lambda lib, a, b: [lib.lerp(a, b, 0.3), a.lerp(b, b.sigmoid())], [(3, 4), (4,)], "arithmetic",
       gradgrad=True, auto_cases=False),
    Op("addcmul addcdiv", lambda lib, a, b: [lib.addcmul(a, a, b, value=0.5), lib.addcdiv(a, a, b, value=-2)],
       [(3, 4), (4,)], "arithmetic", gradgrad=True, sampler=away_from_zero, auto_cases=False),
    Op("addmm addmv", lambda lib, a, b: [lib.addmm(b[0, :3], a, a.T, beta=0.5, alpha=2), lib.addmv(b[0, :3], a, b[1])],
       [(3, 4), (2, 4)], "linalg", gradgrad=True),
    Op("baddbmm", lambda lib, a, b: lib.baddbmm(a[:, :, :2] * 1, a, b, beta=2, alpha=0.5), [(2, 3, 4), (2, 4, 2)],
       "linalg", gradgrad=True),
    Op("addbmm", lambda lib, a, b: lib.addbmm(a[0, :, :2] * 1, a, b, beta=2, alpha=0.5), [(2, 3, 4), (2, 4, 2)],
       "linalg", gradgrad=True),
    Op("matrix_power", lambda lib, a: [lib.matrix_power(a, 3), lib.matrix_power(a, 0), lib.matrix_power(a, 1)],
       [(2, 3, 3)], "linalg", gradgrad=True, low=-1, high=1),
    Op("kron", lambda lib, a, b: lib.kron(a, b), [(2, 3), (3, 2)], "linalg", gradgrad=True),
    Op("index_add index_copy index_fill", lambda lib, a, b: [a.index_add(1, lib.tensor([0, 3, 0]), b),
                                                             a.index_copy(1, lib.tensor([3, 0, 1]), b),
                                                             a.index_fill(1, lib.tensor([0, 2]), -1.5)],
       [(3, 4), (3, 3)], "indexing", gradgrad=True),
    # --- reductions over everything, on 0-d and empty tensors ---------------------
    Op("sum mean (all dims)", lambda lib, a: [a.sum(), a.mean(), a.sum(dim=-1)], [(3, 4)], "reduction",
       gradgrad=True, cases=[[()], [(0, 3)], [(2, 0)], [(1, 1, 4)]]),
    Op("logsumexp softmax (edge shapes)", lambda lib, a: [a.logsumexp(dim=0), a.softmax(dim=-1),
                                                          a.log_softmax(dim=0)], [(1, 4)], "reduction",
       gradgrad=True, cases=[[()], [(0, 3)], [(2, 1, 3)]]),
    Op("amax argmax (0-d)", lambda lib, a: [a.amax(), a.argmax(), a.max(dim=0).values], [()], "reduction"),
    Op("shape ops (0-d and empty)", lambda lib, a: [a.reshape(-1), a.unsqueeze(0), a.flatten(), a * 1],
       [()], "shape", gradgrad=True, cases=[[(0, 3)], [(1, 1)]]),
    # --- math of two operands ---------------------------------------------------------
    Op("atan2 arctan2", lambda lib, a, b: [lib.atan2(a, b), a.arctan2(b)], [(3, 4), (4,)], "arithmetic",
       gradgrad=True, sampler=away_from_zero),
    Op("hypot", lambda lib, a, b: lib.hypot(a, b), [(3, 4), (4,)], "arithmetic", gradgrad=True,
       sampler=away_from_zero),
    Op("logaddexp logaddexp2", lambda lib, a, b: [lib.logaddexp(a, b), a.logaddexp2(b * 40)], [(3, 4), (4,)],
       "arithmetic", gradgrad=True),
    Op("copysign", lambda lib, a, b: [lib.copysign(a, b), a.copysign(-1.5)], [(3, 4), (4,)], "arithmetic",
       sampler=away_from_zero),
    Op("xlogy", lambda lib, a, b: [lib.xlogy(a, b), a.xlogy(2.0), lib.xlogy(0.5, b)], [(3, 4), (4,)],
       "arithmetic", gradgrad=True, sampler=positive),
    Op("float_power", lambda lib, a, b: [lib.float_power(a, b), a.float_power(2), lib.float_power(1.5, b)],
       [(3, 4), (4,)], "arithmetic", gradgrad=True, sampler=positive),
    Op("rsub", lambda lib, a, b: [lib.rsub(a, b), lib.rsub(a, b, alpha=2), lib.rsub(a, 3.0)], [(3, 4), (4,)],
       "arithmetic", gradgrad=True),
    # --- special functions and signs -----------------------------------------------------
    Op("lgamma", lambda lib, a: [a.lgamma(), lib.lgamma(-a), lib.lgamma(a * 7)], [(3, 4)], "unary", gradgrad=True,
       sampler=lambda rng, shape: rng.integers(0, 4, shape) + rng.uniform(0.15, 0.85, shape)),
    Op("erfinv", lambda lib, a: [lib.erfinv(a), a.erfinv()], [(3, 4)], "unary", gradgrad=True, low=-0.9, high=0.9),
    Op("exp2", lambda lib, a: [lib.exp2(a), a.exp2()], [(3, 4)], "unary", gradgrad=True),
    Op("sgn signbit", lambda lib, a: [lib.sgn(a), a.signbit()], [(3, 4)], "unary", grad=False,
       sampler=away_from_zero),
    # --- NaN-aware reductions ---------------------------------------------------------------
    Op("nansum nanmean", lambda lib, a: [lib.nansum(a), a.nansum(dim=-1), lib.nanmean(a, dim=0, keepdim=True),
                                         a.nanmean()], [(3, 4)], "reduction", gradgrad=True, sampler=with_nan,
       cases=[[()], [(0, 3)], [(1, 1)], [(2, 1, 3)]]),
    Op("nan_to_num", lambda lib, a: [lib.nan_to_num(a, nan=1.5, posinf=2.0, neginf=-3.0), a.nan_to_num(0.0, 9.0, -9.0)],
       [(3, 4)], "unary", gradgrad=True, sampler=with_nan_and_inf),
    # --- scans ------------------------------------------------------------------------------
    Op("cummax cummin", lambda lib, a: [*a.cummax(-1), *lib.cummin(a, 0)], [(3, 4)], "reduction", gradgrad=True,
       sampler=distinct, cases=[[()], [(0, 3)], [(2, 1)], [(5,)]]),
    Op("logcumsumexp", lambda lib, a: [a.logcumsumexp(-1), lib.logcumsumexp(a * 30, 0)], [(3, 4)], "reduction",
       gradgrad=True, cases=[[()], [(0, 3)], [(2, 1)]]),
    Op("diff", lambda lib, a, b: [a.diff(), lib.diff(a, n=2, dim=0), lib.diff(a, dim=0, prepend=b, append=b)],
       [(3, 4), (1, 4)], "reduction", gradgrad=True, cases=[[(1, 4), (2, 4)], [(0, 4), (1, 4)], [(2, 1), (1, 1)]]),
    # --- searching and counting (not differentiable) ------------------------------------------
    Op("searchsorted bucketize", lambda lib, a, b: [lib.searchsorted(a.sort(dim=-1).values, b),
                                                    lib.searchsorted(a.sort(dim=-1).values, b, right=True),
                                                    lib.bucketize(b, a[0].sort().values),
                                                    lib.searchsorted(a[0], b, sorter=a[0].argsort(), side="right")],
       [(3, 5), (3, 4)], "comparison", grad=False, sampler=small_integers, auto_cases=False,
       cases=[[(1, 5), (1, 0)], [(2, 1), (2, 3)], [(2, 0), (2, 3)]]),
    Op("unique", lambda lib, a: [*lib.unique(a, return_inverse=True, return_counts=True),
                                 *a.unique(dim=0, return_inverse=True, return_counts=True), lib.unique(a, dim=1)],
       [(5, 3)], "comparison", grad=False, sampler=small_integers, cases=[[(1, 1)], [(6, 2)]]),
    Op("unique (0-d and empty)", lambda lib, a: [*lib.unique(a, return_inverse=True, return_counts=True)], [()],
       "comparison", grad=False, cases=[[(0, 3)], [(2, 0, 1)]]),
    Op("isin", lambda lib, a, b: [lib.isin(a, b), lib.isin(a, b, invert=True), lib.isin(a, 1.0), lib.isin(1.0, b)],
       [(3, 4), (5,)], "comparison", grad=False, sampler=small_integers, auto_cases=False,
       cases=[[(), (3,)], [(0, 3), (2,)], [(2, 2), (0,)], [(2, 2), (2, 1)]]),
    Op("bincount", lambda lib, a, b: [lib.bincount(_counts(a)), _counts(a).bincount(b, minlength=12),
                                      lib.bincount(_counts(a), minlength=2)], [(6,), (6,)], "comparison",
       grad=False, auto_cases=False, cases=[[(0,), (0,)], [(1,), (1,)]]),
    Op("argwhere", lambda lib, a: [lib.argwhere(a > 0), a.argwhere()], [(3, 4)], "comparison", grad=False,
       cases=[[()], [(0, 3)], [(1, 1)], [(2, 1, 3)]]),
    # --- layout -------------------------------------------------------------------------------
    Op("rot90", lambda lib, a: [a.rot90(), lib.rot90(a, 2, (1, 2)), lib.rot90(a, -1, [2, 0]), a.rot90(4, [0, 1])],
       [(2, 3, 4)], "shape", gradgrad=True, cases=[[(0, 3, 1)], [(1, 1, 1)]]),
    Op("diag", lambda lib, a: [a[0].diag(), a[0].diag(2), a.diag(-1), a.diag(1)], [(3, 4)], "shape",
       gradgrad=True, cases=[[(1, 1)], [(2, 0)], [(4, 2)]]),
    Op("trace", lambda lib, a: a.trace(), [(3, 4)], "shape", gradgrad=True, cases=[[(1, 1)], [(0, 3)], [(4, 2)]]),
    Op("tensor_split", lambda lib, a: [*a.tensor_split(3, dim=1), *lib.tensor_split(a, [1, 4], dim=1),
                                       *a.tensor_split(lib.tensor([2]))], [(3, 7)], "shape", gradgrad=True,
       cases=[[(2, 2)], [(0, 0)], [(1, 5)]]),
    Op("meshgrid", lambda lib, a, b: [*lib.meshgrid(a, b, indexing="ij"), *lib.meshgrid([a, b, a], indexing="xy")],
       [(3,), (2,)], "shape", gradgrad=True, cases=[[(), (4,)], [(0,), (2,)], [(1,), (1,)]]),
    Op("broadcast_tensors", lambda lib, a, b: list(lib.broadcast_tensors(a, b)), [(3, 1), (4,)], "shape",
       gradgrad=True, cases=[[(), (2, 3)], [(0, 1), (3,)], [(1,), (1, 1)]]),
    Op("cross", lambda lib, a, b: [lib.cross(a, b, dim=-1), a.cross(b * 2, -1)], [(4, 3), (1, 3)], "linalg",
       gradgrad=True, cases=[[(3,), (3,)], [(2, 1, 3), (1, 4, 3)], [(0, 3), (1, 3)]]),
    # --- scatter with a reduction -----------------------------------------------------------------
    Op("scatter_reduce", lambda lib, a, b: [a.scatter_reduce(1, _scatter_index(lib), b, reduce, include_self=own)
                                            for reduce in ("sum", "mean", "amax", "amin") for own in (True, False)],
       [(3, 4), (3, 3)], "indexing", gradgrad=True, sampler=distinct),
    Op("scatter_reduce prod", lambda lib, a, b: [lib.scatter_reduce(a, 1, _scatter_index(lib), b, "prod"),
                                                 a.scatter_reduce(1, _scatter_index(lib), b, "prod", include_self=False)],
       [(3, 4), (3, 3)], "indexing", gradgrad=True, sampler=away_from_zero),
    Op("scatter_reduce prod with zeros", lambda lib, a, b: [a.scatter_reduce(1, _scatter_index(lib), b, "prod"),
                                                            a.scatter_reduce(1, _scatter_index(lib), b, "prod",
                                                                             include_self=False)],
       [(3, 4), (3, 3)], "indexing", sampler=lambda rng, shape: np.where(rng.random(shape) < 0.3, 0.0,
                                                                         rng.uniform(0.5, 1.5, shape))),
    Op("index_reduce", lambda lib, a, b: [a.index_reduce(0, lib.tensor([0, 2, 0]), b, reduce, include_self=own)
                                          for reduce in ("prod", "mean", "amax", "amin") for own in (True, False)],
       [(3, 4), (3, 4)], "indexing", gradgrad=True, sampler=distinct),
    Op("masked_scatter", lambda lib, a, b: [a.masked_scatter(a > 0, b), lib.masked_scatter(a, a < 0.5, b)],
       [(3, 4), (12,)], "indexing", gradgrad=True, cases=[[(), (1,)], [(0, 3), (0,)], [(2, 1, 3), (6,)]]),
]


def _counts(a):
    """Non-negative integers from a float sample (bincount's input)."""
    return (a.abs() * 3).long()


def _scatter_index(lib):
    return lib.tensor([[0, 1, 0], [3, 3, 2], [1, 1, 1]])


def _setitem(a, b):
    y = a * 1          # a non-leaf copy: assignment into it is recorded in the graph
    y[1] = b * 2
    y[0, 1:3] = 0.5
    return y
