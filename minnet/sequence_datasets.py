"""Sequence data that needs no download: the CPython documentation as a text corpus, and
synthetic tasks that test memory over time (adding problem, copy/reverse, key-value recall,
digits read pixel by pixel). All are also reachable as `mn.datasets.<name>`.

Generators draw from one seeded numpy Generator (`seed=None` uses `mn.config.rng()`), as
every generator in datasets.py does.

    >>> X, y = make_adding_problem(4, length=10, seed=0)
    >>> X.shape, y.shape
    ((4, 10, 2), (4,))
"""
import numpy as np

from minnet import config

IGNORE_INDEX = -100       # CrossEntropyLoss's default ignore_index: positions with no target


def _generator(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    return config.rng() if seed is None else np.random.default_rng(seed)


def _check_positive(owner, **values):
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{owner} expected a positive integer for {name}, got {value!r}")


def load_python_docs(split="train", validation_fraction=0.1):
    """The text of Python's own help topics (`pydoc_data.topics`, shipped with CPython: about
    465,000 characters on 3.11), as one string, for character-level language models.

    The topics are joined in sorted order, separated by blank lines; split="train" is the
    first 1 - validation_fraction of the characters, "validation" the rest (cut at a line
    break, the same on every run), "all" the whole text.
    """
    if split not in ("train", "validation", "all"):
        raise ValueError(f"load_python_docs expected split 'train', 'validation' or 'all', got {split!r}")
    if not 0 < validation_fraction < 1:
        raise ValueError(f"load_python_docs expected 0 < validation_fraction < 1, got {validation_fraction!r}")
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[name].strip("\n") for name in sorted(topics))
    cut = text.index("\n", int(len(text) * (1 - validation_fraction))) + 1
    return {"train": text[:cut], "validation": text[cut:], "all": text}[split]


def make_adding_problem(n=1000, length=50, seed=None):
    """The adding problem (Hochreiter & Schmidhuber 1997; as in Le, Jaitly & Hinton 2015).

    Each step carries two numbers: a value drawn from U(0, 1) and a marker that is 1 at
    exactly two steps, one in each half of the sequence, 0 elsewhere. The target is the sum
    of the two marked values, so the network must remember a value over up to `length` steps.
    Always answering 1 (the mean) scores a mean squared error of about 1/6.

    Shape: X (n, length, 2) float32 (channel 0 values, channel 1 markers), y (n,) float32.
    """
    _check_positive("make_adding_problem", n=n, length=length)
    if length < 2:
        raise ValueError(f"make_adding_problem needs length >= 2 (one marker in each half), got {length}")
    rng = _generator(seed)
    values = rng.random((n, length))
    half = length // 2
    first, second = rng.integers(0, half, n), rng.integers(half, length, n)
    markers = np.zeros((n, length))
    rows = np.arange(n)
    markers[rows, first] = markers[rows, second] = 1
    X = np.stack([values, markers], axis=-1).astype(np.float32)
    return X, (values[rows, first] + values[rows, second]).astype(np.float32)


def make_copy_task(n=1000, length=10, num_symbols=8, reverse=False, seed=None):
    """Copy (or reverse) a sequence of symbols after seeing all of it.

    Tokens: 0 blank, 1..num_symbols symbols, num_symbols + 1 the delimiter. The input is
    `length` random symbols, the delimiter, then `length` blanks; the target is IGNORE_INDEX
    (-100, no loss) up to the delimiter, then the symbols (reversed with reverse=True).
    Train with CrossEntropyLoss on logits (N, num_symbols + 2, 2 * length + 1).

    Shape: X, Y (n, 2 * length + 1) int64.
    """
    _check_positive("make_copy_task", n=n, length=length, num_symbols=num_symbols)
    rng = _generator(seed)
    symbols = rng.integers(1, num_symbols + 1, (n, length))
    X = np.zeros((n, 2 * length + 1), dtype=np.int64)
    X[:, :length], X[:, length] = symbols, num_symbols + 1
    Y = np.full_like(X, IGNORE_INDEX)
    Y[:, length + 1:] = symbols[:, ::-1] if reverse else symbols
    return X, Y


def make_key_value_recall(n=1000, pairs=8, num_keys=16, num_values=16, seed=None):
    """Associative recall: read `pairs` (key, value) pairs, then one of the keys; answer its value.

    Tokens: keys 0..num_keys-1, values num_keys..num_keys+num_values-1, the query marker
    num_keys + num_values. The input is k1 v1 k2 v2 ... (distinct keys), the marker, and the
    queried key; y is the index 0..num_values-1 of the value stored with that key. Attention
    looks the key up in one step; a recurrent network must carry every pair in its state.

    Shape: X (n, 2 * pairs + 2) int64, y (n,) int64; vocabulary num_keys + num_values + 1.
    """
    _check_positive("make_key_value_recall", n=n, pairs=pairs, num_keys=num_keys, num_values=num_values)
    if pairs > num_keys:
        raise ValueError(f"make_key_value_recall needs pairs <= num_keys (distinct keys), got "
                         f"{pairs} pairs and {num_keys} keys")
    rng = _generator(seed)
    keys = rng.permuted(np.tile(np.arange(num_keys), (n, 1)), axis=1)[:, :pairs]
    values = rng.integers(0, num_values, (n, pairs))
    asked = rng.integers(0, pairs, n)
    rows = np.arange(n)
    X = np.empty((n, 2 * pairs + 2), dtype=np.int64)
    X[:, 0:2 * pairs:2], X[:, 1:2 * pairs:2] = keys, num_keys + values
    X[:, -2], X[:, -1] = num_keys + num_values, keys[rows, asked]
    return X, values[rows, asked].astype(np.int64)


def load_sequential_digits():
    """scikit-learn's 8x8 digits read one pixel per step, row by row: 64-step sequences
    (the small cousin of pixel-by-pixel MNIST, Le, Jaitly & Hinton 2015).

    Shape: X (1797, 64, 1) float32 in [0, 1], y (1797,) int64 in 0..9.
    """
    from minnet.datasets import load_digits

    X, y = load_digits()
    return X.reshape(-1, 64, 1), y
