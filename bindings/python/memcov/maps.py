"""Offline maps: coverage kept outside a region, with its module table.

The format is libmemcov's (docs/map-file-format.md): this module reads and writes it through
libmemcov, the codec that serialize_mem_coverage, the .NET library and the memcov command use.
loads() reads map files of version 2 and 1 and serialize blobs of version 1 (what serialize()
returns is a map file); dumps() writes version 2. A module compiled with pc-table carries its PC
table (pcs: 16 bytes per edge, u64 offset from the load bias and u64 flags, little-endian), which
memcov report names functions and lines with. Modules are matched by identity, never by
position, so maps of processes that loaded their modules in different orders combine::

    maps = [memcov.maps.load(p) for p in paths]
    memcov.maps.save("all.mcovmap", memcov.maps.union(*maps))
"""

import ctypes
import os
import secrets
import stat
from dataclasses import dataclass

from ._check import last_error
from .errors import MCOV_E_INVALID_ARG, MCOV_OK, MemcovError
from .library import MapSummary, ModuleEntry, load as _lib

MODE_CALLBACK = 1
MODE_INLINE = 2
ID_BUILD_ID = 1
ID_PATH = 2
KIND_FLAGS = 1
PC_ENTRY = 16  # bytes of a PC-table entry (mcov_map_pc)


@dataclass(frozen=True)
class Module:
    """One module of a map: its identity, its path (for people), one byte per edge, and its PC
    table (16 bytes per edge) or None."""

    id_kind: int
    id: bytes
    edge_count: int
    mode: int
    file_size: int
    path: str
    edges: bytes
    pcs: bytes = None

    @property
    def identity(self):
        """What every process matches the module by (docs/region-format.md, "Matching")."""
        size = self.file_size if self.id_kind == ID_PATH else 0
        return (self.id_kind, self.id, self.edge_count, self.mode, size)

    def covered(self):
        """Edges of the module that were hit."""
        return len(self.edges) - self.edges.count(0)


def _buffer(data):
    return (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if data else (ctypes.c_uint8 * 1)()


def loads(data):
    """The modules of an offline map given as bytes, in file order.

    Raises MemcovError(MCOV_E_CORRUPT) (or MCOV_E_VERSION) with the reason when the bytes are not
    a map of a version libmemcov reads; TypeError when data is not bytes-like.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"a map is bytes, not {type(data).__name__}")
    data = bytes(data)
    lib = _lib()
    buf = _buffer(data)
    summary = MapSummary()
    rc = lib.mcov_map_check(buf, len(data), ctypes.byref(summary))
    if rc != MCOV_OK:
        raise MemcovError(rc, last_error())
    entries = (ModuleEntry * max(summary.module_count, 1))()
    edges = (ctypes.c_uint8 * max(summary.edge_count, 1))()
    rc = lib.mcov_map_read(buf, len(data), entries, summary.module_count, edges, summary.edge_count)
    if rc != MCOV_OK:
        raise MemcovError(rc, last_error())
    raw, raw_pcs = bytes(edges), None
    if summary.pc_modules:
        pcs = (ctypes.c_uint8 * max(summary.edge_count * PC_ENTRY, 1))()
        rc = lib.mcov_map_read_pcs(buf, len(data), pcs, summary.edge_count)
        if rc != MCOV_OK:
            raise MemcovError(rc, last_error())
        raw_pcs = bytes(pcs)
    modules = []
    for e in entries[:summary.module_count]:
        table = raw_pcs[e.base * PC_ENTRY:(e.base + e.edge_count) * PC_ENTRY] if raw_pcs else bytes(8)
        modules.append(Module(e.id_kind, bytes(e.id[:e.id_len]), e.edge_count, e.mode, e.file_size,
                              e.path.decode("utf-8", "surrogateescape"),
                              raw[e.base:e.base + e.edge_count],
                              table if table[:8] != bytes(8) else None))
    return _merged(modules)


def load(path):
    """The modules of the offline map in file ``path`` (see loads)."""
    with open(path, "rb") as f:
        return loads(f.read())


def dumps(modules):
    """A map file (version 2) of ``modules``; every non-zero edge byte is written as 1.

    Raises MemcovError(MCOV_E_INVALID_ARG) for a module this format cannot hold or an identity
    given twice (merge them with union first).
    """
    modules = list(modules)
    entries = (ModuleEntry * max(len(modules), 1))()
    offset = 0
    for entry, m in zip(entries, modules):
        if len(m.edges) != m.edge_count or len(m.id) > 32 or (
                m.pcs is not None and len(m.pcs) != m.edge_count * PC_ENTRY):
            raise MemcovError(MCOV_E_INVALID_ARG,
                              f"module {m.path!r}: {len(m.edges)} edge bytes for {m.edge_count} edges, "
                              f"an identity of {len(m.id)} bytes, a PC table of "
                              f"{len(m.pcs) if m.pcs is not None else 0} bytes")
        entry.base = offset
        entry.edge_count = m.edge_count
        entry.file_size = m.file_size
        entry.mode = m.mode
        entry.id_kind = m.id_kind
        entry.id_len = len(m.id)
        ctypes.memmove(entry.id, m.id, len(m.id))
        entry.path = os.fsencode(m.path)[-183:]
        offset += m.edge_count
    lib = _lib()
    with_pcs = sum(m.edge_count for m in modules if m.pcs is not None)
    size = lib.mcov_map_file_size_pcs(len(modules), offset, with_pcs)
    if size == 0:
        raise MemcovError(MCOV_E_INVALID_ARG, f"{len(modules)} modules of {offset} edges do not fit one map file")
    edges = _buffer(b"".join(m.edges for m in modules))
    # A module without a table gets zero entries: the codec reads a first offset of 0 as "none".
    pcs = _buffer(b"".join(m.pcs if m.pcs is not None else bytes(m.edge_count * PC_ENTRY)
                           for m in modules)) if with_pcs else None
    out = (ctypes.c_uint8 * size)()
    rc = lib.mcov_map_write_pcs(entries, len(modules), KIND_FLAGS, edges, offset, pcs, out, size)
    if rc != MCOV_OK:
        raise MemcovError(rc, last_error())
    return bytes(out)


def save(path, modules):
    """Write ``modules`` as a map file to ``path``, replacing it only once the new file is whole.

    The temporary file is created beside ``path`` under a random name, without following a
    symlink; an existing ``path`` that is not a regular file (a device, a FIFO, a directory) is
    refused with OSError and left alone.
    """
    data = dumps(modules)
    path = os.fspath(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode) and not stat.S_ISLNK(st.st_mode):
        raise OSError(f"{path} exists and is not a regular file: not replaced")
    folder = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(folder, f".{os.path.basename(path)}.tmp-{secrets.token_hex(8)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


def union(*maps):
    """The union of maps (lists of modules): modules matched by identity, their edges ORed."""
    return _merged([m for modules in maps for m in modules])


def _merged(modules):
    by_identity = {}
    for m in modules:
        seen = by_identity.get(m.identity)
        if seen is None:
            by_identity[m.identity] = m
            continue
        edges = bytes(1 if a or b else 0 for a, b in zip(seen.edges, m.edges))
        by_identity[m.identity] = Module(seen.id_kind, seen.id, seen.edge_count, seen.mode,
                                         seen.file_size, seen.path or m.path, edges,
                                         seen.pcs if seen.pcs is not None else m.pcs)
    return list(by_identity.values())


__all__ = ["Module", "loads", "load", "dumps", "save", "union", "MODE_CALLBACK", "MODE_INLINE",
           "ID_BUILD_ID", "ID_PATH"]
