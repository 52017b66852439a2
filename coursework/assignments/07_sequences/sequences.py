"""Assignment 7: an LSTM cell, an LSTM over time, a stable softmax and causal attention (see statement.md).

Write each part from minnet's Tensor operations (@, slicing, .sigmoid(), .tanh(), .exp(),
.sum(), .max(), mn.where, mn.stack ...), so that autograd gives the backward pass: you write
forward only. Keep the inputs' dtype (float32 stays float32: a numpy float64 array or
constant mixed in makes the result float64) and never change an input in place.
"""
import math

import numpy as np

import minnet as mn


def lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    """One LSTM step, as mn.nn.LSTMCell (PyTorch's gate order i, f, g, o):

        i = sigma(x W_ii^T + b_ii + h W_hi^T + b_hi)      input gate
        f = sigma(x W_if^T + b_if + h W_hf^T + b_hf)      forget gate
        g = tanh(x W_ig^T + b_ig + h W_hg^T + b_hg)       candidate
        o = sigma(x W_io^T + b_io + h W_ho^T + b_ho)      output gate
        c' = f * c + i * g,   h' = o * tanh(c')

    weight_ih stacks W_ii, W_if, W_ig, W_io as rows, each (H, in): shape (4H, in); weight_hh
    likewise (4H, H); bias_ih and bias_hh (4H,). Returns (h', c').

    Shape: x (N, in); h, c (N, H) -> h', c' (N, H). All arguments are Tensors.
    """
    # HINT: one matmul per weight gives all four gates' pre-activations at once, shape (N, 4H);
    # HINT: slice each gate's H columns in the order i, f, g, o (see the statement), then
    # HINT: Tensor.sigmoid() or .tanh(), which are stable at any input
    # YOUR CODE HERE
    raise NotImplementedError("one matmul per weight gives all four gates' pre-activations at once, shape (N, 4H); slice each gate's H columns in the order i, f, g, o (see the statement), then Tensor.sigmoid() or .tanh(), which are stable at any input")


def lstm(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    """An LSTM over a whole sequence, as mn.nn.LSTM (one layer): your lstm_cell at each step.

    Returns (output, h_T, c_T): output stacks h_1 ... h_T along a new first axis.

    Shape: x (T, N, in); h, c (N, H) -> output (T, N, H); h_T, c_T (N, H).
    """
    # HINT: a Python loop over t = 0 .. T-1 calling your lstm_cell on x[t]; keep each step's h in
    # HINT: a list and mn.stack(list, axis=0) it at the end. Autograd then backpropagates through
    # HINT: time for you
    # YOUR CODE HERE
    raise NotImplementedError("a Python loop over t = 0 .. T-1 calling your lstm_cell on x[t]; keep each step's h in a list and mn.stack(list, axis=0) it at the end. Autograd then backpropagates through time for you")


def softmax(scores):
    """softmax along the last axis: e^(s_j) / sum_k e^(s_k), finite for any finite scores.

    Shape: (*, S) -> (*, S), each row positive and summing to 1. A Tensor in, a Tensor out.
    """
    # HINT: subtracting the row's maximum (scores.max(axis=-1, keepdims=True), .detach()ed: a
    # HINT: constant shift changes no probability) makes every exponent <= 0, so exp cannot overflow
    # YOUR CODE HERE
    raise NotImplementedError("subtracting the row's maximum (scores.max(axis=-1, keepdims=True), .detach()ed: a constant shift changes no probability) makes every exponent <= 0, so exp cannot overflow")


def causal_attention(q, k, v):
    """Causal scaled dot-product attention, as
    mn.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True):

        out = softmax(q k^T / sqrt(E) + M) v,   M[i, j] = 0 if j <= i else -inf

    Query i is compared with every key j <= i (never a later one) by a dot product; your
    softmax of those scores weighs the values.

    Shape: q, k (*, T, E); v (*, T, Ev) -> (*, T, Ev); the leading axes (batch, heads) match.
    """
    # HINT: k with its last two axes swapped is k.transpose(axes), axes = range(k.ndim) with the
    # HINT: last two exchanged (k.T would reverse the batch axes too); np.tri(T, T, dtype=bool) is
    # HINT: True where j <= i; mn.where(condition, a, b) takes a where the condition holds, else b
    # YOUR CODE HERE
    raise NotImplementedError('k with its last two axes swapped is k.transpose(axes), axes = range(k.ndim) with the last two exchanged (k.T would reverse the batch axes too); np.tri(T, T, dtype=bool) is True where j <= i; mn.where(condition, a, b) takes a where the condition holds, else b')
