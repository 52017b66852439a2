"""Checkpoints: `mn.save(state, path)` and `mn.load(path)` for name -> array state dicts.

The file is an ordinary numpy .npz archive: one array per name, readable with np.load.
Saving writes a temporary file in the same folder and renames it over the target
(os.replace is atomic), so a crash mid-save never leaves half a checkpoint. Loading uses
allow_pickle=False: a checkpoint holds numbers only and can never run code.

    >>> mn.save(model, "model.npz")                 # or mn.save(model.state_dict(), ...)
    >>> model.load_state_dict(mn.load("model.npz"))
"""
import os
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np


def save(obj, path):
    """Write a state dict (name -> array), or a Module's state_dict(), to `path` as .npz.

    The path is used as given (numpy's habit of appending ".npz" is avoided). Returns the path.
    """
    state = obj.state_dict() if hasattr(obj, "state_dict") and callable(obj.state_dict) else obj
    if not hasattr(state, "items"):
        raise TypeError(f"save expected a state dict (name -> array) or a Module, got "
                        f"{type(obj).__name__}")
    arrays = OrderedDict()
    for name, value in state.items():
        if not isinstance(name, str):
            raise TypeError(f"save: state dict keys must be strings, got {name!r}")
        array = np.asarray(getattr(value, "data", value))
        if array.dtype.kind not in "biufc":
            raise TypeError(f"save: {name!r} is not a numeric array (dtype {array.dtype}); a "
                            f"checkpoint holds numbers only")
        arrays[name] = array
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".npz.tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return path


def load(path):
    """Read a checkpoint written by `save`: an OrderedDict name -> numpy array, in saved order.

    Raises ValueError naming the path when the file is not a numpy .npz archive, is truncated,
    or holds pickled Python objects (which are refused, never unpickled).
    """
    path = os.fspath(path)
    try:
        # Our own file handle: np.load leaves its handle open when the zip is unreadable.
        with open(path, "rb") as file:
            archive = np.load(file, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array, not a named state dict")
            with archive:
                return OrderedDict((name, archive[name]) for name in archive.files)
    except FileNotFoundError:
        raise
    except ValueError as error:
        if "allow_pickle" in str(error) or "pickle" in str(error).lower():
            raise ValueError(f"load: {path!r} holds pickled Python objects, which a checkpoint "
                             f"must not contain (loading them could run code); refused") from None
        raise ValueError(f"load: {path!r} is not a minnet checkpoint (.npz of arrays): {error}") from None
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError(f"load: {path!r} is not a readable .npz checkpoint (truncated or "
                         f"corrupt?): {error}") from None
