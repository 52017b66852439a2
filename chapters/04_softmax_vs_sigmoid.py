"""Chapter 04: softmax or sigmoid at the output?

Softmax turns K scores into one probability distribution: the classes compete, exactly one is
right. Sigmoid turns each score into its own yes/no probability: any number of labels can be
on. We train both on single digits (one right answer) and on images holding one to three
digits (several right answers) and measure which output layer can express what.
"""
# %% [markdown]
# **You will learn** when an output layer should be a softmax and when one sigmoid per
# output, the loss that goes with each, and what goes wrong when a softmax is asked a
# multi-label question. **You need** chapter 00 and the idea of a probability.
# **Runs in** about 1 s (0.5 s in quick mode) on one core.
#
# ## The question
# For logits $z \in \mathbb{R}^K$,
#
# $$\mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^K e^{z_j}}.$$
#
# The outputs are positive and sum to $1$, so raising one probability lowers the others: its
# Jacobian is
#
# $$\frac{\partial\, \mathrm{softmax}(z)_i}{\partial z_j} = s_i\,(\delta_{ij} - s_j), \qquad s = \mathrm{softmax}(z),$$
#
# not diagonal. Softmax answers "which one of the $K$?" (mutually exclusive classes: a
# handwritten digit is a three or a seven, never
# both). With cross-entropy against the true class
# $c$, $L = -\log s_c$, the gradient becomes simply $\partial L / \partial z = s - e_c$ (the
# one-hot vector $e_c$): the Jacobian's coupling cancels.
#
# $\sigma(z_i) = 1/(1 + e^{-z_i})$ is applied to each output on its own, with binary
# cross-entropy $L = -\sum_i \big(t_i \log \sigma(z_i) + (1 - t_i)\log(1 - \sigma(z_i))\big)$
# for targets $t_i \in \{0, 1\}$. Each output is a separate yes/no question and nothing ties
# them together: sigmoid answers "which of the $K$ are present?" (multi-label: a chest X-ray
# can show several findings; a photo can be both "sheep" and "animal").
#
# A correction to one of the blog posts this project started from: it calls sigmoid outputs
# "exclusive". It is the other way round: sigmoid outputs are *independent* (non-exclusive),
# softmax outputs are *mutually exclusive*.
#
# And a link between the two: with $K = 2$,
# $\mathrm{softmax}([z, 0])_0 = e^z / (e^z + 1) = \sigma(z)$. Two-class softmax *is* logistic
# regression. We check that identity numerically first.

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import accuracy_score, f1_score, hamming_loss
from sklearn.model_selection import train_test_split

import minnet as mn
from chapters._common import Chapter

ch = Chapter("04_softmax_vs_sigmoid")
THRESHOLD = 0.5       # a label is reported when its probability exceeds this
MAX_DIGITS = 3        # digits per multi-label image: 1 to 3

# %%
z = np.linspace(-30, 30, ch.pick(full=2001, quick=201))
pairs = mn.Tensor(np.stack([z, np.zeros_like(z)], axis=1))        # (points, 2) logits
softmax_first = mn.nn.Softmax(axis=-1)(pairs).data[:, 0]
sigmoid_of_z = mn.nn.Sigmoid()(mn.Tensor(z)).data
ch.record(two_class_identity_max_difference=float(np.max(np.abs(softmax_first - sigmoid_of_z))))
ch.print(f"max |softmax([z, 0])_0 - sigmoid(z)| over z in [-30, 30]: "
         f"{ch.findings['two_class_identity_max_difference']:.1e}")

# %% [markdown]
# ## One right answer: single digits with softmax and cross-entropy
# The network outputs one logit per digit; `CrossEntropyLoss` applies log-softmax itself
# (stably) and takes the integer label. At prediction time the class with the largest probability wins.

# %%
def classifier(inputs, hidden=128, classes=10):
    """Dense(inputs -> hidden), ReLU, Dense(hidden -> classes): logits, no output activation."""
    return mn.nn.Sequential(mn.nn.Dense(inputs, hidden, init="he_uniform"), mn.nn.ReLU(),
                            mn.nn.Dense(hidden, classes))


def train(model, loss_fn, X, y, epochs, seed=ch.seed):
    optimizer = mn.optim.Adam(model.parameters(), lr=1e-2)
    return mn.fit(model, loss_fn, optimizer, X, y, epochs=epochs, batch_size=64,
                  progress=False, seed=seed)


def probabilities(model, X, output):
    """The model's probabilities with the output layer `output` (Softmax or Sigmoid) on top."""
    return output(mn.Tensor(mn.predict(model, X))).data          # logits -> probabilities


X, y = mn.datasets.load_digits()
# one split of the 1,797 digit images, used twice: for single digits here, and as the
# disjoint pools the multi-label images below are pasted from
train_pool, test_pool = train_test_split(np.arange(len(y)), test_size=0.25, random_state=ch.seed, stratify=y)
mn.manual_seed(ch.seed)
model = classifier(X.shape[1])
train(model, mn.nn.CrossEntropyLoss(), X[train_pool], y[train_pool], ch.pick(full=10, quick=3), ch.seed)
p = probabilities(model, X[test_pool], mn.nn.Softmax(axis=-1))
ch.record(pools_disjoint=not set(train_pool.tolist()) & set(test_pool.tolist()))
ch.record(digits_accuracy=float(accuracy_score(y[test_pool], p.argmax(axis=1))),
          softmax_sum_max_deviation=float(np.max(np.abs(p.sum(axis=1) - 1))))
ch.print(f"single digits, softmax + cross-entropy: test accuracy {ch.findings['digits_accuracy']:.3f}, "
         f"max |sum of probabilities - 1| {ch.findings['softmax_sum_max_deviation']:.1e}")

# %% [markdown]
# ## Several right answers: images of one to three digits
# `mn.datasets.load_multilabel_digits` pastes one to `MAX_DIGITS` different digits side by
# side; the target is a row of ten flags $t_i \in \{0, 1\}$, one per digit present. Training
# images are pasted from the training pool of digit images above and test images from the
# test pool, so no test image contains a digit image the networks were trained on. We train
# the same network two ways:
#
# - **sigmoid + binary cross-entropy**: ten independent yes/no questions
#   (`BCEWithLogitsLoss`, which folds the sigmoid in stably); report every digit whose
#   sigmoid exceeds `THRESHOLD` ($\tfrac12$).
# - **softmax + cross-entropy** on the label vector normalised to sum to $1$ (an image of a
#   two and a seven has target $\tfrac12$ on each): the best a softmax can do is split its
#   probability among the digits present. Reported by the same rule, probability above
#   $\tfrac12$. Because the ten probabilities sum to $1$, at most one of them can exceed
#   $\tfrac12$: **thresholded softmax can never report two digits.** Taking the top $k$
#   instead works only if we already know $k$, so we also score "softmax, top k with the true
#   k given", an optimistic comparison: it is
#   handed a number that a real system would have to find out.
#
# The soft-target cross-entropy is $-\sum_i t_i \log \mathrm{softmax}(z)_i$, which we write
# with `mn.nn.LogSoftmax` (CrossEntropyLoss takes integer labels only).

# %%
def soft_target_cross_entropy(logits, target):
    """mean over the batch of -sum_i t_i log softmax(z)_i, for target rows that sum to 1."""
    target = target if isinstance(target, mn.Tensor) else mn.Tensor(target)
    return -(target * mn.nn.LogSoftmax(axis=-1)(logits)).sum(axis=1).mean()


def top_k(p, k):
    """0/1 rows with ones at the k[i] largest entries of p[i]."""
    ranks = np.argsort(np.argsort(-p, axis=1), axis=1)                # 0 = largest
    return (ranks < k[:, None]).astype(np.int64)


def scores(Y_true, Y_pred):
    """subset accuracy (every label right), Hamming loss (share of wrong flags), micro-F1."""
    return {"subset_accuracy": accuracy_score(Y_true, Y_pred),
            "hamming_loss": hamming_loss(Y_true, Y_pred),
            "micro_f1": f1_score(Y_true, Y_pred, average="micro", zero_division=0)}


n = ch.pick(full=3000, quick=1200)
X_train, Y_train = mn.datasets.load_multilabel_digits(n * 3 // 4, max_digits=MAX_DIGITS, seed=ch.seed,
                                                      sources=train_pool)
X_test, Y_test = mn.datasets.load_multilabel_digits(n // 4, max_digits=MAX_DIGITS, seed=ch.seed + 1,
                                                    sources=test_pool)
Y_test = Y_test.astype(np.int64)
count = Y_test.sum(axis=1)                                         # digits in each image
epochs = ch.pick(full=15, quick=8)
ch.print(f"{len(Y_train)} training images and {len(Y_test)} test images; digits per test image: "
         + ", ".join(f"{k}: {int(np.sum(count == k))}" for k in range(1, MAX_DIGITS + 1)))

figure, axes = plt.subplots(2, 3, figsize=(9, 2.8), layout="constrained")
for ax, image, labels in zip(axes.flat, X_train, Y_train):
    ax.imshow(image.reshape(8, -1), cmap="gray_r")
    ax.set(title=f"target: digits {np.flatnonzero(labels).tolist()}", xticks=[], yticks=[])
figure.suptitle("Six training images and their label sets")
ch.show(figure, "multilabel_examples")

# %% [markdown]
# Both networks get the same images, optimiser, epochs and seed; only the output and the loss
# differ.

# %%
mn.manual_seed(ch.seed)
sigmoid_model = classifier(X_train.shape[1])
train(sigmoid_model, mn.nn.BCEWithLogitsLoss(), X_train, Y_train, epochs, ch.seed)
p_sigmoid = probabilities(sigmoid_model, X_test, mn.nn.Sigmoid())

mn.manual_seed(ch.seed)
softmax_model = classifier(X_train.shape[1])
normalised = Y_train / Y_train.sum(axis=1, keepdims=True)
train(softmax_model, soft_target_cross_entropy, X_train, normalised, epochs, ch.seed)
p_softmax = probabilities(softmax_model, X_test, mn.nn.Softmax(axis=-1))

def score_table(predictions):
    """{approach: scores}, with subset accuracy on multi-digit images and the most labels reported."""
    multi = count >= 2
    table = {}
    for name, Y_pred in predictions.items():
        table[name] = scores(Y_test, Y_pred)
        table[name]["subset_accuracy_multi"] = accuracy_score(Y_test[multi], Y_pred[multi])
        table[name]["most_labels_reported"] = int(Y_pred.sum(axis=1).max())
    return table


def show_scores(table):
    """Record the table (the prose's claims read it) and print it."""
    ch.record(multilabel=table, multilabel_train=len(Y_train), multilabel_test=len(Y_test))
    ch.table({name: {"subset acc": row["subset_accuracy"], "on 2-3 digits": row["subset_accuracy_multi"],
                     "Hamming": row["hamming_loss"], "micro-F1": row["micro_f1"],
                     "most labels": row["most_labels_reported"]}
              for name, row in table.items()}, fmt=".3f", key="approach",
             title=f"multi-label digits (1 to {MAX_DIGITS} per image): {len(Y_train)} training, "
                   f"{len(Y_test)} test images")


# %%
predictions = {"sigmoid, p > 0.5": (p_sigmoid > THRESHOLD).astype(np.int64),
               "softmax, p > 0.5": (p_softmax > THRESHOLD).astype(np.int64),
               "softmax, top k (k given)": top_k(p_softmax, count)}
table = score_table(predictions)
show_scores(table)
top_k_f1, sigmoid_f1 = table["softmax, top k (k given)"]["micro_f1"], table["sigmoid, p > 0.5"]["micro_f1"]
ch.print(f"top-k softmax, handed the true k, reaches micro-F1 {top_k_f1:.3f}; "
         f"sigmoid, which finds k itself, {sigmoid_f1:.3f}")

# %% [markdown]
# ## One image, both ways
# The figure shows the first test image with three digits, and the probability each model
# gives each digit. The sigmoid bars are free to be high together; the softmax bars share one
# unit of probability, so at most one of them can clear the threshold. Two printed lines say
# what each model reports for this image, computed from its probabilities.

# %%
example = int(np.flatnonzero(count == MAX_DIGITS)[0])
present = np.flatnonzero(Y_test[example]).tolist()


def describe(name, probabilities_of_image):
    """One sentence, from the numbers, about what a model says for the example image."""
    reported = np.flatnonzero(probabilities_of_image > THRESHOLD).tolist()
    on_present = ", ".join(f"{d}: {probabilities_of_image[d]:.2f}" for d in present)
    false = [d for d in reported if d not in present]
    missed = [d for d in present if d not in reported]
    text = f"{name} gives the digits present {on_present}; it reports {reported or 'nothing'}"
    if false:
        text += ", a false positive for " + ", ".join(
            f"{d} (p = {probabilities_of_image[d]:.2f})" for d in false)
    if missed:
        text += f"; it misses {missed}"
    return text + "."


ch.record(example_digits=present, example_sigmoid_probabilities=p_sigmoid[example].tolist(),
          example_softmax_probabilities=p_softmax[example].tolist(),
          example_sigmoid_reported=np.flatnonzero(p_sigmoid[example] > THRESHOLD).tolist(),
          example_softmax_reported=np.flatnonzero(p_softmax[example] > THRESHOLD).tolist())
ch.print(f"example test image with digits {present}:")
ch.print("  " + describe("sigmoid", p_sigmoid[example]))
ch.print("  " + describe("softmax", p_softmax[example]))

figure, (ax_image, ax_bars) = plt.subplots(1, 2, figsize=(10, 3.2), gridspec_kw={"width_ratios": [1.2, 2]})
ax_image.imshow(X_test[example].reshape(8, -1), cmap="gray_r")
ax_image.set(title=f"digits present: {present}", xticks=[], yticks=[])
digits, width = np.arange(10), 0.4
ax_bars.bar(digits - width / 2, p_sigmoid[example], width, label="sigmoid (independent)",
            color=mn.plot.activation_colour("sigmoid"))    # sigmoid's colour on every page
ax_bars.bar(digits + width / 2, p_softmax[example], width, label="softmax (sums to 1)", hatch="//",
            color="0.55")
ax_bars.axhline(THRESHOLD, color="k", linestyle="--", linewidth=1, label="threshold 0.5")
for digit in present:
    ax_bars.axvspan(digit - 0.5, digit + 0.5, color="green", alpha=0.12)
ax_bars.set(xticks=digits, xlabel="digit (shaded: present)", ylabel="probability", ylim=(0, 1.05),
            title="Predicted probability per digit")
ax_bars.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
ch.show(figure, "one_image_both_ways")

ch.headline = (f"multi-digit subset accuracy: sigmoid "
               f"{table['sigmoid, p > 0.5']['subset_accuracy_multi']:.2f}, "
               f"thresholded softmax {table['softmax, p > 0.5']['subset_accuracy_multi']:.2f}; "
               f"single digits (softmax) {ch.findings['digits_accuracy']:.3f}")

# %% [markdown]
# ## What we saw
# - Two-class softmax and sigmoid agree to within rounding error over the whole grid (the
#   maximum difference is printed at the top): logistic regression is softmax with one logit
#   pinned to $0$.
# - On single digits, softmax with cross-entropy classifies most test digits correctly (the
#   accuracy is printed), and its ten probabilities sum to $1$ on every image.
# - On images with several digits the table tells the story. Sigmoid outputs, each
#   thresholded on its own, recover the whole label set of many images, including images of
#   two and three digits. Thresholded softmax reports at most one digit per image, so on
#   images of two or three digits its subset accuracy is exactly $0$, and its Hamming loss and
#   micro-F1 pay for every digit it had to leave out. In the example image the softmax model
#   has to split one unit of probability among the digits, so no more than one can clear the
#   threshold (the two printed lines about the example say which digits each model
#   reported, and any false positive).
# - Sigmoid's freedom cuts both ways: the "most labels" column shows that on some image it
#   reported more digits than any image holds. Ten independent yes/no answers know nothing of
#   how many digits an image can have, so a few uncertain outputs above the threshold add up
#   to false positives. A threshold per label, tuned on held-out images, is the usual remedy.
# - Top-k softmax, handed the true number of digits, beats thresholded softmax by far, and it
#   also beats sigmoid on subset accuracy, while the two are close on micro-F1. The network
#   has learnt which digits are there, and ranking by softmax works once somebody says how
#   many to take: the hard part of a multi-label question is exactly that number, and top-k
#   was handed it. Sigmoid outputs find it themselves, with the errors just described;
#   softmax outputs cannot find it at all.
#
# Pick the output by the question: one answer among $K$, softmax (Bridle 1990); any number of
# $K$ yes/no answers, one sigmoid per output with binary cross-entropy, the "binary relevance"
# approach of multi-label learning (Zhang and Zhou 2014). Sigmoid's outputs are independent,
# not "exclusive".

# %%
table = lambda f, approach: f["multilabel"][approach]               # noqa: E731
SIGMOID, SOFTMAX, TOP_K = "sigmoid, p > 0.5", "softmax, p > 0.5", "softmax, top k (k given)"
ch.claims({
    "Two-class softmax and sigmoid agree to within rounding error over the whole grid":
        lambda f: f["two_class_identity_max_difference"] < 1e-12,
    "softmax with cross-entropy classifies most test digits correctly": lambda f: f["digits_accuracy"] > 0.9,
    "its ten probabilities sum to $1$ on every image": lambda f: f["softmax_sum_max_deviation"] < 1e-5,
    "recover the whole label set of many images, including images of two and three digits":
        lambda f: table(f, SIGMOID)["subset_accuracy_multi"] > 0.25,
    "Thresholded softmax reports at most one digit per image, so on images of two or three digits its subset "
    "accuracy is exactly $0$":
        lambda f: table(f, SOFTMAX)["most_labels_reported"] == 1 and table(f, SOFTMAX)["subset_accuracy_multi"] == 0,
    "its Hamming loss and micro-F1 pay for every digit it had to leave out":
        lambda f: table(f, SOFTMAX)["hamming_loss"] > table(f, SIGMOID)["hamming_loss"]
        and table(f, SOFTMAX)["micro_f1"] < table(f, SIGMOID)["micro_f1"],
    "on some image it reported more digits than any image holds":
        lambda f: table(f, SIGMOID)["most_labels_reported"] > 3,
    "beats thresholded softmax by far":
        lambda f: table(f, TOP_K)["micro_f1"] > table(f, SOFTMAX)["micro_f1"] + 0.2,
    "it also beats sigmoid on subset accuracy, while the two are close on micro-F1":
        lambda f: table(f, TOP_K)["subset_accuracy"] > table(f, SIGMOID)["subset_accuracy"]
        and abs(table(f, TOP_K)["micro_f1"] - table(f, SIGMOID)["micro_f1"]) < 0.05,
})

# %% [markdown]
# ## Exercises
# 1. Set `MAX_DIGITS = 5`: how do sigmoid's subset accuracy and Hamming loss change as images
#    hold more digits?
# 2. Instead of a fixed threshold, report softmax digits with $p > 1/k$ for an image of $k$
#    digits: is it any better than top-k, and does it need the same forbidden knowledge?
# 3. Train the single-digit classifier with sigmoid and `BCEWithLogitsLoss` on one-hot
#    targets. Accuracy by argmax is similar, but how often do its ten probabilities sum to
#    anything near $1$?

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. Subset accuracy falls fast (every one of more flags must be right), while the Hamming
#    loss, a share of single flags, rises slowly: prefer per-label scores when images hold
#    many labels.
# 2. It needs $k$ just as top-k does, so it is no fairer; it can also report fewer than $k$
#    digits when the probability is spread unevenly.
# 3. Rarely: nothing ties the ten sigmoids together, so their sum wanders from near $0$ (an
#    unclear digit) to above $1$ (two plausible digits). Argmax still picks the right digit
#    most of the time.
#
# </details>

# %% [markdown]
# ## References
# - Bridle, J. S. (1990). Probabilistic interpretation of feedforward classification network
#   outputs, with relationships to statistical pattern recognition (the name "softmax").
#   Neurocomputing, NATO ASI Series F68, 227-236. https://doi.org/10.1007/978-3-642-76153-9_28
# - Bishop, C. M. (2006). Pattern Recognition and Machine Learning, section 4.3.4 (multiclass
#   logistic regression) and 4.3.2 (logistic regression as the two-class case). Springer.
#   https://www.microsoft.com/en-us/research/publication/pattern-recognition-machine-learning/
# - Zhang, M.-L. and Zhou, Z.-H. (2014). A review on multi-label learning algorithms. IEEE
#   Transactions on Knowledge and Data Engineering 26(8), 1819-1837. https://doi.org/10.1109/TKDE.2013.39
# - Tsoumakas, G. and Katakis, I. (2007). Multi-label classification: an overview.
#   International Journal of Data Warehousing and Mining 3(3), 1-13. https://doi.org/10.4018/jdwm.2007070101
# - Wang, X. et al. (2017). ChestX-ray8: hospital-scale chest X-ray database and benchmarks
#   (several findings per X-ray, one sigmoid output each). https://arxiv.org/abs/1705.02315
