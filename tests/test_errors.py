"""Errors a user can act on: the op, the shapes, the user's own file:line, the fix."""
import pytest

import chainrule as cr

THIS_FILE = __file__.replace(".pyc", ".py")


def test_broadcast_mismatch_names_op_shapes_and_user_line():
    a, b = cr.ones(2, 3), cr.ones(4)
    with pytest.raises(RuntimeError) as info:
        a + b  # the line the message must point at
    message = str(info.value)
    assert "add: shapes (2, 3) and (4,) cannot be broadcast together" in message
    assert f"{THIS_FILE}:{info.tb.tb_lineno}" in message
    assert isinstance(info.value, cr.ShapeError)


@pytest.mark.parametrize("op,name", [(lambda a, b: a * b, "mul"), (lambda a, b: a - b, "sub"),
                                     (lambda a, b: a / b, "div"), (lambda a, b: cr.maximum(a, b), "maximum")])
def test_every_binary_op_reports_its_name(op, name):
    with pytest.raises(RuntimeError, match=rf"{name}: shapes \(3,\) and \(2,\) cannot be broadcast"):
        op(cr.ones(3), cr.ones(2))


def test_matmul_shape_mismatch():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied \(3 != 4\)"):
        cr.ones(2, 3) @ cr.ones(4, 5)


def test_matmul_of_int_and_float_is_refused_like_pytorch():
    with pytest.raises(RuntimeError, match=r"same dtype.*chainrule.int64 @ chainrule.float32.*\.to\("):
        cr.arange(3) @ cr.ones(3)


def test_matmul_of_scalars():
    with pytest.raises(RuntimeError, match="both arguments need at least 1 dimension"):
        cr.tensor(2.0) @ cr.ones(3)


def test_reshape_to_wrong_size():
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        cr.ones(2, 3).reshape(4, 2)


def test_expand_to_incompatible_size():
    with pytest.raises(RuntimeError, match=r"expanded size of the tensor \(4\) must match the existing size \(3\)"):
        cr.ones(3).expand(2, 4)


def test_error_points_at_user_line_inside_backward():
    x = cr.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        (x * 2).backward()
    assert f"{THIS_FILE}:" in str(info.value)
