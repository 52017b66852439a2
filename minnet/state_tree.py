"""Nested state dicts as flat named arrays, so that a checkpoint can hold an optimiser's state.

An optimiser's state_dict() nests: {"state": {0: {"step": 3, "exp_avg": array}},
"param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "params": [0, 1]}]}. A .npz archive
holds only named arrays, and a checkpoint must never hold pickles, so `flatten` stores every
array under its path ("state/0/exp_avg") and describes the rest (dicts with their key types,
lists, tuples, numbers, booleans, strings, None) in a JSON skeleton kept as one more array of
bytes. `unflatten` rebuilds the exact structure; reading JSON runs no code.

    >>> arrays = flatten({"state": {0: {"step": 1, "m": np.zeros(2)}}, "lr": 0.1})
    >>> list(arrays)
    ['state/0/m', '__minnet_structure__']
    >>> unflatten(arrays)["state"][0]
    {'step': 1, 'm': array([0., 0.])}
"""
import json
from collections import OrderedDict

import numpy as np

STRUCTURE_KEY = "__minnet_structure__"
_NUMERIC_KINDS = "biufc"
_INLINE = (bool, int, float, str, type(None))


def is_flat(state):
    """True for a plain name -> array dict (a Module's state_dict), saved as it always was."""
    return all(isinstance(name, str) and name != STRUCTURE_KEY and _is_array(value)
               for name, value in state.items())


def _unwrap(value):
    """A Tensor or Parameter's array; anything else as it is (an ndarray's .data is a buffer)."""
    if not isinstance(value, np.ndarray) and isinstance(getattr(value, "data", None), np.ndarray):
        return value.data
    return value


def _is_array(value):
    return isinstance(_unwrap(value), np.ndarray)


def _where(path):
    return "state" + "".join(f"[{key!r}]" for key in path)


def flatten(state):
    """An OrderedDict path -> numeric array, the skeleton as uint8 JSON under STRUCTURE_KEY.

    Raises TypeError naming the entry (as state['param_groups'][0]['x']) for anything that is
    not a dict, list, tuple, number, boolean, string, None or numeric array.
    """
    arrays = OrderedDict()

    def encode(value, path):
        value = _unwrap(value)
        if isinstance(value, (np.ndarray, np.generic)):
            array = np.asarray(value)
            if array.dtype.kind not in _NUMERIC_KINDS:
                raise TypeError(f"save: {_where(path)} is an array of dtype {array.dtype}; a "
                                f"checkpoint holds numbers only")
            # The path names the array for anyone reading the .npz with np.load; the skeleton,
            # not the name, says where it belongs ("a/b" and {"a": {"b": ...}} need two names).
            name = base = "/".join(str(key) for key in path) or "value"
            while name in arrays or name == STRUCTURE_KEY:
                name = f"{base}#{len(arrays)}"
            arrays[name] = array
            return {"scalar" if isinstance(value, np.generic) else "array": name}
        if isinstance(value, _INLINE):
            return {"value": value}
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(f"save: {_where(path)} has a key {key!r}; keys must be "
                                    f"strings or integers")
                items.append([key, "int" if isinstance(key, int) else "str", encode(item, path + (key,))])
            return {"dict": items}
        if isinstance(value, (list, tuple)):
            kind = "tuple" if isinstance(value, tuple) else "list"
            return {kind: [encode(item, path + (i,)) for i, item in enumerate(value)]}
        raise TypeError(f"save: {_where(path)} is a {type(value).__name__}; a checkpoint holds "
                        f"numeric arrays, numbers, booleans, strings, None, lists, tuples and dicts")

    skeleton = encode(state, ())
    arrays[STRUCTURE_KEY] = np.frombuffer(json.dumps(skeleton).encode("utf-8"), dtype=np.uint8)
    return arrays


def unflatten(arrays):
    """The nested state `flatten` described; ValueError if the skeleton does not fit the arrays."""
    skeleton = json.loads(bytes(np.asarray(arrays[STRUCTURE_KEY], dtype=np.uint8)).decode("utf-8"))
    used = set()

    def decode(node):
        if not isinstance(node, dict) or len(node) != 1:
            raise ValueError(f"malformed structure entry {node!r}")
        (kind, body), = node.items()
        if kind in ("array", "scalar"):
            if body not in arrays or body == STRUCTURE_KEY:
                raise ValueError(f"the structure names an array {body!r} the file does not hold")
            used.add(body)
            return arrays[body] if kind == "array" else arrays[body][()]
        if kind == "value":
            return body
        if kind == "dict":
            return {int(key) if key_type == "int" else key: decode(item) for key, key_type, item in body}
        if kind in ("list", "tuple"):
            items = [decode(item) for item in body]
            return tuple(items) if kind == "tuple" else items
        raise ValueError(f"unknown structure entry {kind!r}")

    state = decode(skeleton)
    extra = set(arrays) - used - {STRUCTURE_KEY}
    if extra:
        raise ValueError(f"arrays {sorted(extra)} are not part of the saved structure")
    return OrderedDict(state) if isinstance(state, dict) else state
