"""One offline map format across C, Python, .NET and the memcov command: a region's coverage
written by the C runtime (serialize_mem_coverage), read and written again by Python (memcov.maps),
by the .NET library behind the memcov command (merge, import, export), and loaded back by the C
runtime (deserialize_mem_coverage) is the coverage the region had, edge for edge. `memcov import`
takes a serialize blob, of today and of version 1; the memcov fork's legacy blob is refused with
one line that says why.

    MEMCOV_CLI=artifacts/cli/memcov MEMCOV_SAMPLE_DIR=artifacts/samples python3 -m unittest tests/cli/test_offline_maps.py
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = os.environ.get("MEMCOV_CLI") or str(ROOT / "artifacts" / "cli" / "memcov")
SAMPLES = Path(os.environ.get("MEMCOV_SAMPLE_DIR") or ROOT / "artifacts" / "samples")
LIBRARY = str(ROOT / "artifacts" / "native" / "libmemcov.so.2")
sys.path.insert(0, str(ROOT / "bindings" / "python"))

# A child that speaks to libmemcov through ctypes alone, as the memcov fork's users do.
C_SIDE = r"""
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1], mode=ctypes.RTLD_GLOBAL)
lib.serialize_mem_coverage.restype = ctypes.POINTER(ctypes.c_uint8)
lib.mcov_last_error.restype = ctypes.c_char_p
what, region, path = sys.argv[2:5]
if what == "load":
    ctypes.CDLL(sys.argv[5])  # the sample module registers: the map has a module to load into
if lib.mcov_attach(region.encode()) != 0:
    sys.exit(lib.mcov_last_error().decode())
if what == "save":
    size = ctypes.c_size_t()
    blob = lib.serialize_mem_coverage(ctypes.byref(size))
    open(path, "wb").write(ctypes.string_at(blob, size.value))
else:
    data = open(path, "rb").read()
    buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    lib.deserialize_mem_coverage(buf, len(data))
    if lib.mcov_last_error():
        sys.exit(lib.mcov_last_error().decode())
    total = lib.mcov_get_total()
    hitmap = ctypes.create_string_buffer(total)
    lib.mcov_copy_hitmap(hitmap)
    sys.stdout.write(hitmap.raw.hex())
"""


def memcov(*args, ok=True):
    out = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)
    if ok and out.returncode != 0:
        raise AssertionError(f"memcov {' '.join(args)} exited {out.returncode}: {out.stderr}")
    return out


def c_side(*args):
    out = subprocess.run([sys.executable, "-c", C_SIDE, LIBRARY, *args], capture_output=True, text=True,
                         timeout=60, env=dict(os.environ, MEMCOV_QUIET="1"))
    if out.returncode != 0:
        raise AssertionError(f"C side {args} failed: {out.stderr}")
    return out.stdout


class OfflineMapsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="memcov-maps-"))
        self.addCleanup(shutil.rmtree, self.tmp)
        self.regions = []
        self.addCleanup(lambda: [memcov("rm", "--force", r, ok=False) for r in self.regions])

    def region(self, tag):
        name = f"maps-{tag}-{os.getpid()}"
        self.regions.append(name)
        return name

    def stat(self, region):
        return json.loads(memcov("stat", region, "--json").stdout)

    def test_a_map_goes_from_c_to_python_to_dotnet_to_the_cli_and_back_to_c(self):
        import memcov as py
        source = self.region("source")
        corpus = sorted((ROOT / "samples" / "corpus").iterdir())[:60]
        inputs = self.tmp / "inputs"
        inputs.mkdir()
        for f in corpus:
            shutil.copy(f, inputs)
        memcov("run", "--region", source, "--keep", "--inputs", str(inputs), "--", str(SAMPLES / "memcov-sample"), "{}")
        covered = self.stat(source)["covered_edges"]
        self.assertGreater(covered, 200)

        c_map = self.tmp / "c.mcovmap"
        c_side("save", source, str(c_map))                          # C writes
        modules = py.maps.load(c_map)                                # Python reads
        self.assertEqual(sum(m.covered() for m in modules), covered)
        py_map = self.tmp / "python.mcovmap"
        py.maps.save(py_map, modules)                                # Python writes
        merged = self.tmp / "merged.mcovmap"
        memcov("merge", str(py_map), str(c_map), "-o", str(merged))  # .NET reads both, writes
        copy = self.region("copy")
        memcov("import", str(merged), copy)                          # the CLI reads into a region
        self.assertEqual(self.stat(copy)["covered_edges"], covered)
        exported = self.tmp / "exported.mcovmap"
        memcov("export", copy, "-o", str(exported))                  # the CLI writes
        self.assertEqual(exported.read_bytes(), c_map.read_bytes(), "the same coverage gave another file")

        target = self.region("target")
        memcov("create", target)
        hitmap = bytes.fromhex(c_side("load", target, str(exported), str(SAMPLES / "libmemcov_sample.so")))  # C reads
        self.assertEqual(sum(1 for b in hitmap if b), covered)
        diff = json.loads(memcov("diff", source, target, "--json").stdout)
        self.assertEqual(diff["modules"] if isinstance(diff, dict) else diff, [])

    def test_import_takes_serialize_blobs_of_today_and_of_version_1(self):
        import memcov as py
        source = self.region("blob-source")
        memcov("run", "--region", source, "--keep", "--inputs", str(ROOT / "samples" / "corpus"), "--",
               str(SAMPLES / "memcov-sample"), "{}")
        covered = self.stat(source)["covered_edges"]
        blob = self.tmp / "today.blob"
        c_side("save", source, str(blob))
        today = self.region("today")
        memcov("import", str(blob), today)
        self.assertEqual(self.stat(today)["covered_edges"], covered)

        # The same coverage as a blob of version 1: "MCOVBLOB", records of identity and bits.
        records = b""
        for m in py.maps.load(blob):
            bits = bytearray((m.edge_count + 63) // 64 * 8)
            for i, b in enumerate(m.edges):
                if b:
                    bits[i // 8] |= 1 << (i % 8)
            records += struct.pack("<QQIII4x", m.edge_count, m.file_size, m.mode, m.id_kind, len(m.id))
            records += m.id.ljust(32, b"\0") + bytes(bits)
        body = b"MCOVBLOB" + struct.pack("<IIQ", 1, len(py.maps.load(blob)), 24 + len(records) + 8) + records
        h = 0xcbf29ce484222325
        for byte in body:
            h = ((h ^ byte) * 0x100000001b3) & (2**64 - 1)
        old = self.tmp / "v1.blob"
        old.write_bytes(body + struct.pack("<Q", h))
        v1 = self.region("v1")
        memcov("import", str(old), v1)
        self.assertEqual(self.stat(v1)["covered_edges"], covered)

        legacy = self.tmp / "legacy.blob"
        legacy.write_bytes(struct.pack("<II", 3, 4) + b"\x07\0\0\0")
        out = memcov("import", str(legacy), self.region("legacy"), ok=False)
        self.assertEqual(out.returncode, 1)
        lines = out.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, out.stderr)
        self.assertRegex(lines[0], r"^memcov: .*memcov fork.*deserialize_mem_coverage")


if __name__ == "__main__":
    unittest.main()
