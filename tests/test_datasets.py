"""Specifications of minnet.datasets: loaders, generators, the IDX reader, the download helper."""
import gzip
import hashlib
import http.server
import threading
from functools import partial

import numpy as np
import pytest

import minnet as mn
from minnet import datasets

GENERATORS = [datasets.make_moons, datasets.make_circles, datasets.make_spirals, datasets.make_xor]


# --- bundled sets ------------------------------------------------------------------------------
def test_load_digits_is_1797_images_scaled_to_unit_interval():
    X, y = datasets.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))


def test_load_iris_is_150_flowers_in_three_classes():
    X, y = datasets.load_iris()
    assert X.shape == (150, 4) and X.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 50, 50]


# --- 2-D generators ----------------------------------------------------------------------------
@pytest.mark.parametrize("make", GENERATORS)
def test_generator_returns_float32_points_and_int64_binary_labels(make):
    X, y = make(101, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("make", GENERATORS)
def test_generator_with_same_seed_is_identical_and_other_seed_differs(make):
    X1, y1 = make(50, seed=3)
    X2, y2 = make(50, seed=3)
    X3, _ = make(50, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("make", GENERATORS)
def test_generator_without_seed_follows_manual_seed(make):
    mn.manual_seed(7)
    X1, _ = make(40)
    mn.manual_seed(7)
    X2, _ = make(40)
    np.testing.assert_array_equal(X1, X2)


@pytest.mark.parametrize("make", [datasets.make_moons, datasets.make_circles, datasets.make_spirals])
def test_generator_shuffles_so_first_batch_holds_both_classes(make):
    _, y = make(200, seed=0)
    assert set(y[:20]) == {0, 1}


@pytest.mark.parametrize("arms", [2, 3, 5])
def test_spirals_have_one_balanced_class_per_arm(arms):
    _, y = datasets.make_spirals(100 * arms, arms=arms, seed=0)
    assert np.bincount(y).tolist() == [100] * arms


def test_noise_free_circles_lie_on_radius_one_and_factor():
    X, y = datasets.make_circles(100, noise=0.0, factor=0.3, seed=0)
    radius = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(radius[y == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(radius[y == 1], 0.3, rtol=1e-6)


def test_noise_free_xor_label_is_sign_disagreement():
    X, y = datasets.make_xor(500, noise=0.0, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))


def test_noise_free_moons_lie_on_their_half_circles():
    X, y = datasets.make_moons(100, noise=0.0, seed=0)
    np.testing.assert_allclose(np.linalg.norm(X[y == 0], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(X[y == 1] - [1.0, 0.5], axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("call, message", [
    (lambda: datasets.make_moons(1), "n, the number of samples"),
    (lambda: datasets.make_spirals(10, arms=1), "arms >= 2"),
    (lambda: datasets.make_circles(10, factor=1.5), "0 < factor < 1"),
    (lambda: datasets.load_multilabel_digits(5, max_digits=11), "max_digits"),
    (lambda: datasets.load_multilabel_digits(
        5, sources=np.flatnonzero(datasets.load_digits()[1] < 2)), r"no image of digit\(s\) \[2, "),
    (lambda: datasets.load_multilabel_digits(5, sources=np.ones(30)), "integer indices"),
])
def test_bad_generator_arguments_are_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- multi-label digits ------------------------------------------------------------------------
def test_multilabel_digits_shapes_and_label_counts_vary_from_one_to_max():
    X, Y = datasets.load_multilabel_digits(400, max_digits=3, seed=0)
    assert X.shape == (400, 3 * 64) and X.dtype == np.float32
    assert Y.shape == (400, 10) and set(np.unique(Y)) == {0.0, 1.0}
    assert set(Y.sum(axis=1).astype(int)) == {1, 2, 3}


def test_multilabel_digits_blank_slots_match_label_count():
    X, Y = datasets.load_multilabel_digits(300, max_digits=4, seed=1, flatten=False)
    assert X.shape == (300, 8, 32)
    slots = X.reshape(300, 8, 4, 8).transpose(0, 2, 1, 3)          # (n, slot, 8, 8)
    filled = slots.reshape(300, 4, 64).max(axis=2) > 0
    # digits fill the slots from the left; the rest is blank
    np.testing.assert_array_equal(filled.sum(axis=1), Y.sum(axis=1))
    np.testing.assert_array_equal(filled, np.arange(4) < Y.sum(axis=1, keepdims=True))


def test_multilabel_digits_tiles_are_real_digits_of_the_labelled_classes():
    images, labels = datasets.load_digits()
    X, Y = datasets.load_multilabel_digits(50, max_digits=2, seed=2, flatten=False)
    for image, row in zip(X, Y):
        tiles = [image[:, :8], image[:, 8:]]
        classes = set()
        for tile in tiles:
            if tile.max() > 0:
                matches = np.flatnonzero(np.all(images == tile.reshape(64), axis=1))
                assert matches.size > 0
                classes.add(int(labels[matches[0]]))
        assert classes == set(np.flatnonzero(row))


def test_multilabel_digits_drawn_from_disjoint_sources_share_no_digit_image():
    images, _ = datasets.load_digits()
    train_sources, test_sources = np.arange(0, 900), np.arange(900, len(images))
    tiles = {}
    for name, sources in (("train", train_sources), ("test", test_sources)):
        X, _ = datasets.load_multilabel_digits(200, max_digits=3, seed=0, sources=sources, flatten=False)
        slots = X.reshape(200, 8, 3, 8).transpose(0, 2, 1, 3).reshape(-1, 64)
        tiles[name] = slots[slots.max(axis=1) > 0]
        # every tile is one of the source images
        matches = np.all(tiles[name][:, None, :] == images[sources][None, :, :], axis=2)
        assert matches.any(axis=1).all()
    shared = np.all(tiles["train"][:, None, :] == tiles["test"][None, :, :], axis=2)
    assert not shared.any()


def test_multilabel_digits_is_seeded():
    a = datasets.load_multilabel_digits(20, seed=5)
    b = datasets.load_multilabel_digits(20, seed=5)
    for first, second in zip(a, b):
        np.testing.assert_array_equal(first, second)


# --- IDX files ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip_keeps_values_shape_and_dtype(tmp_path, dtype, suffix):
    array = (np.arange(24) % 100).astype(dtype).reshape(2, 3, 4)
    path = tmp_path / f"a.idx{suffix}"
    datasets.write_idx(path, array)
    back = datasets.read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == (2, 3, 4)
    np.testing.assert_array_equal(back, array)


def test_idx_header_is_the_standard_mnist_magic(tmp_path):
    path = tmp_path / "labels.idx"
    datasets.write_idx(path, np.zeros(5, np.uint8))
    assert path.read_bytes()[:8] == bytes([0, 0, 8, 1, 0, 0, 0, 5])   # 0x00000801, then N = 5


def _idx_bytes(array):
    return bytes([0, 0, 8, array.ndim]) + np.asarray(array.shape, ">u4").tobytes() + array.tobytes()


@pytest.mark.parametrize("raw, message", [
    (b"", "not an IDX file"),
    (b"\x1f\x8b\x08\x00", "not an IDX file"),
    (bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 0]), "unknown IDX dtype code 0x07"),
    (bytes([0, 0, 8, 3, 0, 0, 0, 2]), "truncated header"),
    (_idx_bytes(np.zeros((3, 2, 2), np.uint8))[:-1], "corrupt or truncated"),
    (_idx_bytes(np.zeros((3, 2, 2), np.uint8)) + b"\0", "corrupt or truncated"),
    (bytes([0, 0, 8, 3]) + np.array([2**32 - 1] * 3, ">u4").tobytes(), "corrupt or truncated"),
])
def test_corrupt_idx_file_is_a_value_error_naming_the_file(tmp_path, raw, message):
    path = tmp_path / "broken.idx"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=message) as error:
        datasets.read_idx(path)
    assert "broken.idx" in str(error.value)


@pytest.mark.parametrize("cut", [10, 0.5])
def test_truncated_or_non_gzip_gz_file_is_a_value_error(tmp_path, cut):
    whole = gzip.compress(_idx_bytes(np.arange(200, dtype=np.uint8).reshape(10, 20)))
    path = tmp_path / "images.gz"
    path.write_bytes(whole[:int(len(whole) * cut)] if isinstance(cut, float) else b"not gzip at all")
    with pytest.raises(ValueError, match="images.gz"):
        datasets.read_idx(path)


# --- MNIST loaders ------------------------------------------------------------------------------
def _write_fake_mnist(folder, n_train=12, n_test=5, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        image_name, label_name = datasets.MNIST_FILES[split]
        datasets.write_idx(folder / image_name, images)
        datasets.write_idx(folder / label_name, labels)
        arrays[split] = images, labels
    return arrays


@pytest.mark.parametrize("load", [datasets.load_mnist, datasets.load_fashion_mnist])
@pytest.mark.parametrize("split", ["train", "test"])
def test_mnist_loader_scales_pixels_and_keeps_labels(tmp_path, load, split):
    images, labels = _write_fake_mnist(tmp_path)[split]
    X, y = load(tmp_path, split=split)
    assert X.shape == (len(labels), 784) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X, images.reshape(len(labels), -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)


def test_mnist_default_root_is_kind_folder_under_minnet_data(tmp_path, monkeypatch):
    monkeypatch.setenv("MINNET_DATA", str(tmp_path))
    _write_fake_mnist(tmp_path / "fashion_mnist", n_test=3)
    X, _ = datasets.load_fashion_mnist(split="test")
    assert X.shape == (3, 784)
    with pytest.raises(FileNotFoundError, match="mnist"):
        datasets.load_mnist(split="test")


def test_missing_mnist_file_says_where_to_put_it_and_how_to_download(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        datasets.load_mnist(tmp_path, split="train")
    message = str(error.value)
    assert "train-images-idx3-ubyte.gz" in message and str(tmp_path) in message
    assert "download_mnist(" in message


def test_mnist_images_and_labels_of_different_lengths_are_rejected(tmp_path):
    _write_fake_mnist(tmp_path)
    datasets.write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match=r"\(5, 28, 28\) and \(4,\)"):
        datasets.load_mnist(tmp_path, split="test")


def test_mnist_label_above_nine_is_rejected(tmp_path):
    _write_fake_mnist(tmp_path)
    datasets.write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.full(5, 10, np.uint8))
    with pytest.raises(ValueError, match="labels 0..9"):
        datasets.load_mnist(tmp_path, split="test")


def test_unknown_split_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="'train' or 'test'"):
        datasets.load_mnist(tmp_path, split="validation")


def test_published_checksum_tables_cover_every_file():
    names = {*datasets.MNIST_FILES["train"], *datasets.MNIST_FILES["test"]}
    for kind, table in datasets.SHA256.items():
        assert set(table) == names
        assert all(len(digest) == 64 and int(digest, 16) >= 0 for digest in table.values())


# --- download helper against a local HTTP server -------------------------------------------------
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path):
    """Fake MNIST files served over HTTP on 127.0.0.1; yields (base_url, source folder, checksums)."""
    source = tmp_path / "server"
    source.mkdir()
    _write_fake_mnist(source)
    checksums = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in source.iterdir()}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(source)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", source, checksums
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_download_fetches_verifies_and_the_files_load(tmp_path, served):
    base_url, source, checksums = served
    folder = datasets.download_mnist(tmp_path / "data", base_url=base_url, checksums=checksums, progress=False)
    for name in checksums:
        assert (folder / name).read_bytes() == (source / name).read_bytes()
    X, y = datasets.load_mnist(folder, split="train")
    assert X.shape == (12, 784)
    assert sorted(p.name for p in folder.iterdir()) == sorted(checksums)   # no temporary files left


def test_download_with_progress_bar_writes_the_same_files(tmp_path, served, capsys):
    base_url, source, checksums = served
    folder = datasets.download_mnist(tmp_path / "data", base_url=base_url, checksums=checksums, progress=True)
    assert sorted(p.name for p in folder.iterdir()) == sorted(checksums)
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err


def test_download_checksum_mismatch_raises_and_leaves_no_file(tmp_path, served):
    base_url, _, checksums = served
    wrong = dict(checksums, **{"t10k-images-idx3-ubyte.gz": "0" * 64})
    folder = tmp_path / "data"
    with pytest.raises(ValueError, match="SHA-256 mismatch"):
        datasets.download_mnist(folder, base_url=base_url, checksums=wrong, progress=False)
    assert not (folder / "t10k-images-idx3-ubyte.gz").exists()
    assert not any(p.name.endswith(".part") for p in folder.iterdir())


def test_download_replaces_a_corrupt_existing_file(tmp_path, served):
    base_url, source, checksums = served
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    datasets.download_mnist(folder, base_url=base_url, checksums=checksums, progress=False)
    assert (folder / "train-labels-idx1-ubyte.gz").read_bytes() == (source / "train-labels-idx1-ubyte.gz").read_bytes()


def test_download_of_unknown_kind_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="'mnist' or 'fashion_mnist'"):
        datasets.download_mnist(tmp_path, kind="kmnist")
