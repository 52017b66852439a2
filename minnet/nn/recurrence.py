"""Backpropagation through time: the step of each recurrent cell and the loop over steps.

A recurrent layer applies one cell at every step t of a sequence x_1 .. x_T:

    state_t = cell(x_t, state_{t-1})        (state = h for RNN and GRU, (h, c) for LSTM)

Each cell's arithmetic is a small class here (RNNTanhStep, RNNReLUStep, LSTMStep, GRUStep;
the Modules RNNCell, LSTMCell, GRUCell in recurrent.py hold the parameters), all written the
same way. The input enters through xw_t = W_ih x_t + b_ih and the previous hidden state
through hw_t = W_hh h_{t-1} + b_hh (each one matmul for all gates at once); `step` turns
(xw_t, hw_t, state) into the next state, and `step_backward` turns the gradient of the next
state into the gradients of xw_t, hw_t and (for the parts of the state that skip the matmul,
such as the LSTM's cell c) of the previous state.

`Recurrence` runs a whole layer as one op: forward loops over t calling `step`; backward
loops over t in reverse calling `step_backward`, carrying dL/dh_{t-1} = dL/dhw_t @ W_hh back
one step at a time. That backward loop is backpropagation through time. The input
projection for all steps and the weight gradients for all steps are each one large matmul,
outside the loops; only the dependence of h_t on h_{t-1} is truly sequential.
"""
import numpy as np

from minnet.function import Function


def _sigmoid(x):
    # sigma(x) = (1 + tanh(x / 2)) / 2: the same function, with no exp to overflow.
    y = np.tanh(x * 0.5)
    y += 1
    y *= 0.5
    return y


class RNNTanhStep:
    """h' = tanh(xw + hw),  xw = W_ih x + b_ih,  hw = W_hh h + b_hh;
    dL/dxw = dL/dhw = dL/dh' * (1 - h'^2)."""

    gates, states = 1, 1

    @staticmethod
    def step(xw, hw, state):
        hw += xw                   # hw is a fresh array, ours to overwrite
        h = np.tanh(hw, out=hw)
        return (h,), h

    @staticmethod
    def step_backward(grad_state, h):
        d_pre = grad_state[0] * (1 - h * h)
        return d_pre, d_pre, (None,)


class RNNReLUStep:
    """h' = max(0, xw + hw);  dL/dxw = dL/dhw = dL/dh' where h' > 0, else 0."""

    gates, states = 1, 1

    @staticmethod
    def step(xw, hw, state):
        hw += xw
        h = np.maximum(hw, 0, out=hw)
        return (h,), h

    @staticmethod
    def step_backward(grad_state, h):
        d_pre = grad_state[0] * (h > 0)
        return d_pre, d_pre, (None,)


class LSTMStep:
    """Long short-term memory (Hochreiter & Schmidhuber 1997), PyTorch's gate order i, f, g, o:

        i = sigma(xw_i + hw_i)     input gate: how much of the candidate to write
        f = sigma(xw_f + hw_f)     forget gate: how much of the old cell to keep
        g = tanh(xw_g + hw_g)      candidate values
        o = sigma(xw_o + hw_o)     output gate: how much of the cell to show
        c' = f * c + i * g         the cell: an additive path through time
        h' = o * tanh(c')

    Backward, with dc = dL/dc' + dL/dh' * o * (1 - tanh^2 c'):
        di = dc * g,  df = dc * c,  dg = dc * i,  do = dL/dh' * tanh c',  dL/dc = dc * f,
    each gate's pre-activation gradient its d times its activation's derivative.
    dL/dc = dc * f is why gradients survive many steps: no squashing derivative on that path.
    """

    gates, states = 4, 2

    @staticmethod
    def step(xw, hw, state):
        c = state[1]
        hidden = c.shape[-1]
        hw += xw
        # One tanh over all four gates: sigma(x) = (1 + tanh(x / 2)) / 2 for i, f and o.
        hw[:, :2 * hidden] *= 0.5
        hw[:, 3 * hidden:] *= 0.5
        gates = np.tanh(hw, out=hw)
        gates[:, :2 * hidden] += 1
        gates[:, :2 * hidden] *= 0.5
        gates[:, 3 * hidden:] += 1
        gates[:, 3 * hidden:] *= 0.5
        i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
        c_next = f * c
        c_next += i * g
        tanh_c = np.tanh(c_next)
        h_next = o * tanh_c
        return (h_next, c_next), (gates, c, tanh_c)

    @staticmethod
    def step_backward(grad_state, cache):
        dh, dc = grad_state
        gates, c, tanh_c = cache
        hidden = c.shape[-1]
        i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
        dc = dc + dh * o * (1 - tanh_c * tanh_c)
        d_gates = np.empty_like(gates)
        d_gates[:, :hidden] = dc * g
        d_gates[:, hidden:2 * hidden] = dc * c
        d_gates[:, 2 * hidden:3 * hidden] = dc * i
        d_gates[:, 3 * hidden:] = dh * tanh_c
        # Through the activations: sigma' = s (1 - s) for i, f, o; tanh' = 1 - g^2 for g.
        derivative = gates * (1 - gates)
        derivative[:, 2 * hidden:3 * hidden] = 1 - g * g
        d_gates *= derivative
        return d_gates, d_gates, (None, dc * f)


class GRUStep:
    """Gated recurrent unit (Cho et al. 2014), PyTorch's gate order r, z, n:

        r = sigma(xw_r + hw_r)        reset gate: how much of h the candidate sees
        z = sigma(xw_z + hw_z)        update gate: how much of h to keep
        n = tanh(xw_n + r * hw_n)     candidate (b_hn stays inside r * (...), as in PyTorch)
        h' = (1 - z) * n + z * h

    Backward: dn = dL/dh' (1 - z) (1 - n^2),  dz = dL/dh' (h - n) z (1 - z),
    dr = dn * hw_n * r (1 - r);  dL/dxw = (dr, dz, dn),  dL/dhw = (dr, dz, dn * r),
    and h reaches h' directly too: dL/dh gains dL/dh' * z.
    """

    gates, states = 3, 1

    @staticmethod
    def step(xw, hw, state):
        h = state[0]
        hidden = h.shape[-1]
        rz = _sigmoid(xw[:, :2 * hidden] + hw[:, :2 * hidden])
        r, z = rz[:, :hidden], rz[:, hidden:]
        hw_n = hw[:, 2 * hidden:]
        n = np.tanh(xw[:, 2 * hidden:] + r * hw_n)
        h_next = n + z * (h - n)
        return (h_next,), (rz, n, hw_n, h)

    @staticmethod
    def step_backward(grad_state, cache):
        (dh,) = grad_state
        rz, n, hw_n, h = cache
        hidden = h.shape[-1]
        r, z = rz[:, :hidden], rz[:, hidden:]
        d_xw = np.empty((dh.shape[0], 3 * hidden), dtype=dh.dtype)
        d_n = dh * (1 - z) * (1 - n * n)
        d_xw[:, :hidden] = d_n * hw_n
        d_xw[:, hidden:2 * hidden] = dh * (h - n)
        d_xw[:, :2 * hidden] *= rz * (1 - rz)
        d_xw[:, 2 * hidden:] = d_n
        d_hw = d_xw.copy()
        d_hw[:, 2 * hidden:] *= r
        return d_xw, d_hw, (dh * z,)


class Recurrence(Function):
    """One recurrent layer over a whole sequence, time first: x (T, N, in) -> (T, N, H).

    apply(x, *initial_states, weight_ih, weight_hh[, bias_ih, bias_hh], cell=LSTMStep):
    initial states of shape (N, H) (h, or h and c); weights in PyTorch's layout
    (gates * H, in) and (gates * H, H). The output holds h_1 .. h_T, and for an LSTM one more
    row after them: the last cell state c_T (an op has one output, and c_T is needed for the
    (h_n, c_n) a layer returns). See the module docstring for the two loops.
    """

    @staticmethod
    def forward(ctx, x, *arrays, cell):
        states, (w_ih, w_hh, *biases) = arrays[:cell.states], arrays[cell.states:]
        b_ih, b_hh = biases if biases else (None, None)
        steps, batch = x.shape[0], x.shape[1]
        # Every step's input projection in one matmul, on (T * N) rows: numpy runs a 3-D @ 2-D
        # product as T separate matmuls, about twice as slow here (bench_sequences' LSTM).
        xw = (x.reshape(steps * batch, -1) @ w_ih.T).reshape(steps, batch, -1)
        if b_ih is not None:
            xw += b_ih
        out = np.empty((steps + cell.states - 1,) + states[0].shape, dtype=xw.dtype)
        caches = []
        # W_hh^T copied once, contiguous: OpenBLAS multiplies the small (N, H) states by it
        # about 1.4x faster than by the transposed view, once per step (bench_sequences).
        w_hh_t = np.ascontiguousarray(w_hh.T)
        for t in range(steps):
            hw = states[0] @ w_hh_t
            if b_hh is not None:
                hw += b_hh
            states, cache = cell.step(xw[t], hw, states)
            out[t] = states[0]
            caches.append(cache)
        if cell.states == 2:
            out[steps] = states[1]
        ctx.save_for_backward(x, w_ih, w_hh, caches)
        ctx.cell, ctx.has_bias, ctx.h0, ctx.out = cell, b_ih is not None, arrays[0], out
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w_ih, w_hh, caches = ctx.saved
        cell, steps = ctx.cell, x.shape[0]
        d_xw = np.empty(x.shape[:2] + (w_ih.shape[0],), dtype=grad.dtype)
        d_hw = d_xw if cell is not GRUStep else np.empty_like(d_xw)  # the same for LSTM and RNN
        dh_next = np.zeros_like(grad[0])
        dc_next = grad[steps] if cell.states == 2 else None
        for t in reversed(range(steps)):
            # dL/dh_t: from the output at step t, and from step t + 1 through W_hh.
            dh = grad[t] + dh_next
            d_xw[t], d_hw_t, direct = cell.step_backward((dh, dc_next)[:cell.states], caches[t])
            if d_hw is not d_xw:
                d_hw[t] = d_hw_t
            dh_next = d_hw_t @ w_hh
            if direct[0] is not None:
                dh_next += direct[0]
            dc_next = direct[-1] if cell.states == 2 else None
        # h_0 .. h_{T-1}, the states that step 1 .. T read, for dL/dW_hh in one matmul.
        h_before = np.concatenate([ctx.h0[None], ctx.out[:steps - 1]])
        rows = steps * x.shape[1]
        grad_x = (d_xw.reshape(rows, -1) @ w_ih).reshape(x.shape) if ctx.needs_input_grad[0] else None
        grads = [grad_x, dh_next] + ([dc_next] if cell.states == 2 else [])
        grads += [d_xw.reshape(rows, -1).T @ x.reshape(rows, -1),
                  d_hw.reshape(rows, -1).T @ h_before.reshape(rows, -1)]
        if ctx.has_bias:
            grads += [d_xw.sum(axis=(0, 1)), d_hw.sum(axis=(0, 1))]
        return tuple(grads)
