"""Memcov for Python: edge coverage recorded straight into a named shared-memory region.

A ctypes wrapper of libmemcov.so (see memcov.library for how it is found). A process
attached to a region writes every edge its instrumented modules hit into the region, so
the region holds the union of every process attached to it::

    import memcov, multiprocessing
    memcov.create("my-run", 1 << 20)       # attaches, and sets $MEMCOV_REGION for children
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        pool.map(run_one_input, inputs)     # children join the region at their first module
    print(memcov.covered(), "edges")        # the union
    memcov.remove("my-run")

Regions: create, attach, detach, remove, reset_region, is_attached, region_name.
Views: reset, push, pop, scope, get_total, get_now, covered, get_hitmap, set_hitmap, flush.
Blobs: serialize, deserialize (a serialized view is an offline map: memcov.maps reads it).
Offline maps: memcov.maps (load, loads, dumps, save, union). Source-level coverage: report
(runs `memcov report --json`). Errors: MemcovError (.code, .message) and MCOV_E_*.
"""

from . import maps
from .blobs import deserialize, serialize
from .errors import (
    MCOV_E_CORRUPT,
    MCOV_E_EXISTS,
    MCOV_E_INVALID_ARG,
    MCOV_E_INVALID_NAME,
    MCOV_E_NO_SPACE,
    MCOV_E_NOT_FOUND,
    MCOV_E_PERMISSION,
    MCOV_E_SYSTEM,
    MCOV_E_TOO_SMALL,
    MCOV_E_VERSION,
    MCOV_OK,
    MemcovError,
)
from ._check import last_error
from .library import load as library
from .library import path as library_path
from .report import report
from .regions import (
    attach,
    create,
    detach,
    is_attached,
    region_name,
    remove,
    reset_region,
)
from .views import (
    covered,
    flush,
    get_hitmap,
    get_now,
    get_total,
    module_count,
    pop,
    private_module_count,
    push,
    reset,
    scope,
    set_hitmap,
)

library()  # fail at import, with the places looked at, rather than at the first call


def _flush_at_worker_exit(_=None):
    # multiprocessing's fork and forkserver workers end with os._exit: libmemcov.so's exit
    # handler does not run, but multiprocessing's finalizers do.
    from multiprocessing import util
    util.Finalize(None, flush, exitpriority=100)


def _install_worker_flush():
    import multiprocessing
    from multiprocessing import util
    if multiprocessing.parent_process() is not None:
        _flush_at_worker_exit()  # imported inside a worker: its registry is already fresh
    util.register_after_fork(_install_worker_flush, _flush_at_worker_exit)


_install_worker_flush()

__all__ = [
    "create", "attach", "detach", "remove", "reset_region", "is_attached", "region_name",
    "reset", "push", "pop", "scope", "get_total", "get_now", "covered", "get_hitmap",
    "set_hitmap", "flush", "module_count", "private_module_count", "serialize", "deserialize",
    "last_error", "library", "library_path", "maps", "MemcovError", "MCOV_OK",
    "MCOV_E_INVALID_NAME", "MCOV_E_NOT_FOUND", "MCOV_E_EXISTS", "MCOV_E_CORRUPT", "MCOV_E_VERSION",
    "MCOV_E_INVALID_ARG", "MCOV_E_NO_SPACE", "MCOV_E_PERMISSION", "MCOV_E_SYSTEM",
    "MCOV_E_TOO_SMALL",
]
