"""The wrapper's calls in this process and in one child process: regions, errors, views,
hitmaps and blobs, and finding the library."""

import concurrent.futures
import json
import multiprocessing
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import unittest

import memcov

from . import support, workers


class RegionCallsTest(support.RegionTestCase):
    def test_create_attaches_and_sets_environ(self):
        name = self.region("create")
        os.environ.pop("MEMCOV_REGION", None)
        memcov.create(name, 1)
        self.assertEqual(os.environ["MEMCOV_REGION"], name)
        self.assertTrue(memcov.is_attached())
        self.assertEqual(memcov.region_name(), name)
        self.assertTrue(os.path.exists(support.region_path(name)))
        self.assertEqual(support.read_header(name)["cursor"], 0)
        self.assertEqual(memcov.get_total(), 0)
        self.assertEqual(memcov.get_hitmap(), bytearray())

    def test_create_counts_makes_a_hit_count_region(self):
        flags, counts = self.region("flags"), self.region("counts")
        memcov.create(flags, 4096)
        memcov.create(counts, 4096, counts=True)
        self.assertEqual(support.read_header(flags)["kind"], 1)
        self.assertEqual(support.read_header(counts)["kind"], 2)
        self.assertEqual(memcov.region_name(), counts)
        with self.assertRaises(TypeError):
            memcov.create(self.region("badkind"), 4096, counts=1)

    def test_create_existing_raises_exists(self):
        name = self.region("exists")
        memcov.create(name, 4096)
        with self.assertRaises(memcov.MemcovError) as cm:
            memcov.create(name, 4096)
        self.assertEqual(cm.exception.code, memcov.MCOV_E_EXISTS)
        self.assertIn(name, cm.exception.message)

    def test_bad_names_raise(self):
        bad = ["", "bad/name", ".hidden", "-dash", "_under", "a" * 201, "sp ace", "ünïcode",
               "../etc", "a\0b", b"x/y"]
        calls = [lambda n: memcov.create(n, 4096), memcov.attach, memcov.remove,
                 memcov.reset_region]
        before = sorted(os.listdir(support.shm_dir()))
        for name in bad:
            for call in calls:
                with self.subTest(name=name, call=call), self.assertRaises(memcov.MemcovError) as cm:
                    call(name)
                self.assertEqual(cm.exception.code, memcov.MCOV_E_INVALID_NAME)
                self.assertTrue(cm.exception.message)
                self.assertIn("MCOV_E_INVALID_NAME", str(cm.exception))
        self.assertEqual(sorted(os.listdir(support.shm_dir())), before)
        with self.assertRaises(TypeError):
            memcov.attach(42)

    def test_longest_name_is_valid(self):
        name = self.region("long")
        name = name + "x" * (200 - len(name))
        self.addCleanup(memcov.remove, name)
        memcov.create(name, 4096)
        self.assertEqual(memcov.region_name(), name)
        memcov.detach()
        self.assertTrue(memcov.remove(name))

    def test_capacity_out_of_range_raises_invalid_arg(self):
        for capacity in (0, (1 << 32) + 1, -1, 1 << 64):
            with self.subTest(capacity=capacity), self.assertRaises(memcov.MemcovError) as cm:
                memcov.create(self.region("cap"), capacity)
            self.assertEqual(cm.exception.code, memcov.MCOV_E_INVALID_ARG)
            # The message names the capacity given, not what C would have seen.
            self.assertIn(f"capacity of {capacity} edges", cm.exception.message)

    def test_remove_missing_returns_false(self):
        name = self.region("missing")
        self.assertFalse(memcov.remove(name))
        memcov.create(name, 4096)
        memcov.detach()
        self.assertEqual(os.environ["MEMCOV_REGION"], name)
        self.assertTrue(memcov.remove(name))
        self.assertNotIn("MEMCOV_REGION", os.environ)  # no child could join it
        self.assertFalse(memcov.remove(name))

    def test_missing_region_raises_not_found(self):
        name = self.region("nf")
        for call in (memcov.attach, memcov.reset_region):
            with self.subTest(call=call), self.assertRaises(memcov.MemcovError) as cm:
                call(name)
            self.assertEqual(cm.exception.code, memcov.MCOV_E_NOT_FOUND)

    def test_detach(self):
        memcov.create(self.region("detach"), 4096)
        memcov.detach()
        self.assertFalse(memcov.is_attached())
        self.assertEqual(memcov.region_name(), "")
        memcov.detach()  # again: nothing happens

    def test_error_pickles(self):
        e = memcov.MemcovError(memcov.MCOV_E_NOT_FOUND, "no region 'x'")
        f = pickle.loads(pickle.dumps(e))
        self.assertEqual((f.code, f.message, str(f)), (e.code, e.message, str(e)))

    def test_bad_blob_raises(self):
        for data in (b"", b"xx", b"MCOVBLOB" + bytes(16)):
            with self.subTest(data=data), self.assertRaises(memcov.MemcovError) as cm:
                memcov.deserialize(data)
            self.assertEqual(cm.exception.code, memcov.MCOV_E_CORRUPT)


class OneProcessTest(support.RegionTestCase):
    """Views, hitmaps and blobs in a fresh (spawned) process that loads the samples."""

    def test_views_hitmaps_blobs(self):
        name = self.region("single")
        os.environ.pop("MEMCOV_REGION", None)
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as ex:
            out = ex.submit(workers.single_process_checks, name).result(timeout=60)
        self.assertFalse(out["attached_at_start"])
        self.assertEqual(out["total"], out["hitmap_len"])
        self.assertGreater(out["now"], 0)
        self.assertEqual(out["hitmap_set"], out["now"])
        self.assertEqual(out["blob_magic"], "MCOVMAPF")
        self.assertEqual(out["after_reset"], 0)
        self.assertEqual(out["after_deserialize"], out["now"])
        self.assertTrue(out["same_after_deserialize"])
        self.assertEqual(out["after_set_hitmap"], out["now"])
        self.assertTrue(out["same_after_set_hitmap"])
        self.assertEqual(out["set_hitmap_too_long"], "ValueError")
        self.assertEqual(out["truncated_blob"], memcov.MCOV_E_CORRUPT)
        self.assertEqual((out["region"], out["private_after_create"]), (name, 0))
        self.assertEqual(out["covered_own_view"], out["now"])
        self.assertEqual(out["region_after_reset_region"], out["now"])
        self.assertEqual((out["attached_after_detach"], out["name_after_detach"]), (False, ""))
        self.assertEqual((out["removed"], out["removed_again"]), (True, False))

    def test_part_of_the_inputs_is_not_the_union(self):
        # The comparison of the pool tests can fail: half the inputs cover less.
        ref = support.reference()
        name = self.region("half")
        memcov.create(name, 1 << 16)
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as ex:
            state = ex.submit(workers.run_inputs, range(0, len(workers.INPUTS), 2)).result(60)
        self.assertEqual(state["region"], name)
        half = memcov.get_hitmap()
        self.assertEqual(len(half), len(ref.hitmap))
        self.assertLess(memcov.covered(), ref.count)
        self.assertTrue(all(r or not h for h, r in zip(half, ref.hitmap)), "half is a subset")


class LibraryTest(unittest.TestCase):
    def test_library_is_memcov_library(self):
        wanted = os.environ.get("MEMCOV_LIBRARY")
        if not wanted:
            self.skipTest("MEMCOV_LIBRARY is not set")
        self.assertTrue(os.path.samefile(memcov.library_path(), wanted))

    def test_loaded_copy_wins_over_a_second_copy(self):
        # An instrumented module loaded before the package brought its own libmemcov.so
        # (through its RUNPATH): the package must use that copy, not load a second one.
        with tempfile.TemporaryDirectory() as tmp:
            other = os.path.join(tmp, "libmemcov.so")
            shutil.copy(memcov.library_path(), other)
            script = (
                "import ctypes, json, os, warnings\n"
                "lib = ctypes.CDLL(os.path.join(os.environ['MEMCOV_TEST_LIBDIR'], 'libmcov_sample_a.so'))\n"
                "with warnings.catch_warnings(record=True) as w:\n"
                "    warnings.simplefilter('always')\n"
                "    import memcov\n"
                "maps = [l.split()[-1] for l in open('/proc/self/maps') if 'libmemcov.so' in l]\n"
                "print(json.dumps(dict(path=memcov.library_path(), copies=sorted(set(maps)),\n"
                "    warned=[str(x.message) for x in w], modules=memcov.module_count())))\n"
            )
            out = subprocess.run([sys.executable, "-c", script], cwd=support.TOP,
                                 env=support.child_env(MEMCOV_LIBRARY=other),
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stderr)
            result = json.loads(out.stdout)
            self.assertEqual(len(result["copies"]), 1, result)
            self.assertNotEqual(result["path"], other)
            self.assertEqual(result["modules"], 1)  # the sample registered in this runtime
            self.assertTrue(any("loaded" in m for m in result["warned"]), result)


if __name__ == "__main__":
    unittest.main()
