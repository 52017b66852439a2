"""Layers, activations and losses: `mn.nn.Dense`, `mn.nn.ReLU`, `mn.nn.CrossEntropyLoss`, ..."""
from minnet.nn.module import Module, Parameter, Sequential, evaluating
from minnet.nn.containers import ModuleList, ModuleDict, Residual
from minnet.nn.activations import (Activation, Identity, Sigmoid, Tanh, ReLU, LeakyReLU, PReLU,
                                   RReLU, ReLU6, ELU, SELU, CELU, GELU, Swish, SiLU, Mish,
                                   Softsign, Softplus, LogSigmoid, HardSigmoid, HardSwish,
                                   HardTanh, Tanhshrink, Softshrink, Hardshrink, Threshold,
                                   Maxout, GLU, Softmax, LogSoftmax, Softmin, ACTIVATIONS,
                                   get_activation)
from minnet.nn.dense import Dense
from minnet.nn.conv import Conv2D, MaxPool2D, AvgPool2D
from minnet.nn.layers import Flatten, Dropout, BatchNorm1D, BatchNorm2D, LayerNorm
from minnet.nn.losses import (Loss, MSELoss, L1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss,
                              CrossEntropyLoss, NLLLoss)
from minnet.nn.embedding import Embedding
from minnet.nn.recurrent import RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell
from minnet.nn.attention import (MultiheadAttention, PositionalEncoding, TransformerBlock,
                                 sinusoidal_positions)
from minnet.nn import functional

__all__ = ["Module", "Parameter", "Sequential", "evaluating", "ModuleList", "ModuleDict", "Residual", "Dense",
           "Conv2D", "MaxPool2D", "AvgPool2D", "Flatten", "Dropout", "BatchNorm1D", "BatchNorm2D", "LayerNorm", "Loss", "MSELoss", "L1Loss", "HuberLoss",
           "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
           "Activation", "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "RReLU",
           "ReLU6", "ELU", "SELU", "CELU", "GELU", "Swish", "SiLU", "Mish", "Softsign",
           "Softplus", "LogSigmoid", "HardSigmoid", "HardSwish", "HardTanh", "Tanhshrink",
           "Softshrink", "Hardshrink", "Threshold", "Maxout", "GLU", "Softmax", "LogSoftmax",
           "Softmin", "ACTIVATIONS", "get_activation",
           "Embedding", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
           "MultiheadAttention", "PositionalEncoding", "TransformerBlock", "sinusoidal_positions",
           "functional"]
