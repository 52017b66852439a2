"""Checkpoints: `mn.save(state, path)` and `mn.load(path)` for name -> array state dicts.

The file is an ordinary numpy .npz archive: a zip file with one `<name>.npy` member per
array, readable with np.load. Saving writes a temporary file in the same folder and renames
it over the target (os.replace is atomic), so a crash mid-save never leaves half a
checkpoint; the file gets the mode any new file gets (0o666 minus the umask), or keeps the
mode of the checkpoint it replaces. Through a symbolic link, the target is the file the link
points to, and the link stays. Both functions also take a binary file object (io.BytesIO, a
file opened "wb" or "rb"), as np.save and torch.save do.

Loading trusts nothing in the file. It reads numbers only (never pickled objects, which
could run code), and it checks every size the file declares against the bytes really there
before allocating anything, so a damaged or hostile file of a few hundred bytes cannot ask
for terabytes. Whatever is wrong with a file, `load` raises ValueError naming it.

    >>> mn.save(model, "model.npz")                 # or mn.save(model.state_dict(), ...)
    >>> model.load_state_dict(mn.load("model.npz"))
"""
import io
import math
import os
import stat
import zipfile
from collections import OrderedDict

import numpy as np

from minnet.state_tree import STRUCTURE_KEY, flatten, is_flat, unflatten

# The most a deflate stream can expand: 258 bytes from 2 bits in the best case (zlib's
# technical details give a limit of 1032:1); the slack covers tiny members.
_DEFLATE_MAX_RATIO, _DEFLATE_SLACK = 1032, 1024
_READ_CHUNK = 1 << 20                      # bytes per read: memory follows the real data
_NUMERIC_KINDS = "biufc"                   # bool, signed, unsigned, float, complex
_END_RECORD_SIGNATURE, _END_RECORD_SIZE = b"PK\x05\x06", 22   # zip's end of central directory


class _RefusedCheckpoint(ValueError):
    """A checkpoint `load` refuses on purpose; its message is already complete."""


# --- save ----------------------------------------------------------------------------------------

def _arrays_to_save(obj):
    """name -> numpy array from a state dict or a Module, checked: string keys, numbers only."""
    state = obj.state_dict() if hasattr(obj, "state_dict") and callable(obj.state_dict) else obj
    if not hasattr(state, "items"):
        raise TypeError(f"save expected a state dict (name -> array) or a Module, got "
                        f"{type(obj).__name__}")
    if not is_flat(state):
        # An optimiser's state_dict, or {"model": ..., "optimizer": ..., "epoch": 3}: arrays by
        # path plus a JSON description of the rest (minnet/state_tree.py), still no pickle.
        return flatten(state)
    arrays = OrderedDict()
    for name, value in state.items():
        if not isinstance(name, str):
            raise TypeError(f"save: state dict keys must be strings, got {name!r}")
        array = np.asarray(getattr(value, "data", value))
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"save: {name!r} is not a numeric array (dtype {array.dtype}); a "
                            f"checkpoint holds numbers only")
        arrays[name] = array
    return arrays


def _create_temporary(folder, mode):
    """Open a new hidden file in `folder` for writing; returns (file descriptor, path).

    tempfile.mkstemp would create it with mode 0o600. os.open with O_EXCL creates it the way
    `open(path, "w")` would: `mode` minus the umask, applied by the kernel.
    """
    while True:
        path = os.path.join(folder, f".{os.urandom(8).hex()}.npz.tmp")
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), path
        except FileExistsError:
            continue


def _save_error(error, path, folder):
    """The OSError of a failed save, naming the user's path rather than the hidden temporary."""
    reason = error.strerror or str(error)
    if isinstance(error, FileNotFoundError) and not os.path.isdir(folder):
        reason = f"the folder {folder!r} does not exist"
    # OSError(errno, ...) builds the matching subclass: FileNotFoundError, PermissionError, ...
    return OSError(error.errno, f"save could not write the checkpoint: {reason}", path)


def _check_file_object(file, who, mode):
    """A file object to save to or load from must be binary, as for np.save and torch.save."""
    if isinstance(file, io.TextIOBase):
        raise TypeError(f"{who} expected a path or a file opened in binary mode ({mode!r}), got "
                        f"a text file {_describe(file)}")


def _describe(file):
    """How a message names a file object: its path when it has one."""
    name = getattr(file, "name", None)
    return repr(name) if isinstance(name, str) else f"the {type(file).__name__} object"


def save(obj, path):
    """Write a state dict (name -> array), or a Module's state_dict(), to `path` as .npz.

    Nested state dicts work too: an optimiser's state_dict() (or the optimiser itself), or a
    dict of several, such as {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
    "epoch": 3}; numbers, booleans, strings, None, lists, tuples and dicts with string or
    integer keys come back as they were saved (see minnet.state_tree).

    The path is used as given (numpy's habit of appending ".npz" is avoided). A new file gets
    the mode 0o666 minus the umask (0o644 under umask 022); an existing checkpoint is replaced
    atomically and keeps its mode. A symbolic link stays a link: the file it points to is
    replaced. `path` may also be a file object opened for writing in binary mode ("wb", or
    io.BytesIO), as with np.save and torch.save; the archive is written at its position, and
    atomicity is then the caller's. Returns `path`.

        >>> mn.save({"w": np.ones((2, 3))}, "w.npz")
        'w.npz'
    """
    arrays = _arrays_to_save(obj)
    if hasattr(path, "write"):
        _check_file_object(path, "save", "wb")
        np.savez(path, **arrays)
        return path
    path = os.fspath(path)
    # Through a symbolic link the checkpoint is the file it points to: renaming over the link
    # would replace the link with a file and leave that file, read through any other path, stale.
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666
    try:
        handle, temporary = _create_temporary(folder, mode)
    except OSError as error:
        raise _save_error(error, path, folder) from None
    try:
        with os.fdopen(handle, "wb") as file:
            if mode != 0o666:
                os.chmod(temporary, mode)      # the replaced file's mode, whatever the umask
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        if isinstance(error, OSError):
            raise _save_error(error, path, folder) from None
        raise
    return path


# --- load ----------------------------------------------------------------------------------------

def _check_member_sizes(info, file_size):
    """The sizes the zip directory declares for one member must be possible for this file."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ValueError(f"member {info.filename!r} uses compression method {info.compress_type}; "
                         f"numpy writes stored or deflated members only")
    if info.compress_size > file_size:
        raise ValueError(f"member {info.filename!r} claims {info.compress_size} compressed bytes "
                         f"in a file of {file_size} bytes")
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        raise ValueError(f"uncompressed member {info.filename!r} claims {info.file_size} bytes "
                         f"but stores {info.compress_size}")
    if info.file_size > info.compress_size * _DEFLATE_MAX_RATIO + _DEFLATE_SLACK:
        raise ValueError(f"member {info.filename!r} claims {info.file_size} bytes, more than its "
                         f"{info.compress_size} compressed bytes can expand to")


def _read_member(archive, info):
    """One .npy member as an array: header first, its sizes checked, then exactly its bytes."""
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise ValueError(f"member {info.filename!r} is .npy version {version}; numeric arrays "
                             f"are written as 1.0 or 2.0")
        if dtype.hasobject:
            raise _RefusedCheckpoint("holds pickled Python objects, which a checkpoint must not "
                                     "contain (loading them could run code); refused")
        if dtype.kind not in _NUMERIC_KINDS:
            raise ValueError(f"member {info.filename!r} holds dtype {dtype}, not numbers")
        # Python integers: a lying shape such as (2**40,) cannot overflow the product.
        count = math.prod(shape)
        declared, present = count * dtype.itemsize, info.file_size - member.tell()
        if declared != present:
            raise ValueError(f"member {info.filename!r} declares shape {shape} of {dtype} "
                             f"({declared} bytes) but holds {present} bytes")
        array = np.empty(count, dtype)
        buffer, filled = array.view(np.uint8), 0
        while filled < declared:
            chunk = member.read(min(_READ_CHUNK, declared - filled))
            if not chunk:
                raise EOFError(f"member {info.filename!r} ends after {filled} of {declared} bytes")
            buffer[filled:filled + len(chunk)] = np.frombuffer(chunk, np.uint8)
            filled += len(chunk)
        if member.read(1):       # reading to the end is also what makes zipfile check the CRC
            raise ValueError(f"member {info.filename!r} has bytes after its array")
    return array.reshape(shape, order="F" if fortran_order else "C")


def _check_member_count(file, file_size, archive):
    """The end record's member count must match the directory zipfile read.

    zipfile walks the central directory by its byte size and ignores the count, so a damaged
    length field inside the directory can hide a member (it is read as a comment) and the
    checkpoint would load with an array silently missing.
    """
    end = file_size - _END_RECORD_SIZE - len(archive.comment)
    file.seek(end)
    record = file.read(_END_RECORD_SIZE)
    if len(record) != _END_RECORD_SIZE or record[:4] != _END_RECORD_SIGNATURE:
        raise ValueError(f"no zip end record at byte {end}")
    declared = int.from_bytes(record[10:12], "little")        # total entries, 0xFFFF for zip64
    found = len(archive.infolist())
    if declared != min(found, 0xFFFF):
        raise ValueError(f"the zip end record counts {declared} members, the directory lists {found}")


def _read_checkpoint(file):
    """name -> array from an open .npz file, in the archive's order."""
    start = file.tell()
    file_size = file.seek(0, os.SEEK_END)      # a file object too may hold no more than this
    file.seek(start)
    state = OrderedDict()
    with zipfile.ZipFile(file) as archive:
        _check_member_count(file, file_size, archive)
        for info in archive.infolist():
            name, suffix = info.filename[:-4], info.filename[-4:]
            if suffix != ".npy":
                raise ValueError(f"member {info.filename!r} is not a .npy array")
            if name in state:
                raise ValueError(f"the array {name!r} appears twice")
            _check_member_sizes(info, file_size)
            state[name] = _read_member(archive, info)
    return state


def load(path):
    """Read a checkpoint written by `save`: an OrderedDict name -> numpy array, in saved order,
    or the nested state dict that was saved (an optimiser's, ready for load_state_dict).

    `path` may also be a file object opened for reading in binary mode ("rb", or io.BytesIO)
    and seekable, as with np.load and torch.load; it is read as a file at that path would be,
    and left open.

    Raises ValueError naming the path for any file that is not an intact .npz of numeric
    arrays: truncated, corrupt, declaring sizes its bytes do not back, or holding pickled
    Python objects (refused, never unpickled: numpy's allow_pickle=False, always). A missing
    file raises FileNotFoundError.

        >>> mn.load("w.npz")["w"].shape
        (2, 3)
    """
    if hasattr(path, "read"):
        _check_file_object(path, "load", "rb")
        if hasattr(path, "seekable") and not path.seekable():
            # zip keeps its directory at the end: reading one means seeking back and forth
            raise ValueError(f"load: {_describe(path)} is not seekable; read it into "
                             f"io.BytesIO(file.read()) and load that")
        return _load_from(path, _describe(path))
    path = os.fspath(path)
    with open(path, "rb") as file:       # a missing or unreadable path is an OSError, as usual
        return _load_from(file, repr(path))


def _load_from(file, name):
    """load's promise for an open file: the state, or a ValueError naming the file."""
    try:
        state = _read_checkpoint(file)
        return unflatten(state) if STRUCTURE_KEY in state else state
    except _RefusedCheckpoint as error:
        raise ValueError(f"load: {name} {error}") from None
    except MemoryError:
        raise                        # sizes are checked first: this is a real shortage
    except Exception as error:
        # zipfile and its decompressors raise a dozen types on damaged input (BadZipFile,
        # zlib.error, EOFError, struct.error, NotImplementedError, ...): one promise, one type.
        raise ValueError(f"load: {name} is not a readable minnet checkpoint (truncated "
                         f"or corrupt?): {type(error).__name__}: {error}") from None
