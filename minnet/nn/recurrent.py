"""Recurrent layers RNN, LSTM, GRU and their single-step cells, as in torch.nn.

Parameters have PyTorch's names, shapes and gate order, so a state_dict moves between the
two: `weight_ih_l0` (gates * H, in), `weight_hh_l0` (gates * H, H), `bias_ih_l0` and
`bias_hh_l0` (gates * H,), then `_l1` for a second layer, all drawn from U(-1/sqrt(H),
1/sqrt(H)). The cells' equations and the loop over time, forward and backward, are in
recurrence.py (`Recurrence`): one op per layer, whose backward is backpropagation through time.

To see dL/dh_t at every step (chapter 13), loop over a cell yourself: each call is one op,
so `h.retain_grad()` on each step's h keeps its gradient.
"""
import math

import numpy as np

from minnet import config
from minnet.nn.layers import DropoutFunction
from minnet.nn.module import Module, Parameter
from minnet.nn.recurrence import GRUStep, LSTMStep, Recurrence, RNNReLUStep, RNNTanhStep
from minnet.ops import stack
from minnet.tensor import Tensor

_RNN_CELLS = {"tanh": RNNTanhStep, "relu": RNNReLUStep}


def _uniform(shape, hidden_size):
    bound = 1 / math.sqrt(hidden_size)       # PyTorch's default for every recurrent weight
    values = config.rng().uniform(-bound, bound, shape)
    return Parameter(values.astype(config.get_default_dtype()))


def _check_sizes(owner, **sizes):
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{owner} expected a positive integer for {name}, got {value!r}")


def _as_float(x, like):
    if not isinstance(x, Tensor):
        x = Tensor(np.asarray(x, dtype=like.dtype))
    elif x.dtype.kind in "biu":             # integer codes carry no gradient: cast, as Dense
        x = Tensor(x.data.astype(like.dtype))
    return x


def _check_state(owner, state, expected, what):
    state = _as_float(state, Tensor(np.zeros(0, dtype=config.get_default_dtype())))
    if tuple(state.shape) != tuple(expected):
        raise ValueError(f"{owner} expected {what} of shape {tuple(expected)}, "
                         f"got {tuple(state.shape)}")
    return state


def _check_state_count(owner, states, kinds):
    if not isinstance(states, (tuple, list)) or len(states) != len(kinds):
        given = f"a {type(states).__name__}"
        if isinstance(states, (tuple, list)):
            given += f" of {len(states)}"
        raise TypeError(f"{owner} expected its initial state as ({', '.join(kinds)}), got {given}")


class _RecurrentLayer(Module):
    """What RNN, LSTM and GRU share: parameters per layer, input checks, the loop over layers."""

    def __init__(self, cell, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0):
        owner = type(self).__name__
        _check_sizes(owner, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        if not 0 <= dropout < 1:
            raise ValueError(f"{owner} expected 0 <= dropout < 1, got {dropout!r}")
        self.cell, self.input_size, self.hidden_size = cell, int(input_size), int(hidden_size)
        self.num_layers, self.bias = int(num_layers), bool(bias)
        self.batch_first, self.dropout = bool(batch_first), float(dropout)
        gates = cell.gates * hidden_size
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size
            setattr(self, f"weight_ih_l{layer}", _uniform((gates, width), hidden_size))
            setattr(self, f"weight_hh_l{layer}", _uniform((gates, hidden_size), hidden_size))
            if bias:
                setattr(self, f"bias_ih_l{layer}", _uniform((gates,), hidden_size))
                setattr(self, f"bias_hh_l{layer}", _uniform((gates,), hidden_size))

    def layer_parameters(self, layer):
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        return [getattr(self, f"{name}_l{layer}") for name in names]

    def run(self, x, states):
        """x: (T, N, in) or (N, T, in) or unbatched (T, in); states: None or a tuple of
        (num_layers, N, H) tensors. Returns output, final states (one tensor per kind)."""
        owner = f"{type(self).__name__}({self.extra_repr()})"
        x = _as_float(x, self.weight_ih_l0)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            layout = "(N, T, {}) as batch_first" if self.batch_first else "(T, N, {})"
            raise ValueError(f"{owner} expected input of shape {layout.format(self.input_size)} or "
                             f"unbatched (T, {self.input_size}), got {tuple(x.shape)}")
        batched = x.ndim == 3
        if not batched:
            x = x.reshape(x.shape[0], 1, self.input_size)
        elif self.batch_first:
            x = x.transpose(1, 0, 2)
        steps, batch = x.shape[0], x.shape[1]
        if steps == 0:
            raise ValueError(f"{owner} got an empty sequence (0 steps), input shape "
                             f"{tuple(x.shape)}")
        expected = (self.num_layers, batch, self.hidden_size)
        kinds = ("h_0", "c_0")[:self.cell.states]
        if states is None:
            states = [Tensor(np.zeros(expected, dtype=x.dtype)) for _ in kinds]
        else:
            _check_state_count(owner, states, kinds)
            shown = expected if batched else (self.num_layers, self.hidden_size)
            states = [_check_state(owner, s, shown, kind).reshape(expected)
                      for s, kind in zip(states, kinds)]
        finals = []
        for layer in range(self.num_layers):
            if layer and self.dropout and self.training:
                x = DropoutFunction.apply(x, p=self.dropout)
            y = Recurrence.apply(x, *[s[layer] for s in states], *self.layer_parameters(layer),
                                 cell=self.cell)
            x = y[:steps]
            finals.append([y[steps - 1]] + ([y[steps]] if self.cell.states == 2 else []))
        final = [stack([f[k] for f in finals]) for k in range(self.cell.states)]
        if not batched:
            return x.reshape(steps, self.hidden_size), [f.reshape(self.num_layers, self.hidden_size)
                                                        for f in final]
        return (x.transpose(1, 0, 2) if self.batch_first else x), final

    def extra_repr(self):
        extras = [f"{self.input_size}, {self.hidden_size}"]
        defaults = (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0.0))
        for name, default in defaults:
            if getattr(self, name) != default:
                extras.append(f"{name}={getattr(self, name)}")
        return ", ".join(extras)


class RNN(_RecurrentLayer):
    """Elman recurrent network: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) at every step
    (nonlinearity="relu": max(0, .) instead of tanh), stacked num_layers deep, as torch.nn.RNN.

    forward(x, h_0=None) -> (output, h_n): output holds the last layer's h_t at every step,
    h_n every layer's last h_t. h_0 defaults to zeros.

    Shape: x (T, N, in), (N, T, in) with batch_first, or unbatched (T, in);
    h_0 and h_n (num_layers, N, H) (unbatched (num_layers, H)); output (T, N, H) or (N, T, H).

        >>> rnn = mn.nn.RNN(3, 5, batch_first=True)
        >>> output, h_n = rnn(np.zeros((2, 7, 3)))
        >>> output.shape, h_n.shape
        ((2, 7, 5), (1, 2, 5))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0):
        if nonlinearity not in _RNN_CELLS:
            raise ValueError(f"RNN expected nonlinearity 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(_RNN_CELLS[nonlinearity], input_size, hidden_size, num_layers, bias,
                         batch_first, dropout)

    def forward(self, x, h_0=None):
        output, (h_n,) = self.run(x, None if h_0 is None else (h_0,))
        return output, h_n

    def extra_repr(self):
        text = super().extra_repr()
        return text + ("" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity!r}")


class LSTM(_RecurrentLayer):
    """Long short-term memory layer, as torch.nn.LSTM; each step (gates i, f, g, o):

        i = sigma(W_ii x + b_ii + W_hi h + b_hi),  f = sigma(W_if x + b_if + W_hf h + b_hf),
        g = tanh(W_ig x + b_ig + W_hg h + b_hg),   o = sigma(W_io x + b_io + W_ho h + b_ho),
        c' = f * c + i * g,  h' = o * tanh(c').

    forward(x, (h_0, c_0)=None) -> (output, (h_n, c_n)). weight_ih_l0 stacks W_ii, W_if, W_ig,
    W_io as rows (4H, in), PyTorch's layout.

    Shape: x (T, N, in) / (N, T, in) with batch_first / unbatched (T, in); h and c
    (num_layers, N, H); output (T, N, H) or (N, T, H).

        >>> lstm = mn.nn.LSTM(3, 5, num_layers=2)
        >>> output, (h_n, c_n) = lstm(np.zeros((7, 2, 3)))
        >>> output.shape, c_n.shape
        ((7, 2, 5), (2, 2, 5))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0):
        super().__init__(LSTMStep, input_size, hidden_size, num_layers, bias, batch_first, dropout)

    def forward(self, x, hx=None):
        output, (h_n, c_n) = self.run(x, hx)
        return output, (h_n, c_n)


class GRU(_RecurrentLayer):
    """Gated recurrent unit layer, as torch.nn.GRU; each step (gates r, z, n):

        r = sigma(W_ir x + b_ir + W_hr h + b_hr),  z = sigma(W_iz x + b_iz + W_hz h + b_hz),
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h.

    forward(x, h_0=None) -> (output, h_n). Shapes as RNN's.

        >>> output, h_n = mn.nn.GRU(3, 5)(np.zeros((7, 2, 3)))
        >>> output.shape
        (7, 2, 5)
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0):
        super().__init__(GRUStep, input_size, hidden_size, num_layers, bias, batch_first, dropout)

    def forward(self, x, h_0=None):
        output, (h_n,) = self.run(x, None if h_0 is None else (h_0,))
        return output, h_n


class _Cell(Module):
    """One step of a recurrent layer: parameters weight_ih, weight_hh, bias_ih, bias_hh."""

    def __init__(self, cell, input_size, hidden_size, bias=True):
        _check_sizes(type(self).__name__, input_size=input_size, hidden_size=hidden_size)
        self.cell, self.input_size, self.hidden_size = cell, int(input_size), int(hidden_size)
        gates = cell.gates * hidden_size
        self.weight_ih = _uniform((gates, input_size), hidden_size)
        self.weight_hh = _uniform((gates, hidden_size), hidden_size)
        self.bias_ih = _uniform((gates,), hidden_size) if bias else None
        self.bias_hh = _uniform((gates,), hidden_size) if bias else None

    def step(self, x, states):
        """x (N, in) or (in,); states None or a tuple of (N, H) -> the next states."""
        owner = f"{type(self).__name__}({self.extra_repr()})"
        x = _as_float(x, self.weight_ih)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{owner} expected input of shape (N, {self.input_size}) or "
                             f"({self.input_size},), got {tuple(x.shape)}")
        batched = x.ndim == 2
        batch = x.shape[0] if batched else 1
        expected = (batch, self.hidden_size)
        if states is None:
            states = [Tensor(np.zeros(expected, dtype=x.dtype)) for _ in range(self.cell.states)]
        else:
            _check_state_count(owner, states, ("h", "c")[:self.cell.states])
            shown = expected if batched else (self.hidden_size,)
            states = [_check_state(owner, s, shown, kind).reshape(expected)
                      for s, kind in zip(states, ("h", "c"))]
        parameters = [p for p in (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
                      if p is not None]
        y = Recurrence.apply(x.reshape(1, batch, self.input_size), *states, *parameters,
                             cell=self.cell)
        return [y[k] if batched else y[k].reshape(self.hidden_size)
                for k in range(self.cell.states)]

    def extra_repr(self):
        bias = "" if self.bias_ih is not None else ", bias=False"
        return f"{self.input_size}, {self.hidden_size}{bias}"


class RNNCell(_Cell):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu), one step, as torch.nn.RNNCell.

    forward(x, h=None) -> h'. Shape: x (N, in) or (in,); h and h' (N, H) or (H,).

        >>> mn.nn.RNNCell(3, 5)(np.zeros((2, 3))).shape
        (2, 5)
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh"):
        if nonlinearity not in _RNN_CELLS:
            raise ValueError(f"RNNCell expected nonlinearity 'tanh' or 'relu', "
                             f"got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(_RNN_CELLS[nonlinearity], input_size, hidden_size, bias)

    def forward(self, x, h=None):
        return self.step(x, None if h is None else (h,))[0]


class LSTMCell(_Cell):
    """One LSTM step, as torch.nn.LSTMCell (gates i, f, g, o; equations in LSTM's docstring):
    c' = f * c + i * g,  h' = o * tanh(c').

    forward(x, (h, c)=None) -> (h', c'). Shape: x (N, in) or (in,); h, c (N, H) or (H,).

        >>> h, c = mn.nn.LSTMCell(3, 5)(np.zeros((2, 3)))
        >>> h.shape, c.shape
        ((2, 5), (2, 5))
    """

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__(LSTMStep, input_size, hidden_size, bias)

    def forward(self, x, hx=None):
        h, c = self.step(x, hx)
        return h, c


class GRUCell(_Cell):
    """One GRU step, as torch.nn.GRUCell (gates r, z, n; equations in GRU's docstring):
    h' = (1 - z) * n + z * h.

    forward(x, h=None) -> h'. Shape: x (N, in) or (in,); h and h' (N, H) or (H,).

        >>> mn.nn.GRUCell(3, 5)(np.zeros((2, 3))).shape
        (2, 5)
    """

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__(GRUStep, input_size, hidden_size, bias)

    def forward(self, x, h=None):
        return self.step(x, None if h is None else (h,))[0]
