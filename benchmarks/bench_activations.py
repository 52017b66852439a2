"""W5 and friends: forward + backward of activations on 4,000,000 float32 values.

    python -m benchmarks.bench_activations            ReLU, sigmoid, tanh, SiLU (W5), GELU
    MINNET_BENCH_ALL=1 python -m benchmarks.bench_activations     every activation
    python -m benchmarks.bench_activations relu gelu  only these (MINNET_BENCH_REPEATS=7)
    MINNET_BENCH_CLOCK=cpu MINNET_BENCH_THREADS=1 ...     on a busy machine: CPU time, 1 thread

Three implementations do the same work on the same input, interleaved so that machine drift
hits all alike: minnet, the hand-written numpy reference of numpy_activations.py (the fewest
passes over memory plain numpy allows: the lower bound for any numpy framework; the table
shows its forward + backward pass count) and PyTorch (when installed; the faster of 2
threads and 1). Two ways of driving backward, each timed for all three:

- upstream gradient: y = act(x); y.backward(g), with g made once, outside the timed step;
- sum loss: act(x).sum().backward(), the loss supplying the gradient (a broadcast 1 in the
  numpy reference, as in minnet's and PyTorch's backward of sum). The default run times it
  for SiLU only, to stay short; MINNET_BENCH_ALL=1 times it for every activation.

Times are medians of the repeats after a warm-up, ratios medians of the per-round ratios.
Layers use PyTorch's default arguments (Threshold(0.5, -1.0) and Maxout(2), which have none)
and run in evaluation mode (RReLU's mean slope).
Before timing, each reference is checked against minnet's output and gradient.
The goal: minnet within 2.5x of PyTorch for ReLU, sigmoid, tanh, SiLU and GELU (W5 is SiLU),
and every activation within 1.2x of its numpy reference.
"""
import os
import statistics
import sys

import numpy as np

import minnet as mn
from benchmarks._timing import (THREADS, fastest_torch, interleaved_times, paired_ratio,
                                peak_memory_mb, print_header, torch_with_threads, try_import_torch)
from benchmarks.numpy_activations import REFERENCES, gelu_scipy_erf
from minnet.nn import ACTIVATIONS

SIZE = (2000, 2000)                 # 4,000,000 values
REPEATS = int(os.environ.get("MINNET_BENCH_REPEATS", "7"))
GOAL_NAMES = ("relu", "sigmoid", "tanh", "silu", "gelu")
TORCH_GOAL, NUMPY_GOAL = 2.5, 1.2
ARGUMENTS = {"threshold": {"threshold": 0.5, "value": -1.0}, "maxout": {"pieces": 2}}


def _torch_layers(torch):
    """PyTorch's module of the same name; compositions where PyTorch has none."""
    nn = torch.nn
    return {
        "identity": nn.Identity(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "relu": nn.ReLU(),
        "leaky_relu": nn.LeakyReLU(), "prelu": nn.PReLU(), "rrelu": nn.RReLU(), "relu6": nn.ReLU6(),
        "elu": nn.ELU(), "selu": nn.SELU(), "celu": nn.CELU(), "gelu": nn.GELU(),
        "swish": lambda x: x * torch.sigmoid(x), "silu": nn.SiLU(), "mish": nn.Mish(),
        "softsign": nn.Softsign(), "softplus": nn.Softplus(), "log_sigmoid": nn.LogSigmoid(),
        "hard_sigmoid": nn.Hardsigmoid(), "hard_swish": nn.Hardswish(), "hard_tanh": nn.Hardtanh(),
        "tanhshrink": nn.Tanhshrink(), "softshrink": nn.Softshrink(), "hardshrink": nn.Hardshrink(),
        "threshold": nn.Threshold(0.5, -1.0),
        "maxout": lambda x: x.unflatten(-1, (-1, 2)).amax(dim=-1),
        "glu": nn.GLU(), "softmax": nn.Softmax(dim=-1), "log_softmax": nn.LogSoftmax(dim=-1),
        "softmin": nn.Softmin(dim=-1),
    }


def _check_reference(name, layer, data, grad):
    """The reference computes what minnet computes (value and input gradient)."""
    x = mn.Tensor(data, requires_grad=True)
    y = layer(x)
    y.backward(grad)
    reference_y, reference_grad = REFERENCES[name][0](data, grad)[:2]
    np.testing.assert_allclose(reference_y, y.data, rtol=1e-5, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(reference_grad, x.grad, rtol=1e-4, atol=1e-5, err_msg=name)


def _steps(name, layer, torch_layer, torch, data, grad, loss):
    """The timed steps of each implementation: one forward + backward each."""
    x = mn.Tensor(data, requires_grad=True)
    reference = REFERENCES[name][0] if name in REFERENCES else None
    ones = np.broadcast_to(np.float32(1), grad.shape)       # d(sum y)/dy, as backward of sum

    if loss:
        def minnet_step():
            x.grad = None
            layer(x).sum().backward()

        def numpy_step():
            y = reference(data, ones)[0]
            return y.sum()
    else:
        def minnet_step():
            x.grad = None
            layer(x).backward(grad)

        def numpy_step():
            return reference(data, grad)

    steps = {"minnet": minnet_step}
    if reference is not None:
        steps["numpy"] = numpy_step
    if torch_layer is not None:
        tx, tgrad = torch.from_numpy(data.copy()).requires_grad_(), torch.from_numpy(grad)

        def torch_step():
            tx.grad = None
            ty = torch_layer(tx)
            ty.sum().backward() if loss else ty.backward(tgrad)
        steps["torch"] = torch_step
        if THREADS > 1:
            steps["torch 1 thread"] = torch_with_threads(torch, torch_step, 1)
    return steps


def _ratio(rounds, name, peer):
    ratio = paired_ratio(rounds, name, peer) if peer in rounds else None
    return f"{ratio:9.2f}" if ratio is not None else f"{'-':>9}"


def time_activation(name, torch, torch_layers, data, grad, losses=(False, True)):
    """Print one row per way of driving backward; return minnet's ratios to torch and numpy."""
    layer = ACTIVATIONS[name](**ARGUMENTS.get(name, {})).eval()
    with mn.no_grad():
        output_shape = layer(mn.Tensor(data[:1])).shape[1:]      # GLU and Maxout halve it
    grad = np.ascontiguousarray(grad[:, :output_shape[-1]])
    torch_layer = torch_layers.get(name)
    if hasattr(torch_layer, "eval"):
        torch_layer.eval()
    passes = ""
    if name in REFERENCES:
        _check_reference(name, layer, data, grad)
        passes = f"{REFERENCES[name][1]}+{REFERENCES[name][2]}"
    ratios = {}
    for loss in losses:
        rounds = interleaved_times(_steps(name, layer, torch_layer, torch, data, grad, loss),
                                   repeats=REPEATS, warmup=1)
        ms = {n: statistics.median(seconds) * 1e3 for n, seconds in rounds.items()}
        torch_row = fastest_torch(rounds)
        cells = [f"{ms[n]:10.1f}" if n in ms else f"{'-':>10}" for n in ("minnet", "numpy", torch_row)]
        print(f"{name if not loss else '':<14}{'sum loss' if loss else 'upstream':<10}{passes:>7}"
              f"{''.join(cells)}{_ratio(rounds, 'minnet', 'numpy')}{_ratio(rounds, 'minnet', torch_row)}"
              f"{_ratio(rounds, 'numpy', torch_row)}", flush=True)
        ratios["sum loss" if loss else "upstream"] = (
            paired_ratio(rounds, "minnet", torch_row) if torch_row else None,
            paired_ratio(rounds, "minnet", "numpy") if "numpy" in rounds else None)
    return ratios


def main(names=()):
    torch = try_import_torch()
    torch_layers = _torch_layers(torch) if torch is not None else {}
    np.seterr(over="ignore")               # the references' e^-x may overflow (to inf, the limit)
    rng = np.random.default_rng(0)
    data = rng.standard_normal(SIZE).astype(np.float32) * 3
    grad = rng.standard_normal(SIZE).astype(np.float32)
    every = os.environ.get("MINNET_BENCH_ALL") == "1"
    names = names or (ACTIVATIONS if every else GOAL_NAMES)

    print_header(f"forward + backward on {data.size:,} float32 values, median of {REPEATS} "
                 f"(W5 = silu); torch is the faster of its {THREADS} threads and 1", torch)
    print(f"{'activation':<14}{'gradient':<10}{'passes':>7}{'minnet ms':>10}{'numpy ms':>10}"
          f"{'torch ms':>10}{'mn/np':>9}{'mn/torch':>9}{'np/torch':>9}")
    results = {name: time_activation(name, torch, torch_layers, data, grad,
                                     (False, True) if every or name == "silu" else (False,))
               for name in ACTIVATIONS if name in names}
    if "gelu" in results:
        scipy_ms = statistics.median(interleaved_times(
            {"scipy": lambda: gelu_scipy_erf(data, grad)}, repeats=3, warmup=1)["scipy"]) * 1e3
        print(f"  gelu with scipy's erf instead (5 + 7 passes, but one element at a time): "
              f"{scipy_ms:.1f} ms")
    if "silu" in results:
        x = mn.Tensor(data, requires_grad=True)
        layer = ACTIVATIONS["silu"]()

        def minnet_step():
            x.grad = None           # as the timed step: no gradient summed into the last one
            layer(x).backward(grad)
        print(f"  W5 peak memory: minnet {peak_memory_mb(minnet_step):.1f} MB, "
              f"numpy {peak_memory_mb(lambda: REFERENCES['silu'][0](data, grad)):.1f} MB "
              f"(tracemalloc; input 15.3 MB)")
    _summary(results)


def _summary(results):
    """Which goals were met, taking the worse of the two ways of driving backward."""
    def worst(ratios, i):
        values = [pair[i] for pair in ratios.values() if pair[i] is not None]
        return max(values) if values else None

    torch_missed = [n for n in GOAL_NAMES if n in results and (worst(results[n], 0) or 0) > TORCH_GOAL]
    numpy_missed = [n for n, r in results.items() if (worst(r, 1) or 0) > NUMPY_GOAL]
    print(f"goal minnet/torch <= {TORCH_GOAL} (relu, sigmoid, tanh, silu, gelu): "
          + (f"missed for {torch_missed}" if torch_missed else "met"))
    print(f"goal minnet/numpy <= {NUMPY_GOAL} (every activation with a reference): "
          + (f"missed for {numpy_missed}" if numpy_missed else "met"))


if __name__ == "__main__":
    main(sys.argv[1:])
