"""Datasets: small bundled sets, 2-D toy problems, multi-label digits, and MNIST from IDX files.

Every loader returns numpy arrays `(X, y)`: features float32 in a sensible scale (pixels in
[0, 1]), labels int64 (or a 0/1 float32 matrix for multi-label). Every generator draws from
one seeded numpy Generator: `seed=None` uses `mn.config.rng()`, so `mn.manual_seed(s)` makes
the data as reproducible as the rest of the run.

    >>> X, y = make_moons(200, noise=0.1, seed=0)
    >>> X.shape, X.dtype, y.shape, y.dtype
    ((200, 2), dtype('float32'), (200,), dtype('int64'))

MNIST and Fashion-MNIST are not shipped: `download_mnist()` fetches the four gzipped IDX
files into `datasets/mnist/` (or `datasets/fashion_mnist/`) and checks their SHA-256 sums.
"""
import gzip
import hashlib
import math
import os
import tempfile
import zlib
from pathlib import Path

import numpy as np

from minnet import config

# --------------------------------------------------------------------------------------------
# bundled sets (scikit-learn ships them, so they work offline)


def load_digits():
    """scikit-learn's 1,797 handwritten digits, 8x8 pixels, as X in [0, 1] and y in 0..9.

    Shape: X (1797, 64) float32 (pixel intensities 0..16 divided by 16), y (1797,) int64.
    Reshape X to (-1, 1, 8, 8) for a convolutional network.
    """
    from sklearn.datasets import load_digits as _sklearn_digits

    digits = _sklearn_digits()
    return (digits.data / 16.0).astype(np.float32), digits.target.astype(np.int64)


def load_iris():
    """Fisher's 150 irises: four measurements in cm, three species (0, 1, 2).

    Shape: X (150, 4) float32 in centimetres (0.1 to 7.9; standardise before training),
    y (150,) int64.
    """
    from sklearn.datasets import load_iris as _sklearn_iris

    iris = _sklearn_iris()
    return iris.data.astype(np.float32), iris.target.astype(np.int64)


# --------------------------------------------------------------------------------------------
# 2-D toy problems: each class needs a nonlinear boundary, so a linear model fails on them


def _generator(seed):
    return config.rng() if seed is None else np.random.default_rng(seed)


def _check_n(n, name, minimum=2):
    if not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} expected n, the number of samples, to be an integer >= {minimum}, got {n!r}")


def _shuffled(rng, X, y):
    # the generators build class after class; shuffle so that an unshuffled batch holds every class
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order].astype(np.int64)


def make_moons(n=200, noise=0.1, seed=None):
    """Two interleaving half circles (labels 0 and 1), with Gaussian noise of std `noise`.

    Class 0: (cos t, sin t); class 1: (1 - cos t, 1/2 - sin t), t in [0, pi].
    Shape: X (n, 2) float32, y (n,) int64 with n // 2 samples of class 0.
    """
    _check_n(n, "make_moons")
    rng = _generator(seed)
    n_upper = n // 2
    t_upper = np.linspace(0, np.pi, n_upper)
    t_lower = np.linspace(0, np.pi, n - n_upper)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n_upper), np.ones(n - n_upper)])
    return _shuffled(rng, X, y)


def make_circles(n=200, noise=0.05, factor=0.5, seed=None):
    """Two concentric circles: class 0 of radius 1, class 1 of radius `factor` (< 1).

    Shape: X (n, 2) float32, y (n,) int64 with n // 2 samples of class 0.
    """
    _check_n(n, "make_circles")
    if not 0 < factor < 1:
        raise ValueError(f"make_circles expected 0 < factor < 1 (inner radius), got {factor}")
    rng = _generator(seed)
    n_outer = n // 2
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(np.arange(n) < n_outer, 1.0, factor)
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X += noise * rng.standard_normal((n, 2))
    y = (np.arange(n) >= n_outer).astype(np.int64)
    return _shuffled(rng, X, y)


SPIRAL_TURNS = 1.5  # turns of each arm: enough to interleave the arms, few enough to learn fast


def make_spirals(n=300, arms=2, noise=0.05, seed=None):
    """`arms` interleaved spiral arms, one class each, turning 1.5 times from the centre out.

    Arm k: radius r in (0, 1], angle 2 pi (1.5 r + k / arms); noise is Gaussian, std `noise`.
    Shape: X (n, 2) float32 in about [-1, 1]^2, y (n,) int64 in 0..arms-1.
    """
    _check_n(n, "make_spirals", minimum=arms)
    if arms < 2:
        raise ValueError(f"make_spirals expected arms >= 2 (one class per arm), got {arms}")
    rng = _generator(seed)
    y = np.arange(n) % arms
    radius = rng.uniform(0.05, 1.0, n)
    angle = 2 * np.pi * (SPIRAL_TURNS * radius + y / arms)
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X += noise * rng.standard_normal((n, 2))
    return _shuffled(rng, X, y)


def make_xor(n=200, noise=0.1, seed=None):
    """XOR: points uniform in [-1, 1]^2, label 1 where the two coordinates differ in sign.

    The label is taken before the Gaussian noise (std `noise`) is added, so noise blurs the
    boundary along the axes. No line separates the classes; one hidden layer does.
    Shape: X (n, 2) float32, y (n,) int64.
    """
    _check_n(n, "make_xor")
    rng = _generator(seed)
    X = rng.uniform(-1, 1, (n, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    X = X + noise * rng.standard_normal((n, 2))
    return X.astype(np.float32), y


# --------------------------------------------------------------------------------------------
# multi-label: several correct answers per image (sigmoid outputs, not softmax)


def load_multilabel_digits(n=1000, max_digits=3, seed=None, flatten=True, sources=None):
    """Images of 1 to `max_digits` different 8x8 digits side by side; Y marks the digits present.

    Each image holds k digits, k uniform in 1..max_digits, of k *distinct* classes (so the
    number of ones in a row of Y is the number of digits drawn), in random order from the
    left, padded with blank pixels on the right to the fixed width 8 * max_digits. Each digit
    is a random scikit-learn digit image of its class, pixels in [0, 1].
    `sources` (indices into load_digits()) limits the digit images drawn from: give a training
    set and a test set disjoint index arrays, and no test image reuses a training image's digit.
    Shape: X (n, 64 * max_digits) float32 (or (n, 8, 8 * max_digits) with flatten=False),
    Y (n, 10) float32 of 0/1.

        >>> X, Y = load_multilabel_digits(5, max_digits=3, seed=0)
        >>> X.shape, Y.shape, Y.sum(axis=1)   # doctest: +SKIP
        ((5, 192), (5, 10), array([2., 1., 3., 1., 2.], dtype=float32))
    """
    _check_n(n, "load_multilabel_digits", minimum=1)
    if not 1 <= max_digits <= 10:
        raise ValueError(f"load_multilabel_digits expected 1 <= max_digits <= 10 (distinct digits), got {max_digits}")
    rng = _generator(seed)
    images, labels = load_digits()
    if sources is not None:
        sources = np.asarray(sources)
        if sources.ndim != 1 or sources.dtype.kind not in "iu":
            raise ValueError(f"load_multilabel_digits expected sources as a 1-D array of integer indices "
                             f"into load_digits(), got dtype {sources.dtype} and shape {sources.shape}")
        images, labels = images[sources], labels[sources]
        missing = sorted(set(range(10)) - set(labels.tolist()))
        if missing:
            raise ValueError(f"load_multilabel_digits: sources hold no image of digit(s) {missing}; "
                             f"every digit needs at least one")
    order = np.argsort(labels, kind="stable")
    images, labels = images[order].reshape(-1, 8, 8), labels[order]
    class_size = np.bincount(labels, minlength=10)
    class_start = np.concatenate([[0], np.cumsum(class_size)[:-1]])

    count = rng.integers(1, max_digits + 1, n)                       # digits per image
    classes = np.argsort(rng.random((n, 10)), axis=1)[:, :max_digits]  # distinct, random order
    present = np.arange(max_digits) < count[:, None]                  # (n, max_digits)
    pick = class_start[classes] + (rng.random((n, max_digits)) * class_size[classes]).astype(np.int64)
    tiles = images[pick] * present[:, :, None, None]                  # (n, slots, 8, 8); blank slots
    X = tiles.transpose(0, 2, 1, 3).reshape(n, 8, 8 * max_digits)

    Y = np.zeros((n, 10), dtype=np.float32)
    rows = np.repeat(np.arange(n)[:, None], max_digits, axis=1)
    Y[rows[present], classes[present]] = 1.0
    return (X.reshape(n, -1) if flatten else X).astype(np.float32), Y


# --------------------------------------------------------------------------------------------
# IDX files (the format of MNIST): magic, dimensions, then the raw big-endian payload

# third byte of the magic number -> element type (LeCun's IDX specification)
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file (gzipped when the name ends in .gz) into a numpy array.

    Layout: 2 zero bytes, a dtype code, the number of dimensions d, d big-endian uint32
    sizes, then prod(sizes) elements. Anything else (a bad magic number, an unknown dtype
    code, a payload too short or too long, a broken gzip stream) is a ValueError naming the
    file: a corrupt download must never become a silently wrong array.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"{path} is not a readable gzip file ({error}); delete it and download it again") from error

    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file: expected a magic number starting with two zero bytes, "
                         f"got {raw[:4].hex() or 'an empty file'}")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX dtype code 0x{code:02x}, expected one of "
                         f"{', '.join(f'0x{c:02x}' for c in IDX_DTYPES)}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated header, expected {ndim} dimensions ({header} bytes), got {len(raw)} bytes")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_DTYPES[code])
    expected = math.prod(shape) * dtype.itemsize   # Python ints: a garbage header cannot overflow
    if len(raw) - header != expected:
        raise ValueError(f"{path}: header says shape {shape} of {dtype.name} ({expected} bytes of data), "
                         f"but the file holds {len(raw) - header} bytes of data; the file is corrupt or truncated")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write a numpy array as an IDX file (gzipped when the name ends in .gz); the inverse of read_idx."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_DTYPES.items()}
    if array.dtype not in codes:
        raise ValueError(f"write_idx expected one of {sorted(str(d) for d in codes)}, got {array.dtype}")
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)


# --------------------------------------------------------------------------------------------
# MNIST and Fashion-MNIST

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# SHA-256 of the files as distributed (MNIST: LeCun, Cortes and Burges; Fashion-MNIST: Zalando
# Research), as published and pinned by several independent projects; see datasets/README.md.
SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
}

# yann.lecun.com often refuses downloads; these are the mirrors torchvision and Zalando use
BASE_URLS = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion_mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
}

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def data_root():
    """The folder that holds downloaded data: $MINNET_DATA, else the repository's datasets/."""
    return Path(os.environ.get("MINNET_DATA") or Path(__file__).resolve().parent.parent / "datasets")


def _check_kind(kind):
    if kind not in SHA256:
        raise ValueError(f"expected kind 'mnist' or 'fashion_mnist', got {kind!r}")


def _load_idx_pair(kind, root, split):
    _check_kind(kind)
    if split not in MNIST_FILES:
        raise ValueError(f"load_{kind} expected split 'train' or 'test', got {split!r}")
    folder = Path(root) if root is not None else data_root() / kind
    paths = [folder / name for name in MNIST_FILES[split]]
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(
                f"{path} not found. Put the {kind} file {path.name} in {folder}, or download all four "
                f"with `minnet.datasets.download_mnist({str(folder)!r}, kind={kind!r})`")
    images, labels = (read_idx(path) for path in paths)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{folder}: expected images (N, rows, cols) and labels (N,), "
                         f"got {images.shape} and {labels.shape}")
    if images.dtype != np.uint8 or labels.dtype != np.uint8 or labels.size and labels.max() > 9:
        raise ValueError(f"{folder}: expected uint8 pixels and labels 0..9, got {images.dtype} "
                         f"pixels and labels up to {labels.max() if labels.size else None}")
    X = images.reshape(len(images), -1).astype(np.float32) / 255.0
    return X, labels.astype(np.int64)


def load_mnist(root=None, split="train"):
    """MNIST handwritten digits from the gzipped IDX files in `root` (default datasets/mnist/).

    Shape: X (N, 784) float32 in [0, 1] (reshape to (-1, 1, 28, 28) for convolutions),
    y (N,) int64 in 0..9; N = 60,000 for "train", 10,000 for "test".
    A missing file raises FileNotFoundError saying where to put it; fetch the files with
    `download_mnist()`.
    """
    return _load_idx_pair("mnist", root, split)


def load_fashion_mnist(root=None, split="train"):
    """Fashion-MNIST (Zalando's clothes, same format as MNIST) from datasets/fashion_mnist/.

    Shape: X (N, 784) float32 in [0, 1], y (N,) int64 in 0..9 (names in FASHION_MNIST_CLASSES).
    """
    return _load_idx_pair("fashion_mnist", root, split)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_mnist(root=None, kind="mnist", base_url=None, checksums=None, progress=True, timeout=60):
    """Download the four gzipped IDX files of MNIST or Fashion-MNIST and verify their SHA-256.

    Files already present with the right checksum are kept. Each file is streamed into a
    temporary file beside its destination and only renamed into place (os.replace, atomic)
    once its checksum matches, so an interrupted or corrupt download never leaves a file
    that looks complete; on a mismatch the bad file is deleted and a ValueError raised.

    root: the destination folder (default datasets/<kind>/); base_url: where the files live
    (default BASE_URLS[kind]); checksums: file name -> sha256 (default SHA256[kind]).
    Returns the destination folder.
    """
    _check_kind(kind)
    folder = Path(root) if root is not None else data_root() / kind
    base_url = base_url or BASE_URLS[kind]
    checksums = SHA256[kind] if checksums is None else checksums
    folder.mkdir(parents=True, exist_ok=True)
    for name in (*MNIST_FILES["train"], *MNIST_FILES["test"]):
        destination = folder / name
        expected = checksums[name]
        if destination.exists() and _sha256(destination) == expected:
            continue
        _download(base_url.rstrip("/") + "/" + name, destination, expected, progress, timeout)
    return folder


def _download(url, destination, expected_sha256, progress, timeout):
    import urllib.request   # imported here: only downloads need it, and it pulls in ssl

    from tqdm.auto import tqdm

    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=destination.name + ".", suffix=".part")
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            size = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=size, unit="B", unit_scale=True, desc=destination.name, disable=not progress) as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
        if digest.hexdigest() != expected_sha256:
            raise ValueError(f"{url}: SHA-256 mismatch, expected {expected_sha256}, got {digest.hexdigest()}; "
                             f"the download was deleted (a changed mirror or a corrupt transfer)")
        os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


# Sequence data (the CPython documentation corpus, synthetic sequence tasks) is in its own file.
from minnet.sequence_datasets import (load_python_docs, make_adding_problem,  # noqa: E402,F401
                                      make_copy_task, make_key_value_recall, load_sequential_digits)
