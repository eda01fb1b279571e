"""Regions: create, attach to, detach from, remove and clear named shared-memory regions.

A process attached to a region writes every edge its instrumented modules hit straight
into the region, so the region holds the union of every attached process. Names match
``[A-Za-z0-9][A-Za-z0-9._-]{0,199}``; the runtime validates them and MemcovError carries
its message.
"""

import os

from ._check import check
from .errors import MCOV_E_INVALID_ARG, MCOV_E_NOT_FOUND, MemcovError
from .library import encode_name, load

ENV_VAR = "MEMCOV_REGION"
DEFAULT_CAPACITY = 1 << 20


def create(name, capacity=DEFAULT_CAPACITY, counts=False):
    """Create region ``name`` for ``capacity`` edges (rounded up to a multiple of 4096),
    attach this process to it, and set ``os.environ['MEMCOV_REGION'] = name``.

    With ``counts=True`` the region is a hit-count region: each byte holds AFL++'s classes of the
    counts its edge had (docs/semantics.md, "Hit counts"); else a byte is 1 once its edge is hit.

    Setting the variable through os.environ makes processes started from now on (spawn,
    subprocess, exec) join the region at their first instrumented module; fork children
    inherit the attachment itself. A forkserver process keeps the environment it was
    started with, so create the region before a forkserver starts, or attach explicitly
    (e.g. ``Pool(initializer=memcov.attach, initargs=(name,))``).

    Raises MemcovError (e.g. MCOV_E_EXISTS, MCOV_E_INVALID_NAME, MCOV_E_INVALID_ARG).
    """
    data = encode_name(name)
    if not isinstance(capacity, int) or isinstance(capacity, bool):
        raise TypeError(f"capacity is an int number of edges, not {type(capacity).__name__}")
    if capacity < 1 or capacity >= 1 << 64:
        # Not a uint64_t: said here, with the value given (C would see another number).
        raise MemcovError(MCOV_E_INVALID_ARG,
                          f"capacity of {capacity} edges for region {name!r} is out of range: "
                          "pass 1 to 4294967296 edges (rounded up to a multiple of 4096)")
    if not isinstance(counts, bool):
        raise TypeError(f"counts is a bool, not {type(counts).__name__}")
    lib = load()
    check((lib.mcov_region_create_counts if counts else lib.mcov_region_create)(data, capacity))
    os.environ[ENV_VAR] = data.decode("utf-8", "surrogateescape")


def attach(name):
    """Attach this process to the existing region ``name``.

    Loaded modules move into the region together with the hits they have so far; a
    previous attachment is dropped first. Raises MemcovError (e.g. MCOV_E_NOT_FOUND).
    os.environ is left as it is.
    """
    check(load().mcov_attach(encode_name(name)))


def detach():
    """Detach from the region: the current view is kept as a private map and the process
    records privately from now on. Does nothing when not attached. os.environ is left as
    it is, so children started later still join ``$MEMCOV_REGION``."""
    load().mcov_detach()


def remove(name):
    """Remove region ``name``; True if it was removed, False if there was no such region.

    Processes attached keep their mapping (and keep recording into it). If
    ``$MEMCOV_REGION`` names this region, it is unset, since no child could join it.
    Raises MemcovError for an invalid name or another failure.
    """
    data = encode_name(name)
    rc = load().mcov_region_remove(data)
    if rc == MCOV_E_NOT_FOUND:
        return False
    check(rc)
    if os.environ.get(ENV_VAR) == data.decode("utf-8", "surrogateescape"):
        del os.environ[ENV_VAR]
    return True


def reset_region(name):
    """Clear every edge of region ``name`` (for every process attached to it); own views
    opened by reset()/push() are left alone, so an edge an open own view already had reaches
    the region again at its first hit after that view is cleared or closed. Raises
    MemcovError (e.g. MCOV_E_NOT_FOUND)."""
    check(load().mcov_region_reset(encode_name(name)))


def is_attached():
    """True if this process is attached to a region."""
    return bool(load().mcov_is_attached())


def region_name():
    """The name of the region this process is attached to, or "" when detached."""
    raw = load().mcov_region_name()
    return raw.decode("utf-8", "surrogateescape") if raw else ""


__all__ = ["create", "attach", "detach", "remove", "reset_region", "is_attached", "region_name",
           "ENV_VAR", "DEFAULT_CAPACITY", "MemcovError"]
