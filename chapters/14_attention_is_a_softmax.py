"""Chapter 14: what is attention, and why does it divide by sqrt(d)?

We run attention by hand as a soft dictionary lookup, measure what the softmax does to the
scores and to their gradient with and without the 1/sqrt(d) scale, and then put attention
and an LSTM to a memory task, retrieving the value stored with a key, as the number of
stored pairs grows, with the attention weights drawn.
"""
# %% [markdown]
# **You will learn** how attention is a softmax over similarities that turns a lookup into a
# weighted average, why its scores are divided by $\sqrt{d}$ (an unscaled softmax saturates
# and its gradient vanishes), and why attention retrieves from a long sequence what an LSTM
# must carry in its state. **You need** chapter 04 (softmax) and chapter 13 (recurrent
# networks). **Runs in** about 30 s (5 s in quick mode) on one core.
#
# ## The question
# A Python dictionary maps a key to a value: `table[query]` finds the key equal to the query
# and returns its value. Attention (Bahdanau, Cho and Bengio 2015; Vaswani et al. 2017) does
# the same with vectors, softly. Given a query $q \in \mathbb{R}^d$, keys $k_1, \dots, k_S$
# and values $v_1, \dots, v_S$, it scores every key by its similarity to the query, turns the
# scores into weights with a softmax (chapter 04), and returns the weighted average of the
# values:
#
# $$s_j = \frac{q \cdot k_j}{\sqrt{d}}, \qquad p_j = \frac{e^{s_j}}{\sum_{l} e^{s_l}}, \qquad
# \mathrm{attention}(q) = \sum_j p_j\, v_j.$$
#
# For many queries at once, stacked as the rows of $Q$ (keys in $K$, values in $V$), this is
# $\mathrm{softmax}(Q K^\top / \sqrt{d})\, V$, `mn.nn.functional.scaled_dot_product_attention`.
# When one score is far above the others, the weights are nearly one-hot and attention is a
# lookup; when the scores are close, it averages. Everything is differentiable, so a network
# can learn what to use as queries, keys and values.
#
# Why $\sqrt{d}$? If the entries of $q$ and $k$ are independent with mean $0$ and variance
# $1$, then $q \cdot k$ is a sum of $d$ such products: its variance is $d$. Without the scale,
# wider vectors give wider scores, and a softmax of widely spread scores is nearly one-hot.
# Its Jacobian,
#
# $$\frac{\partial p_i}{\partial s_j} = p_i\,(\delta_{ij} - p_j),$$
#
# is then nearly zero everywhere (every $p_i$ is $0$ or $1$), so no gradient reaches the
# queries and keys: the same saturation that stopped the sigmoid in chapter 03.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minnet as mn
from chapters._common import Chapter

ch = Chapter("14_attention_is_a_softmax")
WIDTHS = (4, 16, 64, 256, 1024)          # d, the width of queries and keys
NUM_KEYS = 16                            # keys per query in the saturation measurement
PAIRS = ch.pick(full=(2, 4, 8, 16), quick=(2, 8))
TRAINING_STEPS = ch.pick(full=1000, quick=300)
NUM_KEYS_RECALL, NUM_VALUES, WIDTH, HIDDEN, BATCH, LEARNING_RATE = 32, 16, 32, 64, 64, 0.01

# %% [markdown]
# The bookkeeping (recording findings for the prose and the tests, tables, figure styling)
# lives in the helpers of the next cell; skip it on a first reading.

# %%
MODEL_COLOURS = {"LSTM": "#000000", "attention": "#D55E00", "unscaled": "#E69F00", "scaled": "#0072B2"}


def record_lookups(lookups, values):
    ch.record(lookups=lookups, values_mean=float(values.mean()), nearest_value=float(values[2, 0]),
              by_hand_difference=max(abs(row["output"] - row["by hand"]) for row in lookups.values()))
    ch.table({f"beta = {beta:g}": row for beta, row in lookups.items()}, fmt=".3f",
             key="weights p_j and output")
    ch.print(f"largest |library - by hand|: {ch.findings['by_hand_difference']:.1e}; the values: "
             f"{', '.join(f'{v:g}' for v in values[:, 0])} (mean {values.mean():g})")


def record_saturation(saturation):
    ch.record(saturation={name: {"score std": s, "largest weight": p, "median ||dL/ds||": g}
                          for name, (s, p, g) in saturation.items()}, widths=list(WIDTHS))
    ch.table(ch.findings["saturation"], fmt=".3g", key=f"{NUM_KEYS} keys per query")


def plot_saturation(saturation):
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    for kind in ("unscaled", "scaled"):
        rows = [saturation[f"{kind}, d = {d}"] for d in WIDTHS]
        label = "q.k" if kind == "unscaled" else "q.k / sqrt(d)"
        axes[0].plot(WIDTHS, [p for _, p, _ in rows], marker="o", color=MODEL_COLOURS[kind], label=label)
        axes[1].plot(WIDTHS, [g for _, _, g in rows], marker="o", color=MODEL_COLOURS[kind], label=label)
    axes[0].axhline(1 / NUM_KEYS, color="grey", linestyle=":", label=f"uniform (1/{NUM_KEYS})")
    axes[0].set_ylabel("mean largest weight max_j p_j")
    axes[1].set_ylabel("median ||dL/ds|| over queries (log scale)")
    axes[1].set_yscale("log")
    for ax, title in zip(axes, ("How one-hot the softmax is", "Gradient reaching the scores")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("width d of queries and keys (log scale)")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    return figure


def record_recall(accuracy):
    ch.record(recall=accuracy, pairs=list(PAIRS), training_steps=TRAINING_STEPS)
    ch.table({model: {f"{p} pairs (length {2 * p + 2})": a for p, a in row.items()}
              for model, row in accuracy.items()}, fmt=".3f", key=f"accuracy after {TRAINING_STEPS} steps")
    ch.print(f"chance: 1/{NUM_VALUES} = {1 / NUM_VALUES:.3f}; answering with a value seen: 1/pairs")


def plot_recall(accuracy):
    figure, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    for model, row in accuracy.items():
        ax.plot(list(row), list(row.values()), marker="o", color=MODEL_COLOURS[model], label=model)
    ax.plot(PAIRS, [1 / p for p in PAIRS], ":", color="grey", label="1 / pairs (a value it has seen)")
    ax.axhline(1 / NUM_VALUES, color="grey", linestyle="--", label=f"chance (1/{NUM_VALUES})")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(PAIRS), [str(p) for p in PAIRS])
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("(key, value) pairs in the sequence")
    ax.set_ylabel("validation accuracy")
    ax.set_title(f"Associative recall after {TRAINING_STEPS} Adam steps")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return figure


def record_weights(weights, stored_at):
    rows = np.arange(len(weights))
    ch.record(weight_on_value=float(np.mean(weights[rows, stored_at])),
              looks_at_value=float(np.mean(weights.argmax(axis=1) == stored_at)))
    ch.print(f"{len(weights)} validation sequences: the largest weight falls on the stored value's position in "
             f"{ch.findings['looks_at_value']:.1%} of them; mean weight there {ch.findings['weight_on_value']:.3f}")


def plot_weights(weights, ids, stored_at):
    figure, ax = plt.subplots(figsize=(8, 3.4), layout="constrained")
    image = ax.imshow(weights, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.scatter(stored_at, np.arange(len(weights)), s=90, facecolors="none", edgecolors="white", linewidths=1.5)
    names = ["k" if i < NUM_KEYS_RECALL else "v" if i < VOCABULARY - 1 else "?" for i in ids[0]]
    ax.set_xticks(np.arange(ids.shape[1]), names, fontsize="small")
    ax.set_xlabel("position (k: a key, v: a value, ?: the query marker, then the queried key)")
    ax.set_ylabel("validation sequence")
    ax.set_title("Attention weights of the last position (circle: the stored value)")
    figure.colorbar(image, ax=ax, label="weight")
    return figure


# %% [markdown]
# ## A soft dictionary lookup
# Five keys $k_1, \dots, k_5$ in $\mathbb{R}^8$ with five values (one number each, to read
# them easily), and a query that is $k_3$ plus a little noise. We multiply the scores by a sharpness $\beta$
# (passing `scale` $= \beta/\sqrt{d}$) to watch the weights go from an average to a lookup.

# %%
rng = np.random.default_rng(ch.seed)
keys = rng.normal(size=(5, 8))
values = np.array([[10.0], [20.0], [90.0], [40.0], [50.0]])
query = keys[2] + 0.3 * rng.normal(size=8)

lookups = {}
for sharpness in (0.0, 0.25, 1.0, 4.0, 16.0):
    out = mn.nn.functional.scaled_dot_product_attention(query[None], keys, values, scale=sharpness / np.sqrt(8))
    scores = sharpness * keys @ query / np.sqrt(8)
    weights = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    lookups[sharpness] = {"output": out.item(), "by hand": float(weights @ values[:, 0]),
                          **{f"p{j + 1}": weights[j] for j in range(5)}}
record_lookups(lookups, values)

# %% [markdown]
# ## Why divide by $\sqrt{d}$: the softmax saturates
# Queries and keys with independent standard normal entries, $16$ keys per query, at widths
# $d$ from $4$ to $1024$. For each width we compute the scores with and without the
# $1/\sqrt{d}$, their softmax, and the gradient that reaches the scores from a loss that
# weighs the weights at random, $L = \sum_j g_j\, p_j$ with $g_j \sim N(0, 1)$: that is the
# softmax's Jacobian at work, whatever comes after it.

# %%
def softmax_at_width(d, scaled, queries=256):
    """(std of the scores, mean largest weight, median ||dL/ds|| over the queries) for width d."""
    generator = np.random.default_rng(ch.seed)
    q = generator.normal(size=(queries, 1, d))
    k = generator.normal(size=(queries, NUM_KEYS, d))
    scores = mn.Tensor((q @ k.transpose(0, 2, 1)) / (np.sqrt(d) if scaled else 1.0), requires_grad=True)
    weights = mn.nn.Softmax()(scores)
    (weights * generator.normal(size=weights.shape)).sum().backward()
    return (float(scores.data.std()), float(weights.data.max(axis=-1).mean()),
            float(np.median(np.linalg.norm(scores.grad, axis=-1))))


saturation = {f"{'scaled' if scaled else 'unscaled'}, d = {d}": softmax_at_width(d, scaled)
              for scaled in (False, True) for d in WIDTHS}
record_saturation(saturation)
ch.show(plot_saturation(saturation), "softmax_saturation")

# %% [markdown]
# ## A memory task: retrieve the value stored with a key
# Associative recall (Graves, Wayne and Danihelka 2014; Ba et al. 2016): a sequence of
# (key, value) pairs, then a query marker and one of the keys; the answer is the value stored
# with that key. There are $32$ keys and $16$ values; a model that knew nothing would be right
# one time in $16$, and one that answers with some value it has seen, one time in the number
# of pairs. The number of pairs sets the sequence's length, $2 \times \text{pairs} + 2$.
#
# Both models read the same input: each position's token embedding plus an embedding of the
# token before it (so a value's position also says which key it belongs to, which is what a
# first attention layer would otherwise have to learn). The **LSTM** reads the sequence
# step by step and answers from its last state. The **attention** model lets the last
# position (the queried key) attend over all positions with one `MultiheadAttention` head
# and answers from what it retrieves. Both train with Adam at the same rate, on the same
# fresh batches, for the same number of steps (printed with the table).

# %%
def with_previous(ids):
    """Each position's previous token; the first position gets the id "no previous token"."""
    return np.concatenate([np.full((len(ids), 1), VOCABULARY), ids[:, :-1]], axis=1)


class RecallLSTM(mn.nn.Module):
    def __init__(self):
        self.token, self.previous = mn.nn.Embedding(VOCABULARY, WIDTH), mn.nn.Embedding(VOCABULARY + 1, WIDTH)
        self.lstm = mn.nn.LSTM(WIDTH, HIDDEN, batch_first=True)
        self.head = mn.nn.Dense(HIDDEN, NUM_VALUES)

    def forward(self, ids):
        states, _ = self.lstm(self.token(ids) + self.previous(with_previous(ids)))
        return self.head(states[:, -1])


class RecallAttention(mn.nn.Module):
    def __init__(self):
        self.token, self.previous = mn.nn.Embedding(VOCABULARY, WIDTH), mn.nn.Embedding(VOCABULARY + 1, WIDTH)
        self.attention = mn.nn.MultiheadAttention(WIDTH, num_heads=1, batch_first=True)
        self.head = mn.nn.Dense(WIDTH, NUM_VALUES)

    def forward(self, ids, keep_weights=False):
        h = self.token(ids) + self.previous(with_previous(ids))
        retrieved, self.weights = self.attention(h[:, -1:], h, h, need_weights=keep_weights)
        return self.head(retrieved[:, 0])


VOCABULARY = NUM_KEYS_RECALL + NUM_VALUES + 1            # keys, values, the query marker


def train(make_model, pairs):
    """Adam on fresh batches; (model, accuracy on 500 validation sequences)."""
    mn.manual_seed(ch.seed)
    model, loss_fn = make_model(), mn.nn.CrossEntropyLoss()
    optimizer = mn.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    batches = np.random.default_rng(ch.seed)
    for _ in range(TRAINING_STEPS):
        X, y = mn.datasets.make_key_value_recall(BATCH, pairs, NUM_KEYS_RECALL, NUM_VALUES, seed=batches)
        optimizer.zero_grad()
        loss_fn(model(X), y).backward()
        optimizer.step()
    X_val, y_val = mn.datasets.make_key_value_recall(500, pairs, NUM_KEYS_RECALL, NUM_VALUES, seed=1000 + ch.seed)
    with mn.no_grad():
        return model, float(np.mean(model(X_val).data.argmax(axis=1) == y_val))


accuracy, models = {"LSTM": {}, "attention": {}}, {}
for pairs in PAIRS:
    _, accuracy["LSTM"][pairs] = train(RecallLSTM, pairs)
    models[pairs], accuracy["attention"][pairs] = train(RecallAttention, pairs)
record_recall(accuracy)
ch.show(plot_recall(accuracy), "recall_by_pairs")

# %% [markdown]
# ## Where does the attention look?
# The trained attention model at the largest number of pairs, on validation sequences: the
# weights of its one query over the positions, one row per sequence. The circle marks the
# position of the value stored with the queried key.

# %%
pairs = PAIRS[-1]
X_show, y_show = mn.datasets.make_key_value_recall(500, pairs, NUM_KEYS_RECALL, NUM_VALUES, seed=2000 + ch.seed)
with mn.no_grad():
    models[pairs](X_show, keep_weights=True)
weights = models[pairs].weights.data[:, 0]                         # (sequences, positions)
stored_at = 1 + 2 * np.argmax(X_show[:, 0:2 * pairs:2] == X_show[:, -1:], axis=1)   # the value's position
record_weights(weights, stored_at)
ch.show(plot_weights(weights[:8], X_show[:8], stored_at[:8]), "attention_weights")

ch.headline = (f"unscaled softmax at d = {WIDTHS[-1]}: largest weight "
               f"{ch.findings['saturation'][f'unscaled, d = {WIDTHS[-1]}']['largest weight']:.2f}; recall at "
               f"{PAIRS[-1]} pairs: attention {accuracy['attention'][PAIRS[-1]]:.2f}, LSTM {accuracy['LSTM'][PAIRS[-1]]:.2f}")

# %% [markdown]
# ## What we saw
# The first table is a dictionary lookup made soft. With sharpness $\beta = 0$ every weight is
# $1/5$ and attention returns exactly the mean of the values; as $\beta$ grows the weight
# moves to the key nearest the query, $k_3$, and at the largest $\beta$ attention returns its
# value, as `table[query]` would. The library's op and the formula by hand agree to rounding.
# In a trained network nobody sets $\beta$: the sizes of the learned queries and keys do.
#
# The second experiment measures the argument for $\sqrt{d}$. Without the scale, the
# scores' standard deviation grows as $\sqrt{d}$, as the variance argument predicts; divided
# by $\sqrt{d}$ it stays at $1$ at every width. The unscaled softmax becomes nearly one-hot
# as $d$ grows (its largest weight climbs towards $1$; the figure's left panel), and the
# gradient that reaches the scores collapses: at the widest $d$ the typical query's gradient
# is thousands of times smaller than the scaled softmax's, while the scaled softmax's stays
# the same at every width. Saturation is the same trap as chapter 03's sigmoid, and the cure
# is the one from chapter 05: choose the scale so that the variance does not grow with the
# width.
#
# On associative recall the two models part ways. Attention retrieves the value at every
# number of pairs this run tries, nearly always right, while the LSTM's accuracy falls as
# the pairs grow and stays far below attention's at the largest number (the table and the
# figure). The LSTM ends above chance: it has learned to answer with one of the values it
# has read, not which one. It must squeeze every pair into one fixed-size state and find it
# again at the end; attention keeps every position and looks the key up when it is asked.
# The heat map shows the lookup: the last position puts nearly all its weight on the value
# stored with the queried key, in almost every validation sequence.

# %%
def saturation_row(f, kind, d):
    return f["saturation"][f"{kind}, d = {d}"]


ch.claims({
    "With sharpness $\\beta = 0$ every weight is $1/5$ and attention returns exactly the mean of the values":
        lambda f: abs(f["lookups"]["0.0"]["output"] - f["values_mean"]) < 1e-9
        and all(abs(f["lookups"]["0.0"][f"p{j}"] - 0.2) < 1e-12 for j in range(1, 6)),
    "at the largest $\\beta$ attention returns its value":
        lambda f: abs(f["lookups"]["16.0"]["output"] - f["nearest_value"]) < 0.01 * f["nearest_value"],
    "The library's op and the formula by hand agree to rounding": lambda f: f["by_hand_difference"] < 1e-9,
    "the scores' standard deviation grows as $\\sqrt{d}$":
        lambda f: all(abs(saturation_row(f, "unscaled", d)["score std"] / np.sqrt(d) - 1) < 0.1 for d in f["widths"]),
    "divided by $\\sqrt{d}$ it stays at $1$ at every width":
        lambda f: all(abs(saturation_row(f, "scaled", d)["score std"] - 1) < 0.1 for d in f["widths"]),
    "its largest weight climbs towards $1$":
        lambda f: saturation_row(f, "unscaled", f["widths"][-1])["largest weight"] > 0.9
        and all(saturation_row(f, "unscaled", a)["largest weight"] < saturation_row(f, "unscaled", b)["largest weight"]
                for a, b in zip(f["widths"], f["widths"][1:])),
    "at the widest $d$ the typical query's gradient is thousands of times smaller than the scaled softmax's":
        lambda f: saturation_row(f, "unscaled", f["widths"][-1])["median ||dL/ds||"] * 1000
        < saturation_row(f, "scaled", f["widths"][-1])["median ||dL/ds||"],
    "while the scaled softmax's stays the same at every width":
        lambda f: np.ptp([saturation_row(f, "scaled", d)["median ||dL/ds||"] for d in f["widths"]])
        < 0.1 * saturation_row(f, "scaled", f["widths"][0])["median ||dL/ds||"],
    "Attention retrieves the value at every number of pairs this run tries, nearly always right":
        lambda f: all(a > 0.95 for a in f["recall"]["attention"].values()),
    "the LSTM's accuracy falls as the pairs grow":
        lambda f: all(f["recall"]["LSTM"][str(a)] > f["recall"]["LSTM"][str(b)] for a, b in zip(f["pairs"], f["pairs"][1:])),
    "stays far below attention's at the largest number":
        lambda f: f["recall"]["LSTM"][str(f["pairs"][-1])] < f["recall"]["attention"][str(f["pairs"][-1])] - 0.5,
    "The LSTM ends above chance":
        lambda f: all(a > 1.5 / NUM_VALUES for a in f["recall"]["LSTM"].values()),
    "the last position puts nearly all its weight on the value stored with the queried key, in almost every "
    "validation sequence":
        lambda f: f["weight_on_value"] > 0.9 and f["looks_at_value"] > 0.95,
})

# %% [markdown]
# ## Exercises
# 1. Train the attention model at the largest number of pairs with `scale` fixed to $1$
#    instead of $1/\sqrt{d}$ (write the attention with `scaled_dot_product_attention` and
#    `scale=1.0`), with a width of $256$. Does it still learn, and how fast?
# 2. Drop the previous-token embedding from the attention model (each position sees only
#    its own token). Which position can the query now find, and what does the model answer?
# 3. The LSTM answers with "one of the values it has read". Check it: on validation
#    sequences, how often is its answer one of the values in the sequence?

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. At initialisation the learned projections give scores with a spread of about
#    $\sqrt{d}$ times that of the scaled version, so the softmax starts saturated and its
#    gradient is tiny (the second experiment): training is slower and less stable, and may
#    stall, where the scaled model learns in a few hundred steps.
# 2. The query can match the queried key's own position (same token), but there sits the key,
#    not its value: the retrieved vector says nothing about the answer, so expect accuracy far
#    below the model with the previous token (measure it). One attention layer cannot both find the key and step to
#    the next position; that is what the previous-token embedding (or a first attention
#    layer, an "induction head") provides.
# 3. Compare `model(X).data.argmax(axis=1) + NUM_KEYS_RECALL` with the value tokens
#    `X[:, 1:2 * pairs:2]`. If nearly all its answers are values from the sequence while its
#    accuracy stays near $1/\text{pairs}$, it has learned which values were stored but not
#    which key each belongs to.
#
# </details>

# %% [markdown]
# ## References
# - Bahdanau, D., Cho, K. and Bengio, Y. (2015). Neural machine translation by jointly
#   learning to align and translate (attention). ICLR. https://arxiv.org/abs/1409.0473
# - Vaswani, A., Shazeer, N., Parmar, N., Uszkoreit, J., Jones, L., Gomez, A. N., Kaiser, L.
#   and Polosukhin, I. (2017). Attention is all you need (scaled dot-product attention and
#   the $\sqrt{d}$ argument). NeurIPS. https://arxiv.org/abs/1706.03762
# - Graves, A., Wayne, G. and Danihelka, I. (2014). Neural Turing machines (associative
#   recall). https://arxiv.org/abs/1410.5401
# - Ba, J., Hinton, G. E., Mnih, V., Leibo, J. Z. and Ionescu, C. (2016). Using fast weights
#   to attend to the recent past (associative retrieval). NeurIPS. https://arxiv.org/abs/1610.06258
# - Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory. Neural Computation
#   9(8), 1735-1780. https://doi.org/10.1162/neco.1997.9.8.1735
# - Olsson, C. et al. (2022). In-context learning and induction heads. Transformer Circuits
#   Thread. https://transformer-circuits.pub/2022/in-context-learning-and-induction-heads/
