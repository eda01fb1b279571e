"""Pools of processes writing into one region add up to the union one process gets,
for every multiprocessing start method, with own views and scopes in the workers, and
when a worker is killed with SIGKILL."""

import multiprocessing
import multiprocessing.forkserver
import os
import time
import unittest

import memcov

from . import support, workers

N = len(workers.INPUTS)
POOL_SIZE = 4


class PoolUnionMixin:
    method = None
    samples = "callback"

    def setUp(self):
        super().setUp()
        support.use_samples(self, self.samples)
        if self.method not in multiprocessing.get_all_start_methods():
            self.skipTest(f"start method {self.method} is not available")
        # Workers must be the only writers: this process loads no instrumented module.
        self.assertEqual(memcov.module_count(), 0)
        self.ref = support.reference()
        self.ctx = multiprocessing.get_context(self.method)

    def start_region(self, tag):
        name = self.region(f"{tag}-{self.method}")
        memcov.create(name, 1 << 16)
        self.assertEqual(os.environ["MEMCOV_REGION"], name)
        if self.method == "forkserver":
            # A forkserver keeps the environment it started with: start one that sees
            # this region's MEMCOV_REGION (the next Pool starts it again).
            multiprocessing.forkserver._forkserver._stop()
        return name

    def pool(self, **kw):
        return self.ctx.Pool(POOL_SIZE, maxtasksperchild=1, **kw)

    def check_states(self, name, states):
        self.assertEqual(sorted(s["index"] for s in states), sorted({s["index"] for s in states}))
        # One task per process: as many writers as tasks.
        self.assertEqual(len({s["pid"] for s in states}), len(states))
        for s in states:
            # Joined through MEMCOV_REGION (spawn, forkserver) or the inherited attachment (fork).
            self.assertEqual(s["region"], name, s)
            self.assertEqual((s["modules"], s["private"]), (2, 0), s)

    def check_union(self, name):
        self.assertEqual(memcov.region_name(), name)
        union = memcov.get_hitmap()
        self.assertEqual(len(union), len(self.ref.hitmap))
        self.assertEqual(bytes(union), self.ref.hitmap, "union differs from the one-process reference")
        self.assertEqual(memcov.covered(), self.ref.count)
        self.assertEqual(memcov.get_total(), self.ref.header["cursor"])
        header = support.read_header(name)
        self.assertEqual((header["modules"], header["edges_dropped"], header["modules_private"]),
                         (self.ref.header["modules"], 0, 0))

    def test_union_equals_one_process(self):
        name = self.start_region("union")
        with self.pool() as pool:
            states = pool.map(workers.run_input, range(N), chunksize=1)
        self.check_states(name, states)
        self.check_union(name)

    def test_own_views_and_scopes_leave_union_intact(self):
        name = self.start_region("views")
        with self.pool() as pool:
            states = pool.map(workers.run_input_scoped, range(N), chunksize=1)
        self.check_states(name, states)
        for s in states:
            own = self.ref.counts[s["index"]]
            self.assertGreater(own, 0, s)
            self.assertEqual(s["own"], own, s)
            self.assertEqual((s["empty"], s["nested_empty"]), (0, 0), s)
            self.assertEqual(s["scoped"], own, s)  # the same input again: the same edges
            self.assertEqual((s["after_pop"], s["after_scope"]), (own, own), s)
        self.check_union(name)

    def test_workers_ending_in_an_own_view_lose_no_edges(self):
        name = self.start_region("own-exit")
        with self.pool() as pool:
            states = pool.map(workers.run_input_in_own_view, range(N), chunksize=1)
        self.check_states(name, states)
        self.check_union(name)

    def test_sigkilled_workers_lose_no_edges(self):
        name = self.start_region("kill")
        killed = set(range(0, N, 3))
        reported = self.ctx.Array("q", N)  # pid of each killed task, written before the kill
        pool = self.ctx.Pool(POOL_SIZE, maxtasksperchild=1, initializer=workers.init_report,
                             initargs=(reported,))
        try:
            pending = {i: pool.apply_async(
                workers.run_input_then_die if i in killed else workers.run_input, (i,))
                for i in range(N)}
            states = [pending[i].get(timeout=60) for i in range(N) if i not in killed]
            deadline = time.monotonic() + 60
            while not all(reported[i] for i in killed):
                self.assertLess(time.monotonic(), deadline, "killed workers did not report")
                time.sleep(0.02)
            pids = [reported[i] for i in killed]
            while not all(support.process_gone(p) for p in pids):
                self.assertLess(time.monotonic(), deadline, "killed workers still alive")
                time.sleep(0.02)
        finally:
            pool.terminate()
            pool.join()
        self.check_states(name, states)
        self.assertTrue(set(pids).isdisjoint(s["pid"] for s in states))
        self.check_union(name)


class SpawnPoolTest(PoolUnionMixin, support.RegionTestCase):
    method = "spawn"


class ForkserverPoolTest(PoolUnionMixin, support.RegionTestCase):
    method = "forkserver"


class ForkPoolTest(PoolUnionMixin, support.RegionTestCase):
    method = "fork"


# The same with the samples built in no-call mode (memcov_instrument(... MODE inline)).
class SpawnPoolInlineTest(PoolUnionMixin, support.RegionTestCase):
    method = "spawn"
    samples = "inline"


class ForkserverPoolInlineTest(PoolUnionMixin, support.RegionTestCase):
    method = "forkserver"
    samples = "inline"


class ForkPoolInlineTest(PoolUnionMixin, support.RegionTestCase):
    method = "fork"
    samples = "inline"


if __name__ == "__main__":
    unittest.main()
