"""Tensor: construction and dtype rules, backward() over the graph, memory, named errors."""
import gc
import weakref

import numpy as np
import pytest

import minnet as mn


@pytest.fixture
def float64_default():
    """Switch the default dtype to float64 for one test and always switch it back."""
    previous = mn.get_default_dtype()
    mn.set_default_dtype(np.float64)
    yield
    mn.set_default_dtype(previous)


# --- construction and dtype rules -------------------------------------------------------------

def test_default_dtype_is_float32():
    assert mn.get_default_dtype() == np.float32


@pytest.mark.parametrize("data", [1.5, 3, [1, 2, 3], [[0.1, 0.2]], True])
def test_python_numbers_and_lists_take_the_default_dtype(data):
    assert mn.Tensor(data).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int64, np.int32, np.bool_])
def test_numpy_arrays_keep_their_dtype(dtype):
    assert mn.Tensor(np.zeros(3, dtype=dtype)).dtype == dtype


def test_numpy_scalar_keeps_its_dtype():
    assert mn.Tensor(np.float64(2.0)).dtype == np.float64


def test_set_default_dtype_changes_what_lists_become(float64_default):
    assert mn.Tensor([0.1, 0.2]).dtype == np.float64
    assert mn.Tensor([0.1]).data[0] == 0.1


def test_set_default_dtype_rejects_non_float_types():
    with pytest.raises(TypeError, match="float32 or float64.*int64"):
        mn.set_default_dtype(np.int64)


def test_explicit_dtype_is_applied_without_losing_precision():
    t = mn.Tensor([0.1], dtype=np.float64)
    assert t.dtype == np.float64 and t.data[0] == 0.1
    assert mn.tensor(np.arange(3), dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", [lambda x: x * 2, lambda x: 2 * x, lambda x: x + 0.1, lambda x: 1 - x,
                                lambda x: x / 3, lambda x: 3 / x, lambda x: x ** 2, lambda x: 2 ** x,
                                lambda x: mn.where(x > 0, x, 0.5), lambda x: x * np.float64(2)])
def test_python_scalars_adopt_the_dtype_of_the_tensor(op, dtype):
    assert op(mn.Tensor(np.ones(3, dtype=dtype))).dtype == dtype


def test_python_scalars_follow_the_tensor_not_the_default_dtype(float64_default):
    x = mn.Tensor(np.ones(3, dtype=np.float32))
    assert (x * 2).dtype == np.float32
    assert mn.where(x > 0, 0.5, x).dtype == np.float32   # the mask comes first but is boolean


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grad_has_the_dtype_of_its_tensor(dtype):
    x = mn.Tensor(np.ones(3, dtype=dtype), requires_grad=True)
    (x * np.ones(3, dtype=np.float64)).sum().backward()   # the output is float64
    assert x.grad.dtype == dtype


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_tensors_cannot_require_grad(dtype):
    with pytest.raises(TypeError, match=f"floating.*{np.dtype(dtype)}"):
        mn.Tensor(np.zeros(2, dtype=dtype), requires_grad=True)


@pytest.mark.parametrize("data, named", [
    ("abc", "str"),
    (["a", "b"], "list"),
    (object(), "object"),
    ({"a": 1}, "dict"),
    (np.array(["a", "b"]), "<U1"),
    (np.array([object()]), "object"),
])
def test_non_numeric_data_is_a_type_error_that_says_what_came(data, named):
    with pytest.raises(TypeError, match=f"numeric.*{named}"):
        mn.Tensor(data)


def test_tensor_attributes_mirror_the_array():
    data = np.arange(6.0).reshape(2, 3)
    t = mn.Tensor(data)
    assert (t.shape, t.ndim, t.size, len(t)) == ((2, 3), 2, 6, 2)
    assert t.numpy() is t.data
    assert mn.Tensor([[4.0]]).item() == 4.0


def test_item_of_a_multi_element_tensor_is_a_value_error():
    with pytest.raises(ValueError, match=r"one element.*\(3,\)"):
        mn.Tensor([1.0, 2.0, 3.0]).item()


def test_comparisons_give_boolean_tensors_without_grad():
    x = mn.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [(x < 2, [1, 0, 0]), (x <= 2, [1, 1, 0]), (x > 2, [0, 0, 1]),
                             (x >= 2, [0, 1, 1]), (x == 2, [0, 1, 0]), (x != 2, [1, 0, 1])]:
        assert result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.data, expected)


def test_truth_value_follows_numpy():
    assert not mn.Tensor([0.0]) and mn.Tensor(2.0)
    assert not (mn.Tensor([1.0]) == mn.Tensor([3.0]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(mn.Tensor([1.0, 2.0]) == mn.Tensor([3.0, 4.0]))


def test_tensors_stay_hashable():
    x = mn.Tensor([1.0])
    assert {x: 1}[x] == 1


def test_ndarray_on_the_left_dispatches_to_the_tensor():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, mn.Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3, 4])


def test_repr_shows_values_dtype_and_requires_grad():
    text = repr(mn.Tensor([1.0, 2.0], requires_grad=True))
    assert "1." in text and "float32" in text and "requires_grad=True" in text


# --- backward over the graph ------------------------------------------------------------------

def test_diamond_graph_gets_every_path_in_topological_order():
    # y = a * b with a = 2x and b = x + 3 (both from x): dy/dx = 2(x + 3) + 2x = 4x + 6.
    x = mn.Tensor([1.0, -2.0], requires_grad=True)
    a, b = x * 2, x + 3
    (a * b).sum().backward()
    np.testing.assert_allclose(x.grad, 4 * x.data + 6)


def test_ops_are_numbered_after_the_ops_behind_their_inputs():
    x = mn.Tensor([1.0], requires_grad=True)
    a = x * 2
    b = a + x
    c = b * a
    assert a._ctx.number < b._ctx.number < c._ctx.number


def test_backward_reaches_each_op_once_after_every_op_that_used_it():
    calls = []

    class Logged(mn.Function):
        """Identity that logs when its backward runs, and with which gradient."""
        @staticmethod
        def forward(ctx, x, name):
            ctx.name = name
            return x.copy()

        @staticmethod
        def backward(ctx, grad):
            calls.append((ctx.name, grad.tolist()))
            return grad

    x = mn.Tensor([1.0], requires_grad=True)
    a = Logged.apply(x, name="a")
    unrelated = Logged.apply(x, name="unrelated")     # recorded between a and its users
    b = Logged.apply(a * 3, name="b")
    c = Logged.apply(a + b + unrelated, name="c")
    c.sum().backward()
    names = [name for name, _ in calls]
    assert sorted(names) == ["a", "b", "c", "unrelated"]
    assert names.index("c") < names.index("b") < names.index("a")
    # a is reached once, with the gradient of both paths: 1 directly plus 3 through b.
    assert dict(calls)["a"] == [4.0]
    np.testing.assert_array_equal(x.grad, [5.0])


def test_backward_of_a_leaf_itself_gives_it_gradient_one():
    x = mn.Tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad == 1.0


@pytest.mark.parametrize("f, derivative", [
    (lambda x: x * x, lambda x: 2 * x),
    (lambda x: x + x, lambda x: 2 * np.ones_like(x)),
    (lambda x: x * x * x, lambda x: 3 * x ** 2),
    (lambda x: (x * 2).exp() + (x * 2) * x, lambda x: 2 * np.exp(2 * x) + 4 * x),
    (lambda x: x[0] * x, lambda x: x[0] + np.eye(len(x))[0] * x.sum()),
])
def test_tensor_used_twice_receives_the_sum_of_its_gradients(f, derivative):
    data = np.array([0.5, -1.5, 2.0])
    x = mn.Tensor(data, requires_grad=True)
    f(x).sum().backward()
    np.testing.assert_allclose(x.grad, derivative(data), rtol=1e-6)


def test_backward_of_a_non_scalar_without_grad_is_a_clear_error():
    y = mn.Tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"one-element.*\(2,\).*sum"):
        y.backward()


def test_backward_with_explicit_grad_weights_the_outputs():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [3, 30])


def test_backward_grad_of_the_wrong_shape_is_a_value_error():
    y = mn.Tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        y.backward(np.ones(3))


def test_backward_on_a_tensor_without_grad_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (mn.Tensor([1.0]) * 2).backward()


def test_second_backward_through_a_released_graph_is_a_runtime_error():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="released.*retain_graph=True"):
        y.backward()


def test_backward_through_a_shared_subgraph_released_by_another_backward_is_an_error():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="Exp.*released"):
        (h * 2).sum().backward()


def test_retain_graph_allows_a_second_backward_and_grads_accumulate():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, 2 * 2 * x.data)


def test_grads_accumulate_across_separate_graphs_until_cleared():
    x = mn.Tensor([1.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 4).sum().backward()
    assert x.grad[0] == 7


def test_no_grad_records_nothing():
    x = mn.Tensor([1.0], requires_grad=True)
    with mn.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf


def test_detach_cuts_the_graph_but_shares_data():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    y = (x * d).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, d.data)   # d counted as a constant


def test_leaves_keep_grad_and_intermediates_do_not():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.sum().backward()
    assert x.grad is not None and h.grad is None


def test_retain_grad_keeps_grad_on_an_intermediate():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    h = (x * 2).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad, 2 * h.data)
    assert h.grad.dtype == h.dtype


def test_leaf_grads_are_independent_arrays():
    # Add sends the same gradient array to both inputs: each leaf must get its own copy.
    a = mn.Tensor([1.0, 2.0], requires_grad=True)
    b = mn.Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad += 1
    np.testing.assert_array_equal(b.grad, [1, 1])


def test_backward_on_a_leaf_sets_its_grad():
    x = mn.Tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad == 1


def test_inputs_without_requires_grad_get_no_grad():
    x = mn.Tensor([1.0], requires_grad=True)
    c = mn.Tensor([5.0])
    (x * c).sum().backward()
    assert c.grad is None


def test_iterating_over_a_tensor_gives_differentiable_rows():
    x = mn.Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(x)
    assert len(rows) == 3
    (rows[0] * 2 + rows[2]).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2, 2], [0, 0], [1, 1]])


# --- memory: the graph is released after backward ---------------------------------------------

def test_intermediates_are_freed_after_backward_while_the_output_lives():
    x = mn.Tensor(np.ones(1000), requires_grad=True)
    hidden = (x * 2).exp()
    hidden_ref, hidden_data_ref = weakref.ref(hidden), weakref.ref(hidden.data)
    output = (hidden * 3).sum()
    del hidden
    gc.collect()
    assert hidden_ref() is not None          # the graph keeps it alive until backward
    output.backward()
    gc.collect()
    assert hidden_ref() is None and hidden_data_ref() is None
    assert output.data == pytest.approx(3 * 1000 * np.exp(2))


def test_intermediates_are_freed_by_reference_counting_alone():
    # No reference cycles: the intermediate goes as soon as backward drops it, no gc needed.
    x = mn.Tensor(np.ones(10), requires_grad=True)
    hidden = x * 2
    hidden_ref = weakref.ref(hidden)
    output = (hidden * hidden).sum()
    del hidden
    gc.disable()
    try:
        output.backward()
        assert hidden_ref() is None
    finally:
        gc.enable()


def test_deep_chain_backward_has_no_recursion_limit():
    x = mn.Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001 ** 5000], rtol=1e-3)


# --- memory sharing and in-place changes: a gradient is never silently wrong -------------------

def test_tensor_copies_a_numpy_array_so_changing_the_array_leaves_the_gradient_right():
    a = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    x = mn.Tensor(a, requires_grad=True)
    w = mn.Tensor(np.full(3, 2.0, np.float32), requires_grad=True)
    loss = (x * w).sum()
    a[:] = 10
    loss.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])


def test_tensor_function_copies_too():
    a = np.zeros(2, np.float32)
    assert not np.shares_memory(mn.tensor(a).data, a)


def test_from_numpy_shares_memory_both_ways():
    a = np.array([1.0, 2.0], dtype=np.float32)
    x = mn.from_numpy(a)
    a[0] = 5
    assert x.data is a and x.data[0] == 5


def test_from_numpy_rejects_what_is_not_an_array():
    with pytest.raises(TypeError, match="from_numpy expected a numpy array, got list"):
        mn.from_numpy([1.0, 2.0])


def test_detach_shares_memory_with_the_original():
    x = mn.Tensor([1.0, 2.0])
    assert x.detach().data is x.data


def test_float32_grad_stays_float32_over_repeated_backward_calls():
    w = mn.Tensor(np.ones(3, np.float32), requires_grad=True)
    for _ in range(3):
        (w * np.float64(2.0)).sum().backward()       # a float64 constant promotes the op's grad
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad, [6.0, 6.0, 6.0])


def test_assigning_a_numpy_scalar_to_data_keeps_an_updatable_array():
    p = mn.nn.Parameter(np.array(2.0, np.float32))
    p.grad = np.array(1.0, np.float32)
    p.data = p.data - 0.5 * p.grad                  # a numpy scalar, not an array
    assert type(p.data) is np.ndarray and p.data.shape == () and p.data.flags.writeable
    mn.optim.SGD([p], lr=0.5).step()
    assert p.data == 1.0
