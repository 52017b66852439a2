"""Chapter 15: how well can a tiny model predict the next character of Python's documentation?

On the text of Python's own help pages (shipped with CPython), we count a bigram model, then
train an MLP on a window of characters (Bengio et al. 2003), an LSTM and a small transformer
on the same batches for the same number of steps, compare them in validation bits per
character, sample text from each, and swap the transformer's GELU for ReLU.
"""
# %% [markdown]
# **You will learn** what a character-level language model predicts and how it is scored
# (bits per character), how four models of growing reach (one character, a fixed window, a
# recurrent state, attention over the whole window) compare for the same training budget, how
# to sample text from them, and what GELU changes against ReLU in a transformer's MLP.
# **You need** chapter 13 (the LSTM) and chapter 14 (attention). **Runs in** about 35 s
# (6 s in quick mode) on one core.
#
# ## The question
# A language model gives, at every position of a text, a probability for each possible next
# character: $p(x_{t+1} \mid x_1, \dots, x_t)$. Its score on text it never trained on is the
# average number of **bits per character** (bpc) it needs to encode that text,
#
# $$\text{bpc} = -\frac{1}{N} \sum_{t} \log_2 p(x_{t+1} \mid x_{\le t})
# = \frac{\text{cross-entropy in nats}}{\ln 2}.$$
#
# A model that knows nothing and spreads its probability evenly over a vocabulary of $V$
# characters needs $\log_2 V$ bits; every bit less is structure it has learned. Training
# minimises exactly this quantity (cross-entropy, chapter 04) on the training text.
#
# The models differ in what they may look at:
#
# - **bigram**: only the previous character. We count how often each character follows each
#   other one in the training text (adding one to every count, so nothing has probability
#   $0$): no training, the best a one-character model can do.
# - **MLP on a window** (Bengio, Ducharme, Vincent and Jauvin 2003): the previous $8$
#   characters, each embedded as a vector, concatenated, through one hidden tanh layer.
# - **LSTM** (chapter 13): everything since the window began, carried in its state.
# - **transformer** (Vaswani et al. 2017): every earlier position of the window, through
#   causal attention (chapter 14); two pre-norm blocks `mn.nn.TransformerBlock`, each
#   attention then an MLP $\text{Dense} \to \text{GELU} \to \text{Dense}$, with a residual
#   path around each.
#
# The networks train with Adam at the same learning rate on the same random windows of the
# training text, the same number of steps each, and predict the same number of characters
# per step: that is the shared budget.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minnet as mn
from chapters._common import Chapter

ch = Chapter("15_tiny_language_model")
LENGTH, BATCH, WIDTH, HEADS, BLOCKS, CONTEXT = 32, 32, 64, 4, 2, 8
LEARNING_RATE = 3e-3
STEPS = ch.pick(full=400, quick=60)
EVALUATE_EVERY = ch.pick(full=50, quick=20)
VALIDATION_WINDOWS = ch.pick(full=128, quick=32)

vocabulary = mn.text.CharVocabulary(mn.datasets.load_python_docs("all"))
train_ids = vocabulary.encode(mn.datasets.load_python_docs("train"))
validation_ids = vocabulary.encode(mn.datasets.load_python_docs("validation"))
V = len(vocabulary)
ch.print(f"{len(train_ids):,} training and {len(validation_ids):,} validation characters; a vocabulary of {V}")
ch.print(repr(vocabulary.decode(train_ids[20000:20200])))

# %% [markdown]
# The bookkeeping (recording findings for the prose and the tests, tables, figure styling)
# lives in the helpers of the next cell; skip it on a first reading.

# %%
# activations' colours (mn.plot.ACTIVATION_COLOURS) only for the two transformers, which differ
# in theirs; the LSTM black as in chapters 13 and 14, the MLP in a colour no activation has
COLOURS = {"bigram (counts)": "#000000", "MLP, 8 characters": "#8C564B", "LSTM": "#000000",
           "transformer, GELU": mn.plot.activation_colour("gelu"), "transformer, ReLU": mn.plot.activation_colour("relu")}


def record_bigram(uniform_bpc, bigram_bpc):
    ch.record(uniform_bpc=uniform_bpc, bigram_bpc=bigram_bpc)
    ch.table({"uniform over the vocabulary": uniform_bpc, "bigram (counts)": bigram_bpc}, fmt=".3f",
             key="validation bits per character")


def record_runs(runs):
    ch.record(curves={name: run["curve"] for name, run in runs.items()},
              final_bpc={name: run["curve"][-1][1] for name, run in runs.items()},
              parameters={name: run["parameters"] for name, run in runs.items()}, steps=STEPS)
    bigram = ch.findings["bigram_bpc"]
    ch.table({name: {"parameters": run["parameters"], "bpc at the start": run["curve"][0][1],
                     f"bpc after {STEPS} steps": run["curve"][-1][1], "ms per step": 1000 * run["seconds_per_step"],
                     "below the bigram": run["curve"][-1][1] < bigram}
              for name, run in runs.items()},
             fmt={"parameters": ".0f", "ms per step": ".0f"}, key="validation bits per character")
    best = min(runs, key=lambda name: runs[name]["curve"][-1][1])
    ch.record(best=best)
    ch.print(f"lowest after {STEPS} steps of {BATCH} windows of {LENGTH} characters: {best}; "
             f"bigram {bigram:.3f}, uniform {ch.findings['uniform_bpc']:.3f}")


def plot_curves(runs):
    figure, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    for name, run in runs.items():
        steps, bpc = zip(*run["curve"])
        ax.plot(steps, bpc, marker="o", markersize=3, color=COLOURS[name], label=name)
    ax.axhline(ch.findings["bigram_bpc"], color=COLOURS["bigram (counts)"], linestyle="--", label="bigram (counts)")
    ax.set_ylim(top=1.03 * max(run["curve"][0][1] for run in runs.values()))
    ax.set_xlabel("training step (Adam, the same batches for every network)")
    ax.set_ylabel("validation bits per character")
    ax.set_title("Python's documentation, next-character prediction")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return figure


def words_known(sample, known):
    words = [word for word in sample.split() if word.isalpha()]
    return sum(word in known for word in words) / max(len(words), 1)


def record_samples(samples):
    known = set(mn.datasets.load_python_docs("train").split())
    shares = {name: words_known(text, known) for name, text in samples.items()}
    ch.record(samples=samples, known_word_share=shares)
    for name, text in samples.items():
        ch.print(f"--- {name} (words of letters found in the training text: {shares[name]:.0%})\n{text}\n")


# %% [markdown]
# ## The validation text, and the bigram
# Validation windows are cut from the held-out end of the text. Every model is scored on the
# same characters: the targets of these windows, each predicted from what the model may see.

# %%
def windows(ids, starts):
    """inputs (N, LENGTH), their next-character targets (N, LENGTH), and for every target the
    CONTEXT characters before it (N, LENGTH, CONTEXT), for the MLP."""
    positions = starts[:, None] + np.arange(LENGTH)
    before = positions[..., None] + 1 - CONTEXT + np.arange(CONTEXT)
    return ids[positions], ids[positions + 1], ids[before]


X_val, Y_val, C_val = windows(validation_ids, CONTEXT + LENGTH * np.arange(VALIDATION_WINDOWS))

counts = np.ones((V, V))                                   # add-one: no character is impossible
np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1)      # counts[a, b]: how often b follows a
bigram = counts / counts.sum(axis=1, keepdims=True)
record_bigram(np.log2(V), float(-np.log2(bigram[X_val, Y_val]).mean()))

# %% [markdown]
# ## Three networks
# Each returns logits of shape $(N, V, T)$, the layout `CrossEntropyLoss` takes for
# sequences (as PyTorch's). The MLP reads, for each of the $T$ targets, the $8$ characters
# before it; the LSTM and the transformer read the window and predict at every position.

# %%
class WindowMLP(mn.nn.Module):
    """Bengio et al. 2003: embed the CONTEXT previous characters, concatenate, tanh layer, logits."""

    def __init__(self, embedding=16, hidden=256):
        self.embedding = mn.nn.Embedding(V, embedding)
        self.net = mn.nn.Sequential(mn.nn.Dense(CONTEXT * embedding, hidden), mn.nn.Tanh(), mn.nn.Dense(hidden, V))

    def forward(self, before):                             # (N, T, CONTEXT) ids
        vectors = self.embedding(before).reshape(before.shape[0], before.shape[1], -1)
        return self.net(vectors).transpose(0, 2, 1)


class CharLSTM(mn.nn.Module):
    def __init__(self, hidden=128):
        self.embedding = mn.nn.Embedding(V, WIDTH)
        self.lstm = mn.nn.LSTM(WIDTH, hidden, batch_first=True)
        self.head = mn.nn.Dense(hidden, V)

    def forward(self, ids):                                # (N, T) ids
        states, _ = self.lstm(self.embedding(ids))
        return self.head(states).transpose(0, 2, 1)


class TinyTransformer(mn.nn.Module):
    """Embedding + sinusoidal positions, BLOCKS causal pre-norm blocks, LayerNorm, logits."""

    def __init__(self, activation="gelu"):
        self.embedding = mn.nn.Embedding(V, WIDTH)
        self.positions = mn.nn.PositionalEncoding(WIDTH, max_len=LENGTH)
        self.blocks = mn.nn.ModuleList(mn.nn.TransformerBlock(WIDTH, HEADS, activation=activation)
                                       for _ in range(BLOCKS))
        self.norm = mn.nn.LayerNorm(WIDTH)
        self.head = mn.nn.Dense(WIDTH, V)

    def forward(self, ids):                                # (N, T) ids
        x = self.positions(self.embedding(ids))
        for block in self.blocks:
            x = block(x, is_causal=True)                   # position t sees positions <= t only
        return self.head(self.norm(x)).transpose(0, 2, 1)


MODELS = {"MLP, 8 characters": WindowMLP, "LSTM": CharLSTM, "transformer, GELU": TinyTransformer}

# %% [markdown]
# ## Training on the same budget
# One loop for all: a batch of random windows (the same ones for every network, drawn from
# one seeded generator), a step of Adam, and every few steps the validation bpc.

# %%
def bits_per_character(model, inputs, targets):
    with mn.no_grad():
        return float(mn.nn.CrossEntropyLoss()(model(inputs), targets).item() / np.log(2))


def train(make_model):
    mn.manual_seed(ch.seed)
    model, loss_fn = make_model(), mn.nn.CrossEntropyLoss()
    reads_context = isinstance(model, WindowMLP)
    validation = C_val if reads_context else X_val
    optimizer = mn.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    batches = np.random.default_rng(ch.seed)
    curve, seconds = [(0, bits_per_character(model, validation, Y_val))], 0.0
    for step in range(1, STEPS + 1):
        inputs, targets, before = windows(train_ids, batches.integers(CONTEXT, len(train_ids) - LENGTH - 1, BATCH))
        start = time.perf_counter()
        optimizer.zero_grad()
        loss_fn(model(before if reads_context else inputs), targets).backward()
        optimizer.step()
        seconds += time.perf_counter() - start
        if step % EVALUATE_EVERY == 0:
            curve.append((step, bits_per_character(model, validation, Y_val)))
    parameters = sum(p.data.size for p in model.parameters())
    return {"model": model, "curve": curve, "seconds_per_step": seconds / STEPS, "parameters": parameters}


runs = {name: train(make_model) for name, make_model in MODELS.items()}
record_runs(runs)
ch.show(plot_curves(runs), "validation_bpc")

# %% [markdown]
# ## What they write
# `mn.text.generate` extends a prompt one character at a time: the model's logits for the
# next character, divided by a temperature ($0.8$, a little sharper than the model's own
# distribution) and restricted to the $10$ likeliest characters, are sampled, the sample is
# appended, and the model reads the longer text. The bigram samples from its table.

# %%
prompt = vocabulary.encode("The return value of ")
next_logits = {
    "bigram (counts)": (lambda ids: np.log(bigram[ids[0, -1]]), -1),
    "MLP, 8 characters": (lambda ids: runs["MLP, 8 characters"]["model"](ids[:, None, -CONTEXT:]), 1),
    "LSTM": (lambda ids: runs["LSTM"]["model"](ids), 1),
    "transformer, GELU": (lambda ids: runs["transformer, GELU"]["model"](ids), 1),
}
samples = {name: vocabulary.decode(mn.text.generate(logits, prompt, 160, temperature=0.8, top_k=10, context=LENGTH,
                                                    seed=ch.seed, class_axis=axis))
           for name, (logits, axis) in next_logits.items()}
record_samples(samples)

# %% [markdown]
# ## GELU against ReLU in the transformer's MLP
# GELU, $x\,\Phi(x)$ with $\Phi$ the normal distribution function (Hendrycks and Gimpel
# 2016), is the activation of BERT's and GPT's MLPs; ReLU was the original transformer's. We
# train the same transformer again, from the same weights and on the same batches, with ReLU
# in both blocks' MLPs.

# %%
runs["transformer, ReLU"] = train(lambda: TinyTransformer(activation="relu"))
record_runs(runs)
ch.show(plot_curves(runs), "validation_bpc_gelu_relu")

ch.headline = (f"validation bpc after {STEPS} steps: "
               + ", ".join(f"{name} {bpc:.2f}" for name, bpc in ch.findings["final_bpc"].items())
               + f"; bigram {ch.findings['bigram_bpc']:.2f}")

# %% [markdown]
# ## What we saw
# Every network starts near the uniform guess of $\log_2 V$ bits (it knows nothing yet) and
# every one ends far below it: within this budget each has learned which characters
# are common and which follow which. The bigram, counted from the whole training text, is the
# bar for a model that sees one character; the table's last column says which networks have
# passed it within this budget, and the curves show how far each still falls per step.
#
# For the same budget the LSTM's validation bpc is the lowest of the networks. The ranking is
# a statement about this budget, not about the architectures' limits: the window MLP cannot
# look further back than its $8$ characters however long it trains, while the transformer can
# look at the whole window; how steeply each curve still falls when the run stops is in the
# figure, and the exercises try a longer run.
#
# GELU and ReLU end within a tenth of a bit of each other here: at this size and budget the
# choice of activation in the transformer's MLP does not show in the loss (the two curves of
# the last figure lie on each other). GELU's claim to fame is from far larger models and
# longer training (Hendrycks and Gimpel 2016), which this chapter does not run.
#
# The samples show what the numbers mean. The bigram's text has the rhythm of English (spaces,
# short words, line breaks) but few real words: its sample has a smaller share of words found
# in the training text than the LSTM's, which spells more of them, though no sample writes
# sentences yet.

# %%
def final(f, name):
    return f["final_bpc"][name]


NETWORKS = ("MLP, 8 characters", "LSTM", "transformer, GELU", "transformer, ReLU")
ch.claims({
    "Every network starts near the uniform guess of $\\log_2 V$ bits":
        lambda f: all(abs(f["curves"][name][0][1] - f["uniform_bpc"]) < 0.5 for name in NETWORKS),
    "every one ends far below it":
        lambda f: all(final(f, name) < f["uniform_bpc"] - 2 for name in NETWORKS),
    "For the same budget the LSTM's validation bpc is the lowest of the networks":
        lambda f: f["best"] == "LSTM",
    "GELU and ReLU end within a tenth of a bit of each other here":
        lambda f: abs(final(f, "transformer, GELU") - final(f, "transformer, ReLU")) < 0.1,
    "its sample has a smaller share of words found in the training text than the LSTM's":
        lambda f: f["known_word_share"]["bigram (counts)"] < f["known_word_share"]["LSTM"],
})

# %% [markdown]
# ## Exercises
# 1. Train the transformer for four times as many steps (and, if you like, with a linear
#    warm-up of the learning rate over the first tenth, chapter 12). Where does it end
#    against the LSTM?
# 2. Sample from the LSTM at temperatures $0.2$, $0.8$ and $1.5$. What changes, and why does
#    a low temperature repeat itself?
# 3. Give the window MLP $16$ characters instead of $8$. Does its bpc improve within the same
#    budget, and what does it cost in parameters?

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. Set `STEPS` four times larger (and add `mn.optim.LinearLR` for the warm-up). The
#    question is whether the transformer's curve, which can use the whole window, keeps
#    falling after the LSTM's flattens; at much larger scale, transformers beat LSTMs on
#    character-level text (Al-Rfou et al. 2019), and whether this small one does within four times the budget
#    depends on the width, the window and the warm-up: measure it.
# 2. Dividing the logits by a temperature $\tau < 1$ sharpens the distribution towards the
#    likeliest characters, so the text becomes more regular and, at $0.2$, falls into loops
#    (the likeliest continuation of a loop is the loop); at $1.5$ unlikely characters are
#    drawn often and the words break apart.
# 3. Set `CONTEXT = 16`: the first Dense layer grows from $8 \times 16$ to $16 \times 16$
#    inputs ($128 \times 256 = 32{,}768$ more weights with $256$ hidden units). More of a word
#    is in view, so the bpc can improve; whether it does within the same budget is what to
#    measure.
#
# </details>

# %% [markdown]
# ## References
# - Shannon, C. E. (1951). Prediction and entropy of printed English. Bell System Technical
#   Journal 30(1), 50-64. https://doi.org/10.1002/j.1538-7305.1951.tb01366.x
# - Bengio, Y., Ducharme, R., Vincent, P. and Jauvin, C. (2003). A neural probabilistic
#   language model. Journal of Machine Learning Research 3, 1137-1155.
#   https://www.jmlr.org/papers/v3/bengio03a.html
# - Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory. Neural Computation
#   9(8), 1735-1780. https://doi.org/10.1162/neco.1997.9.8.1735
# - Graves, A. (2013). Generating sequences with recurrent neural networks (character-level
#   LSTM language models). https://arxiv.org/abs/1308.0850
# - Vaswani, A., Shazeer, N., Parmar, N., Uszkoreit, J., Jones, L., Gomez, A. N., Kaiser, L.
#   and Polosukhin, I. (2017). Attention is all you need. NeurIPS.
#   https://arxiv.org/abs/1706.03762
# - Al-Rfou, R., Choe, D., Constant, N., Guo, M. and Jones, L. (2019). Character-level
#   language modeling with deeper self-attention. AAAI. https://arxiv.org/abs/1808.04444
# - Hendrycks, D. and Gimpel, K. (2016). Gaussian error linear units (GELUs).
#   https://arxiv.org/abs/1606.08415
# - Xiong, R. et al. (2020). On layer normalization in the transformer architecture
#   (pre-norm blocks, warm-up). ICML. https://arxiv.org/abs/2002.05745
