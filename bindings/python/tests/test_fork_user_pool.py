"""A multiprocessing spawn pool whose workers use memcov the fork's way, through ctypes: each
worker resets its own view, runs an input and counts it, then runs more inputs with no memcov call
and ends — returning, killed by Pool.terminate() at the end of a with block, or with os._exit. No
edge of any worker may be missing from the region: the own views of no-call modules are lanes,
shared memory that outlives the worker."""

import multiprocessing
import os
import time
import unittest

import memcov

from . import fork_user_workers, support, workers

N = len(workers.INPUTS)
POOL_SIZE = 4


def tasks():
    """Each task: two inputs with the fork's calls, then two with none; every input once."""
    order = list(range(N))
    return [(order[i:i + 2], order[i + 2:i + 4]) for i in range(0, N, 4)]


class ForkUserPoolMixin:
    samples = "inline"

    def setUp(self):
        super().setUp()
        support.use_samples(self, self.samples)
        self.assertEqual(memcov.module_count(), 0)
        self.ref = support.reference()
        self.ctx = multiprocessing.get_context("spawn")
        self.name = self.region("fork-user")
        memcov.create(self.name, 1 << 16)  # sets MEMCOV_REGION for the workers

    def check_union(self):
        self.assertEqual(bytes(memcov.get_hitmap()), self.ref.hitmap,
                         "the region misses edges the workers hit")
        self.assertEqual(memcov.covered(), self.ref.count)

    def check_counts(self, results):
        for pid, counts in results:
            self.assertEqual(len(counts), 2)
            self.assertTrue(all(c > 0 for c in counts), (pid, counts))

    def test_pool_closed_and_joined(self):
        pool = self.ctx.Pool(POOL_SIZE, maxtasksperchild=1)
        results = pool.map(fork_user_workers.reset_run_count_then_more, tasks(), chunksize=1)
        pool.close()
        pool.join()
        self.check_counts(results)
        self.check_union()

    def test_pool_left_by_with_terminates_workers(self):
        with self.ctx.Pool(POOL_SIZE, maxtasksperchild=1) as pool:
            results = pool.map(fork_user_workers.reset_run_count_then_more, tasks(), chunksize=1)
        self.check_counts(results)
        self.check_union()

    def test_workers_ending_with_os_exit(self):
        work = tasks()
        done = self.ctx.Array("q", len(work))
        pool = self.ctx.Pool(POOL_SIZE, maxtasksperchild=1,
                             initializer=fork_user_workers.init_done, initargs=(done,))
        try:
            for slot, task in enumerate(work):
                pool.apply_async(fork_user_workers.reset_run_count_then_more_and_exit, ((slot, task),))
            deadline = time.monotonic() + 60
            while not all(done[:]):
                self.assertLess(time.monotonic(), deadline, "workers did not finish")
                time.sleep(0.02)
            for pid in done[:]:
                while not support.process_gone(pid):
                    self.assertLess(time.monotonic(), deadline, f"worker {pid} still runs")
                    time.sleep(0.02)
        finally:
            pool.terminate()
            pool.join()
        self.check_union()


class ForkUserPoolInlineTest(ForkUserPoolMixin, support.RegionTestCase):
    samples = "inline"


class ForkUserPoolCallbackTest(ForkUserPoolMixin, support.RegionTestCase):
    samples = "callback"


if __name__ == "__main__":
    unittest.main()
