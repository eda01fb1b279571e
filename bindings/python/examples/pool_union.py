#!/usr/bin/env python3
"""Demo: a multiprocessing Pool (spawn) of 4 workers records into one memcov region.

usage: MEMCOV_LIBRARY=.../libmemcov.so python3 pool_union.py PATH/TO/libmcov_sample_a.so

Creates a temporary region, runs a small corpus through the sample library with one task
per worker process, prints the edges each input covers on its own and the union, and
removes the region. The workers join the region through $MEMCOV_REGION, which
memcov.create() sets; none of them calls memcov to do so.
"""

import ctypes
import multiprocessing
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import memcov  # noqa: E402  (the package beside this directory)

CORPUS = [b"1+2", b"(3*4)-5", b"0x1F%7", b"10/0", b"!0 == 1", b"((((1))))", b"2<3", b"-(-7)",
          b"1 +", b"abc", b"0xff*0XAB", b"9%0"]

_run = None


def run_one(job):
    """Worker: run one input; return the edges it covered on its own and the region joined."""
    global _run
    library, data = job
    if _run is None:
        _run = ctypes.CDLL(library).sample_a_run  # joins $MEMCOV_REGION as it registers
        _run.restype = ctypes.c_int64
        _run.argtypes = [ctypes.c_char_p]
    memcov.reset()  # own view: this process's hits from now on (they reach the region too)
    result = _run(data)
    return dict(input=data, result=result, edges=memcov.get_now(), pid=os.getpid(),
                region=memcov.region_name())


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    library = os.path.abspath(argv[1])
    if not os.path.exists(library):
        print(f"no such library: {library}", file=sys.stderr)
        return 2
    name = f"demo-pool-union-{os.getpid()}"
    memcov.create(name, 1 << 16)
    try:
        print(f"region {name} ({memcov.library_path()})")
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(4, maxtasksperchild=1) as pool:
            results = pool.map(run_one, [(library, data) for data in CORPUS], chunksize=1)
        print(f"{'input':<14} {'result':>8} {'edges':>6} {'pid':>8}  region")
        for r in results:
            print(f"{r['input'].decode()!r:<14} {r['result']:>8} {r['edges']:>6} {r['pid']:>8}  "
                  f"{r['region'] or '(none)'}")
        union = memcov.get_hitmap()
        covered = memcov.covered()
        joined = sum(1 for r in results if r["region"] == name)
        print(f"{len(results)} inputs in {len({r['pid'] for r in results})} processes "
              f"({joined} joined the region)")
        print(f"sum of per-input edges: {sum(r['edges'] for r in results)}")
        print(f"union: {covered} edges covered of {len(union)} slots")
        if joined != len(results) or covered == 0:
            print("some workers did not record into the region", file=sys.stderr)
            return 1
        return 0
    finally:
        memcov.detach()
        memcov.remove(name)
        print(f"region {name} removed")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
