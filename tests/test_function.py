"""Function: the extension point. A custom op written in a test behaves like a built-in one."""
import numpy as np
import pytest

import minnet as mn


class Cube(mn.Function):
    """x^3;  d/dx = 3 x^2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * 3 * x ** 2


class ScaledAdd(mn.Function):
    """a + scale * b, with a keyword option;  d/da = 1, d/db = scale."""

    @staticmethod
    def forward(ctx, a, b, scale=1.0):
        ctx.scale = scale
        ctx.needs_seen = ctx.needs_input_grad
        return a + scale * b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad * ctx.scale


def test_custom_function_computes_forward_and_backward():
    x = mn.Tensor([1.0, -2.0], requires_grad=True)
    y = Cube.apply(x)
    np.testing.assert_array_equal(y.data, [1, -8])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3, 12])


def test_custom_function_passes_gradcheck():
    assert mn.gradcheck(Cube.apply, mn.Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True))


def test_apply_passes_keyword_options_to_forward():
    a = mn.Tensor([1.0], requires_grad=True)
    b = mn.Tensor([2.0], requires_grad=True)
    y = ScaledAdd.apply(a, b, scale=10.0)
    assert y.data[0] == 21
    y.sum().backward()
    assert (a.grad[0], b.grad[0]) == (1, 10)


def test_needs_input_grad_tells_forward_which_inputs_require_grad():
    a = mn.Tensor([1.0], requires_grad=True)
    y = ScaledAdd.apply(a, mn.Tensor([2.0]))
    assert y._ctx.needs_seen == (True, False)


def test_apply_turns_array_likes_into_constant_tensors():
    x = mn.Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    y = ScaledAdd.apply(x, 3.0)
    assert y.dtype == np.float32          # the Python number took x's dtype
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1, 1])


def test_output_requires_grad_only_when_an_input_does():
    assert Cube.apply(mn.Tensor([2.0], requires_grad=True)).requires_grad
    assert not Cube.apply(mn.Tensor([2.0])).requires_grad


def test_no_grad_is_restored_on_exit_even_after_an_error():
    assert mn.is_grad_enabled()
    with pytest.raises(KeyError):
        with mn.no_grad():
            assert not mn.is_grad_enabled()
            raise KeyError("boom")
    assert mn.is_grad_enabled()


def test_no_grad_nests():
    with mn.no_grad():
        with mn.no_grad():
            pass
        assert not mn.is_grad_enabled()
        assert not Cube.apply(mn.Tensor([1.0], requires_grad=True)).requires_grad
    assert mn.is_grad_enabled()


def test_context_releases_saved_arrays_and_parents_after_backward():
    x = mn.Tensor([2.0], requires_grad=True)
    y = Cube.apply(x)
    ctx = y._ctx
    assert ctx.saved[0] is x._data and ctx.parents == (x,)
    y.sum().backward()
    assert ctx.released and ctx.saved is None and ctx.parents == ()


def test_backward_returning_none_sends_no_gradient():
    class FirstOnly(mn.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * 1.0

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    a = mn.Tensor([1.0], requires_grad=True)
    b = mn.Tensor([1.0], requires_grad=True)
    FirstOnly.apply(a, b).sum().backward()
    assert a.grad[0] == 1 and b.grad is None


def test_backward_returning_the_wrong_number_of_gradients_is_named():
    class TwoGrads(mn.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    with pytest.raises(RuntimeError, match="TwoGrads.backward returned 2 gradients for 1 inputs"):
        TwoGrads.apply(mn.Tensor([1.0], requires_grad=True)).sum().backward()


def test_backward_returning_the_wrong_shape_is_named():
    class WrongShape(mn.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, grad):
            return grad           # forgot to broadcast back to x's shape

    with pytest.raises(RuntimeError, match=r"WrongShape.backward.*shape \(\).*input 0.*\(3,\)"):
        WrongShape.apply(mn.Tensor([1.0, 2.0, 3.0], requires_grad=True)).backward()


def test_forward_value_error_names_the_op_and_input_shapes():
    class Fails(mn.Function):
        @staticmethod
        def forward(ctx, a, b):
            raise ValueError("incompatible")

    with pytest.raises(ValueError, match=r"Fails with inputs of shapes \(2,\), \(3,\): incompatible"):
        Fails.apply(mn.Tensor([1.0, 2.0]), mn.Tensor([1.0, 2.0, 3.0]))


def test_function_without_forward_or_backward_says_what_is_missing():
    class Empty(mn.Function):
        pass

    with pytest.raises(NotImplementedError, match="forward"):
        Empty.apply(mn.Tensor([1.0]))
    with pytest.raises(NotImplementedError, match="backward"):
        Empty.backward(None, None)


# --- grad mode is per thread ------------------------------------------------------------------

def test_overlapping_no_grad_blocks_in_two_threads_leave_grad_mode_on():
    import threading
    inside, other_entered, other_left = threading.Event(), threading.Event(), threading.Event()

    def other_thread():
        with mn.no_grad():
            inside.set()
            other_entered.wait()
        other_left.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    inside.wait()
    with mn.no_grad():
        other_entered.set()
        other_left.wait()
    thread.join()
    assert mn.is_grad_enabled()


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    import threading
    entered, done = threading.Event(), threading.Event()
    seen_in_other_thread = []

    def evaluating_thread():
        with mn.no_grad():
            entered.set()
            done.wait()
            seen_in_other_thread.append(mn.is_grad_enabled())

    thread = threading.Thread(target=evaluating_thread)
    thread.start()
    entered.wait()
    try:
        x = mn.Tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        assert mn.is_grad_enabled() and y.requires_grad
        y.backward()
        np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    finally:
        done.set()
        thread.join()
    assert seen_in_other_thread == [False]


# --- the extension contract: saved_tensors, constant inputs, errors that name the op ----------

class ScaledSquare(mn.Function):
    """y = s x^2 for a constant s given as a positional number;  dy/dx = 2 s x."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x, scale)
        return scale * x * x

    @staticmethod
    def backward(ctx, grad):
        x, scale = ctx.saved_tensors
        return grad * 2 * scale * x          # one gradient: for x, the only Tensor input


class ScaledSquareWithNone(ScaledSquare):
    @staticmethod
    def backward(ctx, grad):
        x, scale = ctx.saved_tensors
        return grad * 2 * scale * x, None


def test_saved_tensors_is_what_save_for_backward_kept():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    y = ScaledSquare.apply(x, 3.0)
    assert y._ctx.saved_tensors is y._ctx.saved


@pytest.mark.parametrize("function", [ScaledSquare, ScaledSquareWithNone])
def test_a_number_input_needs_no_gradient_or_none(function):
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    function.apply(x, 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 12.0])
    assert mn.gradcheck(lambda t: function.apply(t, 3.0), mn.Tensor(np.random.randn(4), requires_grad=True))


def test_a_wrong_gradient_count_names_the_op_and_each_input():
    class TooMany(ScaledSquare):
        @staticmethod
        def backward(ctx, grad):
            return grad, grad, grad

    y = TooMany.apply(mn.Tensor([1.0], requires_grad=True), 3.0)
    with pytest.raises(RuntimeError, match=r"TooMany.backward returned 3 gradients for 2 inputs "
                                           r"\(input 0: a Tensor of shape \(1,\); input 1: a float "
                                           r"\(3.0\), a constant\)"):
        y.backward()


def test_a_positional_option_that_is_not_data_says_to_pass_it_by_keyword():
    with pytest.raises(TypeError, match=r"ScaledSquare.apply: positional input 1 is a str "
                                        r"\('mean'\), neither a Tensor nor numeric data; pass "
                                        r"options by keyword"):
        ScaledSquare.apply(mn.Tensor([1.0]), "mean")


class RecordsLastUse(mn.Function):
    """2 x, remembering ctx.last_use as each backward saw it."""
    seen = []

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad):
        RecordsLastUse.seen.append(ctx.last_use)
        return 2 * grad


def test_last_use_is_true_only_on_a_backward_that_releases_the_graph():
    RecordsLastUse.seen = []
    x = mn.Tensor([1.0, -2.0], requires_grad=True)
    y = RecordsLastUse.apply(x)
    assert y._ctx.last_use is False             # before any backward
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert RecordsLastUse.seen == [False, True]
    np.testing.assert_array_equal(x.grad, [4.0, 4.0])
