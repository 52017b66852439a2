"""Dense: the fully connected layer, y = x @ W + b."""
import numpy as np

from minnet import init as initializers
from minnet.function import Function
from minnet.nn.activations.base import Activation, input_grad
from minnet.nn.module import Module, Parameter
from minnet.regularizers import Regularizer
from minnet.tensor import Tensor


def _linear_grads(needs_input_grad, x, weight, grad):
    """dL/dx = g @ W^T,  dL/dW = x^T @ g,  dL/db = g summed over the batch (those needed)."""
    # Leading dimensions (a batch of sequences, say) all count as batch rows.
    grad_rows = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
    x_rows = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
    grad_x = grad @ weight.T if needs_input_grad[0] else None
    grad_weight = x_rows.T @ grad_rows if needs_input_grad[1] else None
    if len(needs_input_grad) == 2:              # no bias
        return grad_x, grad_weight
    return grad_x, grad_weight, grad_rows.sum(axis=0) if needs_input_grad[2] else None


class _Linear(Function):
    """y = x @ W + b;  dL/dx = g @ W^T,  dL/dW = x^T @ g,  dL/db = g summed over the batch.

    The same as MatMul then Add, as one op: a layer is one graph node instead of two, which
    halves the engine's bookkeeping per layer (bench_deep_sigmoid's W2, many small layers,
    shows it most).
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        y = x @ weight
        return y if bias is None else y + bias

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        return _linear_grads(ctx.needs_input_grad, x, weight, grad)


class _DenseStack(Function):
    """Consecutive Dense layers, each followed by an elementwise activation or by none, as one
    op: the loops of a hand-written MLP (NumpyMLP in benchmarks/bench_mlp.py).

    Forward, first layer first:   z = x @ W + b,  y = f(z)  (y = z without an activation),
                                  and y is the next layer's x.
    Backward, last layer first:   dL/dz = dL/dy * f'(z), then _Linear's gradients from dL/dz;
                                  dL/dx is the previous layer's dL/dy.

    Sequential runs its Dense layers this way (Dense.run_in_sequence): one graph node for the
    whole stack instead of one per layer, so the engine's per-node cost is paid once (it
    dominates on narrow deep nets such as bench_deep_sigmoid's W2).
    """

    @staticmethod
    def forward(ctx, x, *parameters, layers):
        """layers: (Dense, activation or None) pairs; parameters: each Dense's W (and b)."""
        saved = []
        needs_grad, parameters = iter(ctx.needs_input_grad), iter(parameters)
        need_x = next(needs_grad)
        for dense, activation in layers:
            weight = next(parameters)
            needs = (need_x, next(needs_grad))
            z = x @ weight
            if dense.bias is not None:
                z = z + next(parameters)
                needs += (next(needs_grad),)
            y = z if activation is None else activation.f(z)
            keep_z = activation is not None and not activation.derivative_from_output
            saved.append((needs, x, weight, activation, z if keep_z else None, y))
            # What a call of each layer would record, for the summary repr.
            dense._output_shape = z.shape
            if activation is not None:
                activation._output_shape = y.shape
            x, need_x = y, True        # every later layer passes its input's gradient on
        ctx.save_for_backward(*saved)
        return x

    @staticmethod
    def backward(ctx, grad):
        parameter_grads = []
        for needs, x, weight, activation, z, y in reversed(ctx.saved):
            if activation is not None:
                grad = input_grad(activation, z, y, grad)
            grad, *layer_grads = _linear_grads(needs, x, weight, grad)
            parameter_grads[:0] = layer_grads
        return (grad, *parameter_grads)


class Dense(Module):
    """Fully connected layer: y = x @ W + b.

    `weight` W has shape (in_features, out_features) so that a batch of rows multiplies it
    directly; `bias` b has shape (out_features,) (or is None with bias=False).
    `init` / `bias_init` take a name from `mn.init` ("xavier_uniform", "he_normal", ...) or a
    callable; `regularizer` / `bias_regularizer` take an `mn.regularizers` object (biases are
    not penalised unless asked).

    Shape: (N, in_features) -> (N, out_features); any leading dimensions are kept.

    An integer or boolean input (pixel values, 0/1 codes) is cast to the weights' dtype first,
    as Keras layers do, so that a float32 layer gives float32 output; numpy alone would
    promote int64 @ float32 to float64. (PyTorch raises instead; integers carry no gradient,
    so the cast loses nothing but precision beyond 2^24 in float32.) Float inputs are used
    as given.

        >>> layer = mn.nn.Dense(4, 2)
        >>> layer(mn.Tensor(np.ones((3, 4)))).shape
        (3, 2)
        >>> layer
        Dense(4 -> 2)
    """

    def __init__(self, in_features, out_features, bias=True, init="xavier_uniform",
                 bias_init="zeros", regularizer=None, bias_regularizer=None):
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Dense expected a positive integer for {name}, got {value!r}")
        for name, value in (("regularizer", regularizer), ("bias_regularizer", bias_regularizer)):
            if value is not None and not isinstance(value, Regularizer):
                raise TypeError(f"Dense expected an mn.regularizers object for {name}, "
                                f"got {type(value).__name__}")
        self.in_features, self.out_features = in_features, out_features
        self.weight = initializers.initialize(
            Parameter(initializers.zeros((in_features, out_features))), init)
        self.bias = (initializers.initialize(Parameter(initializers.zeros((out_features,))), bias_init)
                     if bias else None)
        self.regularizer, self.bias_regularizer = regularizer, bias_regularizer

    def forward(self, x):
        return _Linear.apply(*self._inputs(x))

    def fuses_with(self, following):
        """True when `following` is an elementwise activation that can run inside this layer's
        op: no parameters, no forward of its own, and no forward hooks on either layer."""
        return (isinstance(following, Activation) and following.elementwise
                and type(following).forward is Activation.forward
                and not any(isinstance(v, Parameter) for v in vars(following).values())
                and not self.__dict__.get("_forward_hooks")
                and not following.__dict__.get("_forward_hooks"))

    def run_in_sequence(self, x, layers, index):
        """Run this layer (layers[index]) and the stackable layers after it as one op.

        A stack is consecutive plain Dense layers without forward hooks, each taking the
        previous one's width, each with the activation after it when it fuses_with it.
        Returns the output and the index of the first layer not run.
        """
        if type(self) is not Dense or self.__dict__.get("_forward_hooks"):
            return self(x), index + 1           # a subclass or a hooked Dense runs on its own
        x = self._inputs(x)[0]                  # the input check (and cast) of a call
        stack, parameters, width = [], [], self.in_features
        while index < len(layers):
            dense = layers[index]
            if (type(dense) is not Dense or dense.__dict__.get("_forward_hooks")
                    or dense.in_features != width):
                break
            following = layers[index + 1] if index + 1 < len(layers) else None
            activation = following if dense.fuses_with(following) else None
            stack.append((dense, activation))
            parameters += dense._parameters()
            width = dense.out_features
            index += 1 if activation is None else 2
        return _DenseStack.apply(x, *parameters, layers=stack), index

    def _inputs(self, x):
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"Dense({self.extra_repr()}) expected input with {self.in_features} "
                             f"features, got shape {tuple(x.shape)}")
        if x.dtype.kind in "biu":               # see the class docstring
            x = Tensor(np.asarray(getattr(x, "data", x)).astype(self.weight.dtype))
        return (x, *self._parameters())

    def _parameters(self):
        return (self.weight,) if self.bias is None else (self.weight, self.bias)

    def penalty(self):
        """regularizer(W) (+ bias_regularizer(b) when given), or None without regularizers."""
        terms = []
        if self.regularizer is not None:
            terms.append(self.regularizer(self.weight))
        if self.bias_regularizer is not None and self.bias is not None:
            terms.append(self.bias_regularizer(self.bias))
        if not terms:
            return None
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    def extra_repr(self):
        extras = "" if self.bias is not None else ", bias=False"
        return f"{self.in_features} -> {self.out_features}{extras}"
