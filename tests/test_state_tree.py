"""Nested state dicts flattened to named arrays and a JSON skeleton, and rebuilt exactly."""
import numpy as np
import pytest

import minnet as mn
from minnet.state_tree import STRUCTURE_KEY, flatten, is_flat, unflatten


def _same(a, b):
    """Deep equality that also compares types (tuple is not list) and array dtypes."""
    assert type(a) is type(b) or (isinstance(a, dict) and isinstance(b, dict)), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b) and all(type(k) is type(m) for k, m in zip(a, b))
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def _trained_optimizer(make):
    mn.manual_seed(0)
    model = mn.nn.Sequential(mn.nn.Dense(3, 4), mn.nn.Tanh(), mn.nn.Dense(4, 1))
    optimizer = make(model.parameters())
    for _ in range(2):
        optimizer.zero_grad()
        model(mn.Tensor(np.ones((5, 3), np.float32))).sum().backward()
        optimizer.step()
    return optimizer


@pytest.mark.parametrize("make", [lambda p: mn.optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: mn.optim.Adam(p, lr=0.01, amsgrad=True),
                                  lambda p: mn.optim.RMSprop(p, centered=True, momentum=0.5),
                                  lambda p: mn.optim.Adagrad(p)])
def test_optimizer_state_dicts_round_trip_exactly(make):
    state = _trained_optimizer(make).state_dict()
    _same(unflatten(flatten(state)), state)


def test_every_supported_leaf_keeps_its_type():
    state = {"ints": {0: 1, 7: -2}, "pair": (0.9, 0.999), "list": [1, "two", None, True],
             "nan": float("nan"), "scalar": np.float32(1.5), "zero_d": np.array(3),
             "nested": {"a/b": np.ones(2), "a": {"b": np.zeros(2, np.float32)}}}
    _same(unflatten(flatten(state)), state)


def test_arrays_are_named_by_their_path_and_the_skeleton_is_bytes():
    arrays = flatten({"state": {0: {"exp_avg": np.zeros(3)}}, "param_groups": [{"lr": 0.1}]})
    assert list(arrays) == ["state/0/exp_avg", STRUCTURE_KEY]
    assert arrays[STRUCTURE_KEY].dtype == np.uint8


def test_a_flat_name_to_array_dict_is_recognised():
    assert is_flat(mn.nn.Dense(2, 2).state_dict())
    assert not is_flat({"w": np.ones(2), "epoch": 3})


@pytest.mark.parametrize("state, message", [
    ({"groups": [{"names": {"a", "b"}}]}, r"state\['groups'\]\[0\]\['names'\] is a set"),
    ({"w": np.array(["a"])}, r"state\['w'\] is an array of dtype <U1"),
    ({(1, 2): 0}, r"state has a key \(1, 2\); keys must be strings or integers"),
])
def test_what_cannot_be_saved_is_named_by_its_path(state, message):
    with pytest.raises(TypeError, match=message):
        flatten(state)


def test_a_skeleton_naming_a_missing_array_is_refused():
    arrays = flatten({"m": np.zeros(2)})
    del arrays["m"]
    with pytest.raises(ValueError, match=r"names an array 'm' the file does not hold"):
        unflatten(arrays)


# --- through mn.save and mn.load ---------------------------------------------------------------------

def _net():
    return mn.nn.Sequential(mn.nn.Dense(3, 4), mn.nn.Tanh(), mn.nn.Dense(4, 1))


def _step(model, optimizer, X):
    optimizer.zero_grad()
    (model(mn.Tensor(X)) ** 2).mean().backward()
    optimizer.step()


def test_training_resumed_from_a_checkpoint_continues_exactly(tmp_path):
    X = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    mn.manual_seed(0)
    model = _net()
    optimizer = mn.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    for _ in range(3):
        _step(model, optimizer, X)
    path = mn.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3},
                   tmp_path / "run.npz")
    checkpoint = mn.load(path)
    assert checkpoint["epoch"] == 3
    resumed = _net()
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer = mn.optim.Adam(resumed.parameters(), lr=0.5, amsgrad=True)
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    assert resumed_optimizer.param_groups[0]["lr"] == 0.01
    for _ in range(3):
        _step(model, optimizer, X)
        _step(resumed, resumed_optimizer, X)
    for name, value in model.state_dict().items():
        assert np.array_equal(resumed.state_dict()[name], value), name


def test_an_optimizer_itself_can_be_saved(tmp_path):
    optimizer = _trained_optimizer(lambda p: mn.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True))
    _same(mn.load(mn.save(optimizer, tmp_path / "sgd.npz")), optimizer.state_dict())


def test_a_module_checkpoint_keeps_the_flat_format(tmp_path):
    path = mn.save(mn.nn.Dense(2, 3), tmp_path / "dense.npz")
    with np.load(path) as archive:
        assert sorted(archive.files) == ["bias", "weight"]


def test_a_damaged_structure_is_a_value_error_naming_the_file(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, **{"m": np.zeros(2), STRUCTURE_KEY: np.frombuffer(b"{not json", np.uint8)})
    with pytest.raises(ValueError, match=r"bad\.npz"):
        mn.load(path)
