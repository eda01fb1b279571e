#!/usr/bin/env python3
"""Gathering the coverage of Python multiprocessing spawn workers, two ways.

    gather_python.py serialize|region MODULE EDGES WORKERS PARALLEL

Each worker is a fresh process of a spawn Pool (PARALLEL at a time, one task each) that loads
MODULE, an instrumented library of EDGES edges (bench/native/spawn_module.c), and makes 65536
pseudo-random hits through it (seed: the worker's number), then:
  serialize  memcov's way: the worker records privately, writes memcov.serialize() to a file;
             when all are done, the parent (which loaded MODULE too, before the clock: memcov's
             blobs go into modules of the parent's) memcov.deserialize()s every file and counts.
  region     Memcov's way: memcov.create() set MEMCOV_REGION, so each worker's module registers
             straight into the region, with no memcov call in the worker; the parent counts.
Prints one line: mode=M edges=E workers=W covered=C parent_ns=P wall_ns=T
parent_ns is the parent's work once the pool's tasks are done; wall_ns runs from the pool's
start (and the region's creation) to the count. MEMCOV_LIBRARY names the libmemcov MODULE links.
"""

import ctypes
import multiprocessing
import os
import shutil
import sys
import tempfile
import time

HITS_PER_WORKER = 65536
_module = None


def _load(path):
    lib = ctypes.CDLL(path)
    lib.bench_module_hits.argtypes = [ctypes.c_uint64, ctypes.c_uint32]
    lib.bench_module_hits.restype = None
    return lib


def region_worker(job):
    path, seed = job
    global _module
    _module = _load(path)  # joins $MEMCOV_REGION as it registers
    _module.bench_module_hits(seed, HITS_PER_WORKER)
    return 0


def serialize_worker(job):
    path, seed, out_dir = job
    global _module
    _module = _load(path)
    _module.bench_module_hits(seed, HITS_PER_WORKER)
    import memcov  # noqa: E402  (what the worker needs only here)
    blob = memcov.serialize()
    with open(os.path.join(out_dir, str(seed)), "wb") as f:
        f.write(blob)
    return 0


def main(argv):
    if len(argv) != 6 or argv[1] not in ("serialize", "region"):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    mode, path, edges, workers, parallel = argv[1], os.path.abspath(argv[2]), int(argv[3]), int(argv[4]), int(argv[5])
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings", "python"))
    import memcov  # noqa: E402
    ctx = multiprocessing.get_context("spawn")
    if mode == "region":
        name = f"bench-gather-py-{os.getpid()}"
        t0 = time.perf_counter_ns()
        memcov.create(name, edges)
        try:
            with ctx.Pool(parallel, maxtasksperchild=1) as pool:
                pool.map(region_worker, [(path, w + 1) for w in range(workers)], chunksize=1)
            t1 = time.perf_counter_ns()
            covered = memcov.covered()
            t2 = time.perf_counter_ns()
        finally:
            memcov.detach()
            memcov.remove(name)
    else:
        _load(path)  # the parent's copy of the module, for the blobs to go into
        out_dir = tempfile.mkdtemp(prefix="bench-gather-py-", dir="/dev/shm")
        try:
            t0 = time.perf_counter_ns()
            with ctx.Pool(parallel, maxtasksperchild=1) as pool:
                pool.map(serialize_worker, [(path, w + 1, out_dir) for w in range(workers)], chunksize=1)
            t1 = time.perf_counter_ns()
            for w in range(workers):
                with open(os.path.join(out_dir, str(w + 1)), "rb") as f:
                    memcov.deserialize(f.read())
            covered = memcov.covered()
            t2 = time.perf_counter_ns()
        finally:
            shutil.rmtree(out_dir)
    print(f"mode={mode} edges={edges} workers={workers} covered={covered} parent_ns={t2 - t1} wall_ns={t2 - t0}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
