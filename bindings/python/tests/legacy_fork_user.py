"""The memcov fork's README usage, unchanged: the calls go through the instrumented
library's own CDLL handle (they resolve through its DT_NEEDED libmemcov.so). This script
does not import the memcov package. Prints what it saw as JSON.

usage: python3 legacy_fork_user.py PATH/TO/libmcov_sample_a.so INPUT...
"""

import ctypes
import json
import sys

_LIB = ctypes.CDLL(sys.argv[1])
_LIB.sample_a_run.restype = ctypes.c_int64
_LIB.sample_a_run.argtypes = [ctypes.c_char_p]
_LIB.serialize_mem_coverage.restype = ctypes.POINTER(ctypes.c_uint8)
_LIB.serialize_mem_coverage.argtypes = [ctypes.POINTER(ctypes.c_size_t)]
_LIB.deserialize_mem_coverage.argtypes = [ctypes.POINTER(ctypes.c_uint8), ctypes.c_size_t]


def hitmap():
    total = _LIB.mcov_get_total()
    buf = (ctypes.c_char * total)()
    _LIB.mcov_copy_hitmap(buf)
    return total, buf.raw


def serialize():
    size = ctypes.c_size_t()
    data = _LIB.serialize_mem_coverage(ctypes.byref(size))
    return data, size.value


_LIB.mcov_reset()
for arg in sys.argv[2:]:
    _LIB.sample_a_run(arg.encode())
total, raw = hitmap()
now = _LIB.mcov_get_now()
data, size = serialize()
blob = ctypes.string_at(data, size)

_LIB.mcov_reset()
now_after_reset = _LIB.mcov_get_now()
_LIB.deserialize_mem_coverage(data, size)
now_after_load = _LIB.mcov_get_now()
_, raw_after_load = hitmap()

# set_hitmap on a cleared own view makes the view what was given.
_LIB.mcov_reset()
_LIB.mcov_get_total()
_LIB.mcov_set_hitmap(ctypes.create_string_buffer(raw, total))
now_after_set = _LIB.mcov_get_now()

print(json.dumps(dict(
    total=total, set_bytes=sum(1 for b in raw if b), now=now, blob_size=size,
    blob_magic=blob[:8].decode("latin-1"), now_after_reset=now_after_reset,
    now_after_load=now_after_load, same_after_load=raw_after_load == raw,
    now_after_set=now_after_set,
)))
