"""Conv2D, MaxPool2D, AvgPool2D: values against direct loops, gradients against finite differences."""
import math
import warnings

import numpy as np
import pytest

import minnet as mn
from minnet.nn.conv import AvgPool2D, Conv2D, MaxPool2D
from minnet.nn.layers import Flatten
from minnet.nn.module import Sequential

# (N, C, H, W, out_channels, kernel, stride, padding, dilation): small enough for finite differences.
CONV_CASES = [
    (1, 1, 5, 5, 1, 3, 1, 0, 1),
    (2, 3, 6, 5, 4, (3, 2), (2, 1), 1, 1),
    (2, 2, 7, 6, 3, 3, 1, "same", 2),
    (1, 2, 6, 5, 2, 2, 1, "same", 1),            # even kernel: asymmetric padding
    (2, 3, 4, 5, 2, 1, 1, 0, 1),                 # 1x1 kernel
    (2, 1, 5, 7, 3, (2, 3), (1, 2), (2, 1), (2, 1)),
    (1, 2, 5, 5, 2, 3, 3, "valid", 1),
    (3, 2, 4, 4, 1, 4, 1, (0, 1), 1),            # kernel as large as the input
]
POOL_CASES = [  # (N, C, H, W, kernel, stride, padding)
    (1, 1, 4, 4, 2, None, 0),
    (2, 3, 5, 6, 3, 2, 1),
    (2, 2, 5, 4, (2, 3), (1, 2), (1, 1)),
    (1, 2, 3, 3, 1, 1, 0),
    (2, 1, 6, 7, 3, 1, 0),                       # overlapping windows
]


def pads_of(padding, kernel, dilation):
    """((top, bottom), (left, right)) as PyTorch would pad."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    return (ph, ph), (pw, pw)


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def direct_conv(x, w, b, stride, padding, dilation):
    """The definition, one output element at a time."""
    (sh, sw), (dh, dw), (kh, kw) = pair(stride), pair(dilation), w.shape[2:]
    pads = pads_of(padding, (kh, kw), (dh, dw))
    xp = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))
    oh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for n in range(x.shape[0]):
        for o in range(w.shape[0]):
            for i in range(oh):
                for j in range(ow):
                    patch = xp[n, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    out[n, o, i, j] = np.sum(patch * w[o]) + (0 if b is None else b[o])
    return out


def direct_pool(x, kernel, stride, padding, reduce, pad_value):
    (kh, kw), (sh, sw) = pair(kernel), pair(stride or kernel)
    pads = pads_of(padding, (kh, kw), (1, 1))
    xp = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]), constant_values=pad_value)
    oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    out = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = reduce(xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw], axis=(2, 3))
    return out


def random_input(shape, seed=0, requires_grad=True):
    return mn.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=requires_grad)


@pytest.fixture(autouse=True)
def seeded():
    mn.manual_seed(0)


# --- Conv2D -----------------------------------------------------------------------------------

@pytest.mark.parametrize("n, c, h, w, out, kernel, stride, padding, dilation", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_the_direct_definition(n, c, h, w, out, kernel, stride, padding, dilation, bias):
    conv = Conv2D(c, out, kernel, stride, padding, dilation, bias=bias)
    if bias:
        conv.bias.data[...] = np.random.default_rng(1).standard_normal(out)
    x = random_input((n, c, h, w)).data.astype(np.float32)
    expected = direct_conv(x.astype(np.float64), conv.weight.data.astype(np.float64),
                           None if conv.bias is None else conv.bias.data, stride, padding, dilation)
    np.testing.assert_allclose(conv(mn.Tensor(x)).data, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("n, c, h, w, out, kernel, stride, padding, dilation", CONV_CASES)
def test_conv2d_gradients_match_finite_differences(n, c, h, w, out, kernel, stride, padding, dilation):
    conv = Conv2D(c, out, kernel, stride, padding, dilation)
    conv.bias.data[...] = np.random.default_rng(1).standard_normal(out)
    assert mn.gradcheck(conv, random_input((n, c, h, w)))


def test_conv2d_without_bias_has_only_a_weight_and_gradchecks():
    conv = Conv2D(2, 3, 2, bias=False)
    assert [name for name, _ in conv.named_parameters()] == ["weight"]
    assert mn.gradcheck(conv, random_input((2, 2, 4, 3)))


@pytest.mark.parametrize("kernel, dilation", [(3, 1), (4, 1), (2, 3), ((5, 2), (1, 2))])
def test_same_padding_keeps_the_spatial_size(kernel, dilation):
    conv = Conv2D(1, 2, kernel, padding="same", dilation=dilation)
    assert conv(random_input((1, 1, 7, 6))).shape == (1, 2, 7, 6)


def test_conv2d_keeps_float32_forward_and_backward():
    conv = Conv2D(2, 3, 3, padding=1)
    x = mn.Tensor(np.ones((2, 2, 5, 5), np.float32), requires_grad=True)
    y = conv(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == conv.weight.grad.dtype == conv.bias.grad.dtype == np.float32


def test_conv2d_weight_is_he_uniform_over_its_receptive_field_and_bias_starts_at_zero():
    conv = Conv2D(4, 64, (3, 5))
    bound = math.sqrt(6 / (4 * 3 * 5))     # He uniform with fan_in = in_channels * kh * kw
    assert conv.weight.shape == (64, 4, 3, 5) and conv.weight.dtype == np.float32
    assert np.abs(conv.weight.data).max() <= bound < np.abs(conv.weight.data).max() * 1.1
    assert np.all(conv.bias.data == 0)


def test_conv2d_init_accepts_a_name_or_a_callable():
    assert np.all(Conv2D(1, 1, 2, init="ones").weight.data == 1)
    assert np.all(Conv2D(1, 1, 2, init=lambda w: np.full(w.shape, 3.0)).weight.data == 3)


def test_conv2d_penalty_is_its_regularizer_applied_to_the_weight():
    conv = Conv2D(1, 2, 2, regularizer=lambda w: (w * w).sum())
    assert conv.penalty().item() == pytest.approx(float(np.sum(conv.weight.data.astype(np.float64) ** 2)), rel=1e-5)
    assert Conv2D(1, 2, 2).penalty() is None
    assert Sequential(conv).regularization_loss().item() == pytest.approx(conv.penalty().item())


def test_input_gradient_is_skipped_when_the_input_needs_none():
    conv = Conv2D(1, 2, 3)
    x = mn.Tensor(np.ones((1, 1, 4, 4), np.float32))
    conv(x).sum().backward()
    assert x.grad is None and conv.weight.grad.shape == (2, 1, 3, 3)


@pytest.mark.parametrize("shape, message", [
    ((3, 5, 5), r"Conv2D\(3 -> 4\) expected input of shape \(N, 3, H, W\), got shape \(3, 5, 5\)"),
    ((1, 2, 5, 5), r"Conv2D\(3 -> 4\) expected input of shape \(N, 3, H, W\), got shape \(1, 2, 5, 5\)"),
    ((1, 3, 2, 5), r"smaller than the kernel's reach 3 along H"),
])
def test_conv2d_rejects_wrong_inputs_with_a_message_naming_layer_expected_and_given(shape, message):
    with pytest.raises(ValueError, match=message):
        Conv2D(3, 4, 3)(mn.Tensor(np.zeros(shape)))


@pytest.mark.parametrize("kwargs, message", [
    (dict(kernel_size=0), "kernel_size must be a positive int"),
    (dict(kernel_size=(3, 3, 3)), "kernel_size must be"),
    (dict(kernel_size=3, stride=2, padding="same"), "padding='same' needs stride 1"),
    (dict(kernel_size=3, padding="full"), "padding must be a non-negative int"),
    (dict(kernel_size=3, padding=-1), "padding must be a non-negative int"),
])
def test_conv2d_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Conv2D(1, 1, **kwargs)


def test_conv2d_repr_shows_its_arguments():
    assert repr(Conv2D(3, 8, 3, stride=2, padding=1, bias=False)) == \
        "Conv2D(3 -> 8, kernel=(3, 3), stride=(2, 2), padding=1, bias=False)"


def test_summary_shows_output_shapes_through_a_conv_net():
    net = Sequential(Conv2D(1, 4, 3, padding=1), MaxPool2D(2), Conv2D(4, 6, 3), AvgPool2D(2), Flatten())
    net(mn.Tensor(np.zeros((5, 1, 12, 12), np.float32)))
    text = repr(net)
    for shape in ["(5, 4, 12, 12)", "(5, 4, 6, 6)", "(5, 6, 4, 4)", "(5, 6, 2, 2)", "(5, 24)"]:
        assert shape in text
    assert f"{4 * 9 + 4 + 6 * 4 * 9 + 6:,}" in text


# --- pooling ----------------------------------------------------------------------------------

@pytest.mark.parametrize("n, c, h, w, kernel, stride, padding", POOL_CASES)
def test_max_pool_matches_the_direct_definition(n, c, h, w, kernel, stride, padding):
    x = random_input((n, c, h, w)).data
    expected = direct_pool(x, kernel, stride, padding, np.max, -np.inf)
    np.testing.assert_array_equal(MaxPool2D(kernel, stride, padding)(mn.Tensor(x)).data, expected)


@pytest.mark.parametrize("n, c, h, w, kernel, stride, padding", POOL_CASES)
def test_avg_pool_matches_the_direct_definition(n, c, h, w, kernel, stride, padding):
    x = random_input((n, c, h, w)).data
    expected = direct_pool(x, kernel, stride, padding, np.mean, 0.0)
    np.testing.assert_allclose(AvgPool2D(kernel, stride, padding)(mn.Tensor(x)).data, expected, rtol=1e-12)


@pytest.mark.parametrize("n, c, h, w, kernel, stride, padding", POOL_CASES)
@pytest.mark.parametrize("pool", [MaxPool2D, AvgPool2D])
def test_pool_gradients_match_finite_differences(pool, n, c, h, w, kernel, stride, padding):
    # Distinct values: finite differences of a max are only meaningful away from ties.
    x = mn.Tensor(np.random.default_rng(0).permutation(n * c * h * w).reshape(n, c, h, w) / 7.0,
                  requires_grad=True)
    assert mn.gradcheck(pool(kernel, stride, padding), x)


def test_avg_pool_without_counting_padding_divides_by_the_real_pixels():
    x = mn.Tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    np.testing.assert_allclose(AvgPool2D(3, 1, 1, count_include_pad=False)(x).data, 1.0)
    corner = AvgPool2D(3, 1, 1, count_include_pad=True)(x).data[0, 0, 0, 0]
    assert corner == pytest.approx(4 / 9)
    assert mn.gradcheck(AvgPool2D(3, 2, 1, count_include_pad=False), random_input((1, 2, 5, 4)))


@pytest.mark.parametrize("window, first", [
    ([[1.0, 3.0], [3.0, 3.0]], (0, 1)),
    ([[0.0, 1.0], [1.0, 1.0]], (0, 1)),      # row-major: row 0 before the earlier column 0
    ([[2.0, 0.0], [2.0, 2.0]], (0, 0)),
    ([[0.0, 0.0], [5.0, 5.0]], (1, 0)),
])
def test_max_pool_gives_a_tied_maximum_gradient_to_the_first_position_in_row_major_order(window, first):
    x = mn.Tensor(np.array([[window]]), requires_grad=True)
    MaxPool2D(2)(x).sum().backward()
    expected = np.zeros((1, 1, 2, 2))
    expected[(0, 0) + first] = 1
    np.testing.assert_array_equal(x.grad, expected)


def test_overlapping_max_windows_add_their_gradients():
    x = mn.Tensor(np.array([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]]), requires_grad=True)
    MaxPool2D(2, stride=1)(x).sum().backward()
    assert x.grad[0, 0, 1, 1] == 4 and x.grad.sum() == 4


@pytest.mark.parametrize("pool", [MaxPool2D, AvgPool2D])
def test_pools_keep_float32(pool):
    x = mn.Tensor(np.ones((1, 2, 4, 4), np.float32), requires_grad=True)
    y = pool(2)(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == np.float32


@pytest.mark.parametrize("pool", [MaxPool2D, AvgPool2D])
def test_pools_reject_inputs_that_are_not_images(pool):
    with pytest.raises(ValueError, match=rf"{pool.__name__}\(kernel=\(2, 2\)\) expected input of shape "
                                         r"\(N, C, H, W\), got shape \(4, 4\)"):
        pool(2)(mn.Tensor(np.zeros((4, 4))))


@pytest.mark.parametrize("kwargs, message", [
    (dict(kernel_size=2, padding=2), "padding should be at most half the kernel"),
    (dict(kernel_size=2, padding="same"), "padding must be an int or a pair"),
    (dict(kernel_size=-1), "kernel_size must be a positive int"),
])
def test_pools_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MaxPool2D(**kwargs)


def test_pool_stride_defaults_to_the_kernel_size():
    assert MaxPool2D(3).stride == (3, 3) and AvgPool2D((2, 3)).stride == (2, 3)


# --- PyTorch as an oracle ---------------------------------------------------------------------

@pytest.mark.parametrize("n, c, h, w, out, kernel, stride, padding, dilation", CONV_CASES)
def test_conv2d_values_and_gradients_match_pytorch(n, c, h, w, out, kernel, stride, padding, dilation):
    torch = pytest.importorskip("torch")
    conv = Conv2D(c, out, kernel, stride, padding, dilation)
    conv.bias.data[...] = np.random.default_rng(1).standard_normal(out)
    conv.weight.data, conv.bias.data = conv.weight.data.astype(np.float64), conv.bias.data.astype(np.float64)
    x = random_input((n, c, h, w))
    y = conv(x)
    weights = np.random.default_rng(2).standard_normal(y.shape)
    y.backward(weights)

    tx = torch.tensor(x.data, requires_grad=True)
    tw = torch.tensor(conv.weight.data, requires_grad=True)
    tb = torch.tensor(conv.bias.data, requires_grad=True)
    with warnings.catch_warnings():   # torch warns that even-kernel "same" pads by a copy
        warnings.simplefilter("ignore", UserWarning)
        ty = torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=padding, dilation=dilation)
    ty.backward(torch.tensor(weights))
    for mine, theirs in [(y.data, ty), (x.grad, tx.grad), (conv.weight.grad, tw.grad), (conv.bias.grad, tb.grad)]:
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("n, c, h, w, kernel, stride, padding", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "max_with_ties", "avg", "avg_exclude_pad"])
def test_pool_values_and_gradients_match_pytorch(kind, n, c, h, w, kernel, stride, padding):
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    x = random_input((n, c, h, w))
    if kind == "max_with_ties":    # values from {0, 1, 2}: most windows hold a tie
        x = mn.Tensor(np.random.default_rng(3).integers(0, 3, (n, c, h, w)).astype(np.float64),
                      requires_grad=True)
    if kind.startswith("max"):
        y = MaxPool2D(kernel, stride, padding)(x)
        theirs = lambda t: functional.max_pool2d(t, kernel, stride, padding)
    else:
        include = kind == "avg"
        y = AvgPool2D(kernel, stride, padding, count_include_pad=include)(x)
        theirs = lambda t: functional.avg_pool2d(t, kernel, stride, padding, count_include_pad=include)
    weights = np.random.default_rng(2).standard_normal(y.shape)
    y.backward(weights)
    tx = torch.tensor(x.data, requires_grad=True)
    ty = theirs(tx)
    ty.backward(torch.tensor(weights))
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
