"""Text helpers for character-level language models: a vocabulary, training windows, sampling.

    >>> vocabulary = CharVocabulary("hello world")
    >>> ids = vocabulary.encode("hello")
    >>> ids, vocabulary.decode(ids)
    (array([3, 2, 4, 4, 5]), 'hello')
    >>> inputs, targets = next_token_windows(vocabulary.encode("hello world"), length=4)
    >>> vocabulary.decode(inputs[0]), vocabulary.decode(targets[0])
    ('hell', 'ello')

A model reads `inputs` and is trained to predict `targets`, the same window one character on:
at every position, the next character.
"""
import numpy as np

from minnet import config
from minnet.function import no_grad
from minnet.tensor import Tensor


class CharVocabulary:
    """The characters of a text, each given an integer id (sorted by code point).

    encode(text) -> int64 ids; decode(ids) -> text; len() is the number of characters.
    A character outside the vocabulary is an error that names it (no silent unknown token).
    """

    def __init__(self, text):
        if not isinstance(text, str) or not text:
            raise ValueError(f"CharVocabulary expected a non-empty string, got {text!r:.40}")
        self.chars = sorted(set(text))
        self.index = {char: i for i, char in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def __contains__(self, char):
        return char in self.index

    def encode(self, text):
        """The id of every character of `text`, as an int64 array of len(text)."""
        try:
            return np.fromiter((self.index[char] for char in text), dtype=np.int64, count=len(text))
        except KeyError:
            unknown = sorted(set(text) - set(self.index))
            raise ValueError(f"CharVocabulary of {len(self)} characters cannot encode "
                             f"{', '.join(map(repr, unknown[:5]))}{' ...' if len(unknown) > 5 else ''}: "
                             f"not in the text it was built from") from None

    def decode(self, ids):
        """The text whose characters have these ids (a 1-D sequence of ints)."""
        ids = np.asarray(getattr(ids, "data", ids))
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError(f"CharVocabulary.decode expected a 1-D sequence of integer ids, got "
                             f"shape {ids.shape} and dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"CharVocabulary.decode expected ids from 0 to {len(self) - 1}, got "
                             f"{ids.min() if ids.min() < 0 else ids.max()}")
        return "".join(self.chars[i] for i in ids)

    def __repr__(self):
        shown = "".join(self.chars[:20])
        return f"CharVocabulary({len(self)} characters: {shown!r}{' ...' if len(self) > 20 else ''})"


def _check_ids(owner, ids, length):
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"{owner} expected a 1-D array of integer ids, got shape {ids.shape}, "
                         f"dtype {ids.dtype}")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"{owner} expected a positive integer length, got {length!r}")
    if len(ids) < length + 1:
        raise ValueError(f"{owner} needs at least length + 1 = {length + 1} ids for one window "
                         f"and its next-token targets, got {len(ids)}")
    return ids


def next_token_windows(ids, length, stride=None):
    """Every window of `length` ids, starting every `stride` (default: length, no overlap),
    with its targets, the same window shifted one id on.

    Shape: ids (L,) -> inputs (M, length), targets (M, length), M = (L - 1 - length) // stride + 1.
    """
    ids = _check_ids("next_token_windows", ids, length)
    stride = length if stride is None else stride
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"next_token_windows expected a positive integer stride, got {stride!r}")
    starts = np.arange(0, len(ids) - length, stride)
    offsets = starts[:, None] + np.arange(length)
    return ids[offsets], ids[offsets + 1]


def random_windows(ids, length, batch_size, seed=None):
    """One batch of `batch_size` windows from random places, with their next-token targets.

    seed=None draws from mn.config.rng() (so mn.manual_seed makes it reproducible); an int
    or a numpy Generator gives its own stream. Shape: inputs, targets (batch_size, length).
    """
    ids = _check_ids("random_windows", ids, length)
    rng = seed if isinstance(seed, np.random.Generator) else (
        config.rng() if seed is None else np.random.default_rng(seed))
    starts = rng.integers(0, len(ids) - length, batch_size)
    offsets = starts[:, None] + np.arange(length)
    return ids[offsets], ids[offsets + 1]


def sample_next(logits, temperature=1.0, top_k=None, seed=None):
    """Draw the next token from logits: softmax(logits / temperature), restricted to the top_k
    most likely tokens when top_k is given. temperature=0 takes the most likely (greedy).

    Low temperature sharpens the distribution towards the likeliest tokens (more repetitive
    text), high temperature flattens it (more surprising, more errors).
    Shape: logits (V,) -> an int; (N, V) -> (N,) ints.
    """
    logits = np.asarray(getattr(logits, "data", logits), dtype=np.float64)
    if logits.ndim not in (1, 2) or logits.shape[-1] == 0:
        raise ValueError(f"sample_next expected logits of shape (V,) or (N, V), got {logits.shape}")
    if not temperature >= 0:
        raise ValueError(f"sample_next expected temperature >= 0, got {temperature!r}")
    vocabulary = logits.shape[-1]
    if top_k is not None and not (isinstance(top_k, (int, np.integer)) and 1 <= top_k <= vocabulary):
        raise ValueError(f"sample_next expected top_k from 1 to {vocabulary} (the vocabulary), got {top_k!r}")
    rows = np.atleast_2d(logits)
    if temperature == 0:
        choice = rows.argmax(axis=1)
    else:
        scaled = rows / temperature
        if top_k is not None and top_k < vocabulary:
            kth = np.partition(scaled, vocabulary - top_k, axis=1)[:, vocabulary - top_k, None]
            scaled = np.where(scaled >= kth, scaled, -np.inf)
        probs = np.exp(scaled - scaled.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        rng = seed if isinstance(seed, np.random.Generator) else (
            config.rng() if seed is None else np.random.default_rng(seed))
        # Inverse CDF: one uniform number per row picks where it falls among the cumulative probs.
        choice = (probs.cumsum(axis=1) < rng.random((len(rows), 1))).sum(axis=1)
        choice = np.minimum(choice, vocabulary - 1)
    return int(choice[0]) if logits.ndim == 1 else choice


def generate(next_logits, prompt, length, temperature=1.0, top_k=None, context=None, seed=None,
             class_axis=-1):
    """Extend `prompt` (ids) by `length` sampled tokens; returns all the ids, prompt first.

    next_logits(ids) takes a (1, t) int array of the ids so far (the last `context` of them
    when given, for models with a fixed window) and returns logits of shape (V,), (1, V) or
    (1, t, V) (the last position is used); a model that returns (1, V, t), the layout
    CrossEntropyLoss takes, needs class_axis=1. It runs under mn.no_grad().

        >>> ids = generate(lambda ids: model(ids), vocabulary.encode("def "), 100, top_k=5)  # doctest: +SKIP
        >>> print(vocabulary.decode(ids))  # doctest: +SKIP
    """
    ids = list(np.asarray(prompt, dtype=np.int64).reshape(-1))
    if not ids:
        raise ValueError("generate needs a prompt of at least one id to start from")
    rng = seed if isinstance(seed, np.random.Generator) else (
        config.rng() if seed is None else np.random.default_rng(seed))
    with no_grad():
        for _ in range(length):
            window = np.array(ids[-context:] if context else ids, dtype=np.int64)[None]
            logits = next_logits(window)
            logits = np.asarray(logits.data if isinstance(logits, Tensor) else logits)
            logits = np.moveaxis(logits, class_axis, -1)
            logits = logits.reshape(-1, logits.shape[-1])[-1]
            ids.append(sample_next(logits, temperature, top_k, seed=rng))
    return np.array(ids, dtype=np.int64)
