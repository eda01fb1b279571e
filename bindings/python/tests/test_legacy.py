"""The memcov fork's README usage works unchanged on an instrumented library's handle."""

import json
import os
import subprocess
import sys
import unittest

from . import support, workers

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "legacy_fork_user.py")
INPUTS = [i.decode() for i in workers.INPUTS[:8]]


class LegacyForkUsageTest(support.RegionTestCase):
    def run_legacy(self, **env):
        out = subprocess.run([sys.executable, SCRIPT, workers.sample_path("a"), *INPUTS],
                             env=support.child_env(**env), capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def check(self, r):
        self.assertGreater(r["now"], 0, r)
        self.assertEqual(r["set_bytes"], r["now"], r)
        self.assertEqual(r["blob_magic"], "MCOVMAPF", r)
        self.assertEqual(r["now_after_reset"], 0, r)
        self.assertEqual(r["now_after_load"], r["now"], r)
        self.assertTrue(r["same_after_load"], r)
        self.assertEqual(r["now_after_set"], r["now"], r)

    def test_private(self):
        r = self.run_legacy()
        self.check(r)
        self.assertGreaterEqual(r["total"], r["now"])

    def test_in_a_region(self):
        import memcov
        name = self.region("legacy")
        memcov.create(name, 1 << 16)
        memcov.detach()
        r = self.run_legacy(MEMCOV_REGION=name)
        self.check(r)
        self.assertEqual(r["total"], support.read_header(name)["cursor"])
        self.assertEqual(support.read_header(name)["modules"], 1)


if __name__ == "__main__":
    unittest.main()
