"""Serialized coverage: the current view with its module table, as bytes.

A blob loads into a process whose modules registered in another order (modules are
matched by identity), and deserialize() also takes the memcov fork's legacy blob.
"""

import ctypes

from ._check import last_error
from .errors import MCOV_E_CORRUPT, MCOV_E_SYSTEM, MemcovError
from .library import load



def serialize():
    """The current view with its module table as bytes: a map file (memcov.maps reads it; the
    buffer is freed with mcov_free).

    Raises MemcovError when the runtime returns NULL (out of memory)."""
    lib = load()
    size = ctypes.c_size_t(0)
    ptr = lib.serialize_mem_coverage(ctypes.byref(size))
    if not ptr:
        raise MemcovError(MCOV_E_SYSTEM, last_error() or "serialize_mem_coverage returned NULL")
    try:
        return ctypes.string_at(ptr, size.value)
    finally:
        lib.mcov_free(ptr)


def deserialize(data):
    """OR a blob of serialize() (or a map file, or the fork's legacy blob) into the current view.

    Raises MemcovError(MCOV_E_CORRUPT) when the runtime refused the data (not a blob of
    either kind, truncated, bad checksum): nothing was loaded then. Modules of the blob that
    are neither loaded here nor in the region are skipped with a warning on stderr.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"a blob is bytes, not {type(data).__name__}")
    data = bytes(data)
    lib = load()
    buf = ctypes.create_string_buffer(data, len(data))
    lib.deserialize_mem_coverage(ctypes.cast(buf, ctypes.POINTER(ctypes.c_uint8)), len(data))
    # The runtime clears the thread's last error when a call starts: set means refused.
    error = lib.mcov_last_error()
    if error:
        raise MemcovError(MCOV_E_CORRUPT, error.decode("utf-8", "replace"))


__all__ = ["serialize", "deserialize"]
