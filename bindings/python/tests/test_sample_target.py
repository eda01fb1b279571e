"""The sample target (samples/): memcov-sample run once per input, as exec'd workers that
join a region through MEMCOV_REGION. Parallel workers add up to the sequential run, and a
worker that aborts or hangs has already recorded the edges it reached."""

import concurrent.futures
import os
import signal
import subprocess
import unittest

import memcov

from . import support

REPO = os.path.dirname(os.path.dirname(support.TOP))
SAMPLE_DIR = os.environ.get("MEMCOV_SAMPLE_DIR") or os.path.join(REPO, "artifacts", "samples")
DRIVER = os.path.join(SAMPLE_DIR, "memcov-sample")
CORPUS = os.path.join(REPO, "samples", "corpus")
CORPUS_BAD = os.path.join(REPO, "samples", "corpus-bad")
JOBS = 4
# Each corpus input runs in milliseconds; the bound only keeps a broken build from
# stalling the suite.
RUN_TIMEOUT = 30
# How long a hanging input runs before the test kills it (its edges come long before).
HANG_TIMEOUT = 2
CAPACITY = 1 << 16


def corpus_files():
    return sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS))


def run_driver(region, path=None, stdin=b"", timeout=RUN_TIMEOUT):
    """memcov-sample on ``path`` (or on ``stdin`` when path is None), joined to ``region``."""
    args = [DRIVER] if path is None else [DRIVER, path]
    return subprocess.run(args, input=stdin if path is None else None,
                          stdin=subprocess.DEVNULL if path is not None else None,
                          env=support.child_env(MEMCOV_REGION=region, MEMCOV_QUIET="0"),
                          capture_output=True, timeout=timeout)


class SampleTargetTest(support.RegionTestCase):

    @classmethod
    def setUpClass(cls):
        if not os.access(DRIVER, os.X_OK):
            raise AssertionError(f"{DRIVER} is missing: build it with ./build.sh build "
                                 "(or set MEMCOV_SAMPLE_DIR)")

    def setUp(self):
        super().setUp()
        # Only the workers write: this process loads no instrumented module.
        self.assertEqual(memcov.module_count(), 0)

    def new_region(self, tag):
        name = self.region(tag)
        memcov.create(name, CAPACITY)
        memcov.detach()
        return name

    def edges(self, name):
        """The set of edge slots region ``name`` holds."""
        memcov.attach(name)
        try:
            hitmap = bytes(memcov.get_hitmap())
        finally:
            memcov.detach()
        return {i for i, b in enumerate(hitmap) if b}

    def check_one_sample_module(self, name):
        modules = support.read_modules(name)
        self.assertEqual(len(modules), 1, modules)
        self.assertEqual(os.path.basename(modules[0]["path"]), "libmemcov_sample.so")
        header = support.read_header(name)
        self.assertEqual((header["edges_dropped"], header["modules_private"]), (0, 0), header)
        return modules[0]

    def check_ran(self, result, path):
        self.assertEqual(result.returncode, 0, f"{path}: {result.stderr.decode(errors='replace')}")
        self.assertNotIn(b"memcov:", result.stderr, path)

    def test_parallel_union_equals_sequential_run(self):
        files = corpus_files()
        self.assertGreaterEqual(len(files), 100)

        sequential = self.new_region("seq")
        memcov.attach(sequential)
        growth = []
        for path in files:
            self.check_ran(run_driver(sequential, path), path)
            growth.append(memcov.covered())
        memcov.detach()

        parallel = self.new_region("par")

        def batch(paths):
            return [(p, run_driver(parallel, p)) for p in paths]

        with concurrent.futures.ThreadPoolExecutor(JOBS) as pool:
            for results in pool.map(batch, [files[i::JOBS] for i in range(JOBS)]):
                for path, result in results:
                    self.check_ran(result, path)

        module = self.check_one_sample_module(sequential)
        self.assertEqual(support.read_modules(parallel), [module])
        seq_edges, par_edges = self.edges(sequential), self.edges(parallel)
        self.assertEqual(par_edges, seq_edges, "the parallel union differs from the sequential run")
        self.assertGreater(len(seq_edges), 300)
        self.assertLessEqual(len(seq_edges), module["edge_count"])
        # Inputs reach different edges: coverage keeps growing across the corpus.
        grew = sum(1 for before, after in zip(growth, growth[1:]) if after > before)
        self.assertGreater(grew, len(files) // 4, growth)

    def bad_input_edges(self, name, expect_timeout):
        """Runs samples/corpus-bad/NAME and three controls, each in a fresh region.

        The controls use the same first line as their counterpart, so the directive check
        takes the same path: the bad input's control is its directive and the comment line
        after it, the normal controls are the body (the input without its directive line)
        and the body's comment line alone. The edges the bad input adds over its control
        must be exactly those the body adds over its comment line: everything the body
        reached before the abort or the hang. (The controls also reach a few edges the
        longer inputs skip, such as an empty program's, so neither set contains the other.)"""
        with open(os.path.join(CORPUS_BAD, name), "rb") as f:
            text = f.read()
        directive, comment, rest = text.split(b"\n", 2)
        self.assertTrue(comment.startswith(b"#") and rest, text)

        def run_bad(tag, path=None, stdin=b""):
            region = self.new_region(tag)
            if expect_timeout:
                with self.assertRaises(subprocess.TimeoutExpired, msg=f"{tag} did not hang") as cm:
                    run_driver(region, path, stdin, HANG_TIMEOUT)  # killed at the timeout
                stdout = cm.exception.stdout or b""
            else:
                result = run_driver(region, path, stdin)
                self.assertEqual(result.returncode, -signal.SIGABRT, f"{tag}: {result.stderr}")
                stdout = result.stdout
            self.check_one_sample_module(region)
            return stdout, self.edges(region)

        def run_normal(tag, stdin):
            region = self.new_region(tag)
            result = run_driver(region, stdin=stdin)
            self.check_ran(result, tag)
            return result.stdout, self.edges(region)

        bad_out, bad_edges = run_bad("bad", path=os.path.join(CORPUS_BAD, name))
        _, bad_control = run_bad("bad-control", stdin=directive + b"\n" + comment + b"\n")
        body_out, body_edges = run_normal("body", comment + b"\n" + rest)
        _, control_edges = run_normal("control", comment + b"\n")

        # The library flushes the body's output before it aborts or hangs.
        self.assertIn(b"body done", bad_out, "the bad input's body did not finish")
        self.assertEqual(bad_out, body_out)
        # The bad input and its body differ only where the directive makes the controls
        # differ (the directive check, the abort or the hang); what the body adds is the same.
        self.assertEqual(bad_edges ^ body_edges, bad_control ^ control_edges)
        self.assertEqual(bad_edges - bad_control, body_edges - control_edges)
        self.assertGreater(len(bad_edges - bad_control), 100)

    def test_crash_input_aborts_after_recording_its_edges(self):
        self.bad_input_edges("crash.ms", expect_timeout=False)

    def test_hang_input_is_killed_after_recording_its_edges(self):
        self.bad_input_edges("hang.ms", expect_timeout=True)


if __name__ == "__main__":
    unittest.main()
