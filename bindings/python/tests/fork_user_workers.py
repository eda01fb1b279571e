"""Pool workers written the memcov fork's way: the calls go through ctypes on the samples'
own handles (they resolve through their DT_NEEDED libmemcov.so); the memcov package is never
imported, so no finalizer flushes anything when a worker ends. Importable, so spawn can pickle
them.

Each task runs some inputs the fork's way — mcov_reset(), the input, mcov_get_now() — and then
more inputs with no memcov call at all, and returns or ends with os._exit.
"""

import ctypes
import os

from .workers import INPUTS, sample_path

_libs = None


def _samples():
    global _libs
    if _libs is None:
        a = ctypes.CDLL(sample_path("a"))
        b = ctypes.CDLL(sample_path("b"))
        for lib, fn in ((a, "sample_a_run"), (b, "sample_b_run")):
            getattr(lib, fn).restype = ctypes.c_int64
            getattr(lib, fn).argtypes = [ctypes.c_char_p]
        a.mcov_get_now.restype = ctypes.c_uint32
        _libs = (a, b)
    return _libs


def _run(index):
    a, b = _samples()
    a.sample_a_run(INPUTS[index])
    b.sample_b_run(INPUTS[index])


def reset_run_count_then_more(task):
    """task = (indices run with the fork's per-input calls, indices run after with none)."""
    with_calls, without = task
    a, _ = _samples()
    counts = []
    for i in with_calls:
        a.mcov_reset()
        _run(i)
        counts.append(a.mcov_get_now())
    for i in without:
        _run(i)
    return os.getpid(), counts


_done = None


def init_done(array):
    global _done
    _done = array


def reset_run_count_then_more_and_exit(task):
    """The same, then os._exit(0): no exit handler, no destructor, no result."""
    slot, work = task
    reset_run_count_then_more(work)
    with _done.get_lock():
        _done[slot] = os.getpid()
    os._exit(0)
