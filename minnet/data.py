"""DataLoader: cut a dataset into mini-batches, reshuffled every epoch.

    >>> loader = DataLoader(np.arange(10.0)[:, None], np.arange(10), batch_size=4)
    >>> [len(yb) for _, yb in loader]
    [4, 4, 2]
"""
import numpy as np

from minnet import config


class DataLoader:
    """Iterate over (X batch, y batch) numpy pairs; with y=None, over X batches alone.

    Each epoch (each `for` loop over the loader) visits every sample once: in order, or in a
    fresh random order when shuffle=True. The order comes from the loader's own Generator,
    seeded with `seed`, or from `mn.config.rng()` when seed is None, so that
    `mn.manual_seed` fixes the batches of a whole run. A batch is one fancy-indexing copy
    `X[indices]`, never a Python loop over samples.
    Shape: X (N, ...), y (N, ...) -> batches (B, ...), B = batch_size (the last may be
    smaller unless drop_last=True, which drops it).
    """

    def __init__(self, X, y=None, batch_size=32, shuffle=False, seed=None, drop_last=False):
        X = np.asarray(X) if not hasattr(X, "shape") else X
        if y is not None:
            y = np.asarray(y) if not hasattr(y, "shape") else y
            if len(y) != len(X):
                raise ValueError(f"DataLoader expected X and y with the same number of samples, "
                                 f"got X {tuple(X.shape)} and y {tuple(y.shape)}")
        # bool is an int to Python: batch_size=True would silently mean batches of one.
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader expected batch_size to be a positive integer (an int, not "
                             f"a bool or a float), got {batch_size!r}")
        self.X, self.y = X, y
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        self._rng = None if seed is None else np.random.default_rng(seed)

    def __len__(self):
        """Number of batches per epoch."""
        n = len(self.X)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.X)
        if self.shuffle:
            order = (self._rng if self._rng is not None else config.rng()).permutation(n)
        else:
            order = np.arange(n)
        for batch in range(len(self)):
            indices = order[batch * self.batch_size:(batch + 1) * self.batch_size]
            if self.y is None:
                yield self.X[indices]
            else:
                yield self.X[indices], self.y[indices]

    def __repr__(self):
        return (f"DataLoader({len(self.X)} samples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")
