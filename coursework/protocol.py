"""The grader and its worker talk in messages that cannot carry code: JSON and .npy arrays.

A message is a 4-byte length, a JSON header, then the arrays it refers to, each in numpy's
.npy format, read back with allow_pickle=False (so an object array, which would need pickle,
is refused). Inside the JSON an array is {"__array__": k}, the k-th array after the header.
Nothing the worker sends is ever unpickled or executed by the grader.
"""
import io
import json
import os
import select
import struct
import time

import numpy as np

MAX_MESSAGE = 1 << 30          # a worker cannot make the grader read more than 1 GiB of arrays
MAX_HEADER = 64 << 20          # nor more than 64 MiB of JSON


class ProtocolError(Exception):
    """The other side sent something that is not a message (or sent nothing in time)."""


def _encode(value, arrays):
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return {"__array__": len(arrays) - 1}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _encode(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, arrays) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} between grader and worker")


def _decode(value, arrays):
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return arrays[value["__array__"]]
        return {k: _decode(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    return value


def pack(value):
    """The bytes of one message holding `value` (dicts, lists, numbers, strings, arrays)."""
    arrays = []
    header = _encode(value, arrays)
    blobs = []
    for array in arrays:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        blobs.append(buffer.getvalue())
    text = json.dumps({"value": header, "sizes": [len(b) for b in blobs]}).encode()
    return struct.pack(">I", len(text)) + text + b"".join(blobs)


def send(fd, value):
    data = memoryview(pack(value))
    while data:
        data = data[os.write(fd, data):]


def _read_exactly(fd, count, deadline):
    chunks, left = [], count
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(fd, deadline=None):
    """One message from `fd`; TimeoutError after `deadline` (time.monotonic), EOFError when
    the other side has gone, ProtocolError when what came is not a message."""
    (length,) = struct.unpack(">I", _read_exactly(fd, 4, deadline))
    if length > MAX_HEADER:
        raise ProtocolError(f"a message header of {length} bytes")
    try:
        header = json.loads(_read_exactly(fd, length, deadline))
        sizes = [int(s) for s in header["sizes"]]
    except (ValueError, KeyError, TypeError) as error:
        raise ProtocolError(f"not a message: {error}") from None
    if sum(sizes) > MAX_MESSAGE:
        raise ProtocolError(f"{sum(sizes)} bytes of arrays")
    arrays = []
    for size in sizes:
        try:
            arrays.append(np.load(io.BytesIO(_read_exactly(fd, size, deadline)), allow_pickle=False))
        except ValueError as error:          # an object array, or not .npy at all
            raise ProtocolError(f"an array that is not plain numbers: {error}") from None
    return _decode(header["value"], arrays)
