"""SIGINT and SIGTERM: the first one stops the command as its own end would (run kills its targets,
prints its summary and exits 130); a second one exits at once with 130 and one `memcov:` line, even
when the command is stuck (here: writing to a pipe nobody reads). Standard library only.

    MEMCOV_CLI=artifacts/cli/memcov MEMCOV_SAMPLE_DIR=artifacts/samples python3 -m unittest tests/cli/test_signals.py
"""
import fcntl
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = os.environ.get("MEMCOV_CLI") or str(ROOT / "artifacts" / "cli" / "memcov")
SAMPLES = Path(os.environ.get("MEMCOV_SAMPLE_DIR") or ROOT / "artifacts" / "samples")
F_SETPIPE_SZ = 1031


def wait_until(condition, what, timeout=60):
    """Polls condition() until it holds; fails the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def blocked_writing_to_a_pipe(pid):
    """Whether a thread of pid sleeps in the kernel's pipe write."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return False
    for tid in tasks:
        try:
            if "pipe_write" in Path(f"/proc/{pid}/task/{tid}/wchan").read_text():
                return True
        except OSError:
            pass
    return False


def signal_pending(pid, sig):
    """Whether sig is still pending for pid: sent, but not yet taken by the process's handler."""
    masks = [int(line.split()[1], 16) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
             if line.startswith(("SigPnd:", "ShdPnd:"))]
    return any(mask >> (sig - 1) & 1 for mask in masks)


class SignalTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="memcov-signals-"))
        self.addCleanup(shutil.rmtree, self.tmp)
        self.env = dict(os.environ, MEMCOV_SHM_DIR=str(self.tmp), DOTNET_EnableDiagnostics="0")
        subprocess.run([CLI, "create", "sig"], env=self.env, check=True, capture_output=True, timeout=60)

    def stuck_watch(self):
        """memcov watch with its stdout a full pipe: its first line blocks, so no signal can let it finish."""
        read, write = os.pipe()
        self.addCleanup(os.close, read)
        fcntl.fcntl(write, F_SETPIPE_SZ, 4096)
        os.write(write, b"x" * 4096)
        proc = subprocess.Popen([CLI, "watch", "sig", "--interval", "10"], stdout=write, stderr=subprocess.PIPE,
                                env=self.env)
        os.close(write)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        wait_until(lambda: blocked_writing_to_a_pipe(proc.pid), "memcov watch to block on its stdout")
        return proc

    def test_a_second_signal_exits_at_once_with_130_and_one_line(self):
        for first, second in [(signal.SIGTERM, signal.SIGTERM), (signal.SIGINT, signal.SIGINT), (signal.SIGINT, signal.SIGTERM)]:
            with self.subTest(first=first.name, second=second.name):
                proc = self.stuck_watch()
                proc.send_signal(first)
                # Two pending signals of one kind are one signal: the second is sent once the first is taken.
                wait_until(lambda: not signal_pending(proc.pid, first), f"memcov to take {first.name}")
                proc.send_signal(second)
                _, err = proc.communicate(timeout=60)
                self.assertEqual(proc.returncode, 130, err)
                lines = err.decode().splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertRegex(lines[0], r"^memcov: second signal \(SIG(INT|TERM)\): exiting now")

    def test_the_first_sigterm_stops_run_which_kills_its_targets_and_prints_its_summary(self):
        inputs = self.tmp / "inputs"
        inputs.mkdir()
        hang = inputs / "hang.ms"
        shutil.copy(ROOT / "samples" / "corpus-bad" / "hang.ms", hang)
        proc = subprocess.Popen([CLI, "run", "--json", "--timeout", "60", "--inputs", str(inputs), "--",
                                 str(SAMPLES / "memcov-sample"), "{}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.env)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        # The target runs as a fork server: its input is the file in memory it was started with.
        target = lambda: subprocess.run(["pgrep", "-f", f"^{SAMPLES / 'memcov-sample'} /dev/fd/"], capture_output=True, text=True).stdout.strip()
        wait_until(lambda: target() != "", "the target to start")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, err)
        self.assertEqual(err, b"")
        summary = json.loads(out)
        self.assertTrue(summary["interrupted"])
        self.assertEqual(summary["killed"], 1)
        self.assertEqual(target(), "", "the hanging target outlived the run")
        names = sorted(p.name for p in self.tmp.iterdir())
        # Only what was there before the run: the inputs, region sig and its lanes file.
        self.assertEqual([n for n in names if not n.startswith(".")], ["inputs", "memcov-sig"], "the run's region is still there")
        self.assertEqual([n.rsplit("-", 1)[0] for n in names if n.startswith(".")], [".memcov-lanes-sig"])


if __name__ == "__main__":
    unittest.main()
