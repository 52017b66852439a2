"""Chapter 00: how does a network know its own derivative?

Reverse-mode automatic differentiation: every operation records how it was made, and
`backward()` replays the record in reverse, multiplying local derivatives (the chain rule).
We draw that record for one input, differentiate a small function three ways (by hand, by
autograd and by finite differences), and see where finite differences go wrong.
"""
# %% [markdown]
# **You will learn** how reverse-mode automatic differentiation turns a formula into its
# derivative by applying the chain rule one operation at a time, how to check a gradient
# with finite differences, and why their error has two sources. **You need** derivatives
# and the chain rule from calculus, and numpy arrays. **Runs in** about 1.5 s (1 s in quick
# mode) on one core.
#
# ## The question
# Take
#
# $$f(x) = x^3 - 2x + e^{-x^2}, \qquad\text{so by hand}\qquad f'(x) = 3x^2 - 2 - 2x\,e^{-x^2}.$$
#
# minnet never sees that formula: it sees a power, a product, a negation, an exponential and
# two sums, each with its own local derivative, and chains them together. This is
# backpropagation (Rumelhart, Hinton and Williams 1986), in the reverse-mode form that every
# deep-learning framework implements (Baydin et al. 2018 survey the whole family).

# %%
import numpy as np

import minnet as mn
from chapters._common import Chapter

ch = Chapter("00_autograd")
POINTS = ch.pick(full=401, quick=21)          # grid points for the derivative curves


def f(x):
    return x ** 3 - 2 * x + (-(x * x)).exp()


def f_prime_by_hand(x):
    return 3 * x ** 2 - 2 - 2 * x * np.exp(-x ** 2)


# Bookkeeping, not the lesson: record what the prose and the tests check, and print it.
def report_differences(steps, errors, truncation, rounding):
    """Print and record the error of central differences per step h; which error dominates at 1e-6."""
    ch.table({f"{h:.0e}": {"max error": e, "truncation ~": t, "rounding ~": r}
              for h, e, t, r in zip(steps, errors, truncation, rounding)}, fmt=".1e", key="h")
    at = dict(zip(steps, errors))
    best = float(steps[np.argmin(errors)])
    ch.record(difference_errors=dict(zip(steps.tolist(), errors.tolist())), best_step=best,
              max_error_vs_differences=float(at[1e-6]),
              truncation_at_1e_6=float(truncation[5]), rounding_at_1e_6=float(rounding[5]))
    dominant = "rounding" if rounding[5] > truncation[5] else "truncation"
    ch.print(f"at h = 1e-6 the error is {at[1e-6]:.1e}: the truncation estimate is {truncation[5]:.0e}, "
             f"the rounding estimate {rounding[5]:.0e}, so it is {dominant} error. "
             f"The smallest error is at h = {best:.0e}.")
    return dominant


# %% [markdown]
# ## The graph behind one number
# Evaluate $f$ at $x = 0.5$. Each op's output remembers the op that made it and that op's
# inputs; `mn.draw_graph` follows those links back from the result and draws them: leaves
# (our $x$ and the constants) on the left, each op one column right of its deepest input.

# %%
x = mn.Tensor(np.array(0.5), requires_grad=True)       # a float64 array keeps its dtype
y = f(x)
ch.show(mn.draw_graph(y, show_values=True, names={"x": x, "f(x)": y}), "graph")

# %% [markdown]
# ## Backward: the chain rule, op by op
# `y.backward()` walks that graph from right to left. If an op computes $u = g(v)$ and the
# gradient $\partial f/\partial u$ has arrived from its output, the op passes on
#
# $$\frac{\partial f}{\partial v} = \frac{\partial f}{\partial u}\, g'(v),$$
#
# the chain rule for one link; where $x$ feeds several ops, their contributions add up.
# Only leaves such as $x$ keep their gradient; `retain_grad()` asks an intermediate tensor to
# keep its own too, so that the second drawing can show the gradient of $f$ with respect to
# every box. `retain_graph=True` keeps the graph so that we can draw it again.

# %%
for node in mn.graph.trace(y)[0]:              # every tensor of the graph
    if node.requires_grad and node is not x:
        node.retain_grad()
y.backward(retain_graph=True)
ch.record(grad_at_half=float(x.grad), hand_at_half=float(f_prime_by_hand(0.5)))
ch.print(f"autograd: f'(0.5) = {float(x.grad):.15f}")
ch.print(f"by hand:  f'(0.5) = {f_prime_by_hand(0.5):.15f}")
ch.show(mn.draw_graph(y, show_values=True, show_grads=True, names={"x": x, "f(x)": y}), "graph_with_grads")

# %% [markdown]
# ## Every slope at once
# Put a whole grid of $x$ values in one tensor. Since $\sum_j f(x_j)$ has the partial
# derivative $f'(x_i)$ with respect to $x_i$, one backward through the sum gives the slope
# at every point.

# %%
import matplotlib.pyplot as plt

grid = mn.Tensor(np.linspace(-2, 2, POINTS), requires_grad=True)
values = f(grid)
values.sum().backward()
by_hand = f_prime_by_hand(grid.data)
ch.record(max_error_vs_hand=float(np.max(np.abs(grid.grad - by_hand))))
ch.print(f"max |autograd - by hand| over {POINTS} points: {ch.findings['max_error_vs_hand']:.1e}")

figure, ax = plt.subplots(figsize=(6, 4))
ax.plot(grid.data, values.data, label="f(x)")
ax.plot(grid.data, grid.grad, label="f'(x) by autograd", linewidth=3, alpha=0.6)
ax.plot(grid.data, by_hand, "k--", label="f'(x) by hand")
ax.set(xlabel="x", ylabel="value", title="Autograd recovers the derivative")
ax.legend()
ch.show(figure, "derivative")

# %% [markdown]
# ## Finite differences, and why their error has two sources
# The central difference
#
# $$f'(x) \approx \frac{f(x + h) - f(x - h)}{2h}$$
#
# approximates $f'(x)$ without any chain rule. Its error has two parts (Nocedal and Wright
# 2006, section 8.1):
#
# - **truncation error**, from the Taylor series: about $h^2 |f'''(x)|/6$, which shrinks as
#   $h$ shrinks;
# - **rounding error**: $f(x \pm h)$ are each rounded to about $\varepsilon |f(x)|$
#   ($\varepsilon \approx 2.2 \times 10^{-16}$ in float64), and dividing their difference by
#   $2h$ magnifies that to about $\varepsilon |f(x)|/h$, which *grows* as $h$ shrinks.
#
# We measure the largest error against autograd on the grid for $h$ from $10^{-1}$ to
# $10^{-12}$ and draw both estimates beside them.

# %%
def central_difference(h):
    return (f(mn.Tensor(grid.data + h)).data - f(mn.Tensor(grid.data - h)).data) / (2 * h)


steps = 10.0 ** -np.arange(1, 13)
errors = np.array([np.max(np.abs(central_difference(h) - grid.grad)) for h in steps])
third = 6 - 4 * grid.data * (2 * grid.data ** 2 - 3) * np.exp(-grid.data ** 2)   # f'''(x), by hand
truncation = steps ** 2 * np.max(np.abs(third)) / 6
rounding = np.finfo(np.float64).eps * np.max(np.abs(values.data)) / steps
dominant = report_differences(steps, errors, truncation, rounding)

# %%
figure, ax = plt.subplots(figsize=(6, 4))
ax.loglog(steps, errors, "o-", label="measured max |difference - autograd|")
ax.loglog(steps, truncation, "--", label="truncation ~ h^2 |f'''| / 6")
ax.loglog(steps, rounding, ":", label="rounding ~ eps |f| / h")
ax.set(xlabel="step h (log scale)", ylabel="error (log scale)", title="Central differences: two errors, one V")
ax.legend(fontsize="small")
ch.show(figure, "finite_difference_error")

# %% [markdown]
# ## Checking a gradient: `mn.gradcheck`
# That is exactly what `mn.gradcheck` does for any function and any op: central
# differences in float64 with a step of $h = 10^{-6}$, compared against autograd with a
# tolerance that allows for their error.

# %%
ch.record(gradcheck=mn.gradcheck(f, mn.Tensor(grid.data[:5], requires_grad=True)))
ch.print("mn.gradcheck(f, x):", ch.findings["gradcheck"])

# %% [markdown]
# ## Copy or share? What a tensor does with your array
# `mn.Tensor(array)` copies the array, as `torch.tensor` does: changing the array later does
# not change the tensor. `mn.from_numpy(array)` shares the array's memory, as
# `torch.from_numpy` does: a write to either is a write to both.

# %%
array = np.array([1.0, 2.0, 3.0])
copied, shared = mn.Tensor(array), mn.from_numpy(array)
array[0] = 100.0
ch.record(copy_sees_write=bool(copied.data[0] == 100.0), share_sees_write=bool(shared.data[0] == 100.0))
ch.print(f"after array[0] = 100: mn.Tensor(array)[0] = {copied.data[0]}, "
         f"mn.from_numpy(array)[0] = {shared.data[0]}")

# %% [markdown]
# Sharing has a trap: backward needs the values its ops saw. If you changed an array in place
# after the forward pass, the gradient would silently use the new values. So while a recorded
# op waits for backward, the arrays it holds are read-only, and an in-place write raises;
# after backward they are writeable again (this is how `layer.weight.data[...] = w` can work
# between training steps).

# %%
weights = mn.from_numpy(np.array([1.0, 2.0, 3.0]), requires_grad=True)
loss = (weights * weights).sum()
try:
    weights.data[0] = 5.0
    write_during_graph = "allowed"
except ValueError as error:
    write_during_graph = f"refused ({error})"
loss.backward()
weights.data[0] = 5.0                 # the graph is released: writing is fine again
ch.record(write_refused_while_graph_alive=write_during_graph.startswith("refused"))
ch.print(f"writing while the graph waits for backward: {write_during_graph}")
ch.print(f"after backward: grad {weights.grad}, weights now {weights.data}")

# %% [markdown]
# ## What we saw
# The graph shows $f$ as minnet sees it: a handful of ops, none of which knows the formula for
# $f'$. Backward through it gives autograd's slope, which matches the hand-derived one to
# float64 rounding over the whole grid (the maximum difference is printed above): the chain
# rule, applied op by op, is exact.
#
# Finite differences are only an approximation, and the table shows their error is a V: at
# large $h$ truncation error dominates (it falls a hundredfold per tenfold smaller $h$), at
# small $h$ rounding error dominates (it grows about tenfold per tenfold smaller $h$). At
# $h = 10^{-6}$, the step `mn.gradcheck` uses, the error is already on the rounding side: the
# printed truncation estimate there is orders of magnitude smaller than the measured error.
# That is why gradcheck works in float64 and compares with a tolerance, never with equality.
#
# `mn.Tensor(array)` took a copy and did not see the later write; `mn.from_numpy(array)`
# shared the memory and did. While the graph held the array, the in-place write was refused.

# %%
ch.headline = (f"autograd vs hand-derived f': max difference {ch.findings['max_error_vs_hand']:.1e}; "
               f"finite differences at h = 1e-6: {ch.findings['max_error_vs_differences']:.1e} "
               f"({dominant} error)")
errors = lambda f: {float(h): e for h, e in f["difference_errors"].items()}      # noqa: E731
ch.claims({
    "matches the hand-derived one to float64 rounding over the whole grid":
        lambda f: f["max_error_vs_hand"] < 1e-12 and f["grad_at_half"] == f["hand_at_half"],
    "at large $h$ truncation error dominates (it falls a hundredfold per tenfold smaller $h$)":
        lambda f: 50 < errors(f)[0.1] / errors(f)[0.01] < 200 and 50 < errors(f)[0.01] / errors(f)[0.001] < 200,
    "at small $h$ rounding error dominates (it grows about tenfold per tenfold smaller $h$)":
        lambda f: errors(f)[1e-12] > errors(f)[1e-10] > errors(f)[1e-8] and errors(f)[1e-12] > 100 * errors(f)[1e-8],
    "the error is already on the rounding side":
        lambda f: f["max_error_vs_differences"] > 100 * f["truncation_at_1e_6"]
        and f["rounding_at_1e_6"] > f["truncation_at_1e_6"],
    "`mn.Tensor(array)` took a copy and did not see the later write; `mn.from_numpy(array)` shared the memory "
    "and did":
        lambda f: not f["copy_sees_write"] and f["share_sees_write"],
    "While the graph held the array, the in-place write was refused": lambda f: f["write_refused_while_graph_alive"],
})

# %% [markdown]
# ## Exercises
# 1. Change `f` to include `.abs()` and watch autograd follow. What does it report as the
#    derivative at $x = 0$, where $|x|$ has none?
# 2. Redo the finite-difference table in float32 (`grid.data.astype(np.float32)`): where does
#    the bottom of the V move, and why ($\varepsilon \approx 1.2 \times 10^{-7}$ in float32)?
# 3. Write `class Cube(mn.Function)` with forward $x^3$ and a deliberately wrong backward, and
#    see what `mn.gradcheck` reports.

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. minnet, like PyTorch, takes $0$ as the derivative of $|x|$ at $x = 0$ (a subgradient);
#    everywhere else autograd gives $\operatorname{sign}(x)$ times the chain.
# 2. The V's bottom sits where the two errors are equal,
#    $h^2 |f'''|/6 \approx \varepsilon |f|/h$, that is at $h \approx (3\varepsilon |f|/|f'''|)^{1/3}$:
#    with float32's larger $\varepsilon$ it moves up by about $(2^{29})^{1/3} \approx 800$, to
#    $h$ around $10^{-3}$ to $10^{-2}$, and the smallest error is far larger.
# 3. For example `backward` returning `grad * 2 * x` instead of `grad * 3 * x ** 2`:
#    `mn.gradcheck` raises and names the input, the element, the analytic and the numerical
#    value.
#
# </details>

# %% [markdown]
# ## References
# - Rumelhart, D. E., Hinton, G. E. and Williams, R. J. (1986). Learning representations by
#   back-propagating errors. Nature 323, 533-536. https://doi.org/10.1038/323533a0
# - Baydin, A. G., Pearlmutter, B. A., Radul, A. A. and Siskind, J. M. (2018). Automatic
#   differentiation in machine learning: a survey. JMLR 18(153). https://jmlr.org/papers/v18/17-468.html
# - Nocedal, J. and Wright, S. J. (2006). Numerical Optimization, 2nd ed., section 8.1
#   (finite-difference derivative approximations). Springer.
#   https://doi.org/10.1007/978-0-387-40065-5
# - Karpathy, A. (2020). micrograd: a tiny scalar-valued autograd engine.
#   https://github.com/karpathy/micrograd
