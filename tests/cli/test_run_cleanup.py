"""memcov run owns its region and leaves nothing behind: a region removed or replaced under a run
fails the run (it says so and keeps nothing), the targets' own memcov: lines are summarized, a
target's exit(139) is an exit and a SIGSEGV a crash, `memcov ls` tells held regions from unused
ones, `memcov rm --unused` and patterns sweep the unused ones, and a runner SIGKILLed at any moment
leaves no process, and no region once the next run has looked.

    MEMCOV_CLI=artifacts/cli/memcov MEMCOV_SAMPLE_DIR=artifacts/samples python3 -m unittest tests/cli/test_run_cleanup.py
"""
import ctypes
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = os.environ.get("MEMCOV_CLI") or str(ROOT / "artifacts" / "cli" / "memcov")
SAMPLES = Path(os.environ.get("MEMCOV_SAMPLE_DIR") or ROOT / "artifacts" / "samples")
SAMPLE = str(SAMPLES / "memcov-sample")


class CleanupTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="memcov-cleanup-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.shm = self.tmp / "shm"
        self.shm.mkdir()
        # Killed .NET processes leave no diagnostics pipes behind.
        self.env = dict(os.environ, MEMCOV_SHM_DIR=str(self.shm), DOTNET_EnableDiagnostics="0")

    def memcov(self, *args, ok=True, timeout=120):
        out = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout, env=self.env)
        if ok and out.returncode != 0:
            raise AssertionError(f"memcov {' '.join(args)} exited {out.returncode}: {out.stderr}")
        return out

    def inputs(self, count, extra=()):
        d = self.tmp / f"inputs-{count}-{len(extra)}"
        d.mkdir()
        for f in sorted((ROOT / "samples" / "corpus").iterdir())[:count]:
            shutil.copy(f, d)
        for f in extra:
            shutil.copy(ROOT / "samples" / "corpus-bad" / f, d)
        return d

    def wait_for(self, condition, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                self.fail(f"never: {what}")
            time.sleep(0.02)

    def covered(self, region):
        out = self.memcov("stat", region, "--json", ok=False)
        return json.loads(out.stdout)["covered_edges"] if out.returncode == 0 else 0

    def slow_run(self, region, *, replace=False):
        """A run of slow targets; once it has coverage, its region is removed (and created again)."""
        slow = self.tmp / "slow.sh"
        slow.write_text(f'#!/bin/sh\nsleep 0.2\nexec "{SAMPLE}" "$1"\n')
        slow.chmod(0o755)
        run = subprocess.Popen([CLI, "run", "--jobs", "2", "--region", region, "--keep", "--json",
                                "--inputs", str(self.inputs(40)), "--", str(slow), "{}"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
        self.wait_for(lambda: self.covered(region) > 0, "the run recorded something")
        self.memcov("rm", region)
        if replace:
            self.memcov("create", region)
        out, err = run.communicate(timeout=120)
        return run.returncode, json.loads(out), err

    def test_a_region_removed_under_a_run_fails_the_run(self):
        code, summary, err = self.slow_run("rmme")
        self.assertEqual(code, 1, err)
        self.assertFalse(summary["kept"])
        self.assertIn("was removed", summary["problem"])
        self.assertEqual([l for l in err.splitlines() if l], [l for l in err.splitlines() if l.startswith("memcov:")])
        self.assertIn("was removed", err)
        self.assertFalse((self.shm / "memcov-rmme").exists())

    def test_a_region_replaced_under_a_run_fails_the_run_and_is_left_to_its_owner(self):
        code, summary, err = self.slow_run("swapped", replace=True)
        self.assertEqual(code, 1, err)
        self.assertFalse(summary["kept"])
        self.assertIn("was removed", summary["problem"])  # and maybe "and replaced": the run may look in between
        self.assertTrue((self.shm / "memcov-swapped").exists(), "the run removed a region it did not create")

    def test_targets_memcov_lines_are_summarized(self):
        out = self.memcov("run", "--json", "--inputs", str(self.inputs(5)), "--", "sh", "-c",
                          'echo "memcov: a line of the runtime" >&2; echo "other noise" >&2', "x", "{}")
        summary = json.loads(out.stdout)
        self.assertEqual(summary["runtime_messages"], [{"message": "memcov: a line of the runtime", "runs": 5}])

    def test_an_exit_of_139_is_an_exit_and_a_sigsegv_a_crash(self):
        summary = json.loads(self.memcov("run", "--json", "--", "sh", "-c", "exit 139").stdout)
        self.assertEqual((summary["crashes"], summary["failures"]), (0, 1))
        summary = json.loads(self.memcov("run", "--json", "--", "sh", "-c", "kill -SEGV $$").stdout)
        self.assertEqual((summary["crashes"], summary["failures"]), (1, 0))

    def test_ls_tells_held_from_unused_and_rm_sweeps_only_the_unused(self):
        self.memcov("create", "old-a")
        self.memcov("create", "old-b")
        self.memcov("create", "keep-c")
        regions = {r["name"]: r for r in json.loads(self.memcov("ls", "--json").stdout)}
        self.assertEqual({n: r["liveness"] for n, r in regions.items()}, {"old-a": "unused", "old-b": "unused", "keep-c": "unused"})
        self.assertIn("unused", self.memcov("ls").stdout)

        # A process holds old-a: attached through libmemcov, waiting on a pipe.
        holder = subprocess.Popen([sys.executable, "-c",
                                   "import ctypes,sys; lib=ctypes.CDLL(sys.argv[1]); "
                                   "assert lib.mcov_attach(b'old-a') == 0; print('ready', flush=True); sys.stdin.read()",
                                   str(ROOT / "artifacts" / "native" / "libmemcov.so.1")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=self.env)
        self.assertEqual(holder.stdout.readline().strip(), "ready")
        try:
            regions = {r["name"]: r for r in json.loads(self.memcov("ls", "--json").stdout)}
            self.assertEqual(regions["old-a"]["liveness"], "held")
            out = self.memcov("rm", "--unused", "old-*")
            self.assertIn("left region old-a", out.stdout)
            self.assertEqual(sorted(p.name for p in self.shm.iterdir()), ["memcov-keep-c", "memcov-old-a"])
        finally:
            holder.communicate("", timeout=30)
        self.memcov("rm", "--unused")
        self.assertEqual(list(self.shm.iterdir()), [])
        out = self.memcov("rm", "nothing-*", ok=False)
        self.assertEqual(out.returncode, 1)
        self.assertTrue(out.stderr.startswith("memcov: no region matches"))

    def test_a_runner_killed_at_any_moment_leaves_no_process_and_no_region_after_the_next_run(self):
        corpus = self.inputs(30, extra=["hang.ms", "crash.ms"])
        rng = random.Random(20261205)
        before = sorted(p.name for p in self.shm.iterdir())
        for round in range(20):
            run = subprocess.Popen([CLI, "run", "--jobs", "2", "--timeout", "60", "--inputs", str(corpus), "--", SAMPLE, "{}"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
            # Some moment between its start and its first targets' end.
            self.wait_for(lambda: any(p.name.startswith(f"memcov-run-{run.pid}-") for p in self.shm.iterdir()),
                          "the run created its region")
            time.sleep(rng.uniform(0, 0.3))
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=30)
            self.wait_for(lambda: self.targets_of(corpus) == [], f"round {round}: the targets died with their runner")
        self.memcov("run", "--", "true")  # the next run sweeps what the killed ones left
        self.assertEqual(sorted(p.name for p in self.shm.iterdir()), before)

    def targets_of(self, corpus):
        out = subprocess.run(["pgrep", "-f", str(corpus)], capture_output=True, text=True).stdout.split()
        return [int(p) for p in out if int(p) != os.getpid()]


if __name__ == "__main__":
    unittest.main()
