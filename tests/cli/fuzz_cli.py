"""Random command lines for every memcov command, for a bounded time: option values at and past
their bounds, negative, NaN, huge, not numbers, empty; unknown options and missing arguments; and
files that are not what a command expects (random bytes, cut and damaged maps and feeds, a FIFO,
devices, a directory, a socket, symlinks, a sparse file of 1 TiB, a huge region name).

Every invocation must: exit with a documented code (0, 1, 2), print no stack trace, write only
`memcov:` lines to stderr (the usage for --help), write no control character, finish within a
per-call timeout, leave no process behind, and change nothing but the paths and regions its
command line names. Seeded: the seed is printed, and a failing case prints its command line.
Standard library only.

    MEMCOV_CLI=artifacts/cli/memcov MEMCOV_SAMPLE_DIR=artifacts/samples python3 tests/cli/fuzz_cli.py [--seconds 60] [--seed N]
"""
import argparse
import os
import random
import re
import shlex
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = os.path.abspath(os.environ.get("MEMCOV_CLI") or ROOT / "artifacts" / "cli" / "memcov")
SAMPLES = Path(os.environ.get("MEMCOV_SAMPLE_DIR") or ROOT / "artifacts" / "samples").resolve()
EXIT_CODES = {0, 1, 2}  # README, "The memcov command": 130 only follows a signal, and none is sent here
CONTROL = {chr(c) for c in range(0x20)} - {"\n", "\r", "\t"} | {chr(0x7f)} | {chr(c) for c in range(0x80, 0xa0)}

# Bounds as the commands declare them (BoundedOption): (min, max, integer).
CAPACITY = (1, 1 << 32, True)
JOBS = (1, 1024, True)
TIMEOUT = (0.001, 24 * 24 * 3600, False)
INTERVAL = (10, 3_600_000, True)
SECONDS = (0, 24 * 24 * 3600, False)
PIXELS = (64, 8192, True)
JUNK = ["", "abc", "NaN", "nan", "Infinity", "-Infinity", "1e308", "-1e308", "1e6", "0x10", "1_000", " 5", "+3",
        "-0", "1.5", "0.0001", "\uff11", "2147483647", "2147483648", "-2147483649", "4294967296", "4294967297",
        "9223372036854775807", "9223372036854775808", "18446744073709551616", "--", "-1", "0", "\x1b[31m", "1\n2"]

REFUSED_SECONDS = ["-1", "-0.001", "2073600.001", "1e308", "-1e308", "NaN", "Infinity", "abc", "", "0x10", "1_000",
                   "\x1b[31m", "9223372036854775808"]


def number(rng, bounds):
    """A value for a numeric option: often a valid one, else one at or past a bound, or no number at all."""
    lo, hi, integer = bounds
    step = 1 if integer else 0.001
    if rng.random() < 0.5:
        value = rng.choice([lo, hi, rng.uniform(lo, min(hi, lo + 100)), rng.uniform(lo, hi)])
    else:
        value = rng.choice([lo - step, hi + step, -hi, hi * 2 ** 32, rng.choice(JUNK), rng.choice(JUNK)])
    if isinstance(value, float) and integer:
        value = int(value)
    return value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def map_file(path_text, edges):
    """A map file of version 2 (docs/map-file-format.md) with one build-id module named path_text."""
    path = path_text.encode("utf-8", "surrogateescape")[:183]
    entry = struct.pack("<QQQIIII", 0, len(edges), 0, 1, 1, 20, 0) + bytes(range(1, 21)).ljust(32, b"\0")
    entry += path.ljust(184, b"\0")
    record = entry + struct.pack("<QQ", 0, 0) + bytes(48)
    header = b"MCOVMAPF" + struct.pack("<IIIIQQ", 2, 64, 1, 1, len(edges), 0) + bytes(24)
    body = header + record + bytes(edges)
    return body + struct.pack("<Q", fnv1a64(body))


class Workspace:
    """A private directory: the region directory, TMPDIR, and the working directory with the files."""

    def __init__(self, rng):
        self.root = Path(tempfile.mkdtemp(prefix="memcov-fuzz-"))
        self.shm, self.tmp, self.work = self.root / "shm", self.root / "tmp", self.root / "work"
        for d in (self.shm, self.tmp, self.work):
            d.mkdir()
        self.golden = self.root / "golden"
        self.env = dict(os.environ, MEMCOV_SHM_DIR=str(self.shm), TMPDIR=str(self.tmp), DOTNET_EnableDiagnostics="0")
        self.env.pop("MEMCOV_REGION", None)
        self.rng = rng
        self.specials = []  # (name, maker) for what cannot be copied: FIFOs, sockets, devices, links
        self.build()

    def memcov(self, *args):
        out = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, env=self.env, cwd=self.work,
                             timeout=120)
        if out.returncode != 0:
            raise SystemExit(f"fixture: memcov {shlex.join(map(str, args))} exited {out.returncode}: {out.stderr}")
        return out

    def build(self):
        rng, w = self.rng, self.work
        self.memcov("create", "fz-empty", "--capacity", "4096")
        sample = SAMPLES / "memcov-sample"
        corpus = sorted((ROOT / "samples" / "corpus").iterdir())
        if sample.exists():
            self.memcov("run", "--region", "fz-a", "--keep", "--", sample, corpus[0])
        else:
            self.memcov("create", "fz-a")
        (self.shm / "memcov-fz-junk").write_bytes(rng.randbytes(rng.randrange(1, 600)))
        self.memcov("export", "fz-a", "-o", "valid.mcovmap")
        self.memcov("watch", "fz-a", "--seconds", "0", "--record", "valid.feed")
        valid = (w / "valid.mcovmap").read_bytes()
        feed = (w / "valid.feed").read_bytes()
        (w / "cut.mcovmap").write_bytes(valid[:rng.randrange(len(valid))])
        (w / "cut.feed").write_bytes(feed[:rng.randrange(len(feed))])
        for name, data in (("garbled.mcovmap", valid), ("garbled.feed", feed)):
            data = bytearray(data)
            for _ in range(rng.randrange(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            (w / name).write_bytes(data)
        (w / "hostile.mcovmap").write_bytes(map_file("/lib/\x1b[31mred\x07\nline\x9b.so", [1, 0, 1] * 40))
        (w / "random.bin").write_bytes(rng.randbytes(rng.randrange(4096)))
        (w / "empty").write_bytes(b"")
        with open(w / "sparse.mcovmap", "wb") as f:
            f.truncate(1 << 40)
        (w / "dir").mkdir()
        (w / "dir" / "inside").write_bytes(b"x")
        corpus_dir = w / "corpus"
        corpus_dir.mkdir()
        for f in corpus[:3]:
            shutil.copy(f, corpus_dir)
        (corpus_dir / "sub").mkdir()
        (w / "victim").write_bytes(b"what a symlink points to; no command line names it")
        kinds = [
            ("pipe", lambda p: os.mkfifo(p)),
            ("link-null", lambda p: os.symlink("/dev/null", p)),
            ("link-zero", lambda p: os.symlink("/dev/zero", p)),
            ("link-dangling", lambda p: os.symlink("nowhere", p)),
            ("link-victim", lambda p: os.symlink("victim", p)),
            ("sock", self.make_socket),
        ]
        if os.geteuid() == 0:
            kinds.append(("devnull", lambda p: os.mknod(p, 0o666 | stat.S_IFCHR, os.makedev(1, 3))))
        # Each kind also under the names an output gets, so that plot -o (.png, .svg) meets them too.
        self.specials = [(name + ext, make) for name, make in kinds for ext in ("", ".mcovmap", ".png", ".svg", ".feed")]
        self.specials += [("corpus/pipe", kinds[0][1]), ("corpus/zero", kinds[2][1]), ("corpus/sock", kinds[5][1])]
        for name, make in self.specials:
            make(w / name)
        # What restore() copies back: the directories and regular files; the rest is made again.
        for top in (self.shm, self.tmp, self.work):
            shutil.copytree(top, self.golden / top.name, ignore=self.not_copied)
        self.snapshot = self.take_snapshot()

    @staticmethod
    def not_copied(directory, names):
        return [n for n in names if n == "sparse.mcovmap" or not stat.S_ISDIR(os.lstat(Path(directory) / n).st_mode)
                and not stat.S_ISREG(os.lstat(Path(directory) / n).st_mode)]

    @staticmethod
    def make_socket(path):
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(path))
        s.close()

    def take_snapshot(self):
        """Every entry under shm, tmp and work: type, size, times, inode, link target."""
        entries = {}
        for top in (self.shm, self.tmp, self.work):
            for dirpath, dirnames, filenames in os.walk(top):
                for name in dirnames + filenames:
                    p = Path(dirpath) / name
                    st = os.lstat(p)
                    entries[p] = (stat.S_IFMT(st.st_mode), st.st_size if not stat.S_ISDIR(st.st_mode) else 0,
                                  st.st_mtime_ns if not stat.S_ISDIR(st.st_mode) else 0, st.st_ino,
                                  os.readlink(p) if stat.S_ISLNK(st.st_mode) else None)
        return entries

    def restore(self):
        """Puts the workspace back as build() left it."""
        for top in (self.shm, self.tmp, self.work):
            shutil.rmtree(top)
        for top in (self.shm, self.tmp, self.work):
            shutil.copytree(self.golden / top.name, top)
        with open(self.work / "sparse.mcovmap", "wb") as f:
            f.truncate(1 << 40)
        for name, make in self.specials:
            make(self.work / name)
        self.snapshot = self.take_snapshot()


class Generator:
    """Command lines: each command's options with random values, then perhaps a mutation."""

    INPUTS = ["valid.mcovmap", "cut.mcovmap", "garbled.mcovmap", "hostile.mcovmap", "random.bin", "empty", "sparse.mcovmap",
              "pipe", "dir", "link-null", "link-zero", "link-dangling", "link-victim.mcovmap", "sock", "devnull", "missing.mcovmap",
              "/dev/null", "/dev/zero", "", "-", "valid.feed", "cut.feed", "garbled.feed"]
    FEEDS = ["valid.feed", "cut.feed", "garbled.feed", "random.bin", "empty", "pipe", "dir", "link-zero", "link-dangling",
             "sock", "devnull", "/dev/zero", "/dev/null", "missing.feed", "sparse.mcovmap", ""]
    # Outputs stay in the workspace: a broken writer must never reach a file of the system.
    OUTPUTS = ["pipe", "dir", "link-null", "link-zero", "link-dangling", "link-victim", "sock", "devnull", "valid.mcovmap",
               "no-such-dir/out", ".", ""]
    INSERTS = ["--json", "--force", "--keep", "--no-such-option", "-x", "--capacity", "--seconds", "--", "{}", "extra",
               "--help", "-h", "--version", "-?"]

    def __init__(self, rng):
        self.rng = rng
        self.count = 0

    def region(self):
        rng = self.rng
        if rng.random() < 0.7:
            return rng.choice(["fz-a", "fz-a", "fz-empty", "fz-junk", f"fz-new-{rng.randrange(1000)}", "fz-" + "n" * 197, "fz-missing"])
        return rng.choice(["a" * 201, "x" * 10000, "bad/name", "", "-lead", ".", "..", "a b", "\x1b[31mred", "名前"])

    def output(self, ext):
        rng = self.rng
        self.count += 1
        return f"out{self.count}{ext}" if rng.random() < 0.5 else rng.choice(self.OUTPUTS) + rng.choice(["", ext])

    def maybe(self, args, p=0.5):
        return args if self.rng.random() < p else []

    def command(self):
        rng = self.rng
        cmd = rng.choice(["create", "rm", "ls", "stat", "watch", "export", "import", "merge", "diff", "report", "plot", "feed",
                          "run", "cmin", "sync", "help"])
        if cmd == "help":
            return rng.choice([["--help"], [], ["--version"], [rng.choice(["run", "cmin", "stat", "plot", "feed", "watch"]), "--help"]])
        if cmd == "create":
            args = ["create", self.region(), *self.maybe(["--capacity", number(rng, CAPACITY)])]
        elif cmd == "rm":
            args = ["rm", *[self.region() for _ in range(rng.randrange(0, 3))], *self.maybe(["--force"])]
        elif cmd == "ls":
            args = ["ls", *self.maybe(["--json"])]
        elif cmd == "stat":
            args = ["stat", self.region(), *self.maybe(["--json"])]
        elif cmd == "watch":
            # Always bounded: a small valid --seconds, or a value the parser refuses.
            seconds = rng.choice(["0", "0.05", "0.2", "0.5"] if rng.random() < 0.5 else REFUSED_SECONDS)
            args = ["watch", self.region(), "--seconds", seconds, *self.maybe(["--interval", number(rng, INTERVAL)]),
                    *self.maybe(["--record", self.output(".feed")])]
        elif cmd == "export":
            args = ["export", self.region(), *self.maybe([rng.choice(["-o", "--output"]), self.output(".mcovmap")], 0.9)]
        elif cmd == "import":
            args = ["import", rng.choice(self.INPUTS), self.region(), *self.maybe(["--capacity", number(rng, CAPACITY)])]
        elif cmd == "merge":
            sources = [rng.choice(self.INPUTS + ["fz-a", "fz-empty", "fz-junk"]) for _ in range(rng.randrange(0, 4))]
            args = ["merge", *sources, *self.maybe(["-o", self.output(".mcovmap")], 0.9)]
        elif cmd == "diff":
            pick = lambda: rng.choice(self.INPUTS + ["fz-a", "fz-empty", "fz-junk", "fz-missing"])
            args = ["diff", *[pick() for _ in range(rng.choice([0, 1, 2, 2, 2, 3]))], *self.maybe(["--json"])]
        elif cmd == "report":
            source = rng.choice(self.INPUTS + ["fz-a", "fz-empty", "fz-junk", "fz-missing"])
            args = ["report", source, *self.maybe(["--json"]), *self.maybe(["--lcov", self.output(".info")], 0.3),
                    *self.maybe(["--cobertura", self.output(".xml")], 0.2), *self.maybe(["--html", self.output("")], 0.2),
                    *self.maybe(["--source-root", rng.choice(["/a=/b", "=x", "x", "/=/"])], 0.2),
                    *self.maybe(["--debug-dir", rng.choice(["dir", "missing", "random.bin"])], 0.2)]
            if rng.random() < 0.2:
                args = ["diff", source, rng.choice(self.INPUTS + ["fz-a"]), "--functions", *self.maybe(["--json"])]
        elif cmd == "plot":
            args = ["plot", rng.choice(self.FEEDS), *self.maybe(["-o", self.output(rng.choice([".png", ".svg", ".png", ".gif"]))], 0.9),
                    *self.maybe(["--width", number(rng, PIXELS)], 0.3), *self.maybe(["--height", number(rng, PIXELS)], 0.3)]
        elif cmd == "feed":
            args = ["feed", rng.choice(self.FEEDS), *self.maybe(["--json"])]
        elif cmd == "sync":
            # No server listens on these: each is refused at once, or is no Redis URL.
            url = rng.choice(["redis://127.0.0.1:1", "rediss://127.0.0.1:1/3", "redis://u:pw@127.0.0.1:1", "http://127.0.0.1:1",
                              "redis://", "redis://127.0.0.1:1/99999", "redis://h:1?x=1", "", "\x1b[31m", "redis://[::1]:1"])
            campaign = rng.choice(["c", "c.1", "-c", "", "a" * 101, "bad/name"])
            args = ["sync", self.region(), *self.maybe(["--redis", url], 0.9), *self.maybe(["--campaign", campaign], 0.9),
                    *self.maybe(["--once"], 0.8), *self.maybe(["--seconds", rng.choice(["0", "0.2"])], 0.5),
                    *self.maybe(["--interval", rng.choice(["0.05", "0", "-1", "nan", "1e9"])], 0.3),
                    *self.maybe([rng.choice(["--push-only", "--pull-only"])], 0.3), *self.maybe(["--host", campaign], 0.2),
                    *self.maybe(["--redis-password-file", rng.choice(self.FEEDS)], 0.2)]
        else:
            # Only programs that do nothing run as targets; harnesses that are no harness, or the sample's.
            target = rng.choice([["/bin/true"], ["true", "{}"], ["/bin/false"], ["/bin/true", "{}", "x"], ["/nonexistent/x"],
                                 ["dir"], ["random.bin"], ["-x"], []])
            harness = rng.choice(["random.bin", "dir", "missing", "empty", str(SAMPLES / "libmemcov_sample_fuzz.so")])
            modes = [*self.maybe(["--harness", harness], 0.2), *self.maybe(["--no-fork-server"], 0.2)]
            if cmd == "cmin":
                args = ["cmin", *self.maybe(["--jobs", number(rng, JOBS)], 0.3), *self.maybe(["--timeout", number(rng, TIMEOUT)], 0.3),
                        *self.maybe(["--inputs", rng.choice(["corpus", "corpus", "dir", "empty", "pipe", "missing", ""])], 0.9),
                        *self.maybe(["-o", self.output("")], 0.9), *modes, *self.maybe(["--json"], 0.5),
                        *self.maybe(["--"], 0.9), *target]
                return self.mutate(args)
            args = ["run", *modes, *self.maybe(["--jobs", number(rng, JOBS)], 0.4), *self.maybe(["--timeout", number(rng, TIMEOUT)], 0.4),
                    *self.maybe(["--capacity", number(rng, CAPACITY)], 0.3), *self.maybe(["--region", self.region()], 0.3),
                    *self.maybe(["--inputs", rng.choice(["corpus", "corpus", "dir", "empty", "pipe", "missing", ""])], 0.6),
                    *self.maybe(["--record", self.output(".feed")], 0.3), *self.maybe(["--keep"], 0.2),
                    *self.maybe(["--json"], 0.5), *self.maybe(["--"], 0.9), *target]
        return self.mutate(args)

    def mutate(self, args):
        rng = self.rng
        r = rng.random()
        if r < 0.06 and len(args) > 1:
            del args[rng.randrange(1, len(args))]
        elif r < 0.12:
            args.insert(rng.randrange(1, len(args) + 1), rng.choice(self.INSERTS))
        elif r < 0.15 and len(args) > 1:
            i = rng.randrange(1, len(args))
            args.insert(i, args[i])
        return args


class Fuzzer:
    def __init__(self, seed, per_call, verbose):
        self.seed = seed
        self.verbose = verbose
        self.rng = random.Random(seed)
        self.space = Workspace(self.rng)
        self.gen = Generator(self.rng)
        self.per_call = per_call
        self.failures = []
        self.codes = {}  # (command, exit code) -> invocations

    def named_paths(self, args):
        """The workspace paths and regions a command line names: the only things it may change
        (and, for `report --html DIR` and `cmin -o DIR`, what is inside DIR)."""
        paths, regions = set(), set()
        self.sites = set()
        for i, a in enumerate(args):
            if a and "\0" not in a:
                paths.add(Path(os.path.normpath(self.space.work / a)))
                regions.add(self.space.shm / f"memcov-{a}")
                if i > 0 and (args[i - 1] == "--html" or (args[0] == "cmin" and args[i - 1] in ("-o", "--output"))):
                    self.sites.add(Path(os.path.normpath(self.space.work / a)))
        return paths, regions

    def check(self, case, args, proc, out, err, elapsed):
        problems = []
        code = proc.returncode
        key = (args[0] if args and not args[0].startswith("-") else "memcov", code)
        self.codes[key] = self.codes.get(key, 0) + 1
        if code not in EXIT_CODES:
            problems.append(f"exit code {code} is not one of {sorted(EXIT_CODES)}")
        if "Unhandled exception" in err or any(line.startswith("   at ") for line in (out + err).splitlines()):
            problems.append("a stack trace")
        helping = any(a in ("--help", "-h", "-?") for a in args)
        lines = err.splitlines()
        if not helping and any(not line.startswith("memcov:") for line in lines):
            problems.append("stderr has lines that do not start with 'memcov:'")
        if code == 2 and (len(lines) != 1 or not lines[0].endswith("--help)")):
            problems.append("exit code 2 without exactly one 'memcov: … (see memcov … --help)' line")
        if code == 1 and not lines:
            problems.append("exit code 1 without a reason on stderr")
        if any(c in CONTROL for c in out + err):
            problems.append("a control character in the output")
        problems += self.leftover_processes(case)
        problems += self.changes(args)
        if problems:
            self.failures.append(case)
            print(f"FAIL case {case} (seed {self.seed}): memcov {shlex.join(args)}\n"
                  f"  exit {code} in {elapsed:.1f} s: {'; '.join(problems)}\n"
                  f"  stderr: {err[-1500:]!r}\n  stdout: {out[-500:]!r}", flush=True)

    def leftover_processes(self, case):
        marker = f"MEMCOV_FUZZ_CASE={self.seed}-{case}".encode()
        left = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if marker in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                    left.append(pid)
            except OSError:
                pass
        return [f"processes left behind: {', '.join(left)}"] if left else []

    def region_file(self, p):
        """The region file a path of the region directory belongs to: itself, or for a lanes file
        (.memcov-lanes-NAME-TOKEN) or a PC file (.memcov-pcs-NAME-TOKEN-HASH) the region NAME's."""
        m = re.fullmatch(r"\.memcov-(?:lanes-(.+)|pcs-(.+)-[0-9a-f]{16})-[0-9a-f]{16}", p.name)
        if m:
            return p.with_name(f"memcov-{m.group(1) or m.group(2)}")
        return p

    def changes(self, args):
        before, after = self.space.snapshot, self.space.take_snapshot()
        paths, regions = self.named_paths(args)
        keep_runs = "--keep" in args
        problems = []
        for p in sorted(set(before) | set(after)):
            if before.get(p) == after.get(p):
                continue
            region = self.region_file(p)
            if p.parent == self.space.shm and (region in regions or keep_runs and region.name.startswith("memcov-run-")):
                continue
            if any(site in p.parents for site in self.sites) and after.get(p) and \
                    after[p][0] in (stat.S_IFREG, stat.S_IFDIR) and (p not in before or before[p][0] == after[p][0]):
                continue  # the report's pages, written inside the directory the line named
            if p in paths:
                was, now = before.get(p), after.get(p)
                if was and now and was[0] not in (stat.S_IFREG, stat.S_IFLNK) and was[:2] != now[:2]:
                    problems.append(f"replaced {p.relative_to(self.space.root)}, which was not a regular file")
                continue
            what = "created" if p not in before else "removed" if p not in after else "changed"
            problems.append(f"{what} {p.relative_to(self.space.root)}, which the command line does not name")
        if problems or before != after:
            self.space.restore()
        return problems

    def run_case(self, case, args):
        env = dict(self.space.env, MEMCOV_FUZZ_CASE=f"{self.seed}-{case}")
        start = time.monotonic()
        proc = subprocess.Popen([CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                env=env, cwd=self.space.work, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=self.per_call)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            self.failures.append(case)
            print(f"FAIL case {case} (seed {self.seed}): memcov {shlex.join(args)}\n"
                  f"  did not finish within {self.per_call} s", flush=True)
            self.space.restore()
            return
        out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        if self.verbose:
            print(f"case {case}: exit {proc.returncode}: memcov {shlex.join(args)[:200]}\n  {(err or out).splitlines()[:1]}")
        self.check(case, args, proc, out, err, time.monotonic() - start)

    def run(self, seconds):
        start = time.monotonic()
        case = 0
        while time.monotonic() - start < seconds:
            self.run_case(case, self.gen.command())
            case += 1
        elapsed = time.monotonic() - start
        commands = sorted({c for c, _ in self.codes})
        codes = "; ".join(c + " " + ", ".join(f"{n}×{code}" for (cc, code), n in sorted(self.codes.items()) if cc == c)
                          for c in commands)
        print(f"fuzz: exit codes by command: {codes}", flush=True)
        print(f"fuzz: {case} command lines in {elapsed:.0f} s (seed {self.seed}); {len(self.failures)} failed", flush=True)
        return not self.failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("MEMCOV_FUZZ_SECONDS", 60)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("MEMCOV_FUZZ_SEED") or random.SystemRandom().randrange(1 << 32)))
    parser.add_argument("--per-call-timeout", type=float, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the workspace (printed) to look at")
    parser.add_argument("--verbose", action="store_true", help="print every command line and its first line of output")
    a = parser.parse_args()
    print(f"fuzz: seed {a.seed} (MEMCOV_FUZZ_SEED={a.seed} repeats this run), {a.seconds:.0f} s, {CLI}", flush=True)
    fuzzer = Fuzzer(a.seed, a.per_call_timeout, a.verbose)
    try:
        ok = fuzzer.run(a.seconds)
    finally:
        if a.keep:
            print(f"fuzz: workspace {fuzzer.space.root}")
        else:
            shutil.rmtree(fuzzer.space.root)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
