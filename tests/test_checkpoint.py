"""mn.save / mn.load: exact round trips, atomic writes, and files that must be refused."""
import os
import pickle

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
