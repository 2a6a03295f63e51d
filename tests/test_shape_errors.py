"""Error messages of the shape, join, pad and reduction ops: the op, the shapes, the fix."""
import pytest

import chainrule as cr

X = cr.ones(2, 3)


@pytest.mark.parametrize("call,kind,words", [
    (lambda: X.view(-1, -1), RuntimeError, r"only one dimension can be inferred"),
    (lambda: X.reshape(4, -1), RuntimeError, r"shape '\[4, -1\]' is invalid for input of size 6"),
    (lambda: X.t().view(6), RuntimeError, r"view size is not compatible.*Use \.reshape"),
    (lambda: X.permute(0, 0), RuntimeError, r"repeated dim"),
    (lambda: X.permute(0), RuntimeError, r"input.dim\(\) = 2 is not equal to len\(dims\) = 1"),
    (lambda: X.transpose(0, 2), IndexError, r"transpose: Dimension out of range.*got 2"),
    (lambda: X.expand(3), RuntimeError, r"number of sizes provided \(1\) must be greater or equal"),
    (lambda: X.flatten(1, 0), RuntimeError, r"start_dim cannot come after end_dim"),
    (lambda: cr.ones(2, 3, 4).t(), RuntimeError, r"t\(\) expects a tensor with <= 2 dimensions"),
    (lambda: X.unflatten(1, (2, 2)), RuntimeError, r"shape '\[2, 2\]' is invalid for input of size 3"),
    (lambda: X.repeat(2), RuntimeError, r"Number of dimensions of repeat dims \(1\) can not be smaller"),
    (lambda: X.roll((1, 1), (0,)), RuntimeError, r"shifts and dimensions must align"),
    (lambda: X.narrow(1, 2, 2), RuntimeError, r"narrow: start \(2\) \+ length \(2\) exceeds dimension size \(3\)"),
    (lambda: X.squeeze(5), IndexError, r"squeeze: Dimension out of range"),
])
def test_movement_errors(call, kind, words):
    with pytest.raises(kind, match=words) as info:
        call()
    assert "test_shape_errors.py" in str(info.value)  # the user's own line


@pytest.mark.parametrize("call,words", [
    (lambda: cr.cat([X, cr.ones(3, 3)], dim=1), r"cat\(\): tensor 1 has shape \(3, 3\) but tensor 0 has shape \(2, 3\).*except in dimension 1"),
    (lambda: cr.cat([]), r"expected a non-empty list of Tensors"),
    (lambda: cr.cat([cr.tensor(1.0)]), r"zero-dimensional tensor \(at position 0\) cannot be concatenated"),
    (lambda: cr.stack([X, cr.ones(3, 2)]), r"stack expects each tensor to be equal size, but got \(2, 3\) at entry 0 and \(3, 2\) at entry 1"),
    (lambda: cr.stack([]), r"stack expects a non-empty TensorList"),
    (lambda: X.split([1, 1], dim=1), r"split_sizes to sum exactly to 3.*split_sizes=\[1, 1\]"),
    (lambda: X.split(0, dim=1), r"split expects split_size be non-negative"),
    (lambda: X.chunk(0), r"chunk expects `chunks` to be greater than 0"),
])
def test_join_errors(call, words):
    with pytest.raises(RuntimeError, match=words):
        call()


@pytest.mark.parametrize("call,kind,words", [
    (lambda: cr.nn.functional.pad(X, (1, 1, 1)), RuntimeError, r"padding length 3 must be even"),
    (lambda: cr.nn.functional.pad(X, (1, 1) * 3), RuntimeError, r"at most twice the number of dimensions"),
    (lambda: cr.nn.functional.pad(X, (3, 3), mode="reflect"), RuntimeError, r"padding size should be less than the corresponding input dimension"),
    (lambda: cr.nn.functional.pad(X, (1, 1), mode="wrap"), NotImplementedError, r"unknown mode 'wrap'"),
    (lambda: cr.nn.functional.pad(X, (4, 0), mode="circular"), RuntimeError, r"wrap around more than once"),
    (lambda: cr.ones(3).tril(), RuntimeError, r"tril: input tensor must have at least 2 dimensions"),
])
def test_pad_errors(call, kind, words):
    with pytest.raises(kind, match=words):
        call()


@pytest.mark.parametrize("call,kind,words", [
    (lambda: cr.arange(4).mean(), RuntimeError, r"mean\(\): could not infer output dtype.*Got: Int64.*\.float\(\)"),
    (lambda: X.sum(dim=2), IndexError, r"sum: Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda: cr.ones(0).amax(), RuntimeError, r"amax\(\): Expected reduction dim to be specified for input.numel\(\) == 0"),
    (lambda: cr.ones(0).argmax(), IndexError, r"argmax\(\): Expected reduction dim"),
    (lambda: X.norm(p="nuc"), RuntimeError, r"norm\(\): p='nuc' is not supported"),
    (lambda: X.softmax(dim=3), IndexError, r"softmax: Dimension out of range"),
    (lambda: X.kthvalue(4, dim=1), RuntimeError, r"kthvalue\(\): selected number k=4 out of range"),
])
def test_reduction_errors(call, kind, words):
    with pytest.raises(kind, match=words):
        call()


@pytest.mark.parametrize("call,kind,words", [
    (lambda: cr.nn.functional.gelu(X, approximate="fast"), ValueError, r"approximate must be 'none' or 'tanh'"),
    (lambda: X.clamp(), RuntimeError, r"at least one of 'min' or 'max' must not be None"),
    (lambda: cr.where(X, X, X), RuntimeError, r"where expected condition to be a boolean tensor.*float32"),
    (lambda: X.div(2, rounding_mode="round"), ValueError, r"rounding_mode to be one of None, 'trunc', or 'floor'"),
    (lambda: X & X, RuntimeError, r"bitwise_and is only supported for integer and bool tensors"),
    (lambda: ~X, TypeError, r"~ \(operator.invert\) is only implemented on integer and Boolean-type tensors"),
    (lambda: X + "a", TypeError, r"unsupported operand of type str"),
])
def test_elementwise_errors(call, kind, words):
    with pytest.raises(kind, match=words):
        call()


@pytest.mark.parametrize("call,kind,words", [
    (lambda: cr.einsum("ij,jk->ik", X), RuntimeError, r"names 2 operands but 1 tensors were given"),
    (lambda: cr.einsum("ijk->i", X), RuntimeError, r"the subscript 'ijk' has 3 letters but the operand has 2 dimensions"),
    (lambda: cr.einsum("ij->z", X), RuntimeError, r"output subscript 'z' does not appear in any input"),
    (lambda: cr.einsum("i1->i", X), RuntimeError, r"invalid subscript in 'i1'"),
    (lambda: cr.einsum("ii->i", X), RuntimeError, r"subscript i is repeated for operand of shape \(2, 3\) but the sizes don't match, 2 != 3"),
    (lambda: cr.einsum("ij,jk->ik", X, cr.ones(3, 2, dtype=cr.float64)), RuntimeError, r"expected all operands to have the same dtype"),
    (lambda: cr.mm(cr.ones(3), X), RuntimeError, r"mm: input must be a 2-D tensor, got shape \(3,\)"),
    (lambda: cr.outer(X, cr.ones(2)), RuntimeError, r"outer: input must be a 1-D tensor"),
])
def test_linalg_errors(call, kind, words):
    with pytest.raises(kind, match=words):
        call()


@pytest.mark.parametrize("call,kind,words", [
    (lambda: cr.zeros(-1), RuntimeError, r"sizes must be non-negative integers, got \(-1,\)"),
    (lambda: cr.arange(0, 5, 0), RuntimeError, r"arange: step must be nonzero"),
    (lambda: cr.randint(5), TypeError, r"randint\(\) missing the required argument 'size'"),
    (lambda: cr.tensor(["a"]), TypeError, r"can't convert data of type list"),
])
def test_creation_errors(call, kind, words):
    with pytest.raises(kind, match=words):
        call()


def test_assigning_a_grad_of_the_wrong_shape():
    x = cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"assigned grad has shape \(3,\) but the tensor has shape \(2,\)"):
        x.grad = cr.ones(3)


def test_requires_grad_false_on_a_non_leaf():
    y = cr.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables.*detach"):
        y.requires_grad_(False)


def test_retain_grad_on_a_tensor_without_grad():
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        cr.ones(2).retain_grad()


def test_tensors_refuse_pickling():
    import pickle
    with pytest.raises(TypeError, match="not pickled, because loading a pickle can run code.*numpy.save"):
        pickle.dumps(X)
