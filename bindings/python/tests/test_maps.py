"""Offline maps from Python: a serialized view is a map file that memcov.maps reads, maps of
different processes combine by module identity, what Python writes loads back into a process,
and the ctypes mirrors have the layout the C headers assert."""

import concurrent.futures
import ctypes
import multiprocessing
import os
import re
import tempfile
import unittest

import memcov
from memcov.library import MapSummary, ModuleEntry

from . import support, workers

ROOT = os.path.dirname(os.path.dirname(support.TOP))


def pool():
    return concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))


class LayoutTest(unittest.TestCase):
    def test_ctypes_mirrors_match_the_headers_asserts(self):
        text = ""
        for header in ("memcov_region.h", "memcov_files.h"):
            with open(os.path.join(ROOT, "native", "include", header)) as f:
                text += f.read()
        mirrors = {"mcov_module_entry": ModuleEntry, "mcov_map_summary": MapSummary}
        checked = 0
        for struct, field, offset in re.findall(
                r"MCOV_STATIC_ASSERT\(__builtin_offsetof\((\w+),\s*(\w+)\)\s*==\s*(\d+)", text):
            if struct in mirrors:
                self.assertEqual(getattr(mirrors[struct], field).offset, int(offset), f"{struct}.{field}")
                checked += 1
        for struct, size in re.findall(r"MCOV_STATIC_ASSERT\(sizeof\((\w+)\)\s*==\s*(\d+)", text):
            if struct in mirrors:
                self.assertEqual(ctypes.sizeof(mirrors[struct]), int(size), struct)
                checked += 1
        self.assertGreaterEqual(checked, 10)


class MapsTest(support.RegionTestCase):
    def serialized(self, tag, indices):
        name = self.region(tag)
        memcov.create(name, 1 << 16)
        memcov.detach()
        with pool() as ex:
            return name, ex.submit(workers.serialize_inputs, name, list(indices)).result(timeout=60)

    def test_a_serialized_view_is_a_map_that_python_reads(self):
        name, blob = self.serialized("view", range(12))
        modules = memcov.maps.loads(blob)
        self.assertEqual(len(modules), 2)
        self.assertEqual(sorted(os.path.basename(m.path)[:15] for m in modules),
                         ["libmcov_sample_", "libmcov_sample_"])
        memcov.attach(name)
        self.assertEqual(sum(m.covered() for m in modules), memcov.covered())
        memcov.detach()
        # Equal maps make equal files: Python's writer gives back the runtime's bytes.
        self.assertEqual(memcov.maps.dumps(modules), blob)

    def test_halves_combine_into_the_union_and_load_into_a_process(self):
        ref = support.reference()
        _, first = self.serialized("first", range(12))
        _, second = self.serialized("second", range(12, 24))
        union = memcov.maps.union(memcov.maps.loads(first), memcov.maps.loads(second))
        self.assertEqual(sum(m.covered() for m in union), ref.count)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "union.mcovmap")
            memcov.maps.save(path, union)
            self.assertEqual(memcov.maps.load(path), union)
            with open(path, "rb") as f:
                data = f.read()
        name = self.region("loaded")
        memcov.create(name, 1 << 16)
        memcov.detach()
        with pool() as ex:
            hitmap = ex.submit(workers.deserialize_into, name, data).result(timeout=60)
        self.assertEqual(hitmap, ref.hitmap)

    def test_bad_input_is_refused(self):
        with self.assertRaises(TypeError):
            memcov.maps.loads(12345)
        with self.assertRaises(TypeError):
            memcov.deserialize(12345)
        with self.assertRaises(memcov.MemcovError) as cm:
            memcov.maps.loads(b"MCOVMAPF\x02\0\0\0" + bytes(100))
        self.assertEqual(cm.exception.code, memcov.MCOV_E_CORRUPT)

    def test_save_replaces_only_regular_files_and_never_writes_through_a_link(self):
        _, blob = self.serialized("save", range(4))
        modules = memcov.maps.loads(blob)
        with tempfile.TemporaryDirectory() as tmp:
            fifo = os.path.join(tmp, "fifo")
            os.mkfifo(fifo)
            with self.assertRaises(OSError):
                memcov.maps.save(fifo, modules)
            self.assertTrue(os.path.exists(fifo) and not os.path.isfile(fifo))
            with self.assertRaises(OSError):
                memcov.maps.save(tmp, modules)
            target = os.path.join(tmp, "target")
            with open(target, "w") as f:
                f.write("untouched")
            link = os.path.join(tmp, "link")
            os.symlink(target, link)
            memcov.maps.save(link, modules)
            with open(target) as f:
                self.assertEqual(f.read(), "untouched")
            self.assertFalse(os.path.islink(link))
            self.assertEqual(memcov.maps.load(link), modules)
            self.assertEqual(sorted(os.listdir(tmp)), ["fifo", "link", "target"])


if __name__ == "__main__":
    unittest.main()
