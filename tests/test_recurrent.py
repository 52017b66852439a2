"""RNN, LSTM, GRU and their cells: equations, gradients (gradcheck), PyTorch's layout and
numbers (torch tests skip without torch), shapes and errors."""
import math

import numpy as np
import pytest

import minnet as mn
from minnet.nn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell


@pytest.fixture(autouse=True)
def seeded():
    mn.manual_seed(0)


def normal(shape, seed=0, dtype=np.float64, requires_grad=True):
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return mn.Tensor(data, requires_grad=requires_grad)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


LAYERS = {"rnn_tanh": lambda *a, **k: RNN(*a, **k), "rnn_relu": lambda *a, **k: RNN(*a, nonlinearity="relu", **k),
          "lstm": LSTM, "gru": GRU}
CELLS = {"rnn_tanh": RNNCell, "rnn_relu": lambda *a, **k: RNNCell(*a, nonlinearity="relu", **k),
         "lstm": LSTMCell, "gru": GRUCell}


def states_for(kind, shape, seed=5):
    """The initial state a layer or cell of this kind takes: h, or (h, c) for an LSTM."""
    h = normal(shape, seed)
    return (h, normal(shape, seed + 1)) if kind == "lstm" else h


def total(outputs):
    """output and final states as one tensor to differentiate, each with its own weights."""
    output, state = outputs if isinstance(outputs, tuple) else (outputs, ())
    parts = [output] + (list(state) if isinstance(state, tuple) else [state])
    result = 0
    for i, part in enumerate(parts):
        result = result + (part * normal(part.shape, seed=10 + i, requires_grad=False)).sum()
    return result


# --- equations -------------------------------------------------------------------------------

def test_rnn_cell_is_tanh_of_both_projections():
    cell = RNNCell(3, 4)
    x, h = normal((2, 3), 1).data, normal((2, 4), 2).data
    expected = np.tanh(x @ cell.weight_ih.data.T + cell.bias_ih.data + h @ cell.weight_hh.data.T
                       + cell.bias_hh.data)
    np.testing.assert_allclose(cell(x, h).data, expected, rtol=1e-6)


def test_lstm_cell_follows_the_gate_equations_in_order_i_f_g_o():
    cell = LSTMCell(3, 4)
    x, h, c = normal((2, 3), 1).data, normal((2, 4), 2).data, normal((2, 4), 3).data
    pre = x @ cell.weight_ih.data.T + cell.bias_ih.data + h @ cell.weight_hh.data.T + cell.bias_hh.data
    i, f, g, o = np.split(pre, 4, axis=1)
    c_next = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h_next, c_got = cell(x, (h, c))
    np.testing.assert_allclose(c_got.data, c_next, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_next.data, sigmoid(o) * np.tanh(c_next), rtol=1e-5, atol=1e-6)


def test_gru_cell_keeps_the_reset_gate_inside_the_hidden_projection():
    cell = GRUCell(3, 4)
    x, h = normal((2, 3), 1).data, normal((2, 4), 2).data
    xw = x @ cell.weight_ih.data.T + cell.bias_ih.data
    hw = h @ cell.weight_hh.data.T + cell.bias_hh.data
    r, z = sigmoid(xw[:, :4] + hw[:, :4]), sigmoid(xw[:, 4:8] + hw[:, 4:8])
    n = np.tanh(xw[:, 8:] + r * hw[:, 8:])
    np.testing.assert_allclose(cell(x, h).data, (1 - z) * n + z * h, rtol=1e-5, atol=1e-6)


def test_lstm_with_open_forget_gate_and_closed_input_gate_keeps_its_cell():
    cell = LSTMCell(2, 3)
    cell.bias_ih.data[:] = 0
    cell.bias_ih.data[:3] = -100        # input gate shut
    cell.bias_ih.data[3:6] = 100        # forget gate open
    c = normal((4, 3), 1).data
    _, c_next = cell(normal((4, 2), 2).data, (normal((4, 3), 3).data, c))
    np.testing.assert_allclose(c_next.data, c, atol=1e-12)


def test_gru_with_update_gate_shut_copies_its_state():
    cell = GRUCell(2, 3)
    cell.bias_ih.data[3:6] = 100        # z = 1: h' = h
    h = normal((4, 3), 1).data
    np.testing.assert_allclose(cell(normal((4, 2), 2).data, h).data, h, atol=1e-12)


def test_relu_rnn_with_identity_recurrence_and_zero_input_keeps_a_positive_state():
    rnn = RNN(2, 3, nonlinearity="relu", bias=False)   # Le, Jaitly & Hinton 2015
    rnn.weight_hh_l0.data[...] = np.eye(3)
    h0 = np.abs(normal((1, 1, 3), 1).data)
    output, h_n = rnn(np.zeros((50, 1, 2)), h0)
    np.testing.assert_allclose(h_n.data, h0, rtol=1e-6)


@pytest.mark.parametrize("kind", CELLS)
def test_a_loop_over_the_cell_gives_the_layer_output(kind):
    layer, cell = LAYERS[kind](3, 4), CELLS[kind](3, 4)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(cell, name).data = getattr(layer, f"{name}_l0").data.copy()
    x = normal((5, 2, 3), 1)
    state = None
    for t in range(5):
        state = cell(x[t], state)
    output, final = layer(x)
    last = state[0] if kind == "lstm" else state
    np.testing.assert_allclose(output.data[-1], last.data, rtol=1e-12)
    if kind == "lstm":
        np.testing.assert_allclose(final[1].data[0], state[1].data, rtol=1e-12)


# --- gradients -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("options", [dict(num_layers=2), dict(batch_first=True), dict(bias=False)])
def test_layer_gradients_match_finite_differences(kind, options):
    layer = LAYERS[kind](3, 2, **options)
    shape = (2, 4, 3) if options.get("batch_first") else (4, 2, 3)
    layers = options.get("num_layers", 1)
    assert mn.gradcheck(lambda x, s: total(layer(x, s)), normal(shape, 1),
                        states_for(kind, (layers, 2, 2)) if kind != "lstm" else None)
    assert mn.gradcheck(lambda x: total(layer(x)), normal(shape, 1))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_lstm_and_gru_initial_state_gradients_match_finite_differences(kind):
    layer = LAYERS[kind](3, 2, num_layers=2)
    if kind == "lstm":
        fn = lambda x, h, c: total(layer(x, (h, c)))           # noqa: E731
        assert mn.gradcheck(fn, normal((3, 2, 3), 1), normal((2, 2, 2), 2), normal((2, 2, 2), 3))
    else:
        assert mn.gradcheck(lambda x, h: total(layer(x, h)), normal((3, 2, 3), 1), normal((2, 2, 2), 2))


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 3, 3), (6, 1, 3), (4, 3)], ids=str)
def test_layer_gradients_at_edge_shapes(kind, shape):
    layer = LAYERS[kind](3, 2)
    assert mn.gradcheck(lambda x: total(layer(x)), normal(shape, 1))


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("batch", [(2,), ()], ids=["batched", "unbatched"])
def test_cell_gradients_match_finite_differences(kind, batch):
    cell = CELLS[kind](3, 2)
    assert mn.gradcheck(lambda x, s: total(cell(x, s)), normal(batch + (3,), 1),
                        states_for(kind, batch + (2,)))
    assert mn.gradcheck(lambda x: total(cell(x)), normal(batch + (3,), 1))


def test_lstm_cell_state_gradient_flows_through_c_only_by_the_forget_gate():
    cell = LSTMCell(2, 3)
    c = normal((4, 3), 1)
    h, c_next = cell(normal((4, 2), 2), (normal((4, 3), 3), c))
    c_next.sum().backward()
    pre = cell.bias_ih.data + cell.bias_hh.data   # forget-gate rows, the other terms below
    x, h0 = normal((4, 2), 2).data, normal((4, 3), 3).data
    f = sigmoid((x @ cell.weight_ih.data.T + h0 @ cell.weight_hh.data.T + pre)[:, 3:6])
    np.testing.assert_allclose(c.grad, f, rtol=1e-6)


# --- layout, init, shapes, errors --------------------------------------------------------------

@pytest.mark.parametrize("kind, gates", [("rnn_tanh", 1), ("lstm", 4), ("gru", 3)])
def test_parameters_have_pytorchs_names_shapes_and_init_bound(kind, gates):
    layer = LAYERS[kind](3, 16, num_layers=2)
    shapes = {name: p.shape for name, p in layer.named_parameters()}
    assert shapes == {"weight_ih_l0": (gates * 16, 3), "weight_hh_l0": (gates * 16, 16),
                      "bias_ih_l0": (gates * 16,), "bias_hh_l0": (gates * 16,),
                      "weight_ih_l1": (gates * 16, 16), "weight_hh_l1": (gates * 16, 16),
                      "bias_ih_l1": (gates * 16,), "bias_hh_l1": (gates * 16,)}
    assert list(shapes)[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    largest = max(np.abs(p.data).max() for p in layer.parameters())
    assert 0.2 < largest <= 1 / math.sqrt(16)


@pytest.mark.parametrize("kind", LAYERS)
def test_output_and_final_state_shapes(kind):
    layer = LAYERS[kind](3, 5, num_layers=2, batch_first=True)
    output, final = layer(np.zeros((4, 7, 3)))
    assert output.shape == (4, 7, 5)
    states = final if kind == "lstm" else (final,)
    assert [state.shape for state in states] == [(2, 4, 5)] * len(states)
    np.testing.assert_array_equal(states[0].data[1], output.data[:, -1])   # h_n: the last step


def test_unbatched_input_gives_unbatched_output_and_state():
    output, (h_n, c_n) = LSTM(3, 5, num_layers=2)(np.zeros((7, 3)), (np.zeros((2, 5)), np.zeros((2, 5))))
    assert (output.shape, h_n.shape, c_n.shape) == ((7, 5), (2, 5), (2, 5))


def test_dropout_between_layers_only_in_training():
    layer = GRU(3, 4, num_layers=2, dropout=0.5)
    x = normal((5, 2, 3), 1, requires_grad=False)
    assert not np.allclose(layer(x)[0].data, layer(x)[0].data)
    layer.eval()
    np.testing.assert_array_equal(layer(x)[0].data, layer(x)[0].data)


def test_float32_layer_gives_float32_output_for_integer_input():
    output, _ = LSTM(3, 4)(np.ones((2, 1, 3), dtype=np.int64))
    assert output.dtype == np.float32


@pytest.mark.parametrize("make, call, message", [
    (lambda: LSTM(3, 4), lambda m: m(np.zeros((5, 2, 4))), r"LSTM\(3, 4\) expected input of shape \(T, N, 3\).*got \(5, 2, 4\)"),
    (lambda: GRU(3, 4, batch_first=True), lambda m: m(np.zeros((5, 3))[None, :, :2]), r"\(N, T, 3\) as batch_first or unbatched \(T, 3\), got \(1, 5, 2\)"),
    (lambda: RNN(3, 4), lambda m: m(np.zeros((0, 2, 3))), r"empty sequence"),
    (lambda: RNN(3, 4, num_layers=2), lambda m: m(np.zeros((5, 2, 3)), np.zeros((1, 2, 4))),
     r"expected h_0 of shape \(2, 2, 4\), got \(1, 2, 4\)"),
    (lambda: LSTM(3, 4), lambda m: m(np.zeros((5, 2, 3)), (np.zeros((1, 2, 4)), np.zeros((1, 3, 4)))),
     r"expected c_0 of shape \(1, 2, 4\), got \(1, 3, 4\)"),
    (lambda: LSTMCell(3, 4), lambda m: m(np.zeros((2, 5))), r"LSTMCell\(3, 4\) expected input of shape \(N, 3\)"),
    (lambda: GRUCell(3, 4), lambda m: m(np.zeros((2, 3)), np.zeros((2, 5))), r"expected h of shape \(2, 4\)"),
])
def test_bad_input_or_state_is_a_clear_error(make, call, message):
    with pytest.raises(ValueError, match=message):
        call(make())


def test_lstm_state_must_be_a_pair():
    with pytest.raises(TypeError, match=r"LSTM\(3, 4\) expected its initial state as \(h_0, c_0\), got a Tensor"):
        LSTM(3, 4)(np.zeros((5, 2, 3)), mn.Tensor(np.zeros((1, 2, 4))))
    with pytest.raises(TypeError, match=r"LSTMCell\(3, 4\) expected its initial state as \(h, c\), got a tuple of 1"):
        LSTMCell(3, 4)(np.zeros((2, 3)), (np.zeros((2, 4)),))


@pytest.mark.parametrize("make, message", [
    (lambda: RNN(3, 4, nonlinearity="sigmoid"), "nonlinearity 'tanh' or 'relu'"),
    (lambda: LSTM(0, 4), "positive integer for input_size, got 0"),
    (lambda: GRU(3, 4, num_layers=1.5), "positive integer for num_layers"),
    (lambda: LSTM(3, 4, dropout=1.0), "0 <= dropout < 1"),
    (lambda: RNNCell(3, -1), "positive integer for hidden_size"),
])
def test_bad_constructor_arguments_are_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_repr_shows_the_arguments():
    assert repr(LSTM(3, 4, num_layers=2, batch_first=True)) == "LSTM(3, 4, num_layers=2, batch_first=True)"
    assert repr(RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4, nonlinearity='relu')"
    assert repr(GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"


# --- against PyTorch ---------------------------------------------------------------------------

TORCH_DTYPES = [(np.float32, 1e-5), (np.float64, 1e-10)]


def copy_into_torch(torch, module, torch_module, dtype):
    torch_module.to(getattr(torch, np.dtype(dtype).name))
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.data = p.data.astype(dtype)
            dict(torch_module.named_parameters())[name].copy_(torch.from_numpy(p.data))


def compare_with_torch(torch, module, torch_module, inputs, dtype, atol):
    """Run both on the same inputs (and initial states); compare outputs and all gradients."""
    ours = [mn.Tensor(a, requires_grad=True) for a in inputs]
    theirs = [torch.tensor(a, requires_grad=True) for a in inputs]
    out_ours = module(ours[0], *ours[1:2]) if len(ours) < 3 else module(ours[0], tuple(ours[1:]))
    out_theirs = (torch_module(theirs[0], *theirs[1:2]) if len(theirs) < 3
                  else torch_module(theirs[0], tuple(theirs[1:])))
    flat_ours, flat_theirs = _flatten(out_ours), _flatten(out_theirs)
    loss_ours, loss_theirs = 0, 0
    for i, (a, b) in enumerate(zip(flat_ours, flat_theirs)):
        np.testing.assert_allclose(a.data, b.detach().numpy(), atol=atol, rtol=atol)
        weights = np.random.default_rng(i).standard_normal(a.shape).astype(dtype)
        loss_ours = loss_ours + (a * mn.Tensor(weights)).sum()
        loss_theirs = loss_theirs + (b * torch.from_numpy(weights)).sum()
    loss_ours.backward()
    loss_theirs.backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=atol, rtol=atol)
    torch_parameters = dict(torch_module.named_parameters())
    for name, p in module.named_parameters():
        np.testing.assert_allclose(p.grad, torch_parameters[name].grad.numpy(), atol=atol, rtol=atol,
                                   err_msg=name)


def _flatten(outputs):
    if isinstance(outputs, (tuple, list)):
        return [leaf for item in outputs for leaf in _flatten(item)]
    return [outputs]


TORCH_LAYERS = {"rnn_tanh": ("RNN", {}), "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
                "lstm": ("LSTM", {}), "gru": ("GRU", {})}


@pytest.mark.parametrize("dtype, atol", TORCH_DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_layer_matches_torch_with_copied_weights(kind, dtype, atol, batch_first):
    torch = pytest.importorskip("torch")
    name, options = TORCH_LAYERS[kind]
    ours = LAYERS[kind](3, 5, num_layers=2, batch_first=batch_first)
    theirs = getattr(torch.nn, name)(3, 5, num_layers=2, batch_first=batch_first, **options)
    copy_into_torch(torch, ours, theirs, dtype)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 6, 3) if batch_first else (6, 4, 3)).astype(dtype)
    states = [rng.standard_normal((2, 4, 5)).astype(dtype) for _ in range(2 if kind == "lstm" else 1)]
    compare_with_torch(torch, ours, theirs, [x, *states], dtype, atol)


@pytest.mark.parametrize("dtype, atol", TORCH_DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("kind", CELLS)
def test_cell_matches_torch_with_copied_weights(kind, dtype, atol):
    torch = pytest.importorskip("torch")
    name, options = TORCH_LAYERS[kind]
    ours = CELLS[kind](3, 5)
    theirs = getattr(torch.nn, name + "Cell")(3, 5, **options)
    copy_into_torch(torch, ours, theirs, dtype)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3)).astype(dtype)
    states = [rng.standard_normal((4, 5)).astype(dtype) for _ in range(2 if kind == "lstm" else 1)]
    compare_with_torch(torch, ours, theirs, [x, *states], dtype, atol)


def test_state_dict_loads_into_torch_by_name():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.LSTM(3, 5, num_layers=2).double()
    theirs.load_state_dict({k: torch.from_numpy(v.astype(np.float64))
                            for k, v in LSTM(3, 5, num_layers=2).state_dict().items()})


def test_a_cell_loop_keeps_dl_dh_t_at_every_step_for_backprop_through_time():
    # Chapter 13's measurement: loop over a cell, retain each h_t's gradient, read its norm.
    cell = RNNCell(2, 3)
    x = normal((6, 4, 2), 1, requires_grad=False)
    h0 = normal((4, 3), 2)
    states, h = [], h0
    for t in range(6):
        h = cell(x[t], h).retain_grad()
        states.append(h)
    h.sum().backward()
    # one step of the chain rule: dL/dh_{t-1} = (dL/dh_t * (1 - h_t^2)) @ W_hh
    for t in range(1, 6):
        expected = (states[t].grad * (1 - states[t].data ** 2)) @ cell.weight_hh.data
        np.testing.assert_allclose(states[t - 1].grad, expected, rtol=1e-6, atol=1e-9)
    expected = (states[0].grad * (1 - states[0].data ** 2)) @ cell.weight_hh.data
    np.testing.assert_allclose(h0.grad, expected, rtol=1e-6, atol=1e-9)
