"""Finding and loading libmemcov.so, with argtypes/restype for every call of memcov.h.

A process must hold exactly one copy of the runtime: an instrumented module binds to the
libmemcov.so its DT_NEEDED entry found, and a second copy would keep its own, empty state.
The library is looked for, in order:

1. ``$MEMCOV_LIBRARY`` (a path). If a different copy of libmemcov.so is loaded in this
   process already (an instrumented module was loaded before this package), that copy is
   used instead and a RuntimeWarning says so.
2. A copy loaded in this process already: by its soname (``dlopen(RTLD_NOLOAD)``), else a
   file named ``libmemcov.so.2`` (or ``libmemcov.so``) in ``/proc/self/maps``. A copy of
   another soname speaks another ABI and is never used.
3. The copy installed with this package (the wheel carries ``libmemcov.so.2`` beside it).
4. The repository's ``artifacts/native/libmemcov.so``, relative to this package.
5. ``ctypes.util.find_library("memcov")``.

The library is loaded with RTLD_GLOBAL, so instrumented modules that left the
``__sanitizer_cov_*`` callbacks undefined and are loaded later resolve them to it.
"""

import ctypes
import ctypes.util
import os
import re
import warnings
from ctypes import (POINTER, Structure, c_char, c_char_p, c_int, c_size_t, c_uint8, c_uint32,
                    c_uint64, c_void_p)

# The ABI this module speaks (native/abi/libmemcov.map); a test checks it against the build.
SONAME = "libmemcov.so.2"


class ModuleEntry(Structure):
    """mcov_module_entry (native/include/memcov_region.h); a test checks the layout."""
    _fields_ = [
        ("base", c_uint64),
        ("edge_count", c_uint64),
        ("file_size", c_uint64),
        ("mode", c_uint32),
        ("id_kind", c_uint32),
        ("id_len", c_uint32),
        ("reserved0", c_uint32),
        ("id", c_uint8 * 32),
        ("path", c_char * 184),
    ]


class MapSummary(Structure):
    """mcov_map_summary (native/include/memcov_files.h); a test checks the layout."""
    _fields_ = [
        ("format", c_uint32),
        ("kind", c_uint32),
        ("module_count", c_uint32),
        ("pc_modules", c_uint32),
        ("edge_count", c_uint64),
    ]


# name: (restype, argtypes), exactly as memcov.h and memcov_files.h declare them: the public
# API only (a test checks it against the public node of native/abi/libmemcov.map).
PROTOTYPES = {
    # The memcov fork's API.
    "mcov_reset": (None, []),
    "mcov_push_coverage": (None, []),
    "mcov_pop_coverage": (None, []),
    "mcov_get_total": (c_uint32, []),
    "mcov_get_now": (c_uint32, []),
    "mcov_set_now": (None, [c_uint32]),
    "mcov_copy_hitmap": (None, [c_char_p]),
    "mcov_set_hitmap": (None, [c_char_p]),
    "serialize_mem_coverage": (POINTER(c_uint8), [POINTER(c_size_t)]),
    "deserialize_mem_coverage": (None, [POINTER(c_uint8), c_size_t]),
    # Regions.
    "mcov_region_create": (c_int, [c_char_p, c_uint64]),
    "mcov_region_create_counts": (c_int, [c_char_p, c_uint64]),
    "mcov_attach": (c_int, [c_char_p]),
    "mcov_detach": (None, []),
    "mcov_region_remove": (c_int, [c_char_p]),
    "mcov_region_reset": (c_int, [c_char_p]),
    "mcov_last_error": (c_char_p, []),
    "mcov_copy_hitmap_n": (c_uint64, [POINTER(c_uint8), c_uint64]),
    "mcov_free": (None, [c_void_p]),
    # Introspection.
    "mcov_is_attached": (c_int, []),
    "mcov_region_name": (c_char_p, []),
    "mcov_get_now64": (c_uint64, []),
    "mcov_get_total64": (c_uint64, []),
    "mcov_module_count": (c_uint32, []),
    "mcov_private_module_count": (c_uint32, []),
    "mcov_flush": (None, []),
    # Offline maps (memcov_files.h).
    "mcov_map_check": (c_int, [POINTER(c_uint8), c_uint64, POINTER(MapSummary)]),
    "mcov_map_read": (c_int, [POINTER(c_uint8), c_uint64, POINTER(ModuleEntry), c_uint32,
                              POINTER(c_uint8), c_uint64]),
    "mcov_map_file_size": (c_uint64, [c_uint32, c_uint64]),
    "mcov_map_write": (c_int, [POINTER(ModuleEntry), c_uint32, c_uint32, POINTER(c_uint8),
                               c_uint64, POINTER(c_uint8), c_uint64]),
    # PC tables: mcov_map_pc entries (u64 offset, u64 flags) passed as their bytes.
    "mcov_map_file_size_pcs": (c_uint64, [c_uint32, c_uint64, c_uint64]),
    "mcov_map_write_pcs": (c_int, [POINTER(ModuleEntry), c_uint32, c_uint32, POINTER(c_uint8),
                                   c_uint64, POINTER(c_uint8), POINTER(c_uint8), c_uint64]),
    "mcov_map_read_pcs": (c_int, [POINTER(c_uint8), c_uint64, POINTER(c_uint8), c_uint64]),
}

_MAPS_NAME = re.compile(r"(^|/)libmemcov\.so(\.1)?$")


def _mapped_file_of(address):
    """The file /proc/self/maps shows at address, or None."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split(None, 5)
                if len(fields) < 6:
                    continue
                lo, hi = (int(x, 16) for x in fields[0].split("-"))
                if lo <= address < hi:
                    path = fields[5].strip()
                    return path if path.startswith("/") else None
    except OSError:
        pass
    return None


def _path_of(lib):
    """The file a loaded CDLL was mapped from, or None."""
    address = ctypes.cast(lib.mcov_get_total64, c_void_p).value
    return _mapped_file_of(address) if address else None


def _loaded_copy():
    """A CDLL of the libmemcov.so loaded in this process already, or None."""
    mode = os.RTLD_NOLOAD | os.RTLD_NOW | os.RTLD_GLOBAL
    try:
        return ctypes.CDLL(SONAME, mode=mode)
    except OSError:
        pass
    try:
        with open("/proc/self/maps") as maps:
            fields = (line.split(None, 5) for line in maps)
            paths = {f[5].strip() for f in fields if len(f) == 6}
    except OSError:
        return None
    for path in sorted(p for p in paths if _MAPS_NAME.search(p)):
        try:
            return ctypes.CDLL(path, mode=mode)
        except OSError:
            continue
    return None


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _candidates():
    """Paths to try when no copy is loaded yet, best first."""
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, SONAME)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    yield os.path.join(repo, "artifacts", "native", SONAME)
    found = ctypes.util.find_library("memcov")
    if found:
        yield found


def _open():
    """Load the runtime as the module docstring describes; raises OSError if not found."""
    mode = os.RTLD_NOW | os.RTLD_GLOBAL
    loaded = _loaded_copy()
    wanted = os.environ.get("MEMCOV_LIBRARY")
    if wanted:
        if loaded is not None:
            path = _path_of(loaded)
            if path and not _same_file(path, wanted):
                warnings.warn(
                    f"MEMCOV_LIBRARY is {wanted}, but {path} is loaded in this process already "
                    "(an instrumented module was loaded first): using the loaded copy, since "
                    "one process must hold one runtime",
                    RuntimeWarning,
                    stacklevel=3,
                )
            return loaded
        try:
            return ctypes.CDLL(wanted, mode=mode)
        except OSError as e:
            raise OSError(f"cannot load MEMCOV_LIBRARY={wanted}: {e}") from e
    if loaded is not None:
        return loaded
    tried = []
    for path in _candidates():
        tried.append(path)
        if os.sep in path and not os.path.exists(path):
            continue
        try:
            return ctypes.CDLL(path, mode=mode)
        except OSError:
            continue
    raise OSError(
        "libmemcov.so not found: set MEMCOV_LIBRARY to its path, or run ./build.sh build "
        f"(looked at: {', '.join(tried) or 'nothing'})"
    )


def _declare(lib):
    for name, (restype, argtypes) in PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


_lib = None


def load():
    """The process's libmemcov.so as a ctypes.CDLL with every prototype declared.

    Loaded once, on first use; raises OSError when no library can be found.
    """
    global _lib
    if _lib is None:
        _lib = _declare(_open())
    return _lib


def path():
    """The file the loaded runtime was mapped from (None if /proc/self/maps says nothing)."""
    return _path_of(load())


def encode_name(name):
    """A region name as the bytes C receives; rejects what C could not see whole."""
    from .errors import MCOV_E_INVALID_NAME, MemcovError

    if isinstance(name, str):
        data = name.encode("utf-8", "surrogateescape")
    elif isinstance(name, (bytes, bytearray)):
        data = bytes(name)
    else:
        raise TypeError(f"a region name is a str or bytes, not {type(name).__name__}")
    if b"\0" in data:
        # C would stop at the NUL and validate (and use) only the part before it.
        raise MemcovError(MCOV_E_INVALID_NAME, f"invalid region name {name!r}: it contains a NUL byte")
    return data
