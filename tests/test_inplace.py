"""minnet.inplace: Tensor's in-place operators and methods, and the rules PyTorch users expect."""
import numpy as np
import pytest

import minnet as mn


def parameter(values):
    return mn.nn.Parameter(np.array(values, dtype=np.float32))


def test_the_micrograd_update_loop_changes_the_parameters_in_place():
    model = mn.nn.Dense(3, 2)
    x = mn.Tensor(np.ones((4, 3), np.float32))
    model(x).sum().backward()
    before = {name: p.data.copy() for name, p in model.named_parameters()}
    objects = [id(p) for p in model.parameters()]
    with mn.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.data, before[name] - 0.1 * p.grad)
        assert p.is_leaf and p.requires_grad
    assert [id(p) for p in model.parameters()] == objects


@pytest.mark.parametrize("symbol, expected", [("+", [3.0, 4.0]), ("-", [-1.0, 0.0]),
                                              ("*", [2.0, 4.0]), ("/", [0.5, 1.0])])
def test_operators_write_into_a_tensor_that_needs_no_grad(symbol, expected):
    t = mn.Tensor([1.0, 2.0])
    array = t.data
    original = t
    if symbol == "+":
        t += 2
    elif symbol == "-":
        t -= 2
    elif symbol == "*":
        t *= 2
    else:
        t /= 2
    assert t is original and t.data is array
    np.testing.assert_array_equal(t.data, expected)


@pytest.mark.parametrize("update", [lambda p: p.__isub__(1.0), lambda p: p.zero_(),
                                    lambda p: p.fill_(2.0), lambda p: p.copy_([1.0, 1.0]),
                                    lambda p: p.clamp_(0.0, 1.0)])
def test_a_parameter_outside_no_grad_raises_pytorchs_error(update):
    p = parameter([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation.*mn.no_grad"):
        update(p)
    np.testing.assert_array_equal(p.data, [1.0, 2.0])


def test_plus_equals_on_a_tensor_in_a_graph_is_recorded():
    x = parameter([1.0, 2.0])
    y = x * 3
    y += x                                       # y = 3x + x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 4.0])


def test_accumulating_losses_with_plus_equals_keeps_the_gradient():
    w = parameter([1.0, 2.0])
    total = mn.Tensor(0.0)
    for scale in (1.0, 2.0):
        total += (w * scale).sum()
    total.backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0])


def test_an_update_under_no_grad_while_a_graph_holds_the_array_copies_it():
    w = parameter([1.0, 2.0])
    loss = (w * w).sum()                         # holds w's array for backward
    held = w.data
    with mn.no_grad():
        w -= 1.0
    np.testing.assert_array_equal(w.data, [0.0, 1.0])
    np.testing.assert_array_equal(held, [1.0, 2.0])   # the graph still sees its forward's values
    loss.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_methods_set_values_in_place():
    t = mn.Tensor([-2.0, 0.5, 3.0])
    np.testing.assert_array_equal(t.clamp_(-1.0, 1.0).data, [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(t.copy_(mn.Tensor([4.0])).data, [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(t.fill_(7.0).data, [7.0, 7.0, 7.0])
    np.testing.assert_array_equal(t.zero_().data, [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="clamp_\\(\\) needs min, max or both"):
        t.clamp_()


def test_methods_on_an_op_output_outside_no_grad_are_refused():
    y = parameter([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"zero_\(\) on a tensor made by an op \(Mul\)"):
        y.zero_()


def test_copy_from_a_tensor_that_requires_grad_is_refused_outside_no_grad():
    with pytest.raises(RuntimeError, match="the copy would carry no gradient"):
        mn.Tensor([0.0, 0.0]).copy_(parameter([1.0, 2.0]))
    with mn.no_grad():
        t = mn.Tensor([0.0, 0.0]).copy_(parameter([1.0, 2.0]))
    np.testing.assert_array_equal(t.data, [1.0, 2.0])


def test_in_place_into_an_array_made_read_only_by_its_owner_says_so():
    a = np.array([1.0, 2.0])
    a.flags.writeable = False
    t = mn.from_numpy(a)
    with pytest.raises(ValueError, match="read-only and no minnet graph holds it"):
        t -= 1
    with pytest.raises(ValueError, match="read-only and no minnet graph holds it"):
        t.zero_()


def test_in_place_errors_name_the_shapes_and_dtypes():
    t = mn.Tensor(np.array([1, 2], dtype=np.int64))
    with pytest.raises(TypeError, match="x is int64 and the result is float64"):
        t -= 0.5
    f = mn.Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"must broadcast to x's shape \(2,\).*got shape \(3,\)"):
        f += np.ones(3)
    with pytest.raises(ValueError, match=r"copy_\(\) on a tensor of shape \(2,\)"):
        f.copy_(np.ones(3))
