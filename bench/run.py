#!/usr/bin/env python3
"""Runs Memcov's benchmarks and writes their tables (markdown) to artifacts/bench/.

    python3 bench/run.py            # everything: ./build.sh bench
    python3 bench/run.py --smoke    # only checks that every benchmark starts and finishes
    python3 bench/run.py --only report,pctable
    python3 bench/run.py --only replay --reps 1

Parts: the recording cost of each build variant of bench/native (native/workload.c), gathering
the coverage of many workers (native/gather.c), the .NET kernels and feed (Memcov.Benchmarks,
BenchmarkDotNet), the speed of `memcov report` on a generated module of 100 000 edges, what
pc-table costs a process at start (native/load_module.c), and how fast `memcov run` replays a
corpus through the sample target in each of its modes, against AFL++'s afl-showmap; the last
three use what ./build.sh build left in artifacts/native, artifacts/cli and artifacts/samples.
Each part writes one table file; results.md joins them with the machine, the command and the date, ready to paste into docs/performance.md.
Standard library only.
"""
import argparse
import concurrent.futures
import ctypes
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The recording variants, timed round-robin in one run. A variant is a bench_<binary> built by
# native/CMakeLists.txt (bench_variant), run with PROCS processes on private maps or one shared
# map. "floor" is the variant it is read against: the empty callback for callback modes; for
# Memcov's no-call mode clang's inline-8bit-counters with Memcov's increment (the same workload
# object code; with flags, the inline bool flag with Memcov's layout plugin), and for AFL++
# clang's own inline bool flag. "view" is main.c's
# optional VIEW [INPUT]: "" records on the base view; "own" opens an own view (mcov_reset) in
# each process before the clock starts, as a fuzzer's worker records; "base 4096" splits the
# work into inputs of 4 KiB (one workload_run each, a workload of its own), and "own 4096" also
# calls mcov_reset before each input, timed.
INPUT = 4096  # bytes per input in the input-split rows: the workload's text once
VARIANTS = [
    # key, label, binary, procs, map, floor, view
    ("plain", "uninstrumented", "plain", 1, "private", None, ""),
    ("counters8", "clang inline-8bit-counters", "counters8", 1, "private", None, ""),
    ("boolflag", "clang inline-bool-flag", "boolflag", 1, "private", None, ""),
    ("boolflag-laid", "clang inline-bool-flag + layout plugin", "boolflag_laid", 1, "private", None, ""),
    ("counters8-laid", "clang inline-8bit-counters + Memcov's increment", "counters8_laid", 1, "private", None, ""),
    ("empty", "trace-pc-guard, empty callback", "empty", 1, "private", None, ""),
    ("afl", "AFL++ afl-clang-fast", "afl", 1, "private", "boolflag", ""),
    ("bitrmw", "memcov bit RMW", "bitrmw", 1, "private", "empty", ""),
    ("memcov", "Memcov callback, private map", "memcov", 1, "private", "empty", ""),
    ("memcov-region", "Memcov callback, region", "memcov", 1, "shared", "empty", ""),
    ("memcov-own", "Memcov callback, private map, own view", "memcov", 1, "private", "empty", "own"),
    ("memcov-own-region", "Memcov callback, region, own view", "memcov", 1, "shared", "empty", "own"),
    ("memcov-counts-region", "Memcov callback, hit-count region", "memcov", 1, "counts", "empty", ""),
    ("nocall", "Memcov no-call, private map", "memcov_nocall", 1, "private", "counters8-laid", ""),
    ("nocall-region", "Memcov no-call, region", "memcov_nocall", 1, "shared", "counters8-laid", ""),
    ("nocall-own", "Memcov no-call, private map, own view", "memcov_nocall", 1, "private", "counters8-laid", "own"),
    ("nocall-own-region", "Memcov no-call, region, own view", "memcov_nocall", 1, "shared", "counters8-laid", "own"),
    ("nocall-flags-region", "Memcov no-call with flags (no plugin), region", "memcov_nocall_flags", 1, "shared",
     "boolflag-laid", ""),
    ("nocall-counts-region", "Memcov no-call, hit-count region", "memcov_nocall", 1, "counts", "counters8-laid", ""),
    ("plain-2", "uninstrumented", "plain", 2, "private", None, ""),
    ("boolflag-2", "clang inline-bool-flag", "boolflag", 2, "private", None, ""),
    ("boolflag-laid-2", "clang inline-bool-flag + layout plugin", "boolflag_laid", 2, "private", None, ""),
    ("counters8-laid-2", "clang inline-8bit-counters + Memcov's increment", "counters8_laid", 2, "private", None, ""),
    ("empty-2", "trace-pc-guard, empty callback", "empty", 2, "private", None, ""),
    ("afl-2", "AFL++ afl-clang-fast", "afl", 2, "private", "boolflag-2", ""),
    ("bitrmw-2", "memcov bit RMW, private maps", "bitrmw", 2, "private", "empty-2", ""),
    ("bitrmw-2-shared", "memcov bit RMW, one shared map", "bitrmw", 2, "shared", "empty-2", ""),
    ("memcov-2", "Memcov callback, private maps", "memcov", 2, "private", "empty-2", ""),
    ("memcov-2-region", "Memcov callback, one region", "memcov", 2, "shared", "empty-2", ""),
    ("memcov-2-own-region", "Memcov callback, one region, own views", "memcov", 2, "shared", "empty-2", "own"),
    ("nocall-2", "Memcov no-call, private maps", "memcov_nocall", 2, "private", "counters8-laid-2", ""),
    ("nocall-2-region", "Memcov no-call, one region", "memcov_nocall", 2, "shared", "counters8-laid-2", ""),
    ("nocall-2-own-region", "Memcov no-call, one region, own views", "memcov_nocall", 2, "shared", "counters8-laid-2", "own"),
    # Inputs of 4 KiB: the base view, and mcov_reset before each input (what a fuzzer does).
    ("empty-in", "trace-pc-guard, empty callback, 4 KiB inputs", "empty", 1, "private", None, f"base {INPUT}"),
    ("memcov-region-in", "Memcov callback, region, 4 KiB inputs", "memcov", 1, "shared", "empty-in", f"base {INPUT}"),
    ("memcov-region-in-own", "Memcov callback, region, 4 KiB inputs, mcov_reset before each",
     "memcov", 1, "shared", "empty-in", f"own {INPUT}"),
    ("counters8-laid-in", "clang inline-8bit-counters + Memcov's increment, 4 KiB inputs", "counters8_laid", 1,
     "private", None, f"base {INPUT}"),
    ("nocall-region-in", "Memcov no-call, region, 4 KiB inputs", "memcov_nocall", 1, "shared", "counters8-laid-in",
     f"base {INPUT}"),
    ("nocall-region-in-own", "Memcov no-call, region, 4 KiB inputs, mcov_reset before each",
     "memcov_nocall", 1, "shared", "counters8-laid-in", f"own {INPUT}"),
    ("nocall-counts-region-in-own", "Memcov no-call, hit-count region, 4 KiB inputs, mcov_reset before each",
     "memcov_nocall", 1, "counts", "counters8-laid-in", f"own {INPUT}"),
    ("nocall-big-region-in-own", "Memcov no-call, module of 70 000 more edges, region, 4 KiB inputs, mcov_reset "
     "before each", "memcov_nocall_big", 1, "shared", "counters8-laid-in", f"own {INPUT}"),
]

GATHER_SIZES = [64 << 10, 1 << 20, 16 << 20]


def log(msg):
    print(f"==> {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, **kw)


def parse_fields(line):
    return dict(f.split("=", 1) for f in line.split())


def native_env():
    env = dict(os.environ)
    env.pop("MEMCOV_REGION", None)
    env.pop("MEMCOV_SHM_DIR", None)
    return env


def ensure_afl(smoke):
    """Installs Debian's afl++ when afl-clang-fast is missing; returns why AFL++ is skipped, or None."""
    return ensure_debian("afl-clang-fast", "afl++", smoke)


def ensure_debian(command, package, smoke):
    """Installs Debian's PACKAGE when COMMAND is missing; returns why it is skipped, or None."""
    if shutil.which(command):
        return None
    if smoke:
        return f"{command} is not installed (the smoke run installs nothing)"
    if os.geteuid() != 0:
        return f"{command} is not installed and this is not root: apt-get install {package}"
    log(f"installing {package} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = subprocess.run(["apt-get", "install", "-y", "-qq", package], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0 or not shutil.which(command):
        return f"apt-get install {package} failed: " + (r.stderr.strip().splitlines() or [f"no {command}"])[-1]
    return None


def build_native(build_dir, smoke):
    cc = os.environ.get("CC") or next(c for c in ("clang", "clang-14") if shutil.which(c))
    compilers = f"{cc} {os.environ.get('CXX', '')}\n"
    stamp = build_dir / "compilers.txt"
    # CMake drops every -D option but the compiler when the compiler of a configured tree
    # changes (an unoptimized build, then): start such a tree again.
    if build_dir.exists() and (not stamp.exists() or stamp.read_text() != compilers):
        shutil.rmtree(build_dir)
    log(f"building bench/native with {cc} -> {build_dir}")
    # The smoke run skips the module of realistic size, whose generated code takes a minute to build.
    run(["cmake", "-S", str(ROOT / "bench/native"), "-B", str(build_dir), f"-DCMAKE_C_COMPILER={cc}",
         "-DCMAKE_BUILD_TYPE=RelWithDebInfo", f"-DBENCH_BIG_FUNCTIONS={0 if smoke else 10000}"],
        stdout=subprocess.DEVNULL)
    stamp.write_text(compilers)
    run(["cmake", "--build", str(build_dir), "--parallel", str(os.cpu_count() or 2)], stdout=subprocess.DEVNULL)


def run_variant(build_dir, binary, nbytes, procs, mapping, view=""):
    out = run([str(build_dir / f"bench_{binary}"), str(nbytes), str(procs), mapping] + view.split(),
              stdout=subprocess.PIPE, env=native_env()).stdout
    return parse_fields(out.strip().splitlines()[-1])


def input_of(view):
    """The bytes per input of a view ("" or "own": 0, the whole run is one input)."""
    parts = view.split()
    return int(parts[1]) if len(parts) > 1 else 0


def recording(build_dir, nbytes, reps, afl_skip):
    variants = [v for v in VARIANTS if not (afl_skip and v[2] == "afl")]
    # The layout plugin needs LLVM's development files; without them its floor is not built.
    unbuilt = sorted({v[2] for v in variants if not (build_dir / f"bench_{v[2]}").exists()})
    variants = [v for v in variants if v[2] not in unbuilt]
    inputs = sorted({input_of(v[6]) for v in variants})
    # Edge hits per process, for each way of splitting the work (making the text again for each
    # input adds hits).
    hits = {n: int(run_variant(build_dir, "count", nbytes, 1, "private", f"base {n}" if n else "")["hits"])
            for n in inputs}
    log(f"recording: {len(variants)} variants x {reps} rounds, {nbytes} bytes = {hits[0]} edge hits per process")
    times = {v[0]: [] for v in variants}
    checksums = {n: set() for n in inputs}
    for _ in range(reps):  # round-robin, so load changes spread over every variant alike
        for key, _label, binary, procs, mapping, _floor, view in variants:
            r = run_variant(build_dir, binary, nbytes, procs, mapping, view)
            times[key].append(int(r["ns"]))
            checksums[input_of(view)].add(r["checksum"])
    for n, sums in checksums.items():
        if len(sums) != 1:
            raise SystemExit(f"recording: the variants disagree on the checksum: {sorted(sums)}")
    med = {k: statistics.median(t) for k, t in times.items()}
    # The references of a row are the runs of the same processes and input split.
    ref = {(binary, procs, input_of(view)): key for key, _l, binary, procs, _m, _f, view in variants if view in ("", f"base {input_of(view)}")}

    rows = ["| variant | processes | map | median ms | min ms | ns / edge hit | over uninstrumented | × its floor | × AFL++ |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for key, label, binary, procs, mapping, floor, view in variants:
        n = input_of(view)
        plain = med.get(ref.get(("plain", procs, n)))
        afl = med.get(ref.get(("afl", procs, n)))
        over = "—" if binary == "plain" or not plain else f"{(med[key] / plain - 1) * 100:+.0f} %"
        fl = f"{med[key] / med[floor]:.2f}" if floor and floor in med else "—"
        xafl = f"{med[key] / afl:.2f}" if afl and binary not in ("plain", "afl") else "—"
        where = {"shared": "shared", "counts": "shared, counts"}.get(mapping, "private")
        rows.append(f"| {label} | {procs} | {where} | {med[key] / 1e6:.1f} | {min(times[key]) / 1e6:.1f} | "
                    f"{med[key] / hits[n]:.3f} | {over} | {fl} | {xafl} |")
    split = [n for n in inputs if n]
    text = (f"Workload: {nbytes} bytes of text, {hits[0]} edge hits per process "
            f"(counted by a trace-pc-guard callback), checksum {next(iter(checksums[0]))} in every build; "
            f"{reps} rounds, round-robin. Times are per process (the mean over the processes of a run). "
            f"Floors: the empty callback for callback modes, clang's inline-8bit-counters with Memcov's "
            f"increment for Memcov's no-call mode (the same workload object code; with flags, clang's "
            f"inline-bool-flag with Memcov's layout plugin), clang's inline-bool-flag for AFL++. \"Own view\": each process calls `mcov_reset()` once before its "
            f"clock starts, so it records inside an own view, as a fuzzer's worker does"
            + "".join(f"; \"{size_label(n)} inputs\": the same bytes as {-(-nbytes // n)} calls of the workload on "
                      f"{n} bytes each, which make their text again ({hits[n]} edge hits per process, checksum "
                      f"{next(iter(checksums[n]))}), with `mcov_reset()` before each input, timed, where the "
                      f"row says so; their floor is the same split" for n in split)
            + ".\n\n" + "\n".join(rows) + "\n")
    if afl_skip:
        text += f"\nAFL++ skipped: {afl_skip}.\n"
    if unbuilt:
        why = {"memcov_nocall_big": "the smoke run does not build the module of realistic size"}
        text += "\nNot built, skipped: " + "; ".join(
            f"bench_{b} ({why.get(b, 'the plugin needs LLVM development files: see native/pass/CMakeLists.txt')})"
            for b in unbuilt) + ".\n"
    return text, med


GATHER_MODES = ("serialize", "region", "region-env", "lane", "startup")
GATHER_FIELDS = ("parent_ns", "wall_ns", "number_ns", "register_ns", "attach_ns", "hits_ns", "faults", "own_ns",
                 "own_faults", "warm_count_ns")


# Each region mode and the serialize mode its wall is compared with.
GATHER_PAIRS = (("region", "serialize"), ("region-env", "serialize"), ("lane", "serialize"),
                ("python-region", "python-serialize"))


# At 64 Ki edges a round of exec'd workers takes 0.1-1 s and the designs differ by a few percent,
# while one round's ratio moves by 5 % on this kind of host: more rounds there, so that the
# medians are steadier than that difference.
SMALL_GATHER_EDGES, SMALL_GATHER_ROUNDS = 64 << 10, 41


def exec_rounds(edges, reps):
    return max(reps, SMALL_GATHER_ROUNDS) if edges <= SMALL_GATHER_EDGES and reps > 1 else reps


def gather(build_dir, sizes, workers, reps):
    parallel = os.cpu_count() or 2
    log(f"gathering: {workers} workers, {parallel} at a time, sizes {sizes}, {reps} rounds")
    res = {}
    py_env = native_env()
    py_env["MEMCOV_LIBRARY"] = str(build_dir / "memcov/native/libmemcov.so.2")
    for edges in sizes:
        # Rounds alternate the modes, so that a slow minute of the machine is no one mode's, each
        # round in another order (a rotation), so that no mode always runs first.
        runs = {m: [] for m in GATHER_MODES + ("python-serialize", "python-region")}
        for round_ in range(exec_rounds(edges, reps)):
            turn = round_ % len(GATHER_MODES)
            for mode in GATHER_MODES[turn:] + GATHER_MODES[:turn]:
                runs[mode].append(parse_fields(run(
                    [str(build_dir / "bench_gather"), mode, str(edges), str(workers), str(parallel)],
                    stdout=subprocess.PIPE, env=native_env()).stdout.strip()))
            if round_ >= reps:
                continue
            for mode in ("serialize", "region"):
                runs["python-" + mode].append(parse_fields(run(
                    [sys.executable, str(ROOT / "bench/gather_python.py"), mode,
                     str(build_dir / f"libbench_module_{edges}.so"), str(edges), str(workers), str(parallel)],
                    stdout=subprocess.PIPE, env=py_env).stdout.strip()))
        for mode, rs in runs.items():
            if len({r["covered"] for r in rs}) != 1:
                raise SystemExit(f"gathering: runs of {mode} at {edges} edges disagree on the union")
            res[(edges, mode)] = {k: statistics.median(int(r[k]) for r in rs) for k in GATHER_FIELDS if k in rs[0]}
            res[(edges, mode)]["covered"] = int(rs[0]["covered"])
        # Each round's wall over its own serialize run's, then the median: rounds run minutes apart,
        # and a host whose speed drifts between them moves both walls of a round alike.
        for mode, base in GATHER_PAIRS:
            res[(edges, mode)]["wall_ratio"] = statistics.median(
                int(r["wall_ns"]) / int(b["wall_ns"]) for r, b in zip(runs[mode], runs[base]))
        if len({res[(edges, m)]["covered"] for m in runs}) != 1:
            raise SystemExit(f"gathering: the designs found different unions at {edges} edges")

    def ms(ns):
        return f"{ns / 1e6:.3f}"

    def ratio(r):
        return f"{r['wall_ratio']:.2f}×"

    wall = ["| edges | union | serialize (exec) ms | region, mcov_attach ms | ratio | region, MEMCOV_REGION ms | ratio | "
            "lane workers ms | ratio | Python serialize ms | Python region ms | ratio |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    parent = ["| edges | serialize ms | region ms | ratio | lane workers ms | Python serialize ms | Python region ms | "
              "ratio |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    parts = ["| edges | numbering (serialize) ms | guard init (region) ms | mcov_attach ms | guard init with "
             "MEMCOV_REGION ms | hits: serialize ms | hits: region ms | faults: serialize | faults: region | "
             "Memcov's own start-up ms | its faults | lane: register ms | lane: attach ms |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for edges in sizes:
        g = {m: res[(edges, m)] for m in runs}
        s, r, e, ln = g["serialize"], g["region"], g["region-env"], g["lane"]
        ps, pr = g["python-serialize"], g["python-region"]
        wall.append(f"| {edges_label(edges)} | {r['covered']} | {ms(s['wall_ns'])} | {ms(r['wall_ns'])} | "
                    f"{ratio(r)} | {ms(e['wall_ns'])} | {ratio(e)} | "
                    f"{ms(ln['wall_ns'])} | {ratio(ln)} | {ms(ps['wall_ns'])} | "
                    f"{ms(pr['wall_ns'])} | {ratio(pr)} |")
        parent.append(f"| {edges_label(edges)} | {ms(s['parent_ns'])} | {ms(r['parent_ns'])} | "
                      f"{s['parent_ns'] / r['parent_ns']:.0f}× | {ms(ln['parent_ns'])} | {ms(ps['parent_ns'])} | "
                      f"{ms(pr['parent_ns'])} | {ps['parent_ns'] / pr['parent_ns']:.0f}× |")
        parts.append(f"| {edges_label(edges)} | {ms(s['number_ns'])} | {ms(r['register_ns'])} | {ms(r['attach_ns'])} | "
                     f"{ms(e['register_ns'])} | {ms(s['hits_ns'])} | {ms(e['hits_ns'])} | {s['faults']:.0f} | "
                     f"{e['faults']:.0f} | {ms(g['startup']['own_ns'])} | {g['startup']['own_faults']:.0f} | "
                     f"{ms(ln['register_ns'])} | "
                     f"{ms(ln['attach_ns'])} |")
    small = [e for e in sizes if exec_rounds(e, reps) != reps]
    small_rounds = (f"; exec'd workers at {', '.join(edges_label(e) for e in small)} edges, "
                    f"{exec_rounds(small[0], reps)} rounds" if small else "")
    text = (f"{workers} worker processes, {parallel} at a time, each numbering the guards of a module of the size "
            f"given and hitting 65536 pseudo-random edges of it; medians of {reps} rounds (the modes alternate "
            f"within a round, each round in another order){small_rounds}. Wall ratios: each round's region wall over that round's serialize wall, "
            f"the median over the rounds; below 1.00× the region is faster.\n\n"
            f"Exec'd workers (bench/native/gather.c): *serialize* numbers the guards as memcov's guard init does, "
            f"records into a private bitmap and writes memcov's blob to a file, and the parent reads and ORs every "
            f"file; *region, mcov_attach* registers privately with the guard init and then calls "
            f"`mcov_attach`; *region, MEMCOV_REGION* is exec'd with the variable set and makes no memcov call "
            f"(its guard init registers straight into the region); *lane workers* register a no-call module of "
            f"counters and `mcov_attach`, which takes a lane. Python workers (bench/gather_python.py): a "
            f"multiprocessing spawn Pool, one task per process, loading an instrumented library "
            f"(bench/native/spawn_module.c); *Python serialize* writes `memcov.serialize()` (libmemcov's "
            f"serialize_mem_coverage, whose blob is an offline map, a byte per edge) to a file and the parent, which "
            f"loaded the library too before the clock, `memcov.deserialize()`s every file; *Python region* joins "
            f"through MEMCOV_REGION, which `memcov.create()` set. The region and lane workers, and the Python "
            f"workers' library, link Memcov's hook object and libmemcov as `memcov_instrument()` links an "
            f"instrumented target: the inits and each hit's callback are the hook object's, called directly.\n\n"
            f"Wall: from the first spawn (and the region's creation) to the count.\n\n" + "\n".join(wall) + "\n\n"
            f"Parent: its work once every worker exited (serialize: read and merge every worker's file, then "
            f"count; region: `mcov_get_now64()`, which for lane workers also folds the lanes they left: a worker "
            f"taking a lane reuses a dead worker's, which it folds first).\n\n"
            + "\n".join(parent) + "\n\n"
            f"Start-up, medians over the workers: numbering is the serialize worker's (a store per guard, each "
            f"page's first store faulting); the guard init is the hook object's `__sanitizer_cov_trace_pc_guard_init` "
            f"(numbering included: libmemcov faults the guard pages in with one MADV_POPULATE_WRITE, then stores); "
            f"hits include each page's first touch of the bitmap or of the region; faults are a worker's page "
            f"faults from exec to exit. Memcov's own start-up is measured by workers of their own (bench_gather "
            f"startup, exec'd with MEMCOV_REGION): with the guard pages already faulted in, the guard init's time "
            f"less a numbering of the same pages as libmemcov does it (populate, then a store each): what "
            f"registering, attaching and joining add; its faults are the page faults during that guard init.\n\n" + "\n".join(parts) + "\n")
    return text, res


def edges_label(n):
    return f"{n >> 20} Mi" if n >= 1 << 20 else f"{n >> 10} Ki"


def size_label(n):
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"


# The report and pc-table parts time a generated module: functions of GEN_BRANCHES branches
# each, chained so that gen_run(n) runs the first n. Built at -O0, so that every block
# stays an edge: 2 * GEN_BRANCHES + 3 edges a function (entry, two a branch, two for the return).
GEN_BRANCHES = 9
GEN_EDGES_PER_FUNCTION = 2 * GEN_BRANCHES + 3
REPORT_EDGES = 100_000
REPORT_TARGET_S = 2.0
PCTABLE_EDGES = [100_000, 10_000]
PCTABLE_ROUNDS = 101
REGION_CAPACITY = 262144


def gen_source(functions):
    out = ["/* Generated by bench/run.py: branches for their edges, one statement a line. */"]
    out += [f"int gen_f{i}(int x, int n);" for i in range(1, functions + 1)]
    out.append("int gen_run(int n, int x);")
    for i in range(1, functions + 1):
        out.append(f"int gen_f{i}(int x, int n)\n{{\n    int r = {i};")
        out += [f"    if (x & {1 << (k % 16)})\n        r += {k + 1};" for k in range(GEN_BRANCHES)]
        out.append(f"    return n > 1 ? {f'gen_f{i + 1}(x, n - 1)' if i < functions else 'r'} : r;\n}}")
    out.append("int gen_run(int n, int x)\n{\n    return n > 0 ? gen_f1(x, n) : 0;\n}")
    return "\n".join(out) + "\n"


def section_sizes(lib):
    sizes = {}
    for line in run(["readelf", "-SW", str(lib)], stdout=subprocess.PIPE).stdout.splitlines():
        if line.lstrip().startswith("[") and "]" in line:
            f = line.split("]", 1)[1].split()
            if len(f) >= 5 and f[0] != "Name":  # not the header
                sizes[f[0]] = int(f[4], 16)
    return sizes


def relocation_counts(lib):
    counts = {}
    for line in run(["readelf", "-rW", str(lib)], stdout=subprocess.PIPE).stdout.splitlines():
        f = line.split()
        if len(f) >= 3 and f[2].startswith("R_"):
            counts[f[2]] = counts.get(f[2], 0) + 1
    return counts


class GenModules:
    """The generated modules and their driver (native/load_module.c), built once per run against
    artifacts/native into a temporary directory, which close() removes."""

    def __init__(self):
        self.native = ROOT / "artifacts/native"
        for f in ("libmemcov.so", "libmemcov_hooks.a"):
            if not (self.native / f).exists():
                raise SystemExit(f"{self.native / f} is missing: run ./build.sh build first")
        self.cc = shutil.which("clang-14") or "clang"
        self.dir = Path(tempfile.mkdtemp(prefix="memcov-bench-"))
        self.mods = {}
        self.driver = self.dir / "load_module"
        try:
            run([self.cc, "-O2", "-Wall", "-Wextra", "-Werror", str(ROOT / "bench/native/load_module.c"), "-ldl",
                 "-o", str(self.driver)])
        except BaseException:
            self.close()
            raise

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def build(self, wanted):
        """Builds each (edges, pc_table) of wanted not built yet, as many at a time as there are cores."""
        todo = []
        for edges, pcs in wanted:
            functions = max(1, round(edges / GEN_EDGES_PER_FUNCTION))
            src = self.dir / f"gen{functions}.c"
            if (edges, pcs) in self.mods or any(t[0] == (edges, pcs) for t in todo):
                continue
            if not src.exists():
                src.write_text(gen_source(functions))
            lib = self.dir / f"libgen{functions}{'-pcs' if pcs else ''}.so"
            cov = "trace-pc-guard,pc-table" if pcs else "trace-pc-guard"
            cmd = [self.cc, "-O0", "-gline-tables-only", f"-fsanitize-coverage={cov}", "-fPIC", "-shared", str(src),
                   str(self.native / "libmemcov_hooks.a"), f"-L{self.native}", "-lmemcov",
                   f"-Wl,-rpath,{self.native}", "-o", str(lib)]
            todo.append(((edges, pcs), functions, lib, cmd))
        if not todo:
            return
        log(f"building {len(todo)} generated module(s) with {self.cc}: "
            + ", ".join(f"{t[1]} functions{' + pc-table' if t[0][1] else ''}" for t in todo))
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            for f in [pool.submit(run, t[3]) for t in todo]:
                f.result()
        for key, functions, lib, _ in todo:
            sizes = section_sizes(lib)
            guards = sizes.get("__sancov_guards", 0) // 4
            if guards < functions * GEN_EDGES_PER_FUNCTION:
                raise SystemExit(f"{lib} has {guards} guards, not the {functions * GEN_EDGES_PER_FUNCTION} "
                                 "its functions should have")
            self.mods[key] = {"path": lib, "functions": functions, "edges": guards, "sections": sizes,
                              "relocs": relocation_counts(lib), "bytes": lib.stat().st_size}

    def get(self, edges, pcs):
        self.build([(edges, pcs)])
        return self.mods[(edges, pcs)]


def part_env():
    """The bench's environment for the report and pc-table parts: no region to join, and the
    region directory (MEMCOV_SHM_DIR) this runner, the CLI and the children all agree on."""
    env = dict(os.environ)
    env.pop("MEMCOV_REGION", None)
    return env


def shm_dir():
    return Path(os.environ.get("MEMCOV_SHM_DIR") or "/dev/shm")


def private_region_dir(prefix):
    """A new directory for a part's regions beside the default region directory (its tmpfs), or
    in the temporary directory where there is none. Its name never starts with memcov-, which
    would make it look like a region there."""
    parent = shm_dir()
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent if parent.is_dir() else None))


def spawn(argv, env, stdin=os.devnull, stderr=os.devnull, stdout=os.devnull):
    """Runs argv (stdout to /dev/null, or to a file it truncates) and waits: (wall ns from fork to
    reaped, its rusage)."""
    actions = [(os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, str(stdout), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
               (os.POSIX_SPAWN_OPEN, 2, str(stderr), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)]
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    ns = time.perf_counter_ns() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        see = "run it again to see why" if str(stderr) == os.devnull else f"see {stderr}"
        raise SystemExit(f"{' '.join(map(str, argv))} failed ({os.waitstatus_to_exitcode(status)}): {see}")
    return ns, usage


def find_symbolizer():
    """The llvm-symbolizer memcov report runs by default (LlvmSymbolizer.Find)."""
    chosen = os.environ.get("MEMCOV_SYMBOLIZER")
    if chosen:
        return chosen
    for name in ["llvm-symbolizer"] + [f"llvm-symbolizer-{v}" for v in range(30, 13, -1)]:
        if shutil.which(name):
            return shutil.which(name)
    for v in range(30, 13, -1):
        if Path(f"/usr/lib/llvm-{v}/bin/llvm-symbolizer").exists():
            return f"/usr/lib/llvm-{v}/bin/llvm-symbolizer"
    raise SystemExit("report: no llvm-symbolizer installed (Debian: apt-get install llvm-14)")


def script(path, text):
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(0o755)
    return str(path)


def report_speed(mods, edges, rounds):
    cli = str(ROOT / "artifacts/cli/memcov")
    if not Path(cli).exists():
        raise SystemExit(f"{cli} is missing: run ./build.sh build first")
    sym = find_symbolizer()
    with_pcs, without = mods.get(edges, True), mods.get(edges, False)
    tmp, env, regions = mods.dir, part_env(), RegionMaker(mods.native)
    err = tmp / "report.err"
    names = {True: f"bench-report-{os.getpid()}", False: f"bench-report-nopcs-{os.getpid()}"}
    try:
        # A region per build, holding the module and the union of one process that ran half its functions.
        for pcs, mod in ((True, with_pcs), (False, without)):
            regions.create(names[pcs])
            run([str(mods.driver), str(mod["path"]), str(mod["functions"] // 2)], stdout=subprocess.DEVNULL,
                env=dict(env, MEMCOV_REGION=names[pcs]))
        pc_files = list(shm_dir().glob(f".memcov-pcs-{names[True]}-*"))
        if len(pc_files) != 1:
            raise SystemExit(f"report: region {names[True]} has {len(pc_files)} PC files, not 1")
        pc_file = pc_files[0].stat().st_size
        # Once through a tee: the addresses the CLI gives the symbolizer and its answers, to
        # time the symbolizer alone and the CLI on recorded answers.
        addresses, answers, out = tmp / "addresses.txt", tmp / "answers.jsonl", tmp / "report.json"
        tee = script(tmp / "tee-symbolizer", f'tee "{addresses}" | "{sym}" "$@" | tee "{answers}"\n')
        with open(out, "w") as f:
            run([cli, "report", names[True], "--json", "--symbolizer", tee], env=env, stdout=f)
        rep = json.loads(out.read_text())
        if rep["edges"] != with_pcs["edges"] or not rep["covered"] or not rep["modules"][0]["pc_table"]:
            raise SystemExit(f"report: unexpected report of {names[True]}: {out}")
        nopcs = json.loads(run([cli, "report", names[False], "--json"], env=env, stdout=subprocess.PIPE).stdout)
        if nopcs["modules"][0]["pc_table"] or nopcs["covered"] != rep["covered"]:
            raise SystemExit(f"report: unexpected report of {names[False]}")
        n_addr = len(addresses.read_text().splitlines())
        empty = tmp / "empty.jsonl"
        empty.write_text('{"Symbol":[]}\n' * n_addr)
        # Each replay reads every address first, as the symbolizer does, then answers at once.
        replay = script(tmp / "replay", f'cat > /dev/null\nexec cat "{answers}"\n')
        replay_empty = script(tmp / "replay-empty", f'cat > /dev/null\nexec cat "{empty}"\n')
        cmds = {
            "report": ([cli, "report", names[True], "--json", "--symbolizer", sym], os.devnull),
            "symbolizer": ([sym, "--output-style=JSON", "--inlines", "--demangle", f"--obj={with_pcs['path']}"],
                           str(addresses)),
            "replay": ([cli, "report", names[True], "--json", "--symbolizer", replay], os.devnull),
            "replay-empty": ([cli, "report", names[True], "--json", "--symbolizer", replay_empty], os.devnull),
            "no-pcs": ([cli, "report", names[False], "--json"], os.devnull),
            "start": ([cli, "--version"], os.devnull),
        }
        log(f"report: {with_pcs['edges']} edges, {rounds} rounds of {len(cmds)} commands")
        times = {k: [] for k in cmds}
        for _ in range(rounds):  # round-robin, so load changes spread over every command alike
            for key, (argv, stdin) in cmds.items():
                times[key].append(spawn(argv, env, stdin, err)[0])
    finally:
        regions.remove_all()
    med = {k: statistics.median(v) / 1e9 for k, v in times.items()}
    wall = times["report"]
    # The target is for 100 000 edges: a smaller (smoke) module gets no verdict.
    full = with_pcs["edges"] >= REPORT_EDGES
    verdict = ("yes" if med["report"] < REPORT_TARGET_S else "no") if full else "— (not 100 000 edges)"

    def s(x):  # ms: a median of 1.995 s must not read 2.00 and "met"
        return f"{x * 1e3:.0f}"

    rows = ["| edges | report wall ms: median (min–max) | symbolizer alone ms | rest ms (.NET: start, map and ELF read, "
            "address streaming, JSON parse, sums, output) | target < 2 s met |",
            "|---:|---:|---:|---:|---|",
            f"| {with_pcs['edges']} | {s(med['report'])} ({s(min(wall) / 1e9)}–{s(max(wall) / 1e9)}) | "
            f"{s(med['symbolizer'])} | {s(med['replay'])} | {verdict} |"]
    parts = [("`memcov --version`: .NET start", med["start"]),
             ("report of the same module built without pc-table, less the above: read the region (map, "
              "modules)", med["no-pcs"] - med["start"]),
             ("report on answers `{\"Symbol\":[]}`, less the above: ELF read, stream the addresses, read "
              "the answers", med["replay-empty"] - med["no-pcs"]),
             ("report on the recorded answers, less the above: parse the answers' JSON, sums, JSON output",
              med["replay"] - med["replay-empty"]),
             ("rest: report on the recorded answers", med["replay"]),
             ("symbolizer alone", med["symbolizer"]),
             ("report, end to end", med["report"]),
             ("overlap: rest + symbolizer − report", med["replay"] + med["symbolizer"] - med["report"])]
    split = ["| where the time goes | median ms |", "|---|---:|"] + [f"| {w} | {s(v)} |" for w, v in parts]
    text = (f"`memcov report REGION --json > /dev/null`, wall time, on a region holding one module of "
            f"{with_pcs['edges']} edges ({with_pcs['functions']} functions, built with `{Path(mods.cc).name} -O0 "
            f"-gline-tables-only -fsanitize-coverage=trace-pc-guard,pc-table`) and the union of one process that "
            f"ran half its functions ({rep['covered']} edges covered); {rounds} round{'s' * (rounds != 1)} of every command, "
            f"round-robin, medians. The CLI sends the symbolizer ({sym}) {n_addr} addresses (every edge's PC "
            f"and every function symbol) and reads "
            f"{answers.stat().st_size / 1e6:.1f} MB of JSON answers; its report is {out.stat().st_size / 1e6:.1f} MB "
            f"of JSON; the region's PC file is {pc_file} bytes. Symbolizer alone: the same "
            f"addresses from a file, with the same options (`--output-style=JSON --inlines --demangle`), output to "
            f"/dev/null. Rest: the same report with a symbolizer that reads every address and then prints the "
            f"recorded answers, which takes the symbolizer's work out but not the CLI's (nor its waits: in the "
            f"real report the two overlap).\n\n" + "\n".join(rows) + "\n\n" + "\n".join(split) + "\n")
    return text, {"edges": with_pcs["edges"], "median_s": med["report"]} if full else None


class RegionMaker:
    """Creates and removes regions in this process through libmemcov (no .NET start for each of
    many regions); created regions are detached from at once, so only the children record."""

    def __init__(self, native):
        self.lib = ctypes.CDLL(str(native / "libmemcov.so"))
        self.lib.mcov_region_create.argtypes = [ctypes.c_char_p, ctypes.c_uint64]
        self.lib.mcov_region_remove.argtypes = [ctypes.c_char_p]
        self.lib.mcov_last_error.restype = ctypes.c_char_p
        self.live = set()

    def create(self, name):
        if self.lib.mcov_region_create(name.encode(), REGION_CAPACITY) != 0:
            raise SystemExit(f"cannot create region {name}: {self.lib.mcov_last_error().decode()}")
        self.lib.mcov_detach()
        self.live.add(name)

    def remove(self, name):
        self.lib.mcov_region_remove(name.encode())
        self.live.discard(name)

    def remove_all(self):
        for name in list(self.live):
            self.remove(name)


SITUATIONS = [("none", "no region (MEMCOV_REGION unset)"),
              ("steady", "region with the PC file there (every worker after the first)"),
              ("fresh", "first process into a fresh region (writes the PC file)")]


def pctable_cost(mods, sizes, rounds):
    mods.build([(e, p) for e in sizes for p in (False, True)])
    env, regions = part_env(), RegionMaker(mods.native)
    err = mods.dir / "pctable.err"
    pid = os.getpid()
    res = {}
    log(f"pc-table: sizes {sizes}, {rounds} rounds of {len(SITUATIONS)} situations x 2 builds")
    try:
        for edges in sizes:
            builds = {pcs: mods.get(edges, pcs) for pcs in (False, True)}
            steady = {pcs: f"bench-pcs-{pid}-steady-{int(pcs)}" for pcs in builds}
            for pcs, mod in builds.items():  # the first process into each steady region writes its PC file
                regions.create(steady[pcs])
                spawn([str(mods.driver), str(mod["path"])], dict(env, MEMCOV_REGION=steady[pcs]), stderr=err)
            n_files = {pcs: len(list(shm_dir().glob(f".memcov-pcs-{steady[pcs]}-*"))) for pcs in builds}
            if n_files != {False: 0, True: 1}:
                raise SystemExit(f"pc-table: PC files per steady region (without, with): {n_files}, not 0 and 1")
            pc_file = next(shm_dir().glob(f".memcov-pcs-{steady[True]}-*")).stat().st_size
            t = {(s, pcs): [] for s, _ in SITUATIONS for pcs in builds}
            faults = {k: [] for k in t}
            for r in range(rounds):
                order = (False, True) if r % 2 == 0 else (True, False)  # neither build always runs first
                for situation, _ in SITUATIONS:
                    for pcs in order:
                        region = steady[pcs] if situation == "steady" else None
                        if situation == "fresh":
                            region = f"bench-pcs-{pid}-fresh"
                            regions.create(region)  # not timed
                        ns, usage = spawn([str(mods.driver), str(builds[pcs]["path"])],
                                          dict(env, MEMCOV_REGION=region) if region else env, stderr=err)
                        if situation == "fresh":
                            regions.remove(region)
                        t[(situation, pcs)].append(ns)
                        faults[(situation, pcs)].append(usage.ru_minflt)
            res[edges] = {"builds": builds, "pc_file": pc_file,
                          "ms": {k: statistics.median(v) / 1e6 for k, v in t.items()},
                          "faults": {k: statistics.median(v) for k, v in faults.items()}}
            for pcs in builds:
                regions.remove(steady[pcs])
    finally:
        regions.remove_all()
    if err.exists() and err.stat().st_size:
        raise SystemExit(f"pc-table: the driver printed warnings: {err.read_text()[:2000]}")

    rows = ["| edges | situation | without pc-table ms | with pc-table ms | difference ms | ratio | "
            "minor page faults without / with |", "|---:|---|---:|---:|---:|---:|---:|"]
    for edges, r in res.items():
        for situation, label in SITUATIONS:
            a, b = r["ms"][(situation, False)], r["ms"][(situation, True)]
            rows.append(f"| {r['builds'][True]['edges']} | {label} | {a:.2f} | {b:.2f} | {b - a:+.2f} | {b / a:.2f} | "
                        f"{r['faults'][(situation, False)]:.0f} / {r['faults'][(situation, True)]:.0f} |")
    sizes_rows = ["| edges | build | file bytes | `__sancov_guards` bytes | `__sancov_pcs` bytes | R_X86_64_RELATIVE | "
                  "R_X86_64_64 | relocations in all | PC file bytes |", "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for edges, r in res.items():
        for pcs, mod in r["builds"].items():
            rel = mod["relocs"]
            sizes_rows.append(f"| {mod['edges']} | {'with' if pcs else 'without'} pc-table | {mod['bytes']} | "
                              f"{mod['sections'].get('__sancov_guards', 0)} | {mod['sections'].get('__sancov_pcs', 0)} | "
                              f"{rel.get('R_X86_64_RELATIVE', 0)} | {rel.get('R_X86_64_64', 0)} | {sum(rel.values())} | "
                              f"{r['pc_file'] if pcs else '—'} |")
    text = (f"Wall time of a process that loads a generated module (bench/native/load_module.c: dlopen, lazy "
            f"binding) and exits, hitting no edge: posix_spawn to reaped, from this runner; medians of {rounds} "
            f"runs per cell, the builds alternating in every round and the situations interleaved. The two builds "
            f"of a size differ only in `pc-table` (both `-O0 -gline-tables-only -fsanitize-coverage=trace-pc-guard`, "
            f"callback mode with the hook archive, linked to libmemcov.so). A fresh region is created before "
            f"its run and removed after it, neither timed. Difference: the per-process cost of pc-table.\n\n"
            + "\n".join(rows) + "\n\nWhat pc-table adds to the module (readelf): a PC and a flags word per edge in "
            f"`__sancov_pcs`, each PC a relocation the loader applies at every start (R_X86_64_RELATIVE, or "
            f"R_X86_64_64 against the symbol for the entry edge of an exported function); the PC file is "
            f"what the first process into a region writes.\n\n" + "\n".join(sizes_rows) + "\n")
    return text, res


# The replay part: the sample target over a corpus, whole command, one input at a time. The
# anchor is afl-showmap, AFL++'s own corpus replay (its fork server), on the same sources built
# with afl-clang-fast; the memcov rows are `memcov run` in its three modes. "mode" is what
# `memcov run --json` must report, so a silent fallback (fork server to exec) fails the part.
REPLAY_COPIES = 27  # copies of samples/corpus in the large corpus: 27 x 191 = 5157 inputs
REPLAY_ROWS = [
    # key, label, mode
    ("afl", "`afl-showmap -q -C -i DIR -o FILE -- ./sample_afl @@`", None),
    ("exec", "`memcov run --jobs 1 --no-fork-server --inputs DIR -- memcov-sample {}`", "exec"),
    ("fork-server", "`memcov run --jobs 1 --inputs DIR -- memcov-sample {}`", "fork-server"),
    ("harness", "`memcov run --jobs 1 --harness libmemcov_sample_fuzz.so --inputs DIR`", "harness"),
]


def replay_speed(reps, smoke, afl_skip):
    cli, samples = ROOT / "artifacts/cli/memcov", ROOT / "artifacts/samples"
    for f in (cli, samples / "memcov-sample", samples / "libmemcov_sample_fuzz.so"):
        if not f.exists():
            raise SystemExit(f"{f} is missing: run ./build.sh build first")
    if not afl_skip and not shutil.which("afl-showmap"):
        afl_skip = "afl-showmap is not installed"
    small = ROOT / "samples/corpus"
    tmp = Path(tempfile.mkdtemp(prefix="memcov-bench-replay-"))
    shm = tmp / "shm"
    cwd = os.getcwd()
    try:
        # afl-showmap writes each input to ./.afl-showmap-temp-PID (neither TMPDIR nor AFL_TMPDIR
        # moves it) and posix_spawn cannot chdir: every command runs from here, as `./sample_afl`.
        os.chdir(tmp)
        # A private region directory, in the default one's file system (tmpfs): the runs' regions
        # cannot meet anyone else's, and whatever a failed run leaves goes with the directory. On a
        # disk file system every first write of a child to a page of the region would go through
        # the file system's page_mkwrite.
        shm = private_region_dir("bench-replay-")
        env = dict(os.environ, MEMCOV_SHM_DIR=str(shm))
        env.pop("MEMCOV_REGION", None)
        afl_env = dict(env, AFL_QUIET="1")
        corpora = [("samples/corpus", small)]
        if not smoke:
            # Enough inputs that the per-input cost outweighs each command's start-up.
            big = tmp / "corpus-large"
            big.mkdir()
            for i in range(REPLAY_COPIES):
                for f in sorted(small.iterdir()):
                    if f.is_file():
                        shutil.copyfile(f, big / f"{i:02d}-{f.name}")
            corpora.append((f"samples/corpus copied {REPLAY_COPIES} times under distinct names", big))
        inputs = {d: sum(1 for f in d.iterdir() if f.is_file()) for _, d in corpora}
        sizes = {d: sum(f.stat().st_size for f in d.iterdir() if f.is_file()) for _, d in corpora}
        rows = [r for r in REPLAY_ROWS if not (afl_skip and r[0] == "afl")]
        afl_bin = None
        if not afl_skip:
            # Driver and library in one executable, as AFL++ users build a target.
            afl_bin = tmp / "sample_afl"
            log(f"replay: building {afl_bin.name} with afl-clang-fast -O2")
            run(["afl-clang-fast", "-O2", "-std=c11", f"-I{ROOT / 'samples/include'}",
                 *sorted(map(str, (ROOT / "samples/src").glob("*.c"))), str(ROOT / "samples/driver/main.c"),
                 "-o", str(afl_bin)], env=dict(os.environ, AFL_QUIET="1"),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        afl_map, out_json = tmp / "afl.map", tmp / "run.json"

        def argv(key, corpus):
            if key == "afl":
                return [shutil.which("afl-showmap"), "-q", "-C", "-i", str(corpus), "-o", str(afl_map), "--",
                        f"./{afl_bin.name}", "@@"]
            cmd = [str(cli), "run", "--jobs", "1", "--json", "--inputs", str(corpus)]
            if key == "harness":
                return cmd + ["--harness", str(samples / "libmemcov_sample_fuzz.so")]
            return cmd + (["--no-fork-server"] if key == "exec" else []) + ["--", str(samples / "memcov-sample"), "{}"]

        def once(key, mode, corpus):
            """One timed run of a row, checked: (wall ns, edges it covered)."""
            if key == "afl":
                afl_map.unlink(missing_ok=True)
                ns = spawn(argv(key, corpus), afl_env)[0]
                # One "edge:count" line per tuple hit: no line, no run.
                tuples = len(afl_map.read_text().splitlines()) if afl_map.exists() else 0
                if not tuples:
                    raise SystemExit(f"replay: afl-showmap wrote no tuple for {corpus}")
                return ns, tuples
            ns = spawn(argv(key, corpus), env, stdout=out_json)[0]
            r = json.loads(out_json.read_text())
            if r["mode"] != mode or r["done"] != inputs[corpus] or r["crashes"] or r["timeouts"] or r["failures"]:
                raise SystemExit(f"replay: memcov run ({key}) on {corpus}: mode {r['mode']!r} "
                                 f"({r.get('mode_note')}), {r['done']} of {inputs[corpus]} inputs done, "
                                 f"{r['crashes']} crashes, {r['timeouts']} timeouts, {r['failures']} failures; "
                                 f"expected mode {mode!r} and every input done cleanly")
            return ns, r["region"]["covered_edges"]

        # One untimed round on the small corpus: the first start of each command (page cache,
        # .NET's first load) and the checks, before any clock.
        for key, _label, mode in rows:
            once(key, mode, small)
        times = {(d, r[0]): [] for _, d in corpora for r in rows}
        covered = {k: set() for k in times}
        for name, corpus in corpora:
            log(f"replay: {name}, {inputs[corpus]} inputs, {reps} rounds of {len(rows)} commands")
            # Round-robin, so load changes spread over every command alike; each round starts one
            # command later, so no command always follows the same one (exec's many processes
            # leave the kernel's caches otherwise than a fork server's).
            for rep in range(reps):
                for key, _label, mode in rows[rep % len(rows):] + rows[:rep % len(rows)]:
                    ns, cov = once(key, mode, corpus)
                    times[(corpus, key)].append(ns)
                    covered[(corpus, key)].add(cov)
        # The three memcov modes record the same library's edges: they must agree, run after run.
        for _, corpus in corpora:
            seen = set().union(*(covered[(corpus, r[0])] for r in rows if r[0] != "afl"))
            if len(seen) != 1:
                raise SystemExit(f"replay: memcov's modes disagree on the edges covered on {corpus}: {sorted(seen)}")
            if "afl" in {r[0] for r in rows} and len(covered[(corpus, "afl")]) != 1:
                raise SystemExit(f"replay: afl-showmap's runs disagree on the tuples on {corpus}")
    finally:
        os.chdir(cwd)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(shm, ignore_errors=True)

    anchor = (f"afl-showmap (AFL++ {afl_version()}) on `sample_afl`, the same driver and library sources in one "
              f"executable built with `afl-clang-fast -O2`" if not afl_skip else f"afl-showmap, skipped ({afl_skip})")
    text = (f"Corpus replay, whole command, wall time (posix_spawn to reaped, stdout and stderr to /dev/null; "
            f"memcov's `--json` to a file, whose `mode` must be the row's); one input at a time; {reps} "
            f"round{'s' * (reps != 1)} of every command, round-robin, each round starting one command later, after one untimed round on samples/corpus; "
            f"medians. Anchor: {anchor}. The memcov rows run artifacts/samples: "
            f"memcov-sample with libmemcov_sample.so (callback mode), or the harness libmemcov_sample_fuzz.so "
            f"around the same library; each run creates its region in a private MEMCOV_SHM_DIR and removes it. "
            f"Speed = afl-showmap's median ÷ the row's median: above 1 is faster than AFL++. Edges covered: "
            f"afl-showmap's tuples (AFL++'s edges, driver included) and memcov's covered edges of the "
            f"library; the two instrumentations differ, so only each column's constancy means something.\n")
    for name, corpus in corpora:
        med = {r[0]: statistics.median(times[(corpus, r[0])]) / 1e9 for r in rows}
        table = ["| command | mode | median s | min–max s | ms / input | speed vs afl-showmap | edges covered |",
                 "|---|---|---:|---:|---:|---:|---:|"]
        for key, label, mode in REPLAY_ROWS:
            if key not in med:
                table.append(f"| {label} | — | skipped: {afl_skip} | — | — | — | — |")
                continue
            t = times[(corpus, key)]
            speed = "1.00 (anchor)" if key == "afl" else f"{med['afl'] / med[key]:.2f}" if "afl" in med else "—"
            table.append(f"| {label} | {mode or 'AFL++ fork server'} | {med[key]:.3f} | {min(t) / 1e9:.3f}–"
                         f"{max(t) / 1e9:.3f} | {med[key] * 1e3 / inputs[corpus]:.3f} | {speed} | "
                         f"{next(iter(covered[(corpus, key)]))} |")
        text += (f"\n{name}: {inputs[corpus]} inputs, {sizes[corpus]} bytes.\n\n" + "\n".join(table) + "\n")
    if afl_skip:
        text += f"\nAFL++ skipped: {afl_skip}; no speed without the anchor.\n"
    return text


# Simulated hosts of one campaign on a Redis server on loopback (bench/Memcov.CampaignBench).
CAMPAIGN_HOSTS, CAMPAIGN_EDGES = 16, 1 << 20


def campaign_speed(reps, smoke):
    """The campaign's table: time to the union from the first publish, and an idle sync's traffic."""
    skip = ensure_debian("redis-server", "redis-server", smoke)
    if skip:
        return f"(skipped: {skip})\n", None
    hosts, edges = (2, 1 << 16) if smoke else (CAMPAIGN_HOSTS, CAMPAIGN_EDGES)
    tmp = Path(tempfile.mkdtemp(prefix="memcov-bench-campaign-"))
    shm = tmp / "shm"
    password = os.urandom(12).hex()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--requirepass", password,
                               "--save", "", "--appendonly", "no", "--dir", str(tmp), "--logfile", str(tmp / "redis.log")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"campaign: redis-server did not start: {(tmp / 'redis.log').read_text()}")
                time.sleep(0.05)
        shm = private_region_dir("bench-campaign-")
        env = dict(os.environ, MEMCOV_SHM_DIR=str(shm), MEMCOV_REDIS_PASSWORD=password)
        cmd = ["dotnet", "run", "-c", "Release", "--project", str(ROOT / "bench/Memcov.CampaignBench"), "--",
               "--url", f"redis://127.0.0.1:{port}", "--hosts", str(hosts), "--edges", str(edges), "--rounds", str(reps)]
        log(f"campaign: {hosts} hosts, {edges} edges each, {reps} rounds")
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"campaign bench failed (exit {r.returncode}): {r.stderr.strip()[-2000:]}")
        res = json.loads(r.stdout.strip().splitlines()[-1])
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(shm, ignore_errors=True)

    def ms(values):
        return f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})"

    text = (f"{res['hosts']} simulated hosts in one process, each with a connection of its own and a region "
            f"with one module of {res['edges']} edges, connected and synced once before the clock. Each round "
            f"every region gains a map of its own at once (5 % of the edges at random; the union "
            f"{res['union_edges']} edges), then every host syncs back to back (push, then pull). Times from the "
            f"first host's first publish; the union in Redis is checked bit for bit. Then 10 syncs of every "
            f"host with nothing new: the server's counters (INFO stats, bytes in and out) per sync. "
            f"Redis {redis_version()} on loopback; {len(res['union_complete_ms'])} rounds, median (min–max).\n\n"
            "| hosts | edges per map | union complete in Redis, ms | every host holds the union, ms | bytes per idle sync |\n"
            "|---:|---:|---:|---:|---:|\n"
            f"| {res['hosts']} | {res['edges']} | {ms(res['union_complete_ms'])} | {ms(res['every_host_holds_ms'])} | "
            f"{statistics.median(res['idle_sync_bytes']):.0f} |\n")
    return text, res


def redis_version():
    """The server's version, from redis-server --version ("Redis server v=7.0.15 ..."), or "unknown"."""
    r = subprocess.run(["redis-server", "--version"], capture_output=True, text=True)
    for word in r.stdout.split():
        if word.startswith("v="):
            return word[2:]
    return "unknown"


def afl_version():
    """AFL++'s version, from afl-showmap's banner ("afl-showmap++4.04c by ..."), or "unknown"."""
    exe = shutil.which("afl-showmap")
    r = subprocess.run([exe, "-h"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) if exe else None
    m = re.search(r"\+\+(\d+\.\d+\w*)", r.stdout) if r else None
    return m.group(1) if m else "unknown"


def dotnet(out_dir, smoke):
    bdn = out_dir / "dotnet"
    if bdn.exists():
        shutil.rmtree(bdn)
    cmd = ["dotnet", "run", "-c", "Release", "--project", str(ROOT / "bench/Memcov.Benchmarks"), "--"]
    cmd += (["--smoke"] if smoke else []) + ["--filter", "*", "--artifacts", str(bdn)]
    log("BenchmarkDotNet: " + " ".join(cmd[cmd.index("--") + 1:]))
    with open(out_dir / "dotnet.log", "w") as logf:
        r = subprocess.run(cmd, stdout=logf, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise SystemExit(f"BenchmarkDotNet failed (exit {r.returncode}): see {out_dir / 'dotnet.log'}")
    report = next((bdn / "results").glob("*-report-brief.json"))
    data = json.loads(report.read_text())
    results = {}
    for b in data["Benchmarks"]:
        params = dict(p.split("=", 1) for p in b["Parameters"].split("&") if p)
        key = (b["Type"], b["Method"], int(params.get("Size", 0)), params.get("NewBits", ""))
        results[key] = {"median": b["Statistics"]["Median"], "alloc": b["Memory"]["BytesAllocatedPerOperation"]}
    return dotnet_tables(results), results


# The densities of AtomicOrBenchmarks.NewBits, in its order.
ATOMIC_OR_NEW_BITS = ("OnePercent", "Half", "All")


def atomic_or_net(res, method, size, nb):
    """An AtomicOrBenchmarks median (ns) less its Restore's, which every merge invocation also does; None if missing."""
    r = res.get(("AtomicOrBenchmarks", method, size, nb))
    if not r:
        return None
    if method == "Restore":
        return r["median"]
    restore = res.get(("AtomicOrBenchmarks", "Restore", size, nb))
    return r["median"] - restore["median"] if restore else None


def dotnet_tables(res):
    def gbs(size, ns):
        return f"{size / ns:.1f}"

    rows = ["| benchmark | size | median µs | GB/s | × naive baseline (time) | bandwidth ÷ CopyTo's | allocated B/op |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    plan = [("CopyBenchmarks", "CopyTo", "", None), ("CopyBenchmarks", "NaiveByteCopy", "", "CopyTo"),
            ("CountCoveredBenchmarks", "NaiveByteLoop", "", None), ("CountCoveredBenchmarks", "CountCovered", "", "NaiveByteLoop"),
            ("OrBenchmarks", "NaiveByteLoop", "", None), ("OrBenchmarks", "Or", "", "NaiveByteLoop"),
            ("HasNewCoverageBenchmarks", "NaiveByteLoop", "", None), ("HasNewCoverageBenchmarks", "HasNewCoverage", "", "NaiveByteLoop"),
            ("ClassifyBenchmarks", "NaiveByteLoop", "", None), ("ClassifyBenchmarks", "Classify", "", "NaiveByteLoop")]
    plan += [("AtomicOrNoNewBitsBenchmarks", "InterlockedOrEveryWord", "", None),
             ("AtomicOrNoNewBitsBenchmarks", "AtomicOr", "", "InterlockedOrEveryWord")]
    for nb in ATOMIC_OR_NEW_BITS:
        plan += [("AtomicOrBenchmarks", "Restore", nb, "—"), ("AtomicOrBenchmarks", "InterlockedOrEveryWord", nb, None),
                 ("AtomicOrBenchmarks", "AtomicOr", nb, "InterlockedOrEveryWord")]
    plan += [("SnapshotBenchmarks", "CopyTo", "", None), ("SnapshotBenchmarks", "Snapshot", "", "CopyTo")]
    for size in sorted({k[2] for k in res if k[2]}):
        copy = res.get(("CopyBenchmarks", "CopyTo", size, ""))
        for typ, method, nb, base in plan:
            r = res.get((typ, method, size, nb))
            if not r:
                continue
            # The merges of AtomicOrBenchmarks restore their destination first: compare them net of that.
            median = atomic_or_net(res, method, size, nb) if typ == "AtomicOrBenchmarks" else r["median"]
            b = atomic_or_net(res, base, size, nb) if typ == "AtomicOrBenchmarks" and base else (
                res[(typ, base, size, nb)]["median"] if (typ, base, size, nb) in res else None)
            name = f"{typ.removesuffix('Benchmarks')}.{method}" + (f" ({nb})" if nb else "")
            if median is None or median <= 0:
                rows.append(f"| {name} | {size_label(size)} | not measurable | — | — | — | {r['alloc']} |")
                continue
            ratio = "—" if base == "—" else f"{median / b:.2f}" if b and b > 0 else "baseline"
            vs_copy = f"{copy['median'] / median:.2f}" if copy else "—"
            rows.append(f"| {name} | {size_label(size)} | {median / 1e3:.2f} | {gbs(size, median)} | {ratio} | {vs_copy} | {r['alloc']} |")
    text = ("BenchmarkDotNet, pinned job (1 launch, 3 warm-ups, 7 iterations of 100 ms). Maps in native memory "
            "(NativeMemory.AlignedAlloc, 64-byte aligned); Snapshot reads a region in /dev/shm. AtomicOr with new "
            "bits (OnePercent, Half, All: the share of the 64-bit words the source adds edges to; 15 iterations): each "
            "invocation restores the destination with CopyTo before it merges; AtomicOr.Restore times that copy alone, "
            "and the two merges' figures are net of it. GB/s = map bytes ÷ time. "
            "\"bandwidth ÷ CopyTo's\" compares with CopyBenchmarks.CopyTo at the same size, in the same run.\n\n"
            + "\n".join(rows) + "\n")
    feed = ["| feed benchmark | median ns / record | records / s | allocated B/record |", "|---|---:|---:|---:|"]
    for method, what in (("WriteAndParse", "sample a 64 Ki-edge region, write, parse (no new edge)"),
                         ("Parse", "parse records of 64 new edges")):
        r = res.get(("FeedBenchmarks", method, 0, ""))
        if r:
            feed.append(f"| {what} | {r['median']:.0f} | {1e9 / r['median']:,.0f} | {r['alloc']} |")
    text += "\nFeed (System.IO.Pipelines `Pipe`, one record per operation):\n\n" + "\n".join(feed) + "\n"
    return text


def targets(rec, gat, net, rep=None, cmp=None):
    rows = ["| target | measured | verdict |", "|---|---|---|"]

    def add(name, value, ok, fmt="{:.2f}×"):
        rows.append(f"| {name} | {fmt.format(value) if value is not None else 'not measured'} | "
                    f"{'—' if value is None else ('met' if ok else 'MISSED')} |")

    if rec:
        add("Memcov callback on a region ≤ 1.05× the empty callback, 1 process",
            rec["memcov-region"] / rec["empty"], rec["memcov-region"] / rec["empty"] <= 1.05)
        add("Memcov callback, 2 processes on one region ≤ 1.05× 2 processes on private maps",
            rec["memcov-2-region"] / rec["memcov-2"], rec["memcov-2-region"] / rec["memcov-2"] <= 1.05)
        add("Memcov callback, 2 processes on one region ≤ 1.05× the empty callback, 2 processes",
            rec["memcov-2-region"] / rec["empty-2"], rec["memcov-2-region"] / rec["empty-2"] <= 1.05)
        add("2 processes: memcov bit RMW (shared map) ÷ Memcov (one region) ≥ 1.3",
            rec["bitrmw-2-shared"] / rec["memcov-2-region"], rec["bitrmw-2-shared"] / rec["memcov-2-region"] >= 1.3)
        if "afl" in rec:
            add("Memcov no-call on a region ≤ 1.03× AFL++, 1 process",
                rec["nocall-region"] / rec["afl"], rec["nocall-region"] / rec["afl"] <= 1.03)
        else:
            rows.append("| Memcov no-call on a region ≤ 1.03× AFL++, 1 process | AFL++ skipped | — |")
        add("Memcov no-call, 2 processes on one region ≤ 1.03× 2 processes on private maps",
            rec["nocall-2-region"] / rec["nocall-2"], rec["nocall-2-region"] / rec["nocall-2"] <= 1.03)
        for key, flags, what in (("nocall-counts-region", "nocall-region", "no-call, on the base view"),
                                 ("nocall-counts-region-in-own", "nocall-region-in-own",
                                  "no-call, with mcov_reset() before each 4 KiB input"),
                                 ("memcov-counts-region", "memcov-region", "callback, on the base view")):
            if key in rec and flags in rec:
                add(f"Memcov on a hit-count region ≤ 1.05× on a flag region, {what}",
                    rec[key] / rec[flags], rec[key] / rec[flags] <= 1.05)
        for key, what in (("nocall-region-in-own", "the workload's module"),
                          ("nocall-big-region-in-own", "a module of 70 000 more edges")):
            if key in rec and "counters8-laid-in" in rec:
                add(f"Memcov no-call, mcov_reset() before each 4 KiB input ≤ 1.05× its floor, {what}",
                    rec[key] / rec["counters8-laid-in"], rec[key] / rec["counters8-laid-in"] <= 1.05)
    if gat and (1 << 20, "region") in gat:
        sizes = sorted({edges for edges, _ in gat})
        for edges in sizes:
            for mode, what in (("region", "exec'd, mcov_attach"), ("region-env", "exec'd, MEMCOV_REGION"),
                               ("python-region", "Python spawn"), ("lane", "exec'd, lane workers")):
                w = gat[(edges, mode)]["wall_ratio"]
                add(f"Gathering 200 workers at {edges_label(edges)} edges ({what}): wall time ≤ 1.0× serialize's",
                    w, w <= 1.0)
        own = gat[(1 << 20, "startup")]["own_ns"] / 1e6
        add("Memcov's own start-up of a worker joining with MEMCOV_REGION at 1 Mi edges ≤ 0.3 ms", own, own <= 0.3,
            "{:.3f} ms")
        for edges, want in ((1 << 20, 100), (16 << 20, 50)):
            if (edges, "region") in gat:
                s, r = gat[(edges, "serialize")], gat[(edges, "region")]
                add(f"Gathering 200 workers at {edges_label(edges)} edges: parent time ≥ {want}× less than serialize",
                    s["parent_ns"] / r["parent_ns"], s["parent_ns"] / r["parent_ns"] >= want, "{:.0f}×")
    if net:
        big = 16 << 20
        copy = net.get(("CopyBenchmarks", "CopyTo", big, ""))
        count = net.get(("CountCoveredBenchmarks", "CountCovered", big, ""))
        aor = net.get(("AtomicOrNoNewBitsBenchmarks", "AtomicOr", big, ""))
        if copy and count:
            add("CountCovered ≥ 0.8× CopyTo's bandwidth at 16 MiB", copy["median"] / count["median"],
                copy["median"] / count["median"] >= 0.8)
        if copy and aor:
            add("AtomicOr, no new bits ≥ 0.5× CopyTo's bandwidth at 16 MiB", copy["median"] / aor["median"],
                copy["median"] / aor["median"] >= 0.5)
        naive = net.get(("ClassifyBenchmarks", "NaiveByteLoop", big, ""))
        classify = net.get(("ClassifyBenchmarks", "Classify", big, ""))
        if naive and classify:
            add("Classify ≥ 4× the naive loop at 16 MiB", naive["median"] / classify["median"],
                naive["median"] / classify["median"] >= 4)
        for size in sorted({k[2] for k in net if k[0] == "AtomicOrBenchmarks"}):
            for nb in ATOMIC_OR_NEW_BITS:
                base = atomic_or_net(net, "InterlockedOrEveryWord", size, nb)
                aor = atomic_or_net(net, "AtomicOr", size, nb)
                name = f"AtomicOr ≥ 0.95× Interlocked.Or on every word, {size_label(size)}, {nb} new (speed, restore subtracted)"
                if base and aor and base > 0 and aor > 0:
                    add(name, base / aor, base / aor >= 0.95)
                else:
                    rows.append(f"| {name} | not measurable | — |")
        kernels = [v["alloc"] for k, v in net.items() if k[0] in ("CountCoveredBenchmarks", "OrBenchmarks",
                   "HasNewCoverageBenchmarks", "ClassifyBenchmarks") or (k[0].startswith("AtomicOr") and k[1] == "AtomicOr")]
        if kernels:
            add("CoverageMap kernels allocate 0 bytes", max(kernels), max(kernels) == 0, "{} B/op at most")
    if rep:
        add(f"memcov report of a {rep['edges']}-edge module < {REPORT_TARGET_S:g} s (median wall)", rep["median_s"],
            rep["median_s"] < REPORT_TARGET_S, "{:.3f} s")
    if cmp:
        worst = max(cmp["union_complete_ms"])
        add(f"{cmp['hosts']} hosts publishing {cmp['edges']}-edge maps reach the union in Redis < 1 s from the first "
            "publish (slowest round)", worst, worst < 1000, "{:.0f} ms")
        idle = max(cmp["idle_sync_bytes"])
        add("Traffic of a sync with nothing new < 1 KiB", idle, idle < 1024, "{:.0f} bytes")
    return "\n".join(rows) + "\n"


def machine(argv):
    model, cores = "unknown", os.cpu_count()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (f"- CPU: {model}, {cores} logical cores (/proc/cpuinfo); {platform.system()} {platform.release()}\n"
            f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC\n"
            f"- Command: `{argv}`\n"
            f"- Load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")


PARTS = ("recording", "gather", "dotnet", "report", "pctable", "replay", "campaign")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: only check that each benchmark runs")
    ap.add_argument("--out", type=Path, help="where the tables go (default artifacts/bench, artifacts/bench-smoke)")
    ap.add_argument("--reps", type=int, help="rounds of the recording variants and of the report (default 21), "
                                             "and of the corpus replays (default 3)")
    ap.add_argument("--bytes", type=int, help="workload bytes per process (default 23000000: about 10^8 edge hits)")
    ap.add_argument("--skip-dotnet", action="store_true", help="native parts only")
    ap.add_argument("--only", metavar="PARTS",
                    help=f"comma-separated parts to run, of {','.join(PARTS)} (default: all); results.md "
                         "then has only theirs")
    ap.add_argument("--command", default=None, help="the command to name in results.md")
    ap.add_argument("--update-doc", type=Path, metavar="MD",
                    help="also put results.md between the results markers of this file (docs/performance.md)")
    args = ap.parse_args()
    parts = PARTS if args.only is None else tuple(p.strip() for p in args.only.split(",") if p.strip())
    if not parts or set(parts) - set(PARTS):
        ap.error(f"--only takes parts of {','.join(PARTS)}, not {args.only!r}")
    if args.update_doc and args.only is not None:
        ap.error("--update-doc puts every part's table into the doc: run without --only")
    out = args.out or ROOT / "artifacts" / ("bench-smoke" if args.smoke else "bench")
    out.mkdir(parents=True, exist_ok=True)
    build_dir = ROOT / "artifacts/obj/bench-native"
    head = machine(args.command or "python3 bench/run.py " + " ".join(sys.argv[1:]))
    reps = args.reps or (1 if args.smoke else 21)

    rec = gat = net = rep = None
    sections = []
    afl_skip = ensure_afl(args.smoke) if "recording" in parts or "replay" in parts else None
    if afl_skip:
        log(f"AFL++ skipped: {afl_skip}")
    if "recording" in parts or "gather" in parts:
        build_native(build_dir, args.smoke)
    if "recording" in parts:
        rec_text, rec = recording(build_dir, args.bytes or (20000 if args.smoke else 23_000_000), reps, afl_skip)
        (out / "recording.md").write_text(rec_text)
        sections.append(("Recording cost", rec_text))
    if "gather" in parts:
        gat_text, gat = gather(build_dir, [64 << 10] if args.smoke else GATHER_SIZES,
                               4 if args.smoke else 200, 1 if args.smoke else 3)
        (out / "gather.md").write_text(gat_text)
        sections.append(("Gathering many workers", gat_text))
    if "dotnet" in parts:
        net_text, net = ("(.NET skipped)\n", None) if args.skip_dotnet else dotnet(out, args.smoke)
        (out / "dotnet.md").write_text(net_text)
        sections.append((".NET kernels and feed", net_text))
    if "report" in parts or "pctable" in parts:
        # The smoke run builds modules of 2000 edges: a second, where 100 000 take about ten.
        mods = GenModules()
        try:
            rep_edges = 2000 if args.smoke else REPORT_EDGES
            pct_edges = [2000] if args.smoke else PCTABLE_EDGES
            # Every build at once, as many at a time as there are cores.
            mods.build([(e, pcs) for e in ([rep_edges] if "report" in parts else [])
                        + (pct_edges if "pctable" in parts else []) for pcs in (False, True)])
            if "report" in parts:
                rep_text, rep = report_speed(mods, rep_edges, reps)
                (out / "report.md").write_text(rep_text)
                sections.append(("Report speed", rep_text))
            if "pctable" in parts:
                pct_text, _ = pctable_cost(mods, pct_edges, 3 if args.smoke else PCTABLE_ROUNDS)
                (out / "pctable.md").write_text(pct_text)
                sections.append(("PC-table cost at process start", pct_text))
        finally:
            mods.close()
    if "replay" in parts:
        # Each replay of the large corpus takes up to a minute: 3 rounds unless told.
        rpl_text = replay_speed(args.reps or (1 if args.smoke else 3), args.smoke, afl_skip)
        (out / "replay.md").write_text(rpl_text)
        sections.append(("Corpus replay", rpl_text))
        log("replay:\n" + rpl_text)
    cmp = None
    if "campaign" in parts:
        cmp_text, cmp = campaign_speed(args.reps or (1 if args.smoke else 5), args.smoke)
        (out / "campaign.md").write_text(cmp_text)
        sections.append(("A campaign across hosts on Redis", cmp_text))
        log("campaign:\n" + cmp_text)
    # A smoke run's figures mean nothing: no verdicts from them.
    tgt_text = ("(smoke run: no verdicts)\n" if args.smoke else targets(rec, gat, net, rep, cmp))
    (out / "targets.md").write_text(tgt_text)
    sections.append(("Targets", tgt_text))
    load = os.getloadavg()
    head += f"- Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
    (out / "machine.md").write_text(head)
    results = f"## Machine and run\n\n{head}" + "".join(f"\n## {title}\n\n{text}" for title, text in sections)
    (out / "results.md").write_text(results)
    print(results)
    log(f"tables in {out}")
    if args.update_doc:
        update_doc(args.update_doc, results)


BEGIN, END = "<!-- bench results: begin (bench/run.py --update-doc) -->", "<!-- bench results: end -->"


def update_doc(path, results):
    """Replaces what lies between the results markers of `path` with `results`."""
    text = path.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path} has no results markers: {BEGIN} ... {END}")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    # The doc's own headings are level 2: the results' sections go one level down.
    body = results.replace("\n## ", "\n### ")
    body = ("### " + body[3:]) if body.startswith("## ") else body
    path.write_text(f"{head}{BEGIN}\n\n{body}\n{END}{tail}")
    log(f"results written into {path}")


if __name__ == "__main__":
    main()
