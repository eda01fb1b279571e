"""Paths that are not regular files, as the memcov command meets them: inputs that are FIFOs or
devices are refused with one `memcov:` line before anything blocks (open() of a FIFO waits for a
writer, /dev/zero never ends); a map file too large to load is refused by its size; outputs never
replace a FIFO or a device; a write that fails leaves no file beside its output.
Standard library only.

    MEMCOV_CLI=artifacts/cli/memcov MEMCOV_SAMPLE_DIR=artifacts/samples python3 -m unittest tests/cli/test_special_files.py
"""
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = os.path.abspath(os.environ.get("MEMCOV_CLI") or ROOT / "artifacts" / "cli" / "memcov")
SAMPLES = Path(os.environ.get("MEMCOV_SAMPLE_DIR") or ROOT / "artifacts" / "samples").resolve()
# Far longer than any of these commands takes; one that blocks in open() fails here instead of hanging.
TIMEOUT = 60


def can_make_devices():
    probe = Path(tempfile.mkdtemp(prefix="memcov-mknod-"))
    try:
        os.mknod(probe / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        return True
    except PermissionError:
        return False
    finally:
        shutil.rmtree(probe)


class SpecialFilesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="memcov-special-"))
        self.addCleanup(shutil.rmtree, self.tmp)
        self.env = dict(os.environ, MEMCOV_SHM_DIR=str(self.tmp), DOTNET_EnableDiagnostics="0")
        self.work = self.tmp / "work"
        self.work.mkdir()
        self.fifo = self.work / "pipe"
        os.mkfifo(self.fifo)

    def memcov(self, *args, **kwargs):
        return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=TIMEOUT, env=self.env,
                              cwd=self.work, **kwargs)

    def assert_refused(self, out, pattern):
        self.assertEqual(out.returncode, 1, out.stderr)
        lines = out.stderr.splitlines()
        self.assertEqual(len(lines), 1, out.stderr)
        self.assertRegex(lines[0], "^memcov: " + pattern)

    def filled_region(self, name):
        corpus = sorted((ROOT / "samples" / "corpus").iterdir())[0]
        out = self.memcov("run", "--region", name, "--keep", "--", SAMPLES / "memcov-sample", corpus)
        self.assertEqual(out.returncode, 0, out.stderr)
        return name

    def test_a_fifo_given_as_an_input_is_refused_before_open_waits_for_a_writer(self):
        region = self.filled_region("r")
        for args in (["import", self.fifo, region], ["merge", self.fifo, region, "-o", "all.mcovmap"],
                     ["diff", self.fifo, region], ["diff", region, self.fifo], ["plot", self.fifo, "-o", "cov.png"]):
            with self.subTest(args=args[0]):
                self.assert_refused(self.memcov(*args), rf"'[^']*pipe' is a FIFO, not a regular file")

    def test_a_device_given_as_a_map_is_refused_before_anything_is_read(self):
        region = self.filled_region("r")
        for args in (["import", "/dev/zero", region], ["merge", "/dev/zero", "-o", "all.mcovmap"],
                     ["diff", "/dev/zero", region], ["plot", "/dev/zero", "-o", "cov.png"]):
            with self.subTest(args=args[0]):
                self.assert_refused(self.memcov(*args), r"'/dev/zero' is a character device, not a regular file")

    def test_a_map_file_larger_than_a_map_can_be_is_refused_by_its_size(self):
        sparse = self.work / "huge.mcovmap"
        with open(sparse, "wb") as f:
            f.truncate(1 << 40)  # sparse: takes no space
        for args in (["import", sparse, "r"], ["merge", sparse, "-o", "all.mcovmap"], ["diff", sparse, sparse]):
            with self.subTest(args=args[0]):
                self.assert_refused(self.memcov(*args), r"'[^']*huge.mcovmap' is 1099511627776 bytes; a map file this "
                                                         r"library reads is at most 2147483591 bytes")

    def test_run_skips_an_input_that_is_a_fifo_and_runs_the_others(self):
        inputs = self.work / "in"
        inputs.mkdir()
        shutil.copy(sorted((ROOT / "samples" / "corpus").iterdir())[0], inputs / "a.ms")
        os.mkfifo(inputs / "b.fifo")
        out = self.memcov("run", "--json", "--timeout", "2", "--inputs", inputs, "--", SAMPLES / "memcov-sample")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stderr.splitlines(),
                         [f"memcov: skipping the input '{inputs / 'b.fifo'}': it is a FIFO, not a regular file."])
        summary = json.loads(out.stdout)
        self.assertEqual((summary["inputs"], summary["done"], summary["failures"]), (1, 1, 0))

    def test_a_feed_is_never_recorded_into_a_fifo(self):
        region = self.filled_region("r")
        for args in (["watch", region, "--seconds", "0", "--record", self.fifo],
                     ["run", "--record", self.fifo, "--", "true"]):
            with self.subTest(args=args[0]):
                self.assert_refused(self.memcov(*args), r"'[^']*pipe' is a FIFO, not a regular file")
                self.assertTrue(stat.S_ISFIFO(os.lstat(self.fifo).st_mode))

    def test_an_output_never_replaces_a_fifo(self):
        region = self.filled_region("r")
        self.memcov("watch", region, "--seconds", "0", "--record", "cov.feed")
        for args in (["export", region, "-o", self.fifo], ["merge", region, "-o", self.fifo],
                     ["plot", "cov.feed", "-o", self.work / "pipe.svg"]):
            if args[0] == "plot":
                os.mkfifo(self.work / "pipe.svg")
            with self.subTest(args=args[0]):
                self.assert_refused(self.memcov(*args), r"'[^']*pipe(\.svg)?' is a FIFO, not a regular file")
                self.assertTrue(stat.S_ISFIFO(os.lstat(args[-1]).st_mode))
        self.assertEqual(sorted(p.name for p in self.work.iterdir()), ["cov.feed", "pipe", "pipe.svg"])

    @unittest.skipUnless(can_make_devices(), "mknod needs CAP_MKNOD")
    def test_an_output_never_replaces_a_device(self):
        region = self.filled_region("r")
        device = self.work / "mynull"
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        self.assert_refused(self.memcov("export", region, "-o", device), r"'[^']*mynull' is a character device, not a regular file")
        self.assertTrue(stat.S_ISCHR(os.lstat(device).st_mode))

    def test_a_write_that_fails_leaves_nothing_beside_the_output(self):
        region = self.filled_region("r")

        def small_files():
            # Writes past 1 KiB fail with EFBIG (and no SIGXFSZ): the map is larger.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

        # The runtime's W^X double mapping sizes a file of its own beyond the limit: off for this run.
        self.env["DOTNET_EnableWriteXorExecute"] = "0"
        out = self.memcov("export", region, "-o", "out.mcovmap", preexec_fn=small_files)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertRegex(out.stderr, r"^memcov: Cannot write '[^']*out.mcovmap': its \d+ bytes are more than the file system")
        self.assertEqual(sorted(p.name for p in self.work.iterdir()), ["pipe"])


if __name__ == "__main__":
    unittest.main()
