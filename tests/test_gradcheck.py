"""gradcheck: passes correct gradients, rejects wrong ones with a message that locates them."""
import re

import numpy as np
import pytest

import minnet as mn
from minnet.nn import Module, Parameter


class SquareWithWrongBackward(mn.Function):
    """x^2, but backward forgets the factor 2 (the true derivative is 2x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * x


class Affine(Module):
    """y = x * weight + bias, with a deliberately wrong weight gradient when `wrong` is set."""

    def __init__(self, wrong=False):
        self.weight = Parameter(np.array([0.5, -1.5, 2.0], dtype=np.float32))
        self.bias = Parameter(np.array([0.1, 0.2, 0.3], dtype=np.float32))
        self.wrong = wrong

    def forward(self, x):
        weight = SquareWithWrongBackward.apply(self.weight) if self.wrong else self.weight * self.weight
        return x * weight + self.bias


def _reported_values(message):
    analytic = float(re.search(r"analytic gradient (\S+),", message).group(1))
    numeric = float(re.search(r"numeric gradient (\S+) ", message).group(1))
    return analytic, numeric


def test_gradcheck_rejects_a_function_with_a_wrong_backward():
    x = mn.Tensor(np.array([1.0, -4.0, 2.0]), requires_grad=True)
    with pytest.raises(AssertionError) as failure:
        mn.gradcheck(lambda t: SquareWithWrongBackward.apply(t).sum(), x)
    message = str(failure.value)
    # The error |2x - x| is largest where |x| is: index 1.
    assert "input 0" in message and "at index (1,)" in message
    analytic, numeric = _reported_values(message)
    assert analytic == pytest.approx(-4.0, rel=1e-6) and numeric == pytest.approx(-8.0, rel=1e-6)


def test_gradcheck_names_the_input_that_is_wrong():
    a = mn.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = mn.Tensor(np.array([[3.0, 0.5], [1.0, -0.25]]), requires_grad=True)
    with pytest.raises(AssertionError, match=r"input 1 of shape \(2, 2\) at index \(0, 0\)"):
        mn.gradcheck(lambda p, q: (p * 2).sum() + SquareWithWrongBackward.apply(q).sum(), a, b)


def test_gradcheck_catches_a_missing_gradient():
    class ForgetsInput(mn.Function):
        @staticmethod
        def forward(ctx, x):
            return 3 * x

        @staticmethod
        def backward(ctx, grad):
            return None

    with pytest.raises(AssertionError, match="analytic gradient 0"):
        mn.gradcheck(ForgetsInput.apply, mn.Tensor(np.ones(2), requires_grad=True))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (4, 1, 2)])
def test_gradcheck_handles_outputs_of_any_shape(shape):
    x = mn.Tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True)
    assert mn.gradcheck(lambda t: (t * t).exp(), x)
    with pytest.raises(AssertionError):
        mn.gradcheck(SquareWithWrongBackward.apply, mn.Tensor(np.full(shape, 2.0), requires_grad=True))


def test_gradcheck_failure_on_a_non_scalar_output_says_the_values_are_weighted():
    with pytest.raises(AssertionError, match=r"sum\(output \* w\)"):
        mn.gradcheck(SquareWithWrongBackward.apply, mn.Tensor(np.array([1.0, 3.0]), requires_grad=True))


def test_gradcheck_checks_module_parameters():
    x = mn.Tensor(np.array([1.0, 2.0, -1.0]))
    assert mn.gradcheck(Affine(), x)


def test_gradcheck_names_a_wrong_module_parameter():
    with pytest.raises(AssertionError, match="parameter 'weight'"):
        mn.gradcheck(Affine(wrong=True), mn.Tensor(np.array([1.0, 2.0, -1.0])))


def test_gradcheck_restores_parameters_dtype_values_and_grads():
    model = Affine()
    before = model.weight.data.copy()
    mn.gradcheck(model, mn.Tensor(np.array([1.0, 2.0, -1.0])))
    assert model.weight.dtype == np.float32 and model.weight.grad is None
    np.testing.assert_array_equal(model.weight.data, before)


def test_gradcheck_works_in_float64_for_float32_inputs():
    # In float32, central differences with eps=1e-6 would be noise; gradcheck must upcast.
    x = mn.Tensor(np.array([0.3, -0.7], dtype=np.float32), requires_grad=True)
    assert mn.gradcheck(lambda t: (t * 3).exp(), x)
    assert x.dtype == np.float32 and x.grad is None      # the caller's tensor is untouched


def test_gradcheck_rewinds_the_generator_so_random_functions_are_checkable():
    def noisy(t):
        return t * mn.config.rng().uniform(1.0, 2.0, t.shape)

    assert mn.gradcheck(noisy, mn.Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True))


def test_gradcheck_with_nothing_to_check_is_a_value_error():
    with pytest.raises(ValueError, match="nothing to check"):
        mn.gradcheck(lambda t: t * 2, mn.Tensor(np.ones(2)))


def test_gradcheck_passes_non_tensor_arguments_through():
    x = mn.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert mn.gradcheck(lambda t, power: t ** power, x, 3)
