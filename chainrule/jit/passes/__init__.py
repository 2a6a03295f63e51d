"""The optimization passes, each in its own file, in the order ``optimize`` runs them.

Every pass takes a Graph and returns an equivalent Graph (the tests check each one on
its own against the unoptimized replay):

1. ``fold``: ops whose inputs are all constants are computed once, now;
2. ``simplify``: x * 1, x + 0, x ** 1, double negation and transposes, reshape chains;
3. ``cse``: the same op on the same values, computed twice, is computed once;
   ``batch_products``: a sum of products A_k^T B_k (a recurrent weight's gradient) is one product;
4. ``grad_stores``: a ``.grad`` stored and replaced before anything reads it is not stored;
   ``dce``: nodes whose results nothing uses (and that change nothing) are dropped;
5. ``kernels``: elementwise ops and matmuls become direct NumPy calls that accept ``out=``;
6. ``fuse``: chains of elementwise calls share one buffer, written in place step by step;
7. ``memory``: each call's ``out=`` buffer is allocated once, and reused by values whose
   lifetimes do not overlap.
"""
from .batch_products import batch_summed_products
from .cse import eliminate_common_subexpressions
from .dce import eliminate_dead_code
from .fold import fold_constants
from .fuse import fuse_elementwise
from .grad_stores import drop_dead_grad_stores
from .kernels import lower_to_kernels
from .memory import plan_memory
from .simplify import simplify
from .util import copy_graph

PASSES = [fold_constants, simplify, eliminate_common_subexpressions, batch_summed_products, drop_dead_grad_stores,
          eliminate_dead_code,
          lower_to_kernels, fuse_elementwise]


def optimize(graph, passes=None):
    """An optimized copy of ``graph`` and the buffers (shape, dtype) its replay preallocates."""
    graph = copy_graph(graph)
    for run in PASSES if passes is None else passes:
        graph = run(graph)
    return plan_memory(graph)
