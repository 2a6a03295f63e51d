import pytest
from oracle import check_op

SHAPES = [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 5), (3, 1)], [(), (2,)], [(), ()], [(0, 3), (3,)]]


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("fn", [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
                                lambda a, b: a / b], ids=["add", "sub", "mul", "div"])
def test_binary(fn, shapes):
    check_op(fn, shapes, gradgrad=True)


@pytest.mark.parametrize("fn", [lambda a: a.exp(), lambda a: a.tanh(), lambda a: a.sigmoid(),
                                lambda a: a.relu(), lambda a: (a * a).sum(), lambda a: a.mean(1),
                                lambda a: a.sum((0, 1), keepdim=True)])
def test_unary(fn):
    check_op(fn, [(3, 4)], gradgrad=True)


def test_log():
    check_op(lambda a: a.log(), [(3, 4)], low=0.5, high=3, gradgrad=True)


@pytest.mark.parametrize("shapes", [[(3, 4), (4, 5)], [(4,), (4, 5)], [(3, 4), (4,)], [(4,), (4,)],
                                    [(2, 3, 4), (4, 5)], [(2, 1, 3, 4), (5, 4, 2)]])
def test_matmul(shapes):
    check_op(lambda a, b: a @ b, shapes, gradgrad=True)


def test_pow():
    check_op(lambda a: a ** 3, [(3, 4)], gradgrad=True)
    check_op(lambda a, b: a ** b, [(3, 4), (4,)], low=0.5, high=2, gradgrad=True)
    check_op(lambda a: 2.0 ** a, [(3, 4)], gradgrad=True)
