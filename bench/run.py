#!/usr/bin/env python3
"""Runs Memcov's benchmarks and writes their tables (markdown) to artifacts/bench/.

    python3 bench/run.py            # everything: ./build.sh bench
    python3 bench/run.py --smoke    # only checks that every benchmark starts and finishes

Parts: the recording cost of each build variant of bench/native (native/workload.c), gathering
the coverage of many workers (native/gather.c), and the .NET kernels and feed (Memcov.Benchmarks,
BenchmarkDotNet). Each part writes one table file; results.md joins them with the machine, the
command and the date, ready to paste into docs/performance.md. Standard library only.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
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
    if shutil.which("afl-clang-fast"):
        return None
    if smoke:
        return "afl-clang-fast is not installed (the smoke run installs nothing)"
    if os.geteuid() != 0:
        return "afl-clang-fast is not installed and this is not root: apt-get install afl++"
    log("installing afl++ with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = subprocess.run(["apt-get", "install", "-y", "-qq", "afl++"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0 or not shutil.which("afl-clang-fast"):
        return "apt-get install afl++ failed: " + (r.stderr.strip().splitlines() or ["no afl-clang-fast"])[-1]
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


def gather(build_dir, sizes, workers, reps):
    parallel = os.cpu_count() or 2
    log(f"gathering: {workers} workers, {parallel} at a time, sizes {sizes}, {reps} rounds")
    res = {}
    for edges in sizes:
        for mode in ("serialize", "region", "lane"):
            runs = [parse_fields(run([str(build_dir / "bench_gather"), mode, str(edges), str(workers), str(parallel)],
                                     stdout=subprocess.PIPE, env=native_env()).stdout.strip())
                    for _ in range(reps)]
            if len({r["covered"] for r in runs}) != 1:
                raise SystemExit(f"gathering: runs of {mode} at {edges} edges disagree on the union")
            res[(edges, mode)] = {k: statistics.median(int(r[k]) for r in runs)
                                  for k in ("parent_ns", "wall_ns", "register_ns", "attach_ns")}
            res[(edges, mode)]["covered"] = int(runs[0]["covered"])
            if mode != "serialize":
                res[(edges, mode)]["warm_count_ns"] = statistics.median(int(r["warm_count_ns"]) for r in runs)
        if len({res[(edges, m)]["covered"] for m in ("serialize", "region", "lane")}) != 1:
            raise SystemExit(f"gathering: the designs found different unions at {edges} edges")

    def ms(ns):
        return f"{ns / 1e6:.3f}"

    rows = ["| edges | union | parent: memcov serialize ms | parent: Memcov region ms | parent ratio | "
            "parent: lane workers ms | wall: serialize ms | wall: region ms | wall: lane ms | "
            "child register ms | child attach ms | child attach: lane workers ms |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for edges in sizes:
        s, r, ln = res[(edges, "serialize")], res[(edges, "region")], res[(edges, "lane")]
        rows.append(f"| {edges_label(edges)} | {r['covered']} | {ms(s['parent_ns'])} | {ms(r['parent_ns'])} | "
                    f"{s['parent_ns'] / r['parent_ns']:.0f}× | {ms(ln['parent_ns'])} | {ms(s['wall_ns'])} | "
                    f"{ms(r['wall_ns'])} | {ms(ln['wall_ns'])} | {ms(r['register_ns'])} | {ms(r['attach_ns'])} | "
                    f"{ms(ln['attach_ns'])} |")
    text = (f"{workers} worker processes (exec'd, {parallel} at a time), each hitting 65536 pseudo-random edges; "
            f"medians of {reps} runs. Parent: its work after the last worker exited (serialize: read and OR "
            f"every worker's file, then count; region and lane: `mcov_get_now64()`, which for lane workers "
            f"also folds and frees the {workers} lanes they left). Wall: first spawn to the count. "
            f"Child register: `__sanitizer_cov_trace_pc_guard_init` of the module (private pages); child attach: "
            f"`mcov_attach` (open + map + claim the range + remap), medians over the workers. Lane workers "
            f"register a no-call module of counters of the same size instead and count as the compiler's "
            f"increments do: their attach also takes a lane, reserves the module's range of it and maps it over "
            f"the counters, so the two attach columns differ by what a lane adds to a worker's start-up.\n\n"
            + "\n".join(rows) + "\n")
    return text, res


def edges_label(n):
    return f"{n >> 20} Mi" if n >= 1 << 20 else f"{n >> 10} Ki"


def size_label(n):
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"


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


def targets(rec, gat, net):
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
        s, r = gat[(1 << 20, "serialize")], gat[(1 << 20, "region")]
        add("Gathering 200 workers at 1 Mi edges: parent time ≥ 100× less than serialize",
            s["parent_ns"] / r["parent_ns"], s["parent_ns"] / r["parent_ns"] >= 100, "{:.0f}×")
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: only check that each benchmark runs")
    ap.add_argument("--out", type=Path, help="where the tables go (default artifacts/bench, artifacts/bench-smoke)")
    ap.add_argument("--reps", type=int, help="rounds of the recording variants (default 21)")
    ap.add_argument("--bytes", type=int, help="workload bytes per process (default 23000000: about 10^8 edge hits)")
    ap.add_argument("--skip-dotnet", action="store_true", help="native parts only")
    ap.add_argument("--command", default=None, help="the command to name in results.md")
    ap.add_argument("--update-doc", type=Path, metavar="MD",
                    help="also put results.md between the results markers of this file (docs/performance.md)")
    args = ap.parse_args()
    out = args.out or ROOT / "artifacts" / ("bench-smoke" if args.smoke else "bench")
    out.mkdir(parents=True, exist_ok=True)
    build_dir = ROOT / "artifacts/obj/bench-native"
    head = machine(args.command or "python3 bench/run.py " + " ".join(sys.argv[1:]))

    afl_skip = ensure_afl(args.smoke)
    if afl_skip:
        log(f"AFL++ skipped: {afl_skip}")
    build_native(build_dir, args.smoke)
    rec_text, rec = recording(build_dir, args.bytes or (20000 if args.smoke else 23_000_000),
                              args.reps or (1 if args.smoke else 21), afl_skip)
    (out / "recording.md").write_text(rec_text)
    gat_text, gat = gather(build_dir, [64 << 10] if args.smoke else GATHER_SIZES,
                           4 if args.smoke else 200, 1 if args.smoke else 3)
    (out / "gather.md").write_text(gat_text)
    net_text, net = ("(.NET skipped)\n", None) if args.skip_dotnet else dotnet(out, args.smoke)
    (out / "dotnet.md").write_text(net_text)
    # A smoke run's figures mean nothing: no verdicts from them.
    tgt_text = ("(smoke run: no verdicts)\n" if args.smoke else targets(rec, gat, net))
    (out / "targets.md").write_text(tgt_text)
    load = os.getloadavg()
    head += f"- Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
    (out / "machine.md").write_text(head)
    results = (f"## Machine and run\n\n{head}\n## Recording cost\n\n{rec_text}\n## Gathering many workers\n\n"
               f"{gat_text}\n## .NET kernels and feed\n\n{net_text}\n## Targets\n\n{tgt_text}")
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
