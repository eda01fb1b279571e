"""memcov run and watch as a user sees them: the command runs in a pseudo-terminal and the test
reads the screen. Standard library only.

    MEMCOV_CLI=artifacts/cli/memcov MEMCOV_SAMPLE_DIR=artifacts/samples python3 -m unittest tests/cli/test_terminal.py
"""
import fcntl
import json
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = os.environ.get("MEMCOV_CLI") or str(ROOT / "artifacts" / "cli" / "memcov")
SAMPLES = Path(os.environ.get("MEMCOV_SAMPLE_DIR") or ROOT / "artifacts" / "samples")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>]")


def run_in_terminal(args, timeout=120, rows=50, cols=140, on_screen=None):
    """Runs args with a pseudo-terminal as stdin, stdout and stderr; returns (exit code, raw output,
    screen text). on_screen(proc, text so far) is called as output arrives."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
    proc = subprocess.Popen(args, stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    chunks = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the terminal closed with the process
            break
        if not data:
            break
        chunks.append(data)
        if on_screen:
            on_screen(proc, ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")))
        if time.monotonic() > deadline:
            proc.kill()
            break
    os.close(leader)
    code = proc.wait(timeout=30)
    raw = b"".join(chunks).decode("utf-8", "replace")
    return code, raw, ANSI.sub("", raw)


class LiveViewTest(unittest.TestCase):
    def test_run_draws_the_live_view_in_place_then_the_summary(self):
        # The sample corpus and one input that hangs until its 1 s limit: the run lasts longer than
        # a few redraws (every 250 ms) on any machine, however fast the corpus runs.
        corpus = Path(tempfile.mkdtemp(prefix="memcov-live-view-"))
        self.addCleanup(shutil.rmtree, corpus)
        for f in (ROOT / "samples" / "corpus").iterdir():
            shutil.copy(f, corpus / f.name)
        shutil.copy(ROOT / "samples" / "corpus-bad" / "hang.ms", corpus / "zz-hang.ms")
        total = len(list(corpus.iterdir()))
        code, raw, screen = run_in_terminal(
            [CLI, "run", "--jobs", "4", "--timeout", "1", "--inputs", str(corpus), "--",
             str(SAMPLES / "memcov-sample"), "{}"])
        self.assertEqual(code, 0, screen[-2000:])
        # The live view: its own rows, redrawn in place with cursor movement.
        self.assertIn("new edges/s", screen)
        self.assertRegex(raw, r"\x1b\[\d*A", "the live view never moved the cursor up to redraw")
        # The summary: every input done, the edges covered of the registered ones, the module.
        self.assertIn("memcov run", screen)
        self.assertRegex(screen, rf"inputs\s+{total}/{total}")
        match = re.search(r"edges\s+(\d+) covered / (\d+) registered", screen)
        self.assertIsNotNone(match, screen[-2000:])
        covered, registered = int(match.group(1)), int(match.group(2))
        self.assertGreater(covered, 300)
        self.assertGreater(registered, covered)
        self.assertIn("libmemcov_sample.so", screen)

    def test_crashes_and_timeouts_show_in_the_summary(self):
        bad = ROOT / "samples" / "corpus-bad"
        code, _, screen = run_in_terminal(
            [CLI, "run", "--jobs", "2", "--timeout", "1", "--inputs", str(bad), "--", str(SAMPLES / "memcov-sample"), "{}"])
        self.assertEqual(code, 0, screen[-2000:])
        self.assertRegex(screen, r"crashes\s+1\b")
        self.assertRegex(screen, r"timeouts\s+1\b")

    def test_ctrl_c_kills_the_runs_prints_the_summary_and_removes_the_region(self):
        inputs = Path(tempfile.mkdtemp(prefix="memcov-ctrl-c-"))
        self.addCleanup(shutil.rmtree, inputs)
        hang = inputs / "hang.ms"
        shutil.copy(ROOT / "samples" / "corpus-bad" / "hang.ms", hang)
        region = f"terminal-ctrl-c-{os.getpid()}"
        shm = Path(os.environ.get("MEMCOV_SHM_DIR") or "/dev/shm") / f"memcov-{region}"
        sent = []

        def interrupt_once_live(proc, screen):
            if not sent and "new edges/s" in screen:
                sent.append(True)
                os.kill(proc.pid, signal.SIGINT)

        code, _, screen = run_in_terminal(
            [CLI, "run", "--region", region, "--timeout", "60", "--inputs", str(inputs), "--",
             str(SAMPLES / "memcov-sample"), "{}"], timeout=60, on_screen=interrupt_once_live)
        self.assertTrue(sent, "the live view never appeared")
        self.assertEqual(code, 130, screen[-2000:])
        self.assertRegex(screen, r"inputs\s+0/1 \(interrupted: 1 run\(s\) stopped\)")
        self.assertRegex(screen, r"edges\s+\d+ covered")
        self.assertFalse(shm.exists(), "the run's region is still there")
        left = subprocess.run(["pgrep", "-f", str(hang)], capture_output=True, text=True).stdout.strip()
        self.assertEqual(left, "", "the hanging target outlived the run")

    def test_bad_arguments_say_so_in_the_terminal(self):
        code, _, screen = run_in_terminal([CLI, "run", "--jobs", "0", "--", "true"])
        self.assertEqual(code, 2)
        self.assertEqual(screen.strip().splitlines(), ["memcov: --jobs must be 1 to 1024 runs, not '0'. (see memcov run --help)"])



class NarrowOutputTest(unittest.TestCase):
    """In a pipe (160 columns) and in a narrow terminal, tables wrap between words and shorten a
    word wider than its column with an ellipsis: no name, path or identity is split across lines."""

    def test_tables_never_break_a_word(self):
        region = f"t-narrow-{os.getpid()}"
        subprocess.run([CLI, "create", region], check=True, capture_output=True)
        try:
            env = dict(os.environ, MEMCOV_REGION=region)
            for path in sorted((ROOT / "samples" / "corpus").iterdir())[:5]:
                subprocess.run([str(SAMPLES / "memcov-sample"), str(path)], env=env, check=True,
                               capture_output=True, timeout=60)
            stat = json.loads(subprocess.run([CLI, "stat", region, "--json"], check=True, capture_output=True,
                                             text=True).stdout)
            words = [os.path.basename(stat["modules"][0]["path"]), stat["modules"][0]["id"], region]
            piped = [subprocess.run([CLI, *args], check=True, capture_output=True, text=True).stdout
                     for args in (["stat", region], ["ls"], ["report", region])]
            narrow = [run_in_terminal([CLI, *args], cols=60)[2] for args in (["stat", region], ["ls"], ["report", region])]
            for text in piped + narrow:
                cells = [c.strip() for line in text.splitlines() for c in re.split(r"[│┃|]", line) if c.strip()]
                for word in words:
                    for cell in cells:
                        for token in cell.split():
                            # A token of a long word is the whole word, or its start and an ellipsis.
                            if token != word and (word.endswith(token) or word.startswith(token)) and len(token) > 3:
                                self.fail(f"{word!r} broken as {token!r} in:\n{text}")
        finally:
            subprocess.run([CLI, "rm", region], capture_output=True)


if __name__ == "__main__":
    unittest.main()
