"""Every primitive op: its value against numpy, its gradient against finite differences.

One table (CASES) lists each op with a numpy reference and the inputs to try; the tests
below run every row. Hypothesis then draws random broadcastable shapes for the binary ops.
"""
from collections import namedtuple

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import minnet as mn
from minnet.ops import unbroadcast

_rng = np.random.default_rng(0)


def normal(*shape):
    return _rng.standard_normal(shape)


def positive(*shape):
    return _rng.uniform(0.5, 2.0, shape)


def away_from_zero(*shape):
    return _rng.uniform(0.5, 2.0, shape) * _rng.choice([-1.0, 1.0], shape)


Case = namedtuple("Case", "name op reference inputs")

MASK = normal(3, 4) > 0
CONDITION = normal(3, 4) > 0
LEFT_LIST = [[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]]   # exact in float32, so dtype-neutral

CASES = [
    # arithmetic, with broadcasting
    Case("add", lambda a, b: a + b, np.add, (normal(3, 4), normal(4))),
    Case("add_scalar", lambda a: a + 2.5, lambda a: a + 2.5, (normal(3),)),
    Case("radd_scalar", lambda a: 2.5 + a, lambda a: 2.5 + a, (normal(3),)),
    Case("sub", lambda a, b: a - b, np.subtract, (normal(3, 1), normal(1, 4))),
    Case("rsub_scalar", lambda a: 1.0 - a, lambda a: 1.0 - a, (normal(3),)),
    Case("mul", lambda a, b: a * b, np.multiply, (normal(2, 3, 4), normal(3, 1))),
    Case("div", lambda a, b: a / b, np.divide, (normal(3, 4), away_from_zero(4))),
    Case("rdiv_scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, (away_from_zero(3),)),
    Case("neg", lambda a: -a, np.negative, (normal(3, 4),)),
    Case("pow_tensor_scalar", lambda a: a ** 3, lambda a: a ** 3, (normal(3, 4),)),
    Case("pow_tensor_fraction", lambda a: a ** 0.5, np.sqrt, (positive(3, 4),)),
    Case("pow_tensor_tensor", lambda a, b: a ** b, np.power, (positive(3, 4), normal(3, 4))),
    Case("pow_scalar_tensor", lambda b: 2.0 ** b, lambda b: 2.0 ** b, (normal(3, 4),)),
    # matmul, every rank combination np.matmul allows
    Case("matmul_1d_1d", lambda a, b: a @ b, np.matmul, (normal(4), normal(4))),
    Case("matmul_1d_2d", lambda a, b: a @ b, np.matmul, (normal(4), normal(4, 3))),
    Case("matmul_2d_1d", lambda a, b: a @ b, np.matmul, (normal(3, 4), normal(4))),
    Case("matmul_2d_2d", lambda a, b: a @ b, np.matmul, (normal(3, 4), normal(4, 2))),
    Case("matmul_batched_broadcast", lambda a, b: a @ b, np.matmul,
         (normal(2, 1, 3, 4), normal(5, 4, 2))),
    Case("matmul_batched_1d", lambda a, b: a @ b, np.matmul, (normal(2, 3, 4), normal(4))),
    Case("matmul_1d_batched", lambda a, b: a @ b, np.matmul, (normal(3), normal(2, 3, 4))),
    Case("rmatmul_list", lambda b: LEFT_LIST @ b, lambda b: np.array(LEFT_LIST) @ b, (normal(3, 4),)),
    # elementwise functions
    Case("exp", lambda a: a.exp(), np.exp, (normal(3, 4),)),
    Case("log", lambda a: a.log(), np.log, (positive(3, 4),)),
    Case("sqrt", lambda a: a.sqrt(), np.sqrt, (positive(3, 4),)),
    Case("abs", lambda a: a.abs(), np.abs, (away_from_zero(3, 4),)),
    Case("clip", lambda a: a.clip(-0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), (normal(4, 5),)),
    Case("clip_min_only", lambda a: a.clip(min=0.1), lambda a: np.clip(a, 0.1, None), (normal(4, 5),)),
    Case("clip_max_only", lambda a: a.clip(max=0.1), lambda a: np.clip(a, None, 0.1), (normal(4, 5),)),
    Case("where", lambda a, b: mn.where(CONDITION, a, b),
         lambda a, b: np.where(CONDITION, a, b), (normal(3, 4), normal(4))),
    Case("where_tensor_condition", lambda a, b: mn.where(mn.Tensor(CONDITION), a, b),
         lambda a, b: np.where(CONDITION, a, b), (normal(3, 1), normal(3, 4))),
    # shape ops
    Case("reshape", lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), (normal(3, 4),)),
    Case("reshape_tuple_minus_one", lambda a: a.reshape((2, -1)), lambda a: a.reshape(2, -1),
         (normal(3, 4),)),
    Case("transpose", lambda a: a.transpose(), np.transpose, (normal(2, 3, 4),)),
    Case("transpose_axes", lambda a: a.transpose(1, 2, 0), lambda a: a.transpose(1, 2, 0),
         (normal(2, 3, 4),)),
    Case("transpose_negative_axes", lambda a: a.transpose((0, -1, 1)),
         lambda a: a.transpose(0, 2, 1), (normal(2, 3, 4),)),
    Case("T", lambda a: a.T, lambda a: a.T, (normal(3, 4),)),
    Case("pad_pairs", lambda a: mn.pad(a, ((1, 2), (0, 3))),
         lambda a: np.pad(a, ((1, 2), (0, 3))), (normal(3, 4),)),
    Case("pad_int_value", lambda a: mn.pad(a, 1, value=-2.0),
         lambda a: np.pad(a, 1, constant_values=-2.0), (normal(2, 3),)),
    Case("concatenate_axis0", lambda a, b, c: mn.concatenate([a, b, c]),
         lambda a, b, c: np.concatenate([a, b, c]), (normal(1, 3), normal(2, 3), normal(3, 3))),
    Case("concatenate_axis_minus1", lambda a, b: mn.concatenate([a, b], axis=-1),
         lambda a, b: np.concatenate([a, b], axis=-1), (normal(2, 3), normal(2, 1))),
    Case("stack_axis0", lambda a, b, c: mn.stack([a, b, c]),
         lambda a, b, c: np.stack([a, b, c]), (normal(2, 3), normal(2, 3), normal(2, 3))),
    Case("stack_axis_minus1", lambda a, b: mn.stack([a, b], axis=-1),
         lambda a, b: np.stack([a, b], axis=-1), (normal(2, 3), normal(2, 3))),
]

INDICES = {
    "int": 1,
    "negative_int": -1,
    "slice": slice(1, None),
    "slice_step": (slice(None), slice(None, None, 2)),
    "int_and_slice": (0, slice(1, 3)),
    "newaxis": (None, slice(None), 0),
    "ellipsis": (Ellipsis, 1),
    "boolean_mask": MASK,
    "int_array_repeated": [0, 0, 2],
    "int_array_2d_repeated": np.array([[0, 1], [1, 1]]),
    "int_array_pairs_repeated": ([0, 0, 2], [1, 1, 3]),
    "slice_then_int_array_repeated": (slice(None), np.array([3, 3, 3, 0])),
    "index_tensor": mn.Tensor(np.array([2, 2, 1])),
}
for _name, _index in INDICES.items():
    _numpy_index = _index.data if isinstance(_index, mn.Tensor) else _index
    CASES.append(Case(f"getitem_{_name}", lambda a, i=_index: a[i],
                      lambda a, i=_numpy_index: a[i], (normal(3, 4),)))

REDUCTIONS = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min}
AXES = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]
for _name, _reference in REDUCTIONS.items():
    for _axis in AXES:
        for _keepdims in (False, True):
            CASES.append(Case(
                f"{_name}_axis{_axis}_keepdims{_keepdims}",
                lambda a, n=_name, ax=_axis, k=_keepdims: getattr(a, n)(axis=ax, keepdims=k),
                lambda a, r=_reference, ax=_axis, k=_keepdims: r(a, axis=ax, keepdims=k),
                (normal(2, 3, 4),)))


def _tensors(case, dtype=np.float64, requires_grad=True):
    return [mn.Tensor(x.astype(dtype), requires_grad=requires_grad) for x in case.inputs]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op_value_matches_numpy(case):
    out = case.op(*_tensors(case))
    np.testing.assert_allclose(out.data, case.reference(*case.inputs), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op_gradient_matches_finite_differences(case):
    assert mn.gradcheck(case.op, *_tensors(case))


class _RecordGradDtype(mn.Function):
    """Identity whose backward writes down the dtype of the gradient that reaches it."""
    seen = []

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        _RecordGradDtype.seen.append(grad.dtype)
        return grad


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op_keeps_float32_in_forward_and_backward(case):
    leaves = _tensors(case, dtype=np.float32)
    _RecordGradDtype.seen = []
    out = case.op(*(_RecordGradDtype.apply(x) for x in leaves))
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert _RecordGradDtype.seen == [np.float32] * len(leaves)
    assert all(x.grad.dtype == np.float32 and x.grad.shape == x.shape for x in leaves)


def test_case_table_covers_every_function_in_ops():
    names = " ".join(c.name for c in CASES)
    for op in ["add", "sub", "mul", "div", "neg", "pow", "matmul", "exp", "log", "sqrt", "abs",
               "clip", "where", "sum", "mean", "max", "min", "reshape", "transpose", "getitem",
               "pad", "concatenate", "stack"]:
        assert op in names


# --- formula tests: cases where the gradient has a known closed form --------------------------

@pytest.mark.parametrize("index, expected", [
    ([0, 0, 2], [2, 0, 1, 0]),
    (np.array([[3, 3], [3, 1]]), [0, 1, 0, 3]),
    ([-1, 3, 0], [1, 0, 0, 2]),
])
def test_getitem_with_repeated_indices_accumulates_gradient(index, expected):
    x = mn.Tensor(np.zeros(4), requires_grad=True)
    x[index].sum().backward()
    np.testing.assert_array_equal(x.grad, expected)


def test_max_shares_gradient_equally_between_ties():
    x = mn.Tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [1, 0, 0]])


def test_min_sends_gradient_to_the_smallest_element():
    x = mn.Tensor([4.0, -1.0, 2.0], requires_grad=True)
    x.min().backward()
    np.testing.assert_array_equal(x.grad, [0, 1, 0])


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.bool_])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_work_on_integer_and_boolean_tensors(name, dtype):
    data = np.array([[1, 0, 1], [0, 0, 1]], dtype=dtype)
    for axis in (None, 1):
        result = getattr(mn.Tensor(data), name)(axis=axis)
        np.testing.assert_array_equal(result.data, getattr(np, name)(data, axis=axis))
        assert result.dtype == dtype


def test_abs_has_zero_gradient_at_zero():
    x = mn.Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad, [-1, 0, 1])


def test_clip_passes_gradient_at_the_bounds_and_inside_only():
    x = mn.Tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    x.clip(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 1, 1, 1, 0])


def test_where_sends_no_gradient_to_the_unchosen_branch():
    a = mn.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = mn.Tensor([4.0, 5.0, 6.0], requires_grad=True)
    mn.where(np.array([True, False, True]), a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [1, 0, 1])
    np.testing.assert_array_equal(b.grad, [0, 1, 0])


def test_pow_of_nonpositive_base_gives_zero_exponent_gradient():
    a = mn.Tensor([0.0, -2.0, 2.0])
    b = mn.Tensor([2.0, 2.0, 2.0], requires_grad=True)
    (a ** b).sum().backward()
    np.testing.assert_allclose(b.grad, [0, 0, 4 * np.log(2)], rtol=1e-6)


def test_gradient_of_x_to_the_zero_is_zero_even_at_zero():
    x = mn.Tensor([0.0, 1.0, -3.0], requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_gradient_of_x_to_a_broadcast_exponent_with_a_zero_entry():
    x = mn.Tensor([[0.0], [2.0]], requires_grad=True)
    (x ** mn.Tensor([0.0, 1.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0 + 1.0 + 0.0], [0.0 + 1.0 + 4.0]])


@pytest.mark.parametrize("grad_shape, shape, expected_shape", [
    ((2, 3, 4), (4,), (4,)),
    ((2, 3, 4), (3, 1), (3, 1)),
    ((2, 3, 4), (1, 1, 1), (1, 1, 1)),
    ((2, 3, 4), (), ()),
    ((3, 4), (3, 4), (3, 4)),
])
def test_unbroadcast_sums_gradient_back_to_operand_shape(grad_shape, shape, expected_shape):
    grad = np.ones(grad_shape)
    reduced = unbroadcast(grad, shape)
    assert reduced.shape == expected_shape
    assert reduced.sum() == grad.sum()


# --- named errors ---------------------------------------------------------------------------

def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5, 2\)"):
        mn.Tensor(np.ones((3, 4))) @ mn.Tensor(np.ones((5, 2)))


def test_matmul_of_a_scalar_is_a_value_error():
    with pytest.raises(ValueError, match="at least one dimension"):
        mn.Tensor(2.0) @ mn.Tensor(np.ones(3))


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
                                lambda a, b: a / b, lambda a, b: a ** b])
def test_broadcasting_failure_names_both_shapes(op):
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        op(mn.Tensor(np.ones(3)), mn.Tensor(np.ones(4)))


def test_reduction_axis_out_of_range_is_named():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        mn.Tensor(np.ones((2, 3))).sum(axis=2)


# --- property tests: random broadcastable shapes ---------------------------------------------

def _normal(rng, shape):
    return rng.standard_normal(shape)


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def _away_from_zero(rng, shape):
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


# name: (op, numpy reference, sampler of the left operand, sampler of the right operand)
BINARY = {
    "add": (lambda a, b: a + b, np.add, _normal, _normal),
    "sub": (lambda a, b: a - b, np.subtract, _normal, _normal),
    "mul": (lambda a, b: a * b, np.multiply, _normal, _normal),
    "div": (lambda a, b: a / b, np.divide, _normal, _away_from_zero),
    "pow": (lambda a, b: a ** b, np.power, _positive, _normal),
}
SHAPE_PAIRS = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


@pytest.mark.parametrize("name", BINARY)
@settings(max_examples=30, deadline=None)
@given(shapes=SHAPE_PAIRS, seed=st.integers(0, 2 ** 32 - 1))
def test_binary_op_broadcasts_like_numpy_and_passes_gradcheck(name, shapes, seed):
    op, reference, left_sampler, right_sampler = BINARY[name]
    rng = np.random.default_rng(seed)
    left_shape, right_shape = shapes.input_shapes
    a_data, b_data = left_sampler(rng, left_shape), right_sampler(rng, right_shape)
    a, b = mn.Tensor(a_data, requires_grad=True), mn.Tensor(b_data, requires_grad=True)
    out = op(a, b)
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.data, reference(a_data, b_data), rtol=1e-12, atol=1e-12)
    assert mn.gradcheck(op, a, b)


@settings(max_examples=30, deadline=None)
@given(shapes=mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=3, max_side=3),
       seed=st.integers(0, 2 ** 32 - 1))
def test_matmul_matches_numpy_for_random_batched_shapes(shapes, seed):
    rng = np.random.default_rng(seed)
    a_data, b_data = (rng.standard_normal(s) for s in shapes.input_shapes)
    a, b = mn.Tensor(a_data, requires_grad=True), mn.Tensor(b_data, requires_grad=True)
    out = a @ b
    np.testing.assert_allclose(out.data, a_data @ b_data, rtol=1e-12, atol=1e-12)
    assert mn.gradcheck(lambda x, y: x @ y, a, b)


def test_power_zero_has_derivative_zero_everywhere_even_at_infinity():
    x = mn.Tensor(np.array([np.inf, -np.inf, 0.0, 2.0]), requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0, 0.0])
