"""Shared test support: region names that are removed afterwards, a leak check, reading a
region's header straight from its file, and the one-process reference union."""

import json
import os
import struct
import subprocess
import sys
import unittest

import memcov

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # bindings/python
_counter = 0


def shm_dir():
    return os.environ.get("MEMCOV_SHM_DIR") or "/dev/shm"


def region_path(name):
    return os.path.join(shm_dir(), "memcov-" + name)


def name_prefix():
    """Every region these tests create starts with this (the pid keeps runs apart)."""
    return f"py-{os.getpid()}-"


def fresh_name(tag):
    global _counter
    _counter += 1
    return f"{name_prefix()}{tag}-{_counter}"


def leaked_regions():
    """Region files, and lanes files, of this test process's regions still in the directory."""
    prefixes = ("memcov-" + name_prefix(), ".memcov-lanes-" + name_prefix())
    return sorted(f for f in os.listdir(shm_dir()) if f.startswith(prefixes))


def read_header(name):
    """The header fields of region ``name`` as memcov_region.h lays them out, read from the
    file (independent of the runtime): kind, cursor, module_count, edges_dropped, modules_private."""
    with open(region_path(name), "rb") as f:
        head = f.read(256)
    assert head[:8] == b"MEMCOVRG", head[:8]
    kind, = struct.unpack_from("<I", head, 32)
    cursor, _registered, dropped, private, modules = struct.unpack_from("<QQQII", head, 64)
    return dict(kind=kind, cursor=cursor, modules=modules, edges_dropped=dropped, modules_private=private)


def read_modules(name):
    """The published entries of region ``name``'s module table, read from the file:
    base, edge_count and path of each published module, in table order."""
    with open(region_path(name), "rb") as f:
        head = f.read(256)
        table_offset, = struct.unpack_from("<Q", head, 40)
        count, = struct.unpack_from("<I", head, 92)
        modules = []
        for i in range(count):
            f.seek(table_offset + 256 * i)
            entry = f.read(256)
            base, edge_count = struct.unpack_from("<QQ", entry, 0)
            path = entry[72:].split(b"\0", 1)[0].decode("utf-8", "replace")
            modules.append(dict(base=base, edge_count=edge_count, path=path))
    return modules


def child_env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = TOP + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("MEMCOV_REGION", None)
    env.update(extra)
    return env


class Reference:
    """The union one process gets running every input, and each input's own edge count."""

    def __init__(self, hitmap, counts, header):
        self.hitmap = hitmap
        self.counts = counts
        self.header = header
        self.count = sum(1 for b in hitmap if b)


_references = {}


def samples():
    """Which sample builds the workers load: "callback" or "inline" ($MEMCOV_TEST_SAMPLES)."""
    return os.environ.get("MEMCOV_TEST_SAMPLES") or "callback"


def reference():
    """Computed once per test process and sample build, in a fresh subprocess attached to a
    fresh region."""
    if samples() not in _references:
        name = fresh_name("ref")
        memcov.create(name, 1 << 16)
        try:
            memcov.detach()  # the reference process alone writes into it
            out = subprocess.run(
                [sys.executable, "-m", "tests.workers", "reference", name],
                env=child_env(), cwd=TOP, capture_output=True, text=True, timeout=60)
            if out.returncode != 0:
                raise AssertionError(f"reference run failed ({out.returncode}): {out.stderr}")
            result = json.loads(out.stdout)
            assert result["region"] == name and result["private"] == 0, result
            header = read_header(name)
            memcov.attach(name)
            hitmap = memcov.get_hitmap()
            memcov.detach()
        finally:
            memcov.remove(name)
        assert len(hitmap) == header["cursor"], (len(hitmap), header)
        _references[samples()] = Reference(bytes(hitmap), result["counts"], header)
    return _references[samples()]


def process_gone(pid):
    """True once pid has exited (reaped, or a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


def use_samples(test, samples):
    """$MEMCOV_TEST_SAMPLES = samples for the test, as it was after it."""
    test.addCleanup(_restore_var, "MEMCOV_TEST_SAMPLES", os.environ.get("MEMCOV_TEST_SAMPLES"))
    os.environ["MEMCOV_TEST_SAMPLES"] = samples


def _restore_var(name, value):
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


class RegionTestCase(unittest.TestCase):
    """Hands out region names, removes each one afterwards, and checks none leaked."""

    def setUp(self):
        # Cleanups run last-in first-out: this one runs after every region's removal.
        self.addCleanup(self._check_no_leaks)
        self.addCleanup(_restore_var, "MEMCOV_REGION", os.environ.get("MEMCOV_REGION"))

    def region(self, tag):
        name = fresh_name(tag)
        self.addCleanup(self._drop, name)
        return name

    def _drop(self, name):
        if memcov.region_name() == name:
            memcov.detach()
        memcov.remove(name)

    def _check_no_leaks(self):
        self.assertEqual(leaked_regions(), [], "regions left behind")
