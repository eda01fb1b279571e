"""Views: what the coverage calls of this process see.

The base view is the region's union when attached (every set byte below the region's
allocation cursor, from every process) or the private map when detached. reset() switches
to the process's own hits from then on; push()/pop() open and close nested own scopes.
Hits always reach the base view too, so none of these calls takes edges out of a region.

Modules built in no-call mode record into the process's lane, shared memory that readers fold
into the region, so nothing they record is lost when a worker dies; only a process that got no
lane records into private memory, which the next memcov call (flush() is one) puts into the
region. Importing memcov makes multiprocessing workers flush before they exit.
"""

import ctypes
from contextlib import contextmanager

from .library import load


def flush():
    """Put what no-call modules recorded into private memory (detached, or no free lane) into
    the region now. Every memcov call does this first; it matters only before os._exit or a
    crash."""
    load().mcov_flush()


def reset():
    """Switch to (or clear) this process's own view: its hits from now on."""
    load().mcov_reset()


def push():
    """Open a fresh, empty scope on top of the current view."""
    load().mcov_push_coverage()


def pop():
    """OR the top scope into the view below and return to it (a no-op without a push)."""
    load().mcov_pop_coverage()


@contextmanager
def scope():
    """push() on entry and pop() on exit: ``with memcov.scope(): ...``."""
    push()
    try:
        yield
    finally:
        pop()


def get_total():
    """Bytes of the hitmap (64-bit): the region's allocation cursor plus the edges of
    modules recording privately. Also fixes the layout the legacy mcov_copy_hitmap and
    mcov_set_hitmap calls of this process use next."""
    return load().mcov_get_total64()


def get_now():
    """Edges set in the current view (64-bit), counted from the map."""
    return load().mcov_get_now64()


def covered():
    """Edges covered in the current view; the same as get_now()."""
    return get_now()


def get_hitmap():
    """The current view as a bytearray of get_total() bytes, one 0/1 byte per edge."""
    lib = load()
    while True:
        total = lib.mcov_get_total64()
        buf = bytearray(total)
        if total == 0:
            return buf
        arr = (ctypes.c_uint8 * total).from_buffer(buf)
        written = lib.mcov_copy_hitmap_n(arr, total)
        del arr  # release the export so buf can be resized
        if written < total:
            del buf[written:]
            return buf
        if lib.mcov_get_total64() == total:
            return buf
        # The region grew while copying (another process registered a module): again.


def set_hitmap(data):
    """OR ``data`` (bytes-like, one byte per edge in get_hitmap()'s layout) into the base
    view: the region when attached, else the private map. On an own view (after reset() or
    push()) that view also becomes ``data``.

    ``data`` may be shorter than get_total() (a hitmap taken before the region grew): the
    rest counts as not hit. Longer data raises ValueError.
    """
    lib = load()
    view = memoryview(data).cast("B")
    total = lib.mcov_get_total64()  # fixes the layout mcov_set_hitmap reads in
    if len(view) > total:
        raise ValueError(f"hitmap of {len(view)} bytes, but this process's hitmap is {total} bytes")
    buf = ctypes.create_string_buffer(bytes(view), max(total, 1))
    lib.mcov_set_hitmap(buf)


def module_count():
    """Instrumented modules that registered in this process."""
    return load().mcov_module_count()


def private_module_count():
    """Modules of this process that record privately (detached, or no room in the region)."""
    return load().mcov_private_module_count()


__all__ = ["reset", "push", "pop", "scope", "get_total", "get_now", "covered", "get_hitmap",
           "set_hitmap", "module_count", "private_module_count"]
