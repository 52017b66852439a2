"""Chapter 00: how does a network know its own derivative?

Reverse-mode automatic differentiation: every operation records how it was made, and
`backward()` replays the record in reverse, multiplying local derivatives (the chain rule).
We differentiate a small function three ways, by hand, by autograd and by finite
differences, and check that they agree.
"""
# %% [markdown]
# ## The question
# Take f(x) = x^3 - 2x + e^(-x^2). By hand, f'(x) = 3x^2 - 2 - 2x e^(-x^2).
# minnet never sees that formula: it sees a power, a product, a negation, an exponential and
# two sums, each with its own local derivative, and chains them together.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minnet as mn  # noqa: E402
from chapters._common import figure_dir, quick_mode  # noqa: E402


def f(x):
    return x ** 3 - 2 * x + (-(x * x)).exp()


def f_prime_by_hand(x):
    return 3 * x ** 2 - 2 - 2 * x * np.exp(-x ** 2)


def main(quick: bool = quick_mode()) -> dict:
    points = 21 if quick else 401
    x = mn.Tensor(np.linspace(-2, 2, points), requires_grad=True)   # float64, as given
    y = f(x)
    y.sum().backward()            # d(sum f(x_i))/dx_i = f'(x_i): one backward gives every slope

    by_hand = f_prime_by_hand(x.data)
    eps = 1e-6
    by_differences = (f(mn.Tensor(x.data + eps)).data - f(mn.Tensor(x.data - eps)).data) / (2 * eps)

    figure, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x.data, y.data, label="f(x)")
    ax.plot(x.data, x.grad, label="f'(x) by autograd", linewidth=3, alpha=0.6)
    ax.plot(x.data, by_hand, "k--", label="f'(x) by hand")
    ax.set(xlabel="x", ylabel="value", title="Autograd recovers the derivative")
    ax.legend()
    path = figure_dir("00_autograd") / "derivative.png"
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)

    return {
        "max_error_vs_hand": float(np.max(np.abs(x.grad - by_hand))),
        "max_error_vs_differences": float(np.max(np.abs(x.grad - by_differences))),
        "gradcheck": mn.gradcheck(f, mn.Tensor(x.data[:5], requires_grad=True)),
        "figure": str(path),
    }


def headline(findings: dict) -> str:
    return f"autograd vs hand-derived f': max difference {findings['max_error_vs_hand']:.1e}"


# %% [markdown]
# ## What we saw
# Autograd's slope matches the hand-derived one to rounding error, and central finite
# differences agree to their own truncation error (both maxima are printed below): the chain
# rule, applied op by op, is exact; finite differences are only an approximation.
#
# ## Try it yourself
# 1. Change `f` to include `.sqrt()` or `.abs()` and watch autograd follow; what happens to
#    the derivative at x = 0 for `abs`? (minnet, like PyTorch, takes 0 there.)
# 2. Make `eps` in the finite differences 1e-2 and then 1e-12: one error grows with eps, the
#    other with rounding. Which eps gives the smallest difference from autograd?
# 3. Write `class Cube(mn.Function)` with forward x^3 and a deliberately wrong backward, and
#    see `mn.gradcheck` name the input, the element and both values.

if __name__ == "__main__":
    findings = main()
    print(f"max |autograd - by hand|           = {findings['max_error_vs_hand']:.2e}")
    print(f"max |autograd - finite difference| = {findings['max_error_vs_differences']:.2e}")
    print(f"figure: {findings['figure']}")
