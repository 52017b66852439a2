"""mn.save / mn.load: exact round trips, atomic writes, and files that must be refused."""
import io
import os
import pickle
import stat
import zipfile

import numpy as np
import pytest

import minnet as mn
from minnet.nn import Dense, Sequential


def _model(seed):
    mn.manual_seed(seed)
    return Sequential(Dense(3, 5), Dense(5, 2))


def test_module_round_trip_is_exact(tmp_path):
    source, target = _model(0), _model(1)
    path = mn.save(source, tmp_path / "model.npz")
    target.load_state_dict(mn.load(path))
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
        assert a.dtype == b.dtype


def test_loaded_state_keeps_names_order_dtypes_and_shapes(tmp_path):
    state = {"b.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "a.bias": np.array([1.5, -2.0]),
             "count": np.array([3], dtype=np.int64)}
    mn.save(state, tmp_path / "state.npz")
    loaded = mn.load(tmp_path / "state.npz")
    assert list(loaded) == list(state)
    for name, array in state.items():
        assert loaded[name].dtype == array.dtype
        np.testing.assert_array_equal(loaded[name], array)


def test_save_uses_the_path_as_given_and_leaves_no_temporary_files(tmp_path):
    mn.save(_model(0), tmp_path / "weights.ckpt")
    assert os.listdir(tmp_path) == ["weights.ckpt"]


def test_save_replaces_an_existing_checkpoint(tmp_path):
    path = tmp_path / "model.npz"
    mn.save({"x": np.zeros(2)}, path)
    mn.save({"x": np.ones(2)}, path)
    np.testing.assert_array_equal(mn.load(path)["x"], np.ones(2))


def test_failed_save_keeps_the_old_file_and_cleans_up(tmp_path):
    path = tmp_path / "model.npz"
    mn.save({"x": np.zeros(2)}, path)
    with pytest.raises(TypeError, match="numeric"):
        mn.save({"x": np.array([object()])}, path)
    np.testing.assert_array_equal(mn.load(path)["x"], np.zeros(2))
    assert os.listdir(tmp_path) == ["model.npz"]


def test_file_holding_a_pickled_object_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, payload=np.array([{"run": "code"}], dtype=object))
    with pytest.raises(ValueError, match="pickled Python objects.*refused") as error:
        mn.load(path)
    assert str(path) in str(error.value)


def test_plain_pickle_file_is_refused(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"weight": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="model.pkl"):
        mn.load(path)


def test_truncated_checkpoint_errors_cleanly(tmp_path):
    path = tmp_path / "model.npz"
    mn.save(_model(0), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="model.npz"):
        mn.load(path)


def test_text_file_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("hello")
    with pytest.raises(ValueError, match="notes.npz"):
        mn.load(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        mn.load(tmp_path / "absent.npz")


def test_save_refuses_things_that_are_not_state_dicts(tmp_path):
    with pytest.raises(TypeError, match="state dict"):
        mn.save([1, 2, 3], tmp_path / "x.npz")


def test_loading_into_a_different_architecture_names_the_keys(tmp_path):
    mn.save(_model(0), tmp_path / "model.npz")
    with pytest.raises(ValueError, match=r"1.weight: expected \(5, 4\), got \(5, 2\)"):
        Sequential(Dense(3, 5), Dense(5, 4)).load_state_dict(mn.load(tmp_path / "model.npz"))


# --- every damaged file is a ValueError naming it ---------------------------------------------------

SMALL_STATE = {"weight": np.arange(6, dtype=np.float32).reshape(2, 3), "bias": np.array([0.5, -1.0])}


def _assert_loads_intact_or_refuses(path):
    """load(path) either returns SMALL_STATE exactly or raises ValueError naming the file."""
    try:
        loaded = mn.load(path)
    except ValueError as error:
        assert str(path) in str(error)
        return "refused"
    assert list(loaded) == list(SMALL_STATE)
    for name, array in SMALL_STATE.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        np.testing.assert_array_equal(loaded[name], array)
    return "intact"


@pytest.mark.parametrize("flip", [0x01, 0xFF])
def test_every_single_byte_corruption_loads_intact_or_raises_value_error(tmp_path, flip):
    # Covers the .npy headers, the arrays, the zip local headers and the central directory.
    original = tmp_path / "original.npz"
    mn.save(SMALL_STATE, original)
    data = original.read_bytes()
    path = tmp_path / "damaged.npz"
    outcomes = []
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= flip
        path.write_bytes(bytes(damaged))
        outcomes.append(_assert_loads_intact_or_refuses(path))
    assert outcomes.count("refused") > len(data) // 2      # most bytes matter


def test_every_truncation_raises_value_error(tmp_path):
    original = tmp_path / "original.npz"
    mn.save(SMALL_STATE, original)
    data = original.read_bytes()
    path = tmp_path / "short.npz"
    for length in range(len(data)):
        path.write_bytes(data[:length])
        with pytest.raises(ValueError, match="short.npz"):
            mn.load(path)


def _npz_with_header(path, header, payload, compression=zipfile.ZIP_STORED):
    """A hand-made .npz: one member 'w.npy' with the given .npy header dict and raw bytes."""
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, header)
    member.write(payload)
    with zipfile.ZipFile(path, "w", compression) as archive:
        archive.writestr("w.npy", member.getvalue())


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_header_claiming_a_huge_shape_is_refused_before_allocating(tmp_path, compression):
    path = tmp_path / "huge.npz"
    _npz_with_header(path, {"descr": "<f4", "fortran_order": False, "shape": (2 ** 40,)},
                     bytes(16), compression)
    assert path.stat().st_size < 400
    with pytest.raises(ValueError, match=r"huge.npz.*declares shape \(1099511627776,\).*holds 16 bytes"):
        mn.load(path)


def test_header_claiming_fewer_bytes_than_stored_is_refused(tmp_path):
    path = tmp_path / "long.npz"
    _npz_with_header(path, {"descr": "<f8", "fortran_order": False, "shape": (2,)}, bytes(24))
    with pytest.raises(ValueError, match="long.npz.*declares shape"):
        mn.load(path)


def test_a_member_that_is_not_an_array_is_refused(tmp_path):
    path = tmp_path / "extra.npz"
    np.savez(path, w=np.ones(2))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(ValueError, match="extra.npz.*notes.txt"):
        mn.load(path)


def test_unsupported_compression_method_is_a_value_error(tmp_path):
    path = tmp_path / "bzip.npz"
    _npz_with_header(path, {"descr": "<f8", "fortran_order": False, "shape": (2,)}, bytes(16),
                     zipfile.ZIP_BZIP2)
    with pytest.raises(ValueError, match="bzip.npz.*compression method 12"):
        mn.load(path)


def test_compressed_and_fortran_ordered_arrays_load_exactly(tmp_path):
    state = {"f": np.asfortranarray(np.arange(12.0).reshape(3, 4)), "scalar": np.array(7, np.int16),
             "empty": np.zeros((0, 3), np.float32)}
    np.savez_compressed(tmp_path / "packed.npz", **state)
    loaded = mn.load(tmp_path / "packed.npz")
    for name, array in state.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        np.testing.assert_array_equal(loaded[name], array)
    assert loaded["f"].flags.f_contiguous


# --- file modes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_save_gives_a_new_file_the_umasks_mode(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        mn.save(SMALL_STATE, tmp_path / "model.npz")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "model.npz").stat().st_mode) == mode


def test_save_over_an_existing_checkpoint_keeps_its_mode(tmp_path):
    path = tmp_path / "model.npz"
    mn.save(SMALL_STATE, path)
    path.chmod(0o640)
    mn.save({"x": np.ones(2)}, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    np.testing.assert_array_equal(mn.load(path)["x"], np.ones(2))


# --- symbolic links, missing folders, file objects -----------------------------------------------

def test_save_through_a_symlink_replaces_the_file_it_points_to_and_keeps_the_link(tmp_path):
    (tmp_path / "runs").mkdir()
    target, link = tmp_path / "runs" / "epoch3.npz", tmp_path / "latest.npz"
    mn.save({"x": np.zeros(2)}, target)
    target.chmod(0o640)
    link.symlink_to(os.path.join("runs", "epoch3.npz"))        # relative, as `ln -s` makes them
    assert mn.save({"x": np.ones(2)}, link) == str(link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("runs", "epoch3.npz")
    np.testing.assert_array_equal(mn.load(target)["x"], np.ones(2))
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["latest.npz", "runs"] and os.listdir(tmp_path / "runs") == ["epoch3.npz"]


def test_save_through_a_dangling_symlink_creates_the_file_it_points_to(tmp_path):
    link = tmp_path / "latest.npz"
    link.symlink_to(tmp_path / "new.npz")
    mn.save(SMALL_STATE, link)
    assert link.is_symlink()
    np.testing.assert_array_equal(mn.load(tmp_path / "new.npz")["bias"], SMALL_STATE["bias"])


def test_save_into_a_missing_folder_names_the_users_path_not_a_temporary(tmp_path):
    path = tmp_path / "missing" / "model.npz"
    with pytest.raises(FileNotFoundError) as error:
        mn.save(SMALL_STATE, path)
    assert error.value.filename == str(path)
    assert f"the folder {str(tmp_path / 'missing')!r} does not exist" in str(error.value)
    assert ".tmp" not in str(error.value)


def test_save_onto_a_folder_names_the_users_path(tmp_path):
    (tmp_path / "model.npz").mkdir()
    with pytest.raises(IsADirectoryError) as error:
        mn.save(SMALL_STATE, tmp_path / "model.npz")
    assert error.value.filename == str(tmp_path / "model.npz") and ".tmp" not in str(error.value)
    assert os.listdir(tmp_path) == ["model.npz"]                   # no temporary left behind


def test_save_and_load_take_binary_file_objects_as_numpy_and_torch_do(tmp_path):
    buffer = io.BytesIO()
    assert mn.save(_model(0), buffer) is buffer
    buffer.seek(0)
    target = _model(1)
    target.load_state_dict(mn.load(buffer))
    for a, b in zip(_model(0).parameters(), target.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    with open(tmp_path / "model.npz", "wb") as file:
        mn.save(SMALL_STATE, file)
    with open(tmp_path / "model.npz", "rb") as file:
        np.testing.assert_array_equal(mn.load(file)["weight"], SMALL_STATE["weight"])
        assert not file.closed


def test_a_checkpoint_after_other_bytes_in_a_file_object_loads_from_its_position():
    buffer = io.BytesIO()
    buffer.write(b"a header of my own")
    mn.save(SMALL_STATE, buffer)
    buffer.seek(len(b"a header of my own"))
    np.testing.assert_array_equal(mn.load(buffer)["bias"], SMALL_STATE["bias"])


def test_load_from_a_file_object_still_refuses_pickled_objects():
    buffer = io.BytesIO()
    np.savez(buffer, payload=np.array([{"run": "code"}], dtype=object))
    buffer.seek(0)
    with pytest.raises(ValueError, match=r"^load: the BytesIO object holds pickled Python objects.*refused"):
        mn.load(buffer)


def test_damaged_file_object_is_a_value_error_naming_its_path(tmp_path):
    (tmp_path / "notes.npz").write_text("hello")
    with open(tmp_path / "notes.npz", "rb") as file, pytest.raises(ValueError, match="notes.npz"):
        mn.load(file)


def test_text_mode_file_objects_are_refused_with_the_mode_to_use(tmp_path):
    with open(tmp_path / "model.npz", "w") as file, pytest.raises(TypeError, match=r"binary mode \('wb'\)"):
        mn.save(SMALL_STATE, file)
    with open(tmp_path / "model.npz") as file, pytest.raises(TypeError, match=r"binary mode \('rb'\)"):
        mn.load(file)


def test_an_unseekable_file_object_is_refused_with_a_way_out():
    class Stream(io.BytesIO):
        def seekable(self):
            return False
    with pytest.raises(ValueError, match=r"not seekable; read it into io.BytesIO"):
        mn.load(Stream())
