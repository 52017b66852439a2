"""Chapter 06: what do L1 and L2 penalties do to the weights?

We train the same small ReLU network on only 200 handwritten digits with no penalty, an L1
penalty, an L2 penalty and both, and look at the weights it ends with (how many are near
zero, how large they are) and at the gap between training and test accuracy; then we sweep
the strength of the penalty over a log grid and read the validation curve.
"""
# %% [markdown]
# **You will learn** what an L1 or L2 penalty does to a network's weights and why, how to
# choose a penalty's strength on held-out data, and how dropout and early stopping
# regularise without a penalty. **You need** chapter 04 (classifiers on digits) and the
# gradient of $|w|$ and $w^2$. **Runs in** about 8 s (2.5 s in quick mode) on one core.
#
# ## The question
# ReLU's output is unbounded above, and with few examples a network can fit its training set
# exactly with large weights that do not generalise. The classic advice is to penalise the
# weights (Goodfellow et al. 2016, section 7.1): L2 "to keep them small" (weight decay, Krogh
# and Hertz 1992), L1 "to make them sparse" (the lasso, Tibshirani 1996). A penalty is one
# more term in the loss, with its gradient:
#
# $$L_{\text{L1}} = L + \lambda_1 \sum_i |w_i|, \qquad \frac{\partial}{\partial w_i}\Big(\lambda_1 \sum_j |w_j|\Big) = \lambda_1 \operatorname{sign}(w_i),$$
#
# $$L_{\text{L2}} = L + \lambda_2 \sum_i w_i^2, \qquad \frac{\partial}{\partial w_i}\Big(\lambda_2 \sum_j w_j^2\Big) = 2 \lambda_2 w_i$$
#
# (Keras's convention, which `mn.regularizers` follows: summed over the weights, no
# $\tfrac12$). The gradients tell the story before any run. L2's pull is proportional to $w$:
# it shrinks a weight by a fixed *fraction* per step, so a weight approaches $0$ but the pull
# fades as it does. L1's pull has the same size $\lambda_1$ whatever $w$ is: a weight whose
# data gradient is weaker than $\lambda_1$ is pushed all the way to $0$ and kept there
# (jittering around it by about $\eta \lambda_1$ for a learning rate $\eta$).
#
# In minnet a penalty is given to a layer (`Dense(..., regularizer=mn.regularizers.L1(1e-3))`),
# the model's `regularization_loss()` adds up every layer's penalty, and `mn.fit` adds that
# Tensor to the loss, so autograd computes the penalty's gradient; nothing else changes.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minnet as mn
from chapters._common import Chapter

ch = Chapter("06_regularization")
TRAIN, VALIDATION = 200, 400       # digits to learn from and to choose the strength on; the rest test
HIDDEN = 128
NEAR_ZERO = 1e-3                   # |w| below this counts as "near zero": He init puts ~1% of weights there
STRENGTH = 1e-3                    # l1 and l2 for the side-by-side comparison
PENALTIES = {"none": None,
             "L1": mn.regularizers.L1(STRENGTH),
             "L2": mn.regularizers.L2(STRENGTH),
             "L1L2": mn.regularizers.L1L2(STRENGTH, STRENGTH)}


X, y = mn.datasets.load_digits()
order = np.random.default_rng(ch.seed).permutation(len(y))
train_rows, validation_rows = order[:TRAIN], order[TRAIN:TRAIN + VALIDATION]
test_rows = order[TRAIN + VALIDATION:]
epochs = ch.pick(full=100, quick=25)
ch.record(epochs=epochs)
ch.print(f"{len(train_rows)} training, {len(validation_rows)} validation and {len(test_rows)} test digits; "
         f"{epochs} epochs")

# %%
# Bookkeeping and drawing, not the lesson: these helpers record findings (what the prose's
# claims and the tests read), print the tables and draw the figures.
def report_penalties(results):
    ch.record(results={name: {k: v for k, v in r.items() if k != "weights"} for name, r in results.items()})
    ch.table({name: {"|w|<1e-3": r["near_zero"], "w == 0": r["exact_zero"], "||W||": r["weight_norm"],
                     "max|w|": r["largest_weight"], "train acc": r["train_accuracy"],
                     "test acc": r["test_accuracy"],
                     "gap": r["accuracy_gap"], "train CE": r["train_loss"], "test CE": r["test_loss"]}
              for name, r in results.items()}, fmt=".3f", key="penalty",
             title=f"penalty strength {STRENGTH:g} on both weight matrices")
    for name in ("L1", "L2", "L1L2"):
        r, none = results[name], results["none"]
        larger = r["largest_weight"] > none["largest_weight"]
        ch.print(f"{name}: largest weight {r['largest_weight']:.3f} ({'larger' if larger else 'smaller'} "
                 f"than without a penalty), train/test gap {r['accuracy_gap']:.3f} "
                 f"against {none['accuracy_gap']:.3f} "
                 f"({'narrower' if r['accuracy_gap'] < none['accuracy_gap'] else 'not narrower'})")


def draw_histograms(results):
    """One histogram per penalty of every weight of the trained network."""
    figure, axes = plt.subplots(2, 2, figsize=(8.4, 6.2), sharex=True, layout="constrained")
    limit = max(np.abs(r["weights"]).max() for r in results.values())
    bins = np.linspace(-limit, limit, 81)
    for ax, (name, result) in zip(axes.flat, results.items()):
        ax.hist(result["weights"], bins=bins, color="tab:green", log=True)
        ax.set_title(f"{name}: {result['near_zero']:.0%} with |w| < {NEAR_ZERO:g}\n"
                     f"||W|| = {result['weight_norm']:.1f}", fontsize="small")
        ax.set_xlabel("weight value")
        ax.set_ylabel("count (log scale)")
    figure.suptitle(f"Weights after training on {TRAIN} digits, penalty strength {STRENGTH:g}")
    return figure


def report_curves(curves, baseline, strengths):
    """Record and print the validation curves and the best strength of each penalty; the best."""
    best = {}
    for name, curve in curves.items():
        index = int(np.argmax(curve["validation"]))
        best[name] = {"strength": float(strengths[index]), "validation_accuracy": curve["validation"][index],
                      "position": "interior" if 0 < index < len(strengths) - 1 else "edge"}
    ch.record(strengths=strengths.tolist(), curves=curves, no_penalty_validation_accuracy=baseline, best=best)
    ch.table({f"{strength:.0e}": {f"{name} {part}": curves[name][part][i]
                                   for name in curves for part in ("train", "validation")}
              for i, strength in enumerate(strengths)}, fmt=".3f", key="strength",
             title=f"accuracy by penalty strength (no penalty: validation {baseline:.3f})")
    weak = [i for i, strength in enumerate(strengths) if strength <= STRENGTH]
    for name, curve in curves.items():
        values = [curve["validation"][i] for i in weak]
        ch.print(f"{name}: validation accuracy over strengths up to {STRENGTH:g} spans "
                 f"{round((max(values) - min(values)) * VALIDATION)} of {VALIDATION} digits")
    for name, b in best.items():
        ch.print(f"best {name} strength on validation: {b['strength']:.0e} "
                 f"(accuracy {b['validation_accuracy']:.3f}, {b['position']} of the grid)")
    return best


def draw_validation_curve(curves, baseline, strengths):
    figure, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    for (name, curve), color in zip(curves.items(), ("tab:blue", "tab:orange")):
        ax.plot(strengths, curve["validation"], marker="o", color=color, label=f"{name}, validation")
        ax.plot(strengths, curve["train"], marker=".", linestyle=":", color=color, label=f"{name}, training")
    ax.axhline(baseline, color="grey", linestyle="--", label="no penalty, validation")
    ax.set_xscale("log")
    ax.set_xlabel("penalty strength (l1 or l2, log scale)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"Validation curve: {TRAIN} training digits, {VALIDATION} validation digits")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    return figure


def report_dropout(dropout_model, dropout_findings, hidden, dropped):
    dropout_scores = describe(dropout_model, X, y, train_rows, test_rows)
    ch.record(dropout=dropout_findings, dropout_kept=float(np.mean(dropped != 0) / np.mean(hidden != 0)),
              dropout_mean_ratio=float(dropped.mean() / hidden.mean()),
              dropout_result={k: v for k, v in dropout_scores.items() if k != "weights"})
    ch.table(dropout_findings, fmt=".3f", key=f"Dropout({DROPOUT}) on {len(test_rows)} test digits")
    ch.print(f"in training mode Dropout kept {ch.findings['dropout_kept']:.3f} of the non-zero hidden outputs; "
             f"mean after / mean before: {ch.findings['dropout_mean_ratio']:.3f} "
             f"(inverted dropout keeps the mean)")
    none = results["none"]
    ch.print(f"test accuracy {dropout_scores['test_accuracy']:.3f} with dropout against "
             f"{none['test_accuracy']:.3f} without; train/test gap {dropout_scores['accuracy_gap']:.3f} "
             f"against {none['accuracy_gap']:.3f} "
             f"({'narrower' if dropout_scores['accuracy_gap'] < none['accuracy_gap'] else 'not narrower'})")


def report_early_stopping(history, stop, restored, max_epochs):
    ch.record(early_stopping={"max_epochs": max_epochs, "epochs_run": history.epochs,
                              "best_epoch": stop.best_epoch, "stopped_epoch": stop.stopped_epoch,
                              "restored": stop.restored,
                              "best_val_loss": stop.best, "last_val_loss": history["val_loss"][-1],
                              "val_loss_after_restore": restored["loss"],
                              "lowest_val_loss_of_history": min(history["val_loss"])})
    ch.print(f"stopped after epoch {history.epochs} of {max_epochs}; best validation loss {stop.best:.4f} "
             f"at epoch {stop.best_epoch}; the last epoch's was {history['val_loss'][-1]:.4f}; "
             f"weights restored: {stop.restored}; the restored model's validation loss: {restored['loss']:.4f}")


def draw_early_stopping(history, stop):
    figure, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    epochs_axis = np.arange(1, history.epochs + 1)
    ax.plot(epochs_axis, history["loss"], label="training loss")
    ax.plot(epochs_axis, history["val_loss"], label="validation loss")
    ax.axvline(stop.best_epoch, color="tab:green", linestyle="--", label=f"restored: epoch {stop.best_epoch}")
    ax.plot([stop.best_epoch], [stop.best], marker="o", color="tab:green")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy (log scale)")
    ax.set_title(f"Early stopping (patience {stop.patience}): {TRAIN} training digits")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    return figure


# %% [markdown]
# ## The network and its training
# `Dense(64 -> HIDDEN), ReLU, Dense(HIDDEN -> 10)`, the same penalty on both weight matrices
# (biases are left alone, as is usual), trained for the same number of epochs with SGD and momentum.
# Only the penalty changes; the seed, and so the initial weights and the batches, do not.

# %%
def train(X, y, rows, penalty, epochs, seed=ch.seed):
    mn.manual_seed(seed)
    model = mn.nn.Sequential(mn.nn.Dense(64, HIDDEN, init="he_normal", regularizer=penalty), mn.nn.ReLU(),
                             mn.nn.Dense(HIDDEN, 10, regularizer=penalty))
    optimizer = mn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    mn.fit(model, mn.nn.CrossEntropyLoss(), optimizer, X[rows], y[rows], epochs=epochs, batch_size=32,
           progress=False, seed=seed)
    return model


def weights_of(model):
    """Every weight matrix's entries in one flat array (biases excluded)."""
    return np.concatenate([p.data.ravel() for _, p in model.named_parameters() if p.data.ndim == 2])


def evaluate(model, X, y):
    """Accuracy and cross-entropy (the data term only, no penalty) of the trained model."""
    logits = mn.predict(model, X)
    return {"accuracy": float(np.mean(logits.argmax(axis=1) == y)),
            "loss": float(mn.nn.CrossEntropyLoss()(mn.Tensor(logits), y).data)}


# %%
def describe(model, X, y, train_rows, test_rows):
    weights = weights_of(model)
    train_scores = evaluate(model, X[train_rows], y[train_rows])
    test_scores = evaluate(model, X[test_rows], y[test_rows])
    return {"near_zero": float(np.mean(np.abs(weights) < NEAR_ZERO)),
            "exact_zero": float(np.mean(weights == 0)),
            "weight_norm": float(np.linalg.norm(weights)),
            "largest_weight": float(np.abs(weights).max()),
            "train_accuracy": train_scores["accuracy"], "test_accuracy": test_scores["accuracy"],
            "accuracy_gap": train_scores["accuracy"] - test_scores["accuracy"],
            "train_loss": train_scores["loss"], "test_loss": test_scores["loss"],
            "weights": weights}


# %%
models = {name: train(X, y, train_rows, penalty, epochs) for name, penalty in PENALTIES.items()}
results = {name: describe(model, X, y, train_rows, test_rows) for name, model in models.items()}
report_penalties(results)

# %% [markdown]
# ## The weights each penalty leaves
# One histogram per penalty of all the weights of the trained network, with counts on a log
# scale so that both the spike at zero and the tails are visible.

# %%
ch.show(draw_histograms(results), "weight_histograms")

# %% [markdown]
# ## How strong? The validation curve
# A penalty's strength is a hyperparameter: too weak and it does nothing, too strong and the
# network cannot fit even its training set. We train once per strength on a log grid and
# measure accuracy on the `VALIDATION` digits set aside for it (never on the test digits,
# which would make the test score a second training signal).

# %%
strengths = ch.pick(full=np.logspace(-5, -1, 9), quick=np.logspace(-3, -1, 3))
curves = {}
for name, make in (("L1", mn.regularizers.L1), ("L2", mn.regularizers.L2)):
    curves[name] = {"train": [], "validation": []}
    for strength in strengths:
        model = train(X, y, train_rows, make(strength), epochs)
        curves[name]["train"].append(evaluate(model, X[train_rows], y[train_rows])["accuracy"])
        curves[name]["validation"].append(evaluate(model, X[validation_rows], y[validation_rows])["accuracy"])
baseline = evaluate(models["none"], X[validation_rows], y[validation_rows])["accuracy"]
best = report_curves(curves, baseline, strengths)

# %%
ch.show(draw_validation_curve(curves, baseline, strengths), "validation_curve")

# %% [markdown]
# ## What the penalties did
# L1 is the only penalty that changes the *shape* of the histogram: a large share of its
# weights (and of L1L2's) end near zero (within `NEAR_ZERO`), a spike at the centre of its
# panel, while the unpenalised and L2 networks keep the broad bell they started from. This
# is the sparsity that made the L1 penalty famous as the lasso (Tibshirani 1996). L2 does
# what its gradient says (Krogh and Hertz 1992): it shrinks without zeroing (its weight norm
# is below the unpenalised one, and so is its largest weight). Whether L1 also makes the
# surviving weights smaller is printed under the table, from this run's numbers. Part of
# L1's zeros have a plain cause: the pixels at the border of an $8 \times 8$ digit are blank
# in almost every image, so the weights leaving them get (almost) no gradient from the data,
# and nothing opposes the penalty's constant pull. L2 pulls them too, but only by a fraction
# per step. The zeros are not *exact*: plain SGD overshoots $0$ by about $\eta\lambda_1$ and
# jitters there (the "w == 0" column counts exact zeros).
#
# Does this help the test score? With so few training digits every network fits its
# training set (the training accuracies); whether each penalty narrowed the train/test gap
# at this strength is printed under the table. The validation curve is the honest answer:
# too strong a penalty pulls down training and validation accuracy together (underfitting),
# and the best strength found on the validation digits is printed for each penalty, with
# whether it lies inside the grid or at its edge. Between the weak strengths the validation
# accuracy differs by a handful of digits at most (the printed span), so read those
# differences as "no harm" rather than as a real gain.

# %% [markdown]
# ## Dropout: a different network at every step
# Dropout (Srivastava et al. 2014) regularises without a penalty: in training every hidden
# output $h_i$ is replaced by
#
# $$\tilde h_i = \frac{m_i}{1 - p}\, h_i, \qquad m_i \sim \text{Bernoulli}(1 - p),$$
#
# zeroed with probability $p$ and the survivors scaled up (inverted dropout), so each step
# trains a random thinned network and $\mathbb{E}[\tilde h_i] = h_i$; in evaluation nothing is
# dropped and, thanks to the $1/(1 - p)$, nothing needs rescaling. `mn.nn.Dropout(p)` does
# the first in training mode and the second in eval mode (`model.train()` / `model.eval()`;
# `mn.fit` trains in training mode and `mn.predict` evaluates in eval mode). We put
# `Dropout(0.5)` after the hidden ReLU of the same network and train it like the others.

# %%
DROPOUT = 0.5


def train_with_dropout(X, y, rows, epochs, seed=ch.seed):
    mn.manual_seed(seed)
    model = mn.nn.Sequential(mn.nn.Dense(64, HIDDEN, init="he_normal"), mn.nn.ReLU(), mn.nn.Dropout(DROPOUT),
                             mn.nn.Dense(HIDDEN, 10))
    optimizer = mn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    mn.fit(model, mn.nn.CrossEntropyLoss(), optimizer, X[rows], y[rows], epochs=epochs, batch_size=32,
           progress=False, seed=seed)
    return model


def logits_in_mode(model, X, training):
    """One forward pass without a graph, in training mode (dropout on) or eval mode."""
    model.train(training)
    with mn.no_grad():
        logits = model(mn.Tensor(X)).data
    model.eval()
    return logits


# %%
dropout_model = train_with_dropout(X, y, train_rows, epochs)
X_test, y_test = X[test_rows], y[test_rows]
passes = {mode: [logits_in_mode(dropout_model, X_test, mode == "train") for _ in range(2)]
          for mode in ("train", "eval")}
hidden = dropout_model[1](dropout_model[0](mn.Tensor(X_test))).data            # the ReLU's outputs
dropped = logits_in_mode(dropout_model[2], hidden, training=True)               # Dropout alone, training mode
dropout_findings = {
    mode: {"accuracy": float(np.mean(first.argmax(axis=1) == y_test)),
           "largest logit change between two passes": float(np.abs(first - second).max()),
           "predictions that change": float(np.mean(first.argmax(axis=1) != second.argmax(axis=1)))}
    for mode, (first, second) in passes.items()}
report_dropout(dropout_model, dropout_findings, hidden, dropped)

# %% [markdown]
# ## Early stopping: keep the best epoch
# The simplest regulariser is to stop in time (Prechelt 1998). We train the unpenalised
# network for many epochs with the validation digits watched after each one;
# `mn.callbacks.EarlyStopping(patience=10)` stops when the validation loss has not improved
# for `patience` epochs and, with `restore_best=True` (its default), puts back the weights of
# the best epoch.

# %%
mn.manual_seed(ch.seed)
stopped_model = mn.nn.Sequential(mn.nn.Dense(64, HIDDEN, init="he_normal"), mn.nn.ReLU(),
                                 mn.nn.Dense(HIDDEN, 10))
stop = mn.callbacks.EarlyStopping(patience=10)
max_epochs = ch.pick(full=300, quick=150)
optimizer = mn.optim.SGD(stopped_model.parameters(), lr=0.05, momentum=0.9)
history = mn.fit(stopped_model, mn.nn.CrossEntropyLoss(), optimizer, X[train_rows], y[train_rows],
                 epochs=max_epochs, batch_size=32, progress=False, seed=ch.seed, callbacks=[stop],
                 validation_data=(X[validation_rows], y[validation_rows]), metrics=("accuracy",))
restored = evaluate(stopped_model, X[validation_rows], y[validation_rows])
report_early_stopping(history, stop, restored, max_epochs)

# %%
ch.show(draw_early_stopping(history, stop), "early_stopping")

# %% [markdown]
# ## What dropout and early stopping did
# Dropout makes training-mode outputs random: two passes over the same test digits give
# different logits, and some predictions change, while in eval mode the two passes agree
# exactly (the first table). The accuracy the network reaches in eval mode is higher than in
# training mode, where it has to answer with half its hidden units missing; that is why
# `mn.predict` always evaluates in eval mode. Dropout keeps about half the hidden outputs,
# and the $1/(1 - p)$ brings their mean back to that of the full layer (printed under the
# table). Whether dropout narrowed the train/test gap of this small network is printed from
# the run.
#
# In the early-stopping figure the training loss keeps falling, by orders of magnitude,
# while the validation loss levels off: the later epochs only make the network more
# confident on its few training digits. EarlyStopping waited `patience` epochs past the best
# one, stopped long before the epoch limit, and put the best epoch's weights back: the
# restored model's validation loss is the lowest in the history, below the last epoch's
# (both printed above).

# %%
r = ch.findings["results"]
ch.headline = (f"weights with |w| < {NEAR_ZERO:g}: none {r['none']['near_zero']:.0%}, "
               f"L1 {r['L1']['near_zero']:.0%}, "
               f"L2 {r['L2']['near_zero']:.0%}; best L2 strength {best['L2']['strength']:.0e}")
result = lambda f, name: f["results"][name]           # noqa: E731
weak = lambda f, penalty: [accuracy for accuracy, strength in zip(f["curves"][penalty]["validation"], f["strengths"])
                           if strength <= 1.0001e-3]  # noqa: E731
ch.claims({
    "a large share of its weights (and of L1L2's) end near zero":
        lambda f: min(result(f, "L1")["near_zero"], result(f, "L1L2")["near_zero"]) > 0.2,
    "while the unpenalised and L2 networks keep the broad bell they started from":
        lambda f: max(result(f, "none")["near_zero"], result(f, "L2")["near_zero"]) < 0.02,
    "its weight norm is below the unpenalised one, and so is its largest weight":
        lambda f: result(f, "L2")["weight_norm"] < result(f, "none")["weight_norm"]
        and result(f, "L2")["largest_weight"] < result(f, "none")["largest_weight"],
    "The zeros are not *exact*": lambda f: all(r["exact_zero"] == 0 for r in f["results"].values()),
    "every network fits its training set": lambda f: all(r["train_accuracy"] > 0.99 for r in f["results"].values()),
    "too strong a penalty pulls down training and validation accuracy together":
        lambda f: all(f["curves"][p]["train"][-1] < 0.5 and f["curves"][p]["validation"][-1] < 0.5 for p in ("L1", "L2")),
    "Between the weak strengths the validation accuracy differs by a handful of digits at most":
        lambda f: all(max(weak(f, p)) - min(weak(f, p)) <= 0.02 for p in ("L1", "L2")),
    "two passes over the same test digits give different logits, and some predictions change, while in eval "
    "mode the two passes agree exactly":
        lambda f: f["dropout"]["train"]["predictions that change"] > 0
        and f["dropout"]["eval"]["largest logit change between two passes"] == 0,
    "The accuracy the network reaches in eval mode is higher than in training mode":
        lambda f: f["dropout"]["eval"]["accuracy"] > f["dropout"]["train"]["accuracy"],
    "Dropout keeps about half the hidden outputs, and the $1/(1 - p)$ brings their mean back":
        lambda f: abs(f["dropout_kept"] - 0.5) < 0.02 and abs(f["dropout_mean_ratio"] - 1) < 0.02,
    "EarlyStopping waited `patience` epochs past the best one, stopped long before the epoch limit, and put "
    "the best epoch's weights back":
        lambda f: f["early_stopping"]["stopped_epoch"] == f["early_stopping"]["best_epoch"] + 10
        and f["early_stopping"]["stopped_epoch"] < f["early_stopping"]["max_epochs"] / 2
        and f["early_stopping"]["restored"],
    "the restored model's validation loss is the lowest in the history, below the last epoch's":
        lambda f: f["early_stopping"]["val_loss_after_restore"] == f["early_stopping"]["lowest_val_loss_of_history"]
        < f["early_stopping"]["last_val_loss"],
})

# %% [markdown]
# ## Exercises
# 1. Change `TRAIN` to $1000$. Does the best strength move, and does the train/test gap of
#    the unpenalised network shrink on its own?
# 2. Replace `mn.optim.SGD` by `mn.optim.Adam` in `train`. Adam divides every step by the
#    gradient's running size: what happens to L1's near-zero fraction, and why? Then try
#    `mn.optim.AdamW(..., weight_decay=...)`, which decays the weights outside the gradient.
# 3. Put the penalty on the first layer only, and count the input pixels whose outgoing
#    weights are all near zero: plot that mask as an $8 \times 8$ image. Which pixels did L1
#    switch off?

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. More data is the best regulariser: with five times as many training digits the
#    unpenalised network's gap narrows by itself, and a penalty has less to add, so its best
#    strength tends to move down the grid; run it to see by how much.
# 2. Adam's step for a weight whose only gradient is the constant $\lambda_1 \operatorname{sign}(w)$
#    is about $\eta$ whatever $\lambda_1$ is, so weights near zero jitter by about $\eta$
#    rather than settling within $\eta\lambda_1$ of it: far fewer end within `NEAR_ZERO`.
#    AdamW's decay acts outside that normalisation and shrinks weights in proportion, like L2
#    with plain SGD.
# 3. `(np.abs(model[0].weight.data) < NEAR_ZERO).all(axis=1).reshape(8, 8)` is the mask (the
#    first layer's weight has one row per input pixel). Expect the pixels at the left and
#    right borders, blank in almost every digit.
#
# </details>

# %% [markdown]
# ## References
# - Tibshirani, R. (1996). Regression shrinkage and selection via the lasso. Journal of the
#   Royal Statistical Society B 58(1), 267-288. https://doi.org/10.1111/j.2517-6161.1996.tb02080.x
# - Hoerl, A. E. and Kennard, R. W. (1970). Ridge regression: biased estimation for
#   nonorthogonal problems (the L2 penalty). Technometrics 12(1), 55-67.
#   https://doi.org/10.1080/00401706.1970.10488634
# - Krogh, A. and Hertz, J. A. (1992). A simple weight decay can improve generalization.
#   NeurIPS 4. https://papers.nips.cc/paper/1991/hash/8eefcfdf5990e441f0fb6f3fad709e21-Abstract.html
# - Ng, A. Y. (2004). Feature selection, L1 vs. L2 regularization, and rotational invariance.
#   ICML. https://doi.org/10.1145/1015330.1015435
# - Goodfellow, I., Bengio, Y. and Courville, A. (2016). Deep Learning, sections 7.1.1 and
#   7.1.2 (L2 and L1 parameter regularisation). MIT Press. https://www.deeplearningbook.org/
# - Srivastava, N., Hinton, G., Krizhevsky, A., Sutskever, I. and Salakhutdinov, R. (2014).
#   Dropout: a simple way to prevent neural networks from overfitting. JMLR 15, 1929-1958.
#   https://jmlr.org/papers/v15/srivastava14a.html
# - Prechelt, L. (1998). Early stopping - but when? In Neural Networks: Tricks of the Trade,
#   Springer. https://doi.org/10.1007/3-540-49430-8_3
