"""Each optimization pass of chainrule.compile on its own: same results as eager, and it does its job.

A pass rewrites references and leaves what it bypassed for dead-code elimination, so its
effect is measured as the nodes left after it and DCE, against DCE alone.
"""
import numpy as np
import pytest

import chainrule as cr
from chainrule.jit import passes as P
from chainrule.jit.codegen import generate


def redundant(x, w):
    """A function with something for every pass to do."""
    a = x * 1 + 0                                     # simplify: multiply by one, add zero
    b = a.t().t()                                     # simplify: double transpose
    c = b.reshape(4, 6).reshape(24).reshape(6, 4)     # simplify: a reshape chain
    d = (c @ w).exp()
    e = (c @ w).exp()                                 # cse: the same ops on the same values
    d.sin()                                           # dce: a result nothing uses
    k = cr.ones(5) * 2                                # fold: an op on constants only
    return ((d + e) * k).tanh().sigmoid()             # kernels, fusion, memory


def traced(fn, *inputs):
    compiled = cr.compile(fn, optimize=False)
    compiled(*inputs)
    return compiled.traced_graph


def replay(graph_and_buffers, *inputs):
    graph, buffers = graph_and_buffers
    return generate(graph, buffers)([t._data for t in inputs], inputs)[0]


def fresh_inputs(seed):
    cr.manual_seed(seed)
    return cr.randn(6, 4), cr.randn(4, 5)


@pytest.fixture(scope="module")
def graph():
    return traced(redundant, *fresh_inputs(0))


def op_count(graph, passes):
    optimized, _ = P.optimize(graph, passes)
    return sum(node.kind not in ("input", "external", "constant") for node in optimized.nodes)


@pytest.mark.parametrize("optimization", P.PASSES + [P.plan_memory], ids=lambda p: p.__name__)
def test_each_pass_alone_replays_eager_results_on_new_inputs(graph, optimization):
    passes = [] if optimization is P.plan_memory else [optimization]
    for seed in (1, 2):
        x, w = fresh_inputs(seed)
        got = replay(P.optimize(graph, passes), x, w)
        np.testing.assert_allclose(got, redundant(x, w).numpy(), rtol=1e-6, atol=1e-7)


def test_all_passes_together_replay_eager_results(graph):
    x, w = fresh_inputs(3)
    np.testing.assert_allclose(replay(P.optimize(graph), x, w), redundant(x, w).numpy(), rtol=1e-6, atol=1e-7)


def test_dead_code_elimination_drops_the_unused_sin(graph):
    names = [node.name() for node in P.optimize(graph, [P.eliminate_dead_code])[0].nodes]
    assert "Sin" in [node.name() for node in graph.nodes] and "Sin" not in names


def test_simplify_removes_identity_ops_transposes_and_reshape_chains(graph):
    dce = P.eliminate_dead_code
    before = [n.name() for n in P.optimize(graph, [dce])[0].nodes]
    after = [n.name() for n in P.optimize(graph, [P.simplify, dce])[0].nodes]
    assert before.count("Permute") == 2 and after.count("Permute") == 0
    assert before.count("Reshape") == 3 and after.count("Reshape") == 1   # (6, 4) from (6, 4) via one hop
    assert "Add" in before and after.count("Add") == 1   # only d + e is left
    assert after.count("Mul") == 2                       # ones * 2 and (d + e) * k; x * 1 is gone


def test_simplify_keeps_ops_that_change_dtype_or_shape():
    x = cr.arange(6, dtype=cr.int64)

    def promote(x):
        return x * 1.0 + cr.zeros(2, 6)     # int -> float and a broadcast: neither is the identity

    graph = traced(promote, x)
    got = replay(P.optimize(graph, [P.simplify, P.eliminate_dead_code]), x)
    assert got.dtype == np.float32 and got.shape == (2, 6)
    np.testing.assert_array_equal(got, promote(x).numpy())


def test_cse_computes_the_repeated_matmul_once(graph):
    dce = P.eliminate_dead_code
    count = lambda passes: [n.name() for n in P.optimize(graph, passes)[0].nodes].count("MatMul")
    assert count([dce]) == 2 and count([P.eliminate_common_subexpressions, dce]) == 1


def test_cse_does_not_merge_across_an_in_place_write():
    def write_between(x):
        a = x.exp()
        x.add_(1)
        return a + x.exp()                 # the second exp reads the new x

    x = cr.randn(3)
    graph = traced(write_between, x.clone())
    optimized = P.optimize(graph, [P.eliminate_common_subexpressions, P.eliminate_dead_code])
    assert [n.name() for n in optimized[0].nodes].count("Exp") == 2
    expected = write_between(x.clone()).numpy()
    np.testing.assert_allclose(replay(optimized, x.clone()), expected, rtol=1e-6)


def test_constant_folding_computes_ops_on_constants_at_compile_time(graph):
    folded = P.optimize(graph, [P.fold_constants])[0]
    labels = [n.name() for n in folded.nodes]
    assert "constant (folded)" in labels
    value = next(n.args[0] for n in folded.nodes if n.name() == "constant (folded)")
    np.testing.assert_array_equal(value, np.full(5, 2, np.float32))


def test_random_draws_are_not_folded_or_merged():
    def two_draws():
        return cr.rand(3) + cr.rand(3)

    graph = traced(two_draws)
    optimized = P.optimize(graph)[0]
    assert sum(getattr(n.fn, "is_random", False) for n in optimized.nodes if n.kind == "op") == 2


def test_kernels_turn_ops_into_numpy_calls_with_out(graph):
    lowered = P.optimize(graph, [P.lower_to_kernels])[0]
    kinds = {n.name(): n.kind for n in lowered.nodes}
    assert kinds["matmul"] == "kernel" and kinds["exp"] == "kernel" and kinds["tanh"] == "kernel"
    source = generate(*P.optimize(graph, [P.lower_to_kernels])).source
    assert "out=b" in source


def test_fusion_makes_one_node_of_an_elementwise_chain(graph):
    fused = P.optimize(graph, [P.lower_to_kernels, P.fuse_elementwise, P.eliminate_dead_code])[0]
    chains = [[step[0].__name__ for step in n.fn] for n in fused.nodes if n.kind == "fused"]
    assert ["multiply", "add"] in chains                 # x * 1 + 0 (simplify was not run)
    assert ["exp", "add", "multiply", "tanh"] in chains  # e = exp(c @ w), then ((d + e) * k).tanh()


def test_memory_planning_reuses_buffers_by_lifetime():
    def chain(x):
        return x.exp().sin().cos().exp().tanh()     # five same-shape results, one live at a time

    x = cr.randn(64, 64)
    graph = traced(chain, x)
    optimized, buffers = P.optimize(graph, [P.lower_to_kernels])
    kernels = [n for n in optimized.nodes if n.kind == "kernel"]
    assert len(kernels) == 5 and len(buffers) < len(kernels)
    y = cr.randn(64, 64)
    np.testing.assert_allclose(generate(optimized, buffers)([y._data])[0], chain(y).numpy(), rtol=1e-6)


def test_returned_values_never_share_a_buffer_with_the_next_call():
    compiled = cr.compile(lambda x: x.exp() * 2)
    first = compiled(cr.zeros(3))
    compiled(cr.zeros(3))                           # traces
    second = compiled(cr.ones(3))                   # replays
    third = compiled(cr.full((3,), 2.0))
    np.testing.assert_allclose(first.numpy(), 2.0)
    np.testing.assert_allclose(second.numpy(), 2 * np.e, rtol=1e-6)
    assert not np.shares_memory(second.numpy(), third.numpy())


def test_a_gradient_only_its_store_reads_is_adopted_and_never_reused():
    cr.manual_seed(0)
    layer = cr.nn.Linear(5, 3)
    optimizer = cr.optim.SGD(layer.parameters(), lr=0.1)

    def step(x):
        optimizer.zero_grad()
        layer(x).square().sum().backward()
        optimizer.step()

    compiled = cr.compile(step)
    x = cr.randn(4, 5)
    compiled(x)
    stores = [n for n in compiled.graph.nodes if n.kind == "accumulate"]
    assert len(stores) == 2 and all(n.params.get("adopt") for n in stores)
    compiled(x)
    held = layer.weight.grad
    kept = held.numpy().copy()
    compiled(cr.randn(4, 5))                       # a new gradient array, not the one held
    assert layer.weight.grad is not held and not np.shares_memory(layer.weight.grad.numpy(), held.numpy())
    np.testing.assert_array_equal(held.numpy(), kept)
    assert layer.weight.grad.numpy().flags.c_contiguous


def test_kernels_give_the_ops_values_bit_for_bit_on_special_values():
    from chainrule.jit.passes.kernels import PositiveMaskKernel
    from chainrule.jit.codegen import _as_scalar_of
    a = np.array([-0.0, 0.0, -1.0, 2.0, np.nan, np.inf, -np.inf, 1e-45], np.float32)
    out = np.empty_like(a)
    mask = PositiveMaskKernel()(a, out=out)
    expected = (a > 0).astype(np.float32)
    assert mask.tobytes() == expected.tobytes()                    # the sign of zero too
    assert PositiveMaskKernel()(a).tobytes() == expected.tobytes()
    assert type(_as_scalar_of(0.01, np.dtype(np.float32))) is np.float32
    assert _as_scalar_of(1e300, np.dtype(np.float32)) == 1e300      # would overflow: kept as it is
    assert _as_scalar_of(True, np.dtype(np.float32)) is True
    assert _as_scalar_of(2, np.dtype(np.int64)) == 2 and type(_as_scalar_of(2, np.dtype(np.int64))) is int


def test_dead_gradient_stores_are_dropped_and_gradients_still_match():
    cr.manual_seed(0)
    w = cr.randn(4, requires_grad=True)

    def two_backwards(x):
        (w * x).sum().backward()
        w.grad = None                                   # the first gradient is never read
        (w * x * x).sum().backward()
        return w.grad

    x = cr.randn(4)
    graph = traced(two_backwards, x)
    kept = P.optimize(graph, [P.drop_dead_grad_stores])[0]
    assert sum(n.kind == "accumulate" for n in graph.nodes) == 2
    assert sum(n.kind == "accumulate" for n in kept.nodes) == 1
    w.grad = None
    x2 = cr.randn(4)
    got = generate(*P.optimize(graph))([x2._data])[0]
    np.testing.assert_allclose(got, (x2 * x2).numpy(), rtol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), (x2 * x2).numpy(), rtol=1e-6)


def test_a_sum_of_transposed_products_becomes_one_product():
    cr.manual_seed(0)
    w = cr.randn(4, 6, requires_grad=True)

    def recurrent_like(xs):
        total = 0
        for x in xs.unbind(0):                          # each step uses the same weight
            total = total + (x @ w).tanh().sum()
        total.backward()
        return w.grad

    xs = cr.randn(5, 3, 4)
    graph = traced(recurrent_like, xs)
    assert sum(n.name() == "MatMul" and bool(n.params.get("ta")) for n in graph.nodes) == 5
    batched = P.optimize(graph, [P.batch_summed_products, P.eliminate_dead_code])[0]
    products = [n for n in batched.nodes if n.kind == "op" and n.fn.__name__ == "MatMul" and n.params.get("ta")]
    assert len(products) == 1 and products[0].name() == "matmul (sum of 5 products)"
    for seed in (1, 2):
        cr.manual_seed(seed)
        new = cr.randn(5, 3, 4)
        w.grad = None
        expected = recurrent_like(new).numpy().copy()
        w.grad = None
        got = replay(P.optimize(graph, [P.batch_summed_products]), new)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_gradients_of_two_slices_that_tile_a_value_are_joined_not_scattered():
    x = cr.randn(3, 8, requires_grad=True)

    def halves(x):
        (x[..., :3].exp().sum() + x[..., 3:].sin().sum()).backward()
        return x.grad

    graph = traced(halves, x)
    x.grad = None
    names = [n.name() for n in P.optimize(graph, [P.simplify, P.eliminate_dead_code])[0].nodes]
    assert "IndexBackward" in [n.name() for n in graph.nodes] and "IndexBackward" not in names
    assert "Cat" in names
    x.grad = None
    got = replay(P.optimize(graph, [P.simplify]), x)
    np.testing.assert_allclose(got[..., :3], np.exp(x.detach().numpy()[..., :3]), rtol=1e-6)
    np.testing.assert_allclose(got[..., 3:], np.cos(x.detach().numpy()[..., 3:]), rtol=1e-6)
