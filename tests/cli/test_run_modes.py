"""memcov run's three ways of running inputs give the same coverage and leave nothing behind: a
fork server (the command's target started once per worker, forked per input), exec (once per
input: what a target that never starts the fork server gets, with one line saying why) and a
harness library (LLVMFuzzerTestOneInput, loaded once per worker). The same union byte for byte on
the sample corpus; crashes and hangs counted, listed and keeping their coverage; a target's own
exit(139) an exit; no process left after Ctrl-C, after SIGKILL of memcov run, or after a target's
background child; options checked.

    MEMCOV_CLI=artifacts/cli/memcov MEMCOV_SAMPLE_DIR=artifacts/samples python3 -m unittest tests/cli/test_run_modes.py
"""
import json
import os
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
SAMPLE = SAMPLES / "memcov-sample"
HARNESS = SAMPLES / "libmemcov_sample_fuzz.so"
WRAPPER = ROOT / "artifacts" / "bin" / "memcov-cc"
NATIVE = ROOT / "artifacts" / "native"
sys.path.insert(0, str(ROOT / "bindings" / "python"))
os.environ.setdefault("MEMCOV_LIBRARY", str(NATIVE / "libmemcov.so.2"))

# A target and a harness that end as their first byte says: 'e' exit(139), 's' SIGSEGV, 'O' a heap
# overflow (a report where built with ASan), 'b' leave a
# background child behind, 'h' hang; anything else returns. Built with memcov-cc: instrumented.
TARGET_C = r"""
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
/* Start-ups a fork server must cope with, one per -D. */
#ifdef IGNORE_SIGCHLD
__attribute__((constructor)) static void quirk(void) { signal(SIGCHLD, SIG_IGN); }
#endif
#ifdef THREAD_AT_START
static void *idle(void *arg) { for (;;) pause(); return arg; }
__attribute__((constructor)) static void quirk(void) { pthread_t t; pthread_create(&t, 0, idle, 0); }
#endif
#ifdef RUNS_ITSELF
__attribute__((constructor)) static void quirk(void) {
    if (!getenv("QUIRK_CHILD")) { setenv("QUIRK_CHILD", "1", 1); system("/proc/self/exe /dev/null"); unsetenv("QUIRK_CHILD"); }
}
#endif
static int act(int c) {
    if (c == 'e') exit(139);
    if (c == 's') raise(SIGSEGV);
    if ((c == 'b' || c == 'B') && fork() == 0) { execlp("sleep", "sleep", "3600", (char *)0); _exit(1); }
    if (c == 'B') for (;;) pause();
    if (c == 'h') for (;;) pause();
    if (c == 'O') { char *volatile p = malloc(4); p[4] = 1; free(p); }
    return c == 'x' ? 1 : 0;
}
#ifdef HARNESS
#ifdef FLAKY_INIT
/* Every second start fails: the count is kept in the file $FLAKY_COUNT names. */
__attribute__((visibility("default"))) int LLVMFuzzerInitialize(int *argc, char ***argv) {
    FILE *f = fopen(getenv("FLAKY_COUNT"), "a+");
    long n = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : 0;
    if (f) { fputc('x', f); fclose(f); }
    if (n % 2 == 1) exit(1);
    return (void)argc, (void)argv, 0;
}
#endif
__attribute__((visibility("default"))) int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
    return act(n ? d[0] : 0), 0;
}
#else
int main(int argc, char **argv) {
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
    if (!f) return 2;
    int c = fgetc(f);
    return act(c);
}
#endif
"""


def processes_running(pattern):
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    return [p for p in out if int(p) != os.getpid()]


class RunModesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.build = Path(tempfile.mkdtemp(prefix="memcov-modes-build-"))
        cls.addClassCleanup(shutil.rmtree, cls.build, True)  # also when the builds below fail
        src = cls.build / "target.c"
        src.write_text(TARGET_C)
        cls.target = cls.build / "mcov-modes-target"
        cls.harness = cls.build / "libmcov-modes-harness.so"
        for args in ([str(src), "-o", str(cls.target)],
                     ["-DHARNESS", "-shared", "-fPIC", str(src), "-o", str(cls.harness)]):
            subprocess.run([str(WRAPPER), "-O1", *args], check=True, capture_output=True, text=True)

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="memcov-modes-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.shm = self.tmp / "shm"
        self.shm.mkdir()
        self.env = dict(os.environ, MEMCOV_SHM_DIR=str(self.shm), DOTNET_EnableDiagnostics="0")

    def memcov(self, *args, ok=True, timeout=300):
        out = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout, env=self.env)
        if ok and out.returncode != 0:
            raise AssertionError(f"memcov {' '.join(args)} exited {out.returncode}: {out.stderr}")
        return out

    def run_json(self, *args, region=None):
        extra = ["--region", region, "--keep"] if region else []
        out = self.memcov("run", "--json", *extra, *args)
        return json.loads(out.stdout), out.stderr

    def union(self, region):
        """The region's modules, by identity: their edge bytes."""
        import memcov as py
        path = self.tmp / f"{region}.map"
        self.memcov("export", region, "-o", str(path))
        return {m.identity: m.edges for m in py.maps.load(str(path))}

    def inputs(self, name, files):
        d = self.tmp / name
        d.mkdir()
        for file_name, data in files.items():
            (d / file_name).write_bytes(data)
        return d

    MODES = {
        "fork-server": lambda corpus: ["--inputs", str(corpus), "--", str(SAMPLE), "{}"],
        "exec": lambda corpus: ["--no-fork-server", "--inputs", str(corpus), "--", str(SAMPLE), "{}"],
        "harness": lambda corpus: ["--harness", str(HARNESS), "--inputs", str(corpus)],
    }

    def test_the_three_modes_give_the_same_union_byte_for_byte(self):
        corpus = ROOT / "samples" / "corpus"
        unions = {}
        for mode, args in self.MODES.items():
            summary, err = self.run_json("--jobs", "2", *args(corpus), region=f"u-{mode}")
            self.assertEqual(summary["mode"], mode, err)
            self.assertEqual((summary["done"], summary["crashes"], summary["timeouts"], summary["failures"]),
                             (len(list(corpus.iterdir())), 0, 0, 0), err)
            unions[mode] = self.union(f"u-{mode}")
        self.assertGreater(sum(e.count(1) for e in unions["exec"].values()), 500)
        self.assertEqual(unions["fork-server"], unions["exec"])
        self.assertEqual(unions["harness"], unions["exec"])

    def test_stdin_input_through_the_fork_server(self):
        corpus = ROOT / "samples" / "corpus"
        summary, err = self.run_json("--inputs", str(corpus), "--", str(SAMPLE), region="stdin")
        self.assertEqual(summary["mode"], "fork-server", err)
        reference, _ = self.run_json(*self.MODES["exec"](corpus), region="stdin-ref")
        self.assertEqual(self.union("stdin"), self.union("stdin-ref"))

    def test_crashes_and_hangs_are_counted_listed_and_keep_their_coverage(self):
        bad = ROOT / "samples" / "corpus-bad"
        unions = {}
        for mode, args in self.MODES.items():
            summary, err = self.run_json("--timeout", "1", *args(bad), region=f"bad-{mode}")
            self.assertEqual(summary["mode"], mode, err)
            self.assertEqual((summary["crashes"], summary["timeouts"]), (1, 1), err)
            self.assertEqual(summary["crashing_inputs"], [str(bad / "crash.ms")])
            self.assertEqual(summary["hanging_inputs"], [str(bad / "hang.ms")])
            unions[mode] = self.union(f"bad-{mode}")
        # The scripts ran before they crashed or hung: more than an empty input reaches.
        empty = self.inputs("empty", {"empty.ms": b""})
        self.run_json(*self.MODES["exec"](empty), region="empty")
        covered = lambda u: sum(len(e) - e.count(0) for e in u.values())
        self.assertGreater(covered(unions["exec"]), covered(self.union("empty")) + 50)
        self.assertEqual(unions["fork-server"], unions["exec"])
        self.assertEqual(unions["harness"], unions["exec"])

    def test_an_exit_of_139_is_an_exit_and_a_signal_a_crash_in_every_mode(self):
        corpus = self.inputs("ends", {"exit139": b"e", "segv": b"s", "fine": b"ok", "nonzero": b"x"})
        for mode, args in {
            "fork-server": ["--inputs", str(corpus), "--", str(self.target), "{}"],
            "exec": ["--no-fork-server", "--inputs", str(corpus), "--", str(self.target), "{}"],
            "harness": ["--harness", str(self.harness), "--inputs", str(corpus)],
        }.items():
            summary, err = self.run_json(*args)
            self.assertEqual(summary["mode"], mode, err)
            self.assertEqual(summary["crashing_inputs"], [str(corpus / "segv")], f"{mode}: {err}")
            # exit(139) and exit(1) are exits; a harness's return value is no exit code.
            self.assertEqual(summary["failures"], 1 if mode == "harness" else 2, f"{mode}: {err}")
            self.assertEqual(summary["done"], 4)

    def quirky(self, flag):
        target = self.build / f"mcov-modes-{flag.lower()}"
        if not target.exists():
            subprocess.run([str(WRAPPER), "-O1", f"-D{flag}", str(self.build / "target.c"), "-o", str(target), "-lpthread"],
                           check=True, capture_output=True, text=True)
        return target

    def test_start_ups_the_fork_server_copes_with_give_what_exec_gives(self):
        corpus = self.inputs("quirks", {"segv": b"s", "exit3": b"x", "fine": b"ok", "exit139": b"e"})
        for flag, mode in (("IGNORE_SIGCHLD", "fork-server"), ("RUNS_ITSELF", "fork-server"), ("THREAD_AT_START", "exec")):
            target = self.quirky(flag)
            summary, err = self.run_json("--inputs", str(corpus), "--", str(target), "{}")
            self.assertEqual(summary["mode"], mode, f"{flag}: {err}")
            outcome = (summary["crashing_inputs"], summary["failures"], summary["done"])
            self.assertEqual(outcome, ([str(corpus / "segv")], 2, 4), f"{flag}: {err}")
            if flag == "THREAD_AT_START":
                self.assertIn("no fork server: 2 threads run at the end of start-up", summary["mode_note"])

    def test_ctrl_c_kills_an_inputs_background_children_at_once(self):
        corpus = self.inputs("bg-hang", {"hang": b"B"})
        for args in (["--", str(self.target), "{}"], ["--harness", str(self.harness)]):
            proc = subprocess.Popen([CLI, "run", "--json", "--timeout", "120", "--inputs", str(corpus), *args],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
            self.addCleanup(lambda p=proc: p.poll() is None and p.kill())
            deadline = time.monotonic() + 60
            while not processes_running("^sleep 3600$"):
                self.assertLess(time.monotonic(), deadline, "the background child never started")
                time.sleep(0.05)
            started = time.monotonic()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 130, err)
            self.assertLess(time.monotonic() - started, 10, f"{args}: Ctrl-C took that long")
            self.assertEqual(processes_running("^sleep 3600$"), [], f"{args}: the background child outlived the run")
            self.assert_no_target_left()

    def test_a_target_that_never_starts_the_fork_server_runs_once_per_input_and_says_why(self):
        script = self.tmp / "wrapped.sh"
        script.write_text(f'#!/bin/sh\nexec "{SAMPLE}" "$@"\n')
        script.chmod(0o755)
        corpus = ROOT / "samples" / "corpus"
        summary, err = self.run_json("--inputs", str(corpus), "--", str(script), "{}", region="wrapped")
        self.assertEqual(summary["mode"], "exec")
        self.assertIn("never started the fork server", summary["mode_note"])
        self.assertEqual(err.splitlines(), [f"memcov: {summary['mode_note']}"])
        self.assertEqual(summary["done"], len(list(corpus.iterdir())))
        self.run_json(*self.MODES["exec"](corpus), region="direct")
        self.assertEqual(self.union("wrapped"), self.union("direct"))

    def test_a_background_child_of_an_input_does_not_outlive_its_run(self):
        corpus = self.inputs("bg", {"background": b"b", "fine": b"ok"})
        for args in (["--", str(self.target), "{}"], ["--no-fork-server", "--", str(self.target), "{}"],
                     ["--harness", str(self.harness)]):
            summary, err = self.run_json("--inputs", str(corpus), *args)
            self.assertEqual(summary["done"], 2, err)
            time.sleep(0.2)
            self.assertEqual(processes_running("^sleep 3600$"), [], f"{args}: a background child outlived the run")

    def start_hanging_run(self, *args):
        corpus = self.inputs(f"hang-{len(list(self.tmp.iterdir()))}", {"hang": b"h"})
        proc = subprocess.Popen([CLI, "run", "--json", "--timeout", "120", "--inputs", str(corpus), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        deadline = time.monotonic() + 60
        # The fork server and the child it forked for the input; the harness worker.
        while len(self.targets()) < (1 if "--harness" in args else 2):
            self.assertLess(time.monotonic(), deadline, "the target never started")
            time.sleep(0.05)
        time.sleep(0.2)  # into the hang
        return proc

    def targets(self):
        return processes_running(f"^{self.target} ") + processes_running(f"memcov-harness {self.harness}")

    def assert_no_target_left(self):
        deadline = time.monotonic() + 10
        while self.targets():
            self.assertLess(time.monotonic(), deadline, f"left behind: {self.targets()}")
            time.sleep(0.05)

    HANGING = {
        "fork-server": lambda t: ["--", str(t.target), "{}"],
        "harness": lambda t: ["--harness", str(t.harness)],
    }

    def test_ctrl_c_stops_the_servers_and_their_children(self):
        for mode, args in self.HANGING.items():
            proc = self.start_hanging_run(*args(self))
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 130, err)
            summary = json.loads(out)
            self.assertEqual((summary["mode"], summary["interrupted"], summary["killed"]), (mode, True, 1))
            self.assert_no_target_left()

    def test_sigkill_of_memcov_run_leaves_no_server_and_no_child(self):
        for args in self.HANGING.values():
            proc = self.start_hanging_run(*args(self))
            proc.kill()
            proc.communicate(timeout=60)
            self.assert_no_target_left()

    def test_cmin_keeps_a_subset_whose_union_is_the_corpus_union(self):
        corpus = ROOT / "samples" / "corpus"
        kept = {}
        for mode, args in self.MODES.items():
            out_dir = self.tmp / f"min-{mode}"
            rest = args(corpus)
            summary = json.loads(self.memcov("cmin", "--json", "-o", str(out_dir), *rest).stdout)
            self.assertEqual(summary["mode"], mode)
            kept[mode] = sorted(os.listdir(out_dir))
            self.assertEqual(len(kept[mode]), summary["kept"])
            self.assertLess(summary["kept"], summary["inputs"])
            self.assertEqual(summary["kept_bytes"], sum((out_dir / f).stat().st_size for f in kept[mode]))
            for f in kept[mode]:
                self.assertEqual((out_dir / f).read_bytes(), (corpus / f).read_bytes())
        self.assertEqual(kept["fork-server"], kept["exec"])
        self.assertEqual(kept["harness"], kept["exec"])
        self.run_json(*self.MODES["exec"](corpus), region="whole")
        self.run_json(*self.MODES["exec"](self.tmp / "min-exec"), region="kept")
        self.assertEqual(self.union("kept"), self.union("whole"))
        # Without any one of the kept inputs, the union is smaller: nothing kept is redundant by itself.
        for i, name in enumerate(kept["exec"][:3] + kept["exec"][-2:]):
            fewer = self.tmp / f"fewer-{i}"
            shutil.copytree(self.tmp / "min-exec", fewer)
            (fewer / name).unlink()
            self.run_json("--jobs", "2", *self.MODES["exec"](fewer), region=f"fewer-{i}")
            self.assertNotEqual(self.union(f"fewer-{i}"), self.union("whole"), f"{name} was redundant")
        self.assertEqual([n for n in os.listdir(self.shm) if n.startswith("memcov-run-")], [])

    def test_cmin_leaves_out_crashing_and_hanging_inputs(self):
        corpus = self.tmp / "mixed"
        shutil.copytree(ROOT / "samples" / "corpus", corpus)
        for f in ("crash.ms", "hang.ms"):
            shutil.copy(ROOT / "samples" / "corpus-bad" / f, corpus / f)
        out_dir = self.tmp / "min"
        summary = json.loads(self.memcov("cmin", "--json", "--timeout", "1", "--inputs", str(corpus), "-o", str(out_dir),
                                         "--", str(SAMPLE), "{}").stdout)
        self.assertEqual(summary["crashing_inputs"], [str(corpus / "crash.ms")])
        self.assertEqual(summary["hanging_inputs"], [str(corpus / "hang.ms")])
        self.assertNotIn("crash.ms", os.listdir(out_dir))
        self.assertNotIn("hang.ms", os.listdir(out_dir))

    def test_cmin_writes_only_into_a_new_or_empty_directory(self):
        corpus = ROOT / "samples" / "corpus"
        full = self.tmp / "full"
        full.mkdir()
        (full / "keep-me").write_text("x")
        link = self.tmp / "link"
        link.symlink_to(self.tmp / "elsewhere")
        for out_dir, says in ((full, "is not empty"), (link, "is there and is no directory")):
            out = self.memcov("cmin", "--inputs", str(corpus), "-o", str(out_dir), "--", str(SAMPLE), "{}", ok=False)
            self.assertEqual(out.returncode, 1, out.stderr)
            self.assertEqual(len(out.stderr.splitlines()), 1, out.stderr)
            self.assertIn(says, out.stderr)
        self.assertEqual(os.listdir(full), ["keep-me"])
        self.assertFalse((self.tmp / "elsewhere").exists())
        # A command that cannot start: the directory cmin made is gone again.
        out = self.memcov("cmin", "--inputs", str(corpus), "-o", str(self.tmp / "new"), "--", str(self.tmp / "no-such-program"), "{}", ok=False)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertFalse((self.tmp / "new").exists())

    def attributions(self, feed):
        records = json.loads(self.memcov("feed", str(feed), "--json").stdout)
        return [(r["input"], r["new_edges"]) for r in records if r["input"] is not None and r["new_edges"]]

    def test_a_recorded_feed_names_the_input_that_first_reached_each_edge(self):
        corpus = ROOT / "samples" / "corpus"
        named = {}
        for mode, args in self.MODES.items():
            feed = self.tmp / f"{mode}.feed"
            summary, err = self.run_json("--jobs", "1", "--record", str(feed), *args(corpus), region=f"rec-{mode}")
            self.assertEqual(summary["mode"], mode, err)
            named[mode] = self.attributions(feed)
            inputs = [i for i, _ in named[mode]]
            self.assertEqual(inputs, sorted(set(inputs)), "one record per input, in the order they ran")
            slots = [e for _, edges in named[mode] for e in edges]
            self.assertEqual(len(slots), len(set(slots)), "an edge is new once")
            self.assertEqual(len(slots), summary["region"]["covered_edges"])
        self.assertEqual(named["fork-server"], named["exec"])
        self.assertEqual(named["harness"], named["exec"])
        # The first input's record has all its edges: what it reaches alone.
        first, edges = named["exec"][0]
        alone = self.inputs("alone", {first: (corpus / first).read_bytes()})
        summary, _ = self.run_json(*self.MODES["exec"](alone))
        self.assertEqual(len(edges), summary["region"]["covered_edges"])
        # Two workers: still each edge once, and every record names an input of the corpus.
        feed = self.tmp / "two.feed"
        summary, _ = self.run_json("--jobs", "2", "--record", str(feed), *self.MODES["fork-server"](corpus))
        two = self.attributions(feed)
        self.assertEqual(sum(len(e) for _, e in two), summary["region"]["covered_edges"])
        self.assertTrue({i for i, _ in two} <= set(os.listdir(corpus)))
        self.assertEqual([n for n in os.listdir(self.shm) if n.startswith("memcov-run-")], [])

    def test_a_crashing_input_is_named_with_the_edges_it_reached(self):
        crash = self.inputs("crash", {"crash.ms": (ROOT / "samples" / "corpus-bad" / "crash.ms").read_bytes()})
        for mode, args in self.MODES.items():
            feed = self.tmp / f"crash-{mode}.feed"
            summary, err = self.run_json("--record", str(feed), *args(crash))
            self.assertEqual(summary["crashes"], 1, err)
            named = self.attributions(feed)
            self.assertEqual([i for i, _ in named], ["crash.ms"], mode)
            self.assertEqual(len(named[0][1]), summary["region"]["covered_edges"])
            self.assertGreater(len(named[0][1]), 50)

    def test_an_unknown_option_is_an_error_with_a_suggestion(self):
        out = self.memcov("run", "--jbos", "2", "--inputs", str(ROOT / "samples" / "corpus"), "--", str(SAMPLE), "{}", ok=False)
        self.assertEqual(out.returncode, 2)
        self.assertEqual(out.stderr.splitlines(), [
            "memcov: 'memcov run' has no option '--jbos' (did you mean '--jobs'?); the target's command goes after '--' (see memcov run --help)"])
        self.assertEqual(out.stdout, "")

    def test_a_sanitizer_report_is_a_crash_and_an_asan_harness_loads_its_runtime(self):
        src = self.build / "target.c"
        asan_target = self.build / "mcov-modes-asan"
        asan_harness = self.build / "libmcov-modes-asan.so"
        static_harness = self.build / "libmcov-modes-asan-static.so"
        for args in ([str(src), "-o", str(asan_target)],
                     ["-DHARNESS", "-shared", "-fPIC", "-shared-libsan", str(src), "-o", str(asan_harness)],
                     ["-DHARNESS", "-shared", "-fPIC", str(src), "-o", str(static_harness)]):
            subprocess.run([str(WRAPPER), "-O1", "-fsanitize=address", *args], check=True, capture_output=True, text=True)
        corpus = self.inputs("asan", {"overflow": b"O", "fine": b"ok"})
        for mode, args in {
            "fork-server": ["--", str(asan_target), "{}"],
            "exec": ["--no-fork-server", "--", str(asan_target), "{}"],
            "harness": ["--harness", str(asan_harness)],
        }.items():
            summary, err = self.run_json("--inputs", str(corpus), *args)
            self.assertEqual(summary["mode"], mode, err)
            self.assertEqual((summary["crashing_inputs"], summary["done"], summary["failures"]),
                             ([str(corpus / "overflow")], 2, 0), f"{mode}: {err}")
        out = self.memcov("run", "--harness", str(static_harness), "--inputs", str(corpus), ok=False)
        self.assertEqual(out.returncode, 1)
        self.assertEqual(len(out.stderr.splitlines()), 1, out.stderr)
        self.assertIn("build it with -shared-libsan", out.stderr)

    def test_a_harness_worker_that_fails_to_start_again_costs_one_input(self):
        harness = self.build / "libmcov-modes-flaky.so"
        subprocess.run([str(WRAPPER), "-O1", "-DHARNESS", "-DFLAKY_INIT", "-shared", "-fPIC", str(self.build / "target.c"),
                        "-o", str(harness)], check=True, capture_output=True, text=True)
        self.env["FLAKY_COUNT"] = str(self.tmp / "count")
        corpus = self.inputs("flaky", {"1": b"ok", "2": b"s", "3": b"ok", "4": b"ok"})
        summary, err = self.run_json("--jobs", "1", "--harness", str(harness), "--inputs", str(corpus))
        self.assertEqual((summary["done"], summary["crashes"], summary["failures"]), (4, 1, 1), err)
        self.assertTrue(any("did not start" in m["message"] for m in summary["runtime_messages"]), summary["runtime_messages"])

    def test_an_input_path_longer_than_a_request_is_one_failure(self):
        deep = self.tmp
        for _ in range(40):
            deep = deep / ("d" * 100)
        deep.mkdir(parents=True)
        (deep / "fine").write_bytes(b"ok")
        self.assertGreater(len(str(deep / "fine")), 4000)
        for args in (["--harness", str(self.harness)], ["--", str(self.target), "{}"]):
            summary, err = self.run_json("--inputs", str(deep), *args)
            self.assertEqual((summary["done"], summary["failures"]), (1, 1), err)
            self.assertTrue(any("longer than 4000 bytes" in m["message"] for m in summary["runtime_messages"]), summary)

    def test_harness_errors_are_one_line(self):
        corpus = ROOT / "samples" / "corpus"
        cases = {
            "an executable": (str(self.target), "it is an executable; build the harness as a shared library"),
            "no entry point": (str(NATIVE / "libmemcov.so.2"), "it does not export LLVMFuzzerTestOneInput"),
            "missing": (str(self.tmp / "nope.so"), "does not exist"),
        }
        for what, (harness, says) in cases.items():
            out = self.memcov("run", "--harness", harness, "--inputs", str(corpus), ok=False)
            self.assertEqual(out.returncode, 1, f"{what}: {out.stderr}")
            lines = out.stderr.splitlines()
            self.assertEqual(len(lines), 1, f"{what}: {out.stderr}")
            self.assertTrue(lines[0].startswith("memcov: ") and says in lines[0], f"{what}: {lines[0]}")
        for args in (["--harness", str(HARNESS), "--inputs", str(corpus), "--", str(SAMPLE)],
                     ["--harness", str(HARNESS)]):
            out = self.memcov("run", *args, ok=False)
            self.assertEqual(out.returncode, 2, out.stderr)
            self.assertEqual(len(out.stderr.splitlines()), 1, out.stderr)
        self.assertEqual(os.listdir(self.shm), [])


if __name__ == "__main__":
    unittest.main()
