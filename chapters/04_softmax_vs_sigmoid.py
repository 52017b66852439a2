"""Chapter 04: softmax or sigmoid at the output?

Softmax turns K scores into one probability distribution: the classes compete, exactly one is
right. Sigmoid turns each score into its own yes/no probability: any number of labels can be
on. We train both on single digits (one right answer) and on images holding one to three
digits (several right answers) and measure which output layer can express what.
"""
# %% [markdown]
# ## The question
# softmax(z)_i = e^(z_i) / sum_j e^(z_j). The outputs are positive and sum to 1, so raising one
# probability lowers the others: softmax answers "which one of the K?" (mutually exclusive
# classes: a handwritten digit is a 3 or a 7, never both).
#
# sigmoid(z_i) = 1 / (1 + e^(-z_i)) is applied to each output on its own. Each is a separate
# yes/no question and nothing ties them together: sigmoid answers "which of the K are
# present?" (multi-label: a chest X-ray can show several findings; a photo can be both
# "sheep" and "animal").
#
# A correction to one of the articles this project started from: it calls sigmoid outputs
# "exclusive". It is the other way round: sigmoid outputs are *independent* (non-exclusive),
# softmax outputs are *mutually exclusive*.
#
# And a link between the two: with K = 2, softmax([z, 0])_0 = e^z / (e^z + 1) = sigmoid(z).
# Two-class softmax *is* logistic regression. We check that identity numerically first.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score, hamming_loss  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import minnet as mn  # noqa: E402
from chapters._common import figure_dir, quick_mode  # noqa: E402

CHAPTER = "04_softmax_vs_sigmoid"
THRESHOLD = 0.5       # a label is reported when its probability exceeds this
MAX_DIGITS = 3        # digits per multi-label image: 1 to 3


def two_class_identity(points=2001, limit=30.0):
    """max |softmax([z, 0])_0 - sigmoid(z)| over a grid of z in [-limit, limit] (float64)."""
    z = np.linspace(-limit, limit, points)
    pairs = mn.Tensor(np.stack([z, np.zeros_like(z)], axis=1))        # (points, 2) logits
    softmax_first = mn.nn.Softmax(axis=-1)(pairs).data[:, 0]
    sigmoid = mn.nn.Sigmoid()(mn.Tensor(z)).data
    return float(np.max(np.abs(softmax_first - sigmoid)))


# %% [markdown]
# ## One right answer: single digits with softmax and cross-entropy
# The network outputs 10 logits; `CrossEntropyLoss` applies log-softmax itself (stably) and
# takes the integer label. At prediction time the class with the largest probability wins.

# %%
def classifier(inputs, hidden=128, classes=10):
    """Dense(inputs -> hidden), ReLU, Dense(hidden -> classes): logits, no output activation."""
    return mn.nn.Sequential(mn.nn.Dense(inputs, hidden, init="he_uniform"), mn.nn.ReLU(),
                            mn.nn.Dense(hidden, classes))


def train(model, loss_fn, X, y, epochs, seed=0):
    optimizer = mn.optim.Adam(model.parameters(), lr=1e-2)
    return mn.fit(model, loss_fn, optimizer, X, y, epochs=epochs, batch_size=64,
                  progress=False, seed=seed)


def probabilities(model, X, output):
    """The model's probabilities with the output layer `output` (Softmax or Sigmoid) on top."""
    return output(mn.Tensor(mn.predict(model, X))).data          # logits -> probabilities


def single_digit_accuracy(epochs, seed=0):
    X, y = mn.datasets.load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed)
    mn.manual_seed(seed)
    model = classifier(X.shape[1])
    train(model, mn.nn.CrossEntropyLoss(), X_train, y_train, epochs, seed)
    p = probabilities(model, X_test, mn.nn.Softmax(axis=-1))
    return accuracy_score(y_test, p.argmax(axis=1)), float(np.max(np.abs(p.sum(axis=1) - 1)))


# %% [markdown]
# ## Several right answers: images of one to three digits
# `mn.datasets.load_multilabel_digits` pastes 1 to 3 different digits side by side; the target
# is a row of ten 0/1 flags, one per digit present. We train the same network two ways:
#
# - **sigmoid + binary cross-entropy**: ten independent yes/no questions
#   (`BCEWithLogitsLoss`, which folds the sigmoid in stably); report every digit whose
#   sigmoid exceeds 0.5.
# - **softmax + cross-entropy** on the label vector normalised to sum to 1 (an image with a 2
#   and a 7 has target 0.5 on each): the best a softmax can do is split its probability among
#   the digits present. Reported by the same rule, probability above 0.5. Because the ten
#   probabilities sum to 1, at most one of them can exceed 0.5: **thresholded softmax can
#   never report two digits.** Taking the top k instead works only if we already know k, so
#   we also score "softmax, top k with the true k given", an optimistic comparison: it is
#   handed a number that a real system would have to find out.
#
# The soft-target cross-entropy is -sum_i t_i log softmax(z)_i, which we write with
# `mn.nn.LogSoftmax` (CrossEntropyLoss takes integer labels only).

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


def multilabel_comparison(n, epochs, seed=0):
    X, Y = mn.datasets.load_multilabel_digits(n, max_digits=MAX_DIGITS, seed=seed)
    X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.25, random_state=seed)
    Y_test = Y_test.astype(np.int64)
    count = Y_test.sum(axis=1)                                         # digits in each image

    mn.manual_seed(seed)
    sigmoid_model = classifier(X.shape[1])
    train(sigmoid_model, mn.nn.BCEWithLogitsLoss(), X_train, Y_train, epochs, seed)
    p_sigmoid = probabilities(sigmoid_model, X_test, mn.nn.Sigmoid())

    mn.manual_seed(seed)
    softmax_model = classifier(X.shape[1])
    normalised = Y_train / Y_train.sum(axis=1, keepdims=True)
    train(softmax_model, soft_target_cross_entropy, X_train, normalised, epochs, seed)
    p_softmax = probabilities(softmax_model, X_test, mn.nn.Softmax(axis=-1))

    predictions = {"sigmoid, p > 0.5": (p_sigmoid > THRESHOLD).astype(np.int64),
                   "softmax, p > 0.5": (p_softmax > THRESHOLD).astype(np.int64),
                   "softmax, top k (k given)": top_k(p_softmax, count)}
    multi = count >= 2
    table = {}
    for name, Y_pred in predictions.items():
        table[name] = scores(Y_test, Y_pred)
        table[name]["subset_accuracy_multi"] = accuracy_score(Y_test[multi], Y_pred[multi])
        table[name]["most_labels_reported"] = int(Y_pred.sum(axis=1).max())
    example = int(np.flatnonzero(count == MAX_DIGITS)[0])              # an image with 3 digits
    return table, X_test[example], Y_test[example], p_sigmoid[example], p_softmax[example]


# %% [markdown]
# ## One image, both ways
# The figure shows a test image with three digits, and the probability each model gives each
# digit. The sigmoid bars can all be high at once; the softmax bars share one unit of
# probability, so three digits present means about a third each, all below the threshold.

# %%
def plot_example(image, truth, p_sigmoid, p_softmax, path):
    figure, (ax_image, ax_bars) = plt.subplots(1, 2, figsize=(10, 3.2),
                                               gridspec_kw={"width_ratios": [1.2, 2]})
    ax_image.imshow(image.reshape(8, -1), cmap="gray_r")
    ax_image.set(title=f"digits present: {np.flatnonzero(truth).tolist()}", xticks=[], yticks=[])
    digits, width = np.arange(10), 0.4
    ax_bars.bar(digits - width / 2, p_sigmoid, width, label="sigmoid (independent)")
    ax_bars.bar(digits + width / 2, p_softmax, width, label="softmax (sums to 1)")
    ax_bars.axhline(THRESHOLD, color="k", linestyle="--", linewidth=1, label="threshold 0.5")
    for digit in np.flatnonzero(truth):
        ax_bars.axvspan(digit - 0.5, digit + 0.5, color="green", alpha=0.12)
    ax_bars.set(xticks=digits, xlabel="digit (shaded: present)", ylabel="probability",
                ylim=(0, 1.05), title="Predicted probability per digit")
    ax_bars.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


# %%
def main(quick: bool = quick_mode()) -> dict:
    identity_error = two_class_identity(points=201 if quick else 2001)
    digit_epochs, multilabel_n, multilabel_epochs = (3, 800, 5) if quick else (10, 3000, 15)
    accuracy, softmax_sum_error = single_digit_accuracy(digit_epochs)
    table, image, truth, p_sigmoid, p_softmax = multilabel_comparison(multilabel_n, multilabel_epochs)

    path = figure_dir(CHAPTER) / "one_image_both_ways.png"
    plot_example(image, truth, p_sigmoid, p_softmax, path)
    return {
        "two_class_identity_max_difference": identity_error,
        "digits_accuracy": accuracy,
        "softmax_sum_max_deviation": softmax_sum_error,
        "multilabel": table,
        "example_sigmoid_probabilities": p_sigmoid.tolist(),
        "example_softmax_probabilities": p_softmax.tolist(),
        "example_digits": np.flatnonzero(truth).tolist(),
        "figures": [str(path)],
    }


def headline(findings: dict) -> str:
    table = findings["multilabel"]
    return (f"multi-digit subset accuracy: sigmoid "
            f"{table['sigmoid, p > 0.5']['subset_accuracy_multi']:.2f}, thresholded softmax "
            f"{table['softmax, p > 0.5']['subset_accuracy_multi']:.2f}; "
            f"single digits (softmax) {findings['digits_accuracy']:.3f}")


# %% [markdown]
# ## What we saw
# - Two-class softmax and sigmoid agree to within rounding error over the whole grid (the
#   maximum difference is printed below): logistic regression is softmax with one logit
#   pinned to 0.
# - On single digits, softmax with cross-entropy reaches the test accuracy printed below, and
#   its ten probabilities sum to 1 on every image.
# - On images with several digits the table tells the story. Sigmoid outputs, each
#   thresholded on its own, recover whole label sets on most images, and the "most labels"
#   column shows they are free to report as many digits as they see (even one too many).
#   Thresholded softmax reports at most one digit per image, so on images of two or three
#   digits its subset accuracy is exactly 0, and its Hamming loss and micro-F1 pay for every
#   digit it had to leave out. In the example image the softmax model does see all the
#   digits, but it has to split one unit of probability among them, so no more than one can
#   clear the threshold.
# - Top-k softmax, handed the true number of digits, scores about as well as sigmoid: the
#   network has learnt which digits are there, and ranking by softmax is fine once somebody
#   says how many to take. But that number is part of what a multi-label model must find out;
#   sigmoid outputs find it themselves, softmax outputs cannot.
#
# Pick the output by the question: one answer among K, softmax; any number of K yes/no
# answers, one sigmoid per output. Sigmoid's outputs are independent, not "exclusive".
#
# ## Try it yourself
# 1. Set `MAX_DIGITS = 5`: how do sigmoid's subset accuracy and Hamming loss change as images
#    hold more digits?
# 2. Instead of a fixed 0.5, report softmax digits with p > 1 / (number of digits present):
#    is it any better than top-k, and does it need the same forbidden knowledge?
# 3. Train the single-digit classifier with sigmoid + `BCEWithLogitsLoss` on one-hot targets.
#    Accuracy by argmax is similar, but how often do its ten probabilities sum to anything
#    near 1?

if __name__ == "__main__":
    findings = main()
    print(f"max |softmax([z, 0])_0 - sigmoid(z)| over the grid: "
          f"{findings['two_class_identity_max_difference']:.1e}")
    print(f"single digits, softmax + cross-entropy: test accuracy {findings['digits_accuracy']:.3f}, "
          f"max |sum of probabilities - 1| {findings['softmax_sum_max_deviation']:.1e}")
    print(f"\nmulti-label digits (1 to {MAX_DIGITS} per image), test set:")
    print(f"{'approach':<26} {'subset acc':>10} {'on 2-3 digits':>13} {'Hamming':>8} "
          f"{'micro-F1':>8} {'most labels':>11}")
    for name, row in findings["multilabel"].items():
        print(f"{name:<26} {row['subset_accuracy']:>10.3f} {row['subset_accuracy_multi']:>13.3f} "
              f"{row['hamming_loss']:>8.3f} {row['micro_f1']:>8.3f} {row['most_labels_reported']:>11d}")
    digits = findings["example_digits"]
    print(f"\nexample image with digits {digits}:")
    print("  sigmoid:", np.round(findings["example_sigmoid_probabilities"], 2))
    print("  softmax:", np.round(findings["example_softmax_probabilities"], 2))
    print("figures:", *findings["figures"], sep="\n  ")
