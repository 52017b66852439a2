"""Per-op overhead: forward + backward of one op in minnet against the same work in plain numpy.

For each op the numpy version is the forward with its backward written out by hand, so
minnet / numpy is what the autograd engine costs (graph recording, Tensor wrappers, the
topological sort, gradient bookkeeping). At 10x10 the arithmetic is nearly free and the ratio
is pure overhead; at 256x256 the arithmetic dominates and the ratio should approach 1.
PyTorch (CPU) is timed too when it is installed. All three get the same upstream gradient,
made once outside the timed call; the gradient of a sum is a broadcast 1 in each.

    python -m benchmarks.bench_ops
"""
import numpy as np

import minnet as mn
from benchmarks._timing import THREADS, interleaved_medians, try_import_torch

SIZES = {"small": 10, "medium": 256}
# Calls per timed block, so that one block lasts about a millisecond or more.
INNER = {"small": 200, "medium": 5}
DTYPE = np.float32


def _arrays(n, rng):
    return {"a": rng.standard_normal((n, n)).astype(DTYPE),
            "b": rng.standard_normal((n, n)).astype(DTYPE),
            "w1": (rng.standard_normal((n, n)) / np.sqrt(n)).astype(DTYPE),
            "b1": np.zeros(n, DTYPE),
            "w2": (rng.standard_normal((n, n)) / np.sqrt(n)).astype(DTYPE),
            "b2": np.zeros(n, DTYPE),
            "rows": rng.integers(0, n, size=n)}   # repeated rows, as in an embedding lookup


# --- numpy: forward, then the backward written by hand -----------------------------------------

def _numpy_steps(arr):
    a, b, rows = arr["a"], arr["b"], arr["rows"]
    grad = np.ones_like(a)

    def add():
        out = a + b
        return out, grad, grad

    def mul():
        out = a * b
        return out, grad * b, grad * a

    def matmul():
        out = a @ b
        return out, grad @ b.T, a.T @ grad

    def exp():
        out = np.exp(a)
        return out, grad * out

    def sum_():
        out = a.sum()
        return out, np.broadcast_to(out.dtype.type(1), a.shape)    # as minnet's and torch's

    def getitem():
        out = a[rows]
        grad_a = np.zeros_like(a)
        np.add.at(grad_a, rows, grad)       # the upstream gradient made outside, as for all
        return out, grad_a

    def mlp():
        w1, b1, w2, b2 = arr["w1"], arr["b1"], arr["w2"], arr["b2"]
        z = a @ w1 + b1
        h = np.maximum(z, 0)
        y = h @ w2 + b2
        diff = y - b
        loss = (diff * diff).mean()
        grad_y = 2 * diff / diff.size
        grad_w2, grad_b2 = h.T @ grad_y, grad_y.sum(axis=0)
        grad_z = (grad_y @ w2.T) * (z > 0)
        grad_w1, grad_b1 = a.T @ grad_z, grad_z.sum(axis=0)
        return loss, grad_w1, grad_b1, grad_w2, grad_b2

    return {"add": add, "mul": mul, "matmul": matmul, "exp": exp, "sum": sum_,
            "getitem": getitem, "mlp": mlp}


# --- minnet: the forward only; autograd writes the backward --------------------------------------

def _minnet_steps(arr):
    a = mn.Tensor(arr["a"], requires_grad=True)
    b = mn.Tensor(arr["b"], requires_grad=True)
    params = [mn.Tensor(arr[k], requires_grad=True) for k in ("w1", "b1", "w2", "b2")]
    target = mn.Tensor(arr["b"])
    rows = arr["rows"]
    grad = np.ones_like(arr["a"])

    def run(out, *leaves, grad_out=grad):
        for leaf in leaves:
            leaf.grad = None
        out.backward(grad_out)

    def mlp():
        w1, b1, w2, b2 = params
        h = (a @ w1 + b1).clip(min=0)
        diff = h @ w2 + b2 - target
        run((diff * diff).mean(), a, *params, grad_out=None)

    return {"add": lambda: run(a + b, a, b),
            "mul": lambda: run(a * b, a, b),
            "matmul": lambda: run(a @ b, a, b),
            "exp": lambda: run(a.exp(), a),
            "sum": lambda: run(a.sum(), a, grad_out=None),
            "getitem": lambda: run(a[rows], a),
            "mlp": mlp}


def _torch_steps(torch, arr):
    a = torch.tensor(arr["a"], requires_grad=True)
    b = torch.tensor(arr["b"], requires_grad=True)
    w1, b1, w2, b2 = (torch.tensor(arr[k], requires_grad=True) for k in ("w1", "b1", "w2", "b2"))
    target = torch.tensor(arr["b"])
    rows = torch.tensor(arr["rows"])
    grad = torch.ones_like(a)

    def run(out, *leaves, grad_out=grad):
        for leaf in leaves:
            leaf.grad = None
        out.backward(grad_out)

    def mlp():
        h = torch.relu(a @ w1 + b1)
        diff = h @ w2 + b2 - target
        run((diff * diff).mean(), a, w1, b1, w2, b2, grad_out=None)

    return {"add": lambda: run(a + b, a, b),
            "mul": lambda: run(a * b, a, b),
            "matmul": lambda: run(a @ b, a, b),
            "exp": lambda: run(a.exp(), a),
            "sum": lambda: run(a.sum(), a, grad_out=None),
            "getitem": lambda: run(a[rows], a),
            "mlp": mlp}


def main():
    torch = try_import_torch()
    rng = np.random.default_rng(0)
    print(f"forward + backward per call, float32, median of 7 interleaved repeats, {THREADS} threads")
    header = f"{'op':<9} {'size':>8} {'numpy us':>10} {'minnet us':>10} {'minnet/numpy':>13} {'overhead us':>12}"
    if torch is not None:
        header += f" {'torch us':>9} {'minnet/torch':>13}"
    print(header)
    results = {}
    for size_name, n in SIZES.items():
        arr = _arrays(n, rng)
        numpy_steps, minnet_steps = _numpy_steps(arr), _minnet_steps(arr)
        torch_steps = _torch_steps(torch, arr) if torch is not None else {}
        for op in numpy_steps:
            steps = {"numpy": numpy_steps[op], "minnet": minnet_steps[op]}
            if torch is not None:
                steps["torch"] = torch_steps[op]
            medians = interleaved_medians(steps, repeats=7, warmup=2, inner=INNER[size_name])
            results[op, size_name] = medians
            us = {name: seconds * 1e6 for name, seconds in medians.items()}
            line = (f"{op:<9} {f'{n}x{n}':>8} {us['numpy']:10.1f} {us['minnet']:10.1f} "
                    f"{us['minnet'] / us['numpy']:13.2f} {us['minnet'] - us['numpy']:12.1f}")
            if torch is not None:
                line += f" {us['torch']:9.1f} {us['minnet'] / us['torch']:13.2f}"
            print(line, flush=True)
    return results


if __name__ == "__main__":
    main()
