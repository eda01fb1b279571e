"""A campaign across hosts on a real Redis server (Debian's redis-server, started here on a
loopback port with a password and no persistence, stopped at the end): hosts are processes with
region directories of their own. Three hosts running thirds of the sample corpus reach the union one
host running all of it gets, byte for byte per module, in Redis and in every region after a pull;
the same with the server killed and restarted during the runs; two builds of a module never mix;
a wrong password, a server that is down and one that is not Redis are one line each; the password
never shows in a process's arguments nor reaches a target; TLS with a test CA.

    MEMCOV_CLI=artifacts/cli/memcov MEMCOV_SAMPLE_DIR=artifacts/samples python3 -m unittest tests/cli/test_campaign_sync.py

Without redis-server the tests are skipped, unless MEMCOV_REQUIRE_TOOLS=1 (./build.sh test sets it
and installs the server).
"""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = os.environ.get("MEMCOV_CLI") or str(ROOT / "artifacts" / "cli" / "memcov")
SAMPLES = Path(os.environ.get("MEMCOV_SAMPLE_DIR") or ROOT / "artifacts" / "samples")
SAMPLE = SAMPLES / "memcov-sample"
CORPUS = ROOT / "samples" / "corpus"
WRAPPER = ROOT / "artifacts" / "bin" / "memcov-cc"
sys.path.insert(0, str(ROOT / "bindings" / "python"))
os.environ.setdefault("MEMCOV_LIBRARY", str(ROOT / "artifacts" / "native" / "libmemcov.so.2"))
from memcov import maps  # noqa: E402

REDIS = shutil.which("redis-server")
PASSWORD = "campaign-s3cret-Pw"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Resp:
    """Just enough of Redis's protocol to read what memcov wrote."""

    def __init__(self, port, password=PASSWORD):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        if password:
            self.call("AUTH", password)

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._reply()

    def _reply(self):
        line = self.file.readline()[:-2]
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.file.read(n + 2)[:-2]
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line!r}")

    def close(self):
        self.file.close()
        self.sock.close()


class RedisServer:
    """A redis-server of the test's: loopback, a password, no persistence."""

    def __init__(self, workdir, port=None, tls=None):
        self.workdir, self.port, self.tls = workdir, port or free_port(), tls
        self.proc = None

    def start(self):
        args = [REDIS, "--bind", "127.0.0.1", "--requirepass", PASSWORD, "--save", "", "--appendonly", "no",
                "--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")]
        if self.tls:
            args += ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(self.tls["cert"]),
                     "--tls-key-file", str(self.tls["key"]), "--tls-ca-cert-file", str(self.tls["ca"]), "--tls-auth-clients", "no"]
        else:
            args += ["--port", str(self.port)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server did not listen on {self.port}: {(self.workdir / 'redis.log').read_text()}")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def client(self):
        return Resp(self.port)

    @property
    def url(self):
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}"


@unittest.skipUnless(REDIS or os.environ.get("MEMCOV_REQUIRE_TOOLS") == "1", "redis-server is not installed")
class CampaignSyncTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not REDIS:
            raise AssertionError("redis-server is missing and MEMCOV_REQUIRE_TOOLS=1: ./build.sh test installs it")
        cls.tmp = Path(tempfile.mkdtemp(prefix="memcov-campaign-"))
        cls.server = RedisServer(cls.tmp).start()
        # The reference: one host running the whole corpus.
        cls.reference = cls.run_host(cls, "reference", CORPUS, campaign=None)

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def env(self, host, **extra):
        shm = self.tmp / "shm" / host
        shm.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, MEMCOV_SHM_DIR=str(shm), MEMCOV_REDIS_PASSWORD=PASSWORD)
        env.update(extra)
        env.pop("MEMCOV_REGION", None)
        return env

    def run_host(self, host, inputs, campaign, jobs=1, wait=True, extra=(), command=()):
        """memcov run of a host over INPUTS into region r-HOST, kept, synced with CAMPAIGN; the sample,
        or COMMAND given the input."""
        cmd = [CLI, "run", "--jobs", str(jobs), "--region", f"r-{host}", "--keep", "--json", "--inputs", str(inputs), *extra]
        if campaign:
            cmd += ["--redis", self.server.url, "--campaign", campaign, "--host", host]
        proc = subprocess.Popen([*cmd, "--", *(command or (str(SAMPLE),)), "{}"], env=CampaignSyncTest.env(self, host),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if not wait:
            return proc
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, (host, proc.returncode, err)
        return CampaignSyncTest.export(self, host)

    def export(self, host, region=None):
        """The host's region as map modules, by identity."""
        path = self.tmp / f"{host}.map"
        subprocess.run([CLI, "export", region or f"r-{host}", "-o", str(path)], env=CampaignSyncTest.env(self, host),
                       check=True, capture_output=True)
        return {m.identity: m for m in maps.load(str(path))}

    def memcov(self, host, *args, timeout=60, **extra):
        return subprocess.run([CLI, *args], env=self.env(host, **extra), capture_output=True, text=True, timeout=timeout)

    def pull(self, host, campaign):
        r = self.memcov(host, "sync", f"r-{host}", "--redis", self.server.url, "--campaign", campaign, "--host", host,
                        "--pull-only", "--once")
        self.assertEqual(r.returncode, 0, r.stderr)

    def union_in_redis(self, campaign, module):
        key = f"memcov:{{{campaign}}}:union:flags.build-id.{module.id.hex()}.{module.edge_count}.callback"
        c = self.server.client()
        try:
            return c.call("GET", key) or b""
        finally:
            c.close()

    def split(self, parts):
        """The corpus in PARTS directories, round robin."""
        dirs = [self.tmp / f"part-{parts}-{i}" for i in range(parts)]
        for d in dirs:
            d.mkdir(exist_ok=True)
        for i, f in enumerate(sorted(CORPUS.iterdir())):
            shutil.copyfile(f, dirs[i % parts] / f.name)
        return dirs

    def assert_union_everywhere(self, campaign, hosts):
        for module in self.reference.values():
            union = self.union_in_redis(campaign, module)
            self.assertEqual(union.ljust(module.edge_count, b"\0"), module.edges, f"union of {module.path} in Redis")
        for host in hosts:
            self.pull(host, campaign)
            mine = self.export(host)
            for identity, module in self.reference.items():
                self.assertEqual(mine[identity].edges, module.edges, f"{host}'s region after a pull")

    def test_three_hosts_reach_the_union_of_one(self):
        parts = self.split(3)
        procs = [self.run_host(f"h{i}", parts[i], "three", wait=False) for i in range(3)]
        for p in procs:
            out, err = p.communicate(timeout=300)
            self.assertEqual(p.returncode, 0, err)
        # Each host alone has less than the whole corpus; the campaign has all of it.
        self.assert_union_everywhere("three", ["h0", "h1", "h2"])
        covered = sum(m.covered() for m in self.reference.values())
        # The live view: the union's edges and a row per host; the plot: a line per host.
        r = self.memcov("h0", "watch", "--redis", self.server.url, "--campaign", "three", "--seconds", "0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"union {covered} edges", r.stdout)
        for host in ("h0", "h1", "h2"):
            self.assertIn(f"{host} {covered} edges", r.stdout)
        png = self.tmp / "three.png"
        r = self.memcov("h0", "plot", "--redis", self.server.url, "--campaign", "three", "-o", str(png))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"of 3 host(s), {covered} edges in the union", r.stdout)
        self.assertEqual(png.read_bytes()[:8], b"\x89PNG\r\n\x1a\n")

    def test_server_restarted_without_persistence_is_caught_up(self):
        # The hosts publish, then wait at their last input (a gate the test opens), so that the
        # server goes away and comes back while every one of them runs, however fast the machine.
        gate = self.tmp / "restart-gate"
        parts = []
        for i, part in enumerate(self.split(3)):
            d = self.tmp / f"restart-{i}"
            shutil.copytree(part, d, dirs_exist_ok=True)
            shutil.copyfile(sorted(part.iterdir())[0], d / "zzzz-gate")
            parts.append(d)
        script = (f'if [ "${{1##*/}}" = zzzz-gate ]; then while [ ! -e {gate} ]; do sleep 0.02; done; fi; '
                  f'exec {SAMPLE} "$1"')
        procs = [self.run_host(f"k{i}", parts[i], "restart", wait=False,
                               extra=("--no-fork-server", "--timeout", "120"), command=("sh", "-c", script, "sh"))
                 for i in range(3)]
        deadline = time.monotonic() + 60
        module = next(iter(self.reference.values()))
        while not any(self.union_in_redis("restart", module)) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(2.5)  # two sync periods: every host has pushed
        self.assertEqual([p.poll() for p in procs], [None] * 3, "a host ended before the server went")
        self.server.kill()  # everything the campaign had is gone: no persistence
        time.sleep(1.5)
        self.server.start()
        gate.touch()
        for p in procs:
            out, err = p.communicate(timeout=300)
            self.assertEqual(p.returncode, 0, err)
        self.assert_union_everywhere("restart", ["k0", "k1", "k2"])

    def test_modules_of_different_builds_never_mix(self):
        build = self.tmp / "builds"
        build.mkdir(exist_ok=True)
        src = build / "t.c"
        src.write_text(
            "#include <stdio.h>\n"
            "int f(int c) { if (c == 'a') return 1; if (c == 'b') return 2;\n"
            "#ifdef EXTRA\n if (c == 'c') return 3; if (c == 'd') return 4;\n#endif\n return 0; }\n"
            "int main(int argc, char **argv) { FILE *f_ = fopen(argv[1], \"rb\"); int c = f_ ? fgetc(f_) : 0;"
            " if (f_) fclose(f_); return f(c) > 9; }\n")
        inputs = build / "in"
        inputs.mkdir(exist_ok=True)
        for c in "abcd":
            (inputs / c).write_text(c)
        targets = {}
        for host, flags in (("v1", []), ("v2", ["-DEXTRA"])):
            targets[host] = build / f"t-{host}"
            subprocess.run([str(WRAPPER), "-O1", *flags, str(src), "-o", str(targets[host])], check=True, capture_output=True)
        own = {}
        for host in ("v1", "v2"):
            r = self.memcov(host, "run", "--jobs", "1", "--region", f"r-{host}", "--keep", "--inputs", str(inputs),
                            "--redis", self.server.url, "--campaign", "builds", "--host", host, "--", str(targets[host]), "{}")
            self.assertEqual(r.returncode, 0, r.stderr)
        own = {h: self.export(h) for h in ("v1", "v2")}
        for host in ("v1", "v2"):
            self.pull(host, "builds")
        c = self.server.client()
        keys = [k.decode() for k in c.call("SMEMBERS", "memcov:{builds}:modules")]
        c.close()
        self.assertEqual(len(keys), 2, keys)  # two identities, never one
        # A pull merges a region's own modules: each host keeps its build, with its own bytes.
        for h in ("v1", "v2"):
            self.assertEqual(self.export(h), own[h])
        (i1,), (i2,) = own["v1"], own["v2"]
        self.assertNotEqual(i1, i2)
        # A region that gathers the campaign gets both, each under its identity, never mixed.
        r = self.memcov("agg", "create", "r-agg", "--capacity", "65536")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.memcov("agg", "sync", "r-agg", "--redis", self.server.url, "--campaign", "builds", "--host", "agg",
                        "--pull-only", "--all-modules", "--once")
        self.assertEqual(r.returncode, 0, r.stderr)
        agg = {identity: m.edges for identity, m in self.export("agg").items()}
        self.assertEqual(agg, {i1: own["v1"][i1].edges, i2: own["v2"][i2].edges})

    def test_flag_and_class_regions_never_mix(self):
        self.run_host("kf", self.split(3)[2], None)
        mapfile = self.tmp / "kf.map"
        r = self.memcov("kf", "export", "r-kf", "-o", str(mapfile))
        self.assertEqual(r.returncode, 0, r.stderr)
        # The same module in a hit-count region: its bytes are classes, not flags.
        for args in (["create", "r-kc", "--counts"], ["import", str(mapfile), "r-kc"]):
            r = self.memcov("kc", *args)
            self.assertEqual(r.returncode, 0, r.stderr)
        for host in ("kf", "kc"):
            r = self.memcov(host, "sync", f"r-{host}", "--redis", self.server.url, "--campaign", "kinds", "--host", host, "--once")
            self.assertEqual(r.returncode, 0, r.stderr)
        c = self.server.client()
        keys = sorted(k.decode() for k in c.call("SMEMBERS", "memcov:{kinds}:modules"))
        c.close()
        self.assertEqual([k.split(".")[0] for k in keys], ["classes", "flags"], keys)
        # Each region still holds one module, its own kind's, after pulling the campaign.
        for host in ("kf", "kc"):
            self.pull(host, "kinds")
            self.assertEqual(len(self.export(host)), 1)

    def sync_loop(self, host, campaign, interval="0.2"):
        return subprocess.Popen([CLI, "sync", f"r-{host}", "--redis", self.server.url, "--campaign", campaign, "--host", host,
                                 "--interval", interval], env=self.env(host), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_for_union(self, campaign, host, timeout=20):
        """Until the union in Redis holds the host's region, byte for byte."""
        deadline = time.monotonic() + timeout
        mine = self.export(host)
        while True:
            try:
                if all(self.union_in_redis(campaign, m).ljust(m.edge_count, b"\0") == m.edges for m in mine.values()):
                    return
            except (OSError, RuntimeError):
                pass  # the server is restarting
            if time.monotonic() > deadline:
                self.fail(f"the union of {campaign} never held {host}'s region")
            time.sleep(0.1)

    def test_a_server_back_at_an_older_snapshot_is_caught_up(self):
        parts = self.split(2)
        self.run_host("old", parts[0], None)
        half = self.tmp / "old-half.map"
        self.run_host("oldb", parts[1], None)
        self.assertEqual(self.memcov("oldb", "export", "r-oldb", "-o", str(half)).returncode, 0)
        loop = self.sync_loop("old", "snapshot")
        try:
            self.wait_for_union("snapshot", "old")
            c = self.server.client()
            c.call("SAVE")  # the state the server will come back to
            c.close()
            self.assertEqual(self.memcov("old", "import", str(half), "r-old").returncode, 0)
            self.wait_for_union("snapshot", "old")
            self.server.kill()  # no save: what was published since the snapshot is gone
            self.server.start()  # back at the snapshot, the host's owner key with it
            self.wait_for_union("snapshot", "old")
        finally:
            loop.send_signal(signal.SIGINT)
            out, err = loop.communicate(timeout=60)
        self.assertEqual(loop.returncode, 0, err)

    def test_refused_keys_are_sent_again_and_bad_values_are_one_line(self):
        self.run_host("bk", self.split(3)[0], None)
        (module,) = self.export("bk").values()
        key = f"flags.build-id.{module.id.hex()}.{module.edge_count}.callback"
        c = self.server.client()
        c.call("RPUSH", f"memcov:{{hostile}}:host:bk:map:{key}", "not a map")  # another program's list there
        c.call("SET", "memcov:{hostile}:generation", "abc")
        args = ("sync", "r-bk", "--redis", self.server.url, "--campaign", "hostile", "--host", "bk", "--once")
        r = self.memcov("bk", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("Unhandled", r.stderr)
        self.assertIn("sent again", r.stderr)
        self.assertIn("not a counter", r.stderr)
        self.assertTrue(all(line.startswith("memcov: ") for line in r.stderr.splitlines()), r.stderr)
        self.assertEqual(c.call("GET", f"memcov:{{hostile}}:union:{key}"), None)  # nothing was taken for sent
        # A run keeps its summary whatever the campaign holds.
        r = self.memcov("bk", "run", "--json", "--inputs", str(self.split(3)[0]), "--redis", self.server.url,
                        "--campaign", "hostile", "--host", "bk-run", "--", str(SAMPLE), "{}")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"campaign"', r.stdout)
        c.call("DEL", f"memcov:{{hostile}}:host:bk:map:{key}", "memcov:{hostile}:generation")
        c.close()
        loop = self.sync_loop("bk", "hostile")
        try:
            self.wait_for_union("hostile", "bk")
        finally:
            loop.send_signal(signal.SIGINT)
            loop.communicate(timeout=60)

    def test_a_sync_whose_region_goes_stops_in_one_line(self):
        self.run_host("gone", self.split(3)[1], None)
        loop = self.sync_loop("gone", "gone")
        try:
            self.wait_for_union("gone", "gone")
            self.assertEqual(self.memcov("gone", "rm", "r-gone").returncode, 0)
            out, err = loop.communicate(timeout=30)
        finally:
            if loop.poll() is None:
                loop.kill()
                loop.communicate()
        self.assertEqual(loop.returncode, 1, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("syncing it stopped", err)

    def test_push_only_and_pull_only(self):
        parts = self.split(2)
        self.run_host("p0", parts[0], None)
        self.run_host("p1", parts[1], None)
        before = self.export("p0")
        r = self.memcov("p0", "sync", "r-p0", "--redis", self.server.url, "--campaign", "oneway", "--host", "p0", "--push-only", "--once")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.memcov("p1", "sync", "r-p1", "--redis", self.server.url, "--campaign", "oneway", "--host", "p1", "--pull-only", "--once")
        self.assertEqual(r.returncode, 0, r.stderr)
        # p1 published nothing: the union is p0's alone, and p0 (push only) did not gain.
        for identity, m in before.items():
            self.assertEqual(self.union_in_redis("oneway", m).ljust(m.edge_count, b"\0"), m.edges)
        r = self.memcov("p0", "sync", "r-p0", "--redis", self.server.url, "--campaign", "oneway", "--host", "p0", "--push-only", "--once")
        self.assertEqual(self.export("p0"), before)
        # p1 now holds the union of both.
        p1 = self.export("p1")
        for identity, m in before.items():
            self.assertEqual(bytes(a | b for a, b in zip(m.edges, p1[identity].edges)), p1[identity].edges)

    def test_bad_servers_are_one_line(self):
        self.run_host("bad", self.split(3)[0], None)
        silent = socket.socket()  # a port that speaks something else
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        stop = threading.Event()

        def http_like():
            silent.settimeout(0.2)
            while not stop.is_set():
                try:
                    conn, _ = silent.accept()
                except OSError:
                    continue
                try:
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                finally:
                    conn.close()

        t = threading.Thread(target=http_like, daemon=True)
        t.start()
        try:
            cases = {
                "wrong password": (self.server.url, {"MEMCOV_REDIS_PASSWORD": "not-the-password"}, "password"),
                "server down": (f"redis://127.0.0.1:{free_port()}", {}, "cannot reach"),
                "not redis": (f"redis://127.0.0.1:{silent.getsockname()[1]}", {}, "does not answer as a Redis server"),
                "not a redis url": ("http://127.0.0.1:80", {}, "not a redis:// or rediss:// URL"),
            }
            for case, (url, env, words) in cases.items():
                start = time.monotonic()
                r = self.memcov("bad", "sync", "r-bad", "--redis", url, "--campaign", "bad", "--once", **env)
                lines = r.stderr.strip().splitlines()
                self.assertEqual(r.returncode, 1, (case, r.stdout, r.stderr))
                self.assertEqual(len(lines), 1, (case, r.stderr))
                self.assertTrue(lines[0].startswith("memcov: ") and words in lines[0], (case, lines))
                self.assertNotIn("not-the-password", r.stderr)
                self.assertLess(time.monotonic() - start, 30, case)
                # memcov run refuses before any target runs.
                r = self.memcov("bad", "run", "--inputs", str(CORPUS), "--redis", url, "--campaign", "bad", "--", str(SAMPLE), "{}", **env)
                self.assertEqual((r.returncode, len(r.stderr.strip().splitlines())), (1, 1), (case, r.stderr))
        finally:
            stop.set()
            t.join()
            silent.close()

    def test_password_never_in_arguments_nor_targets(self):
        build = self.tmp / "peek"
        build.mkdir(exist_ok=True)
        target = build / "peek.sh"
        # The target records its environment and the arguments of every memcov process.
        target.write_text("#!/bin/sh\nenv > \"$PEEK/env-$$\"\n"
                          "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done > \"$PEEK/ps-$$\"\n")
        target.chmod(0o755)
        inputs = build / "in"
        inputs.mkdir(exist_ok=True)
        (inputs / "one").write_text("x")
        pwfile = build / "password"
        pwfile.write_text(PASSWORD + "\n")
        pwfile.chmod(0o600)
        for how, args, env in (("environment", [], {}), ("file", ["--redis-password-file", str(pwfile)], {"MEMCOV_REDIS_PASSWORD": ""})):
            peek = build / how
            peek.mkdir()
            r = self.memcov("peek", "run", "--jobs", "1", "--inputs", str(inputs), "--redis", self.server.url, "--campaign", "peek",
                            "--host", f"peek-{how}", *args, "--", str(target), "{}", PEEK=str(peek), **env)
            self.assertEqual(r.returncode, 0, (how, r.stderr))
            seen = "".join(p.read_text() for p in peek.iterdir())
            self.assertIn("MEMCOV_REGION=", seen)  # the target ran and wrote what it saw
            self.assertIn(" run ", seen)  # the memcov process was listed
            self.assertNotIn(PASSWORD, seen, how)
            self.assertNotIn("MEMCOV_REDIS_PASSWORD", seen, how)

    def test_tls_with_a_test_ca(self):
        certs = self.tmp / "tls"
        certs.mkdir(exist_ok=True)
        ossl = lambda *a: subprocess.run(["openssl", *a], cwd=certs, check=True, capture_output=True)  # noqa: E731
        ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=memcov test CA")
        ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
        (certs / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
        ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
             "-days", "2", "-extfile", "san.ext")
        server = RedisServer(certs, tls={"cert": certs / "server.pem", "key": certs / "server.key", "ca": certs / "ca.pem"}).start()
        try:
            self.run_host("tls", self.split(3)[1], None)
            args = ("sync", "r-tls", "--redis", server.url, "--campaign", "tls", "--host", "tls", "--once")
            r = self.memcov("tls", *args, SSL_CERT_FILE=str(certs / "ca.pem"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("republished", r.stdout)
            context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
            with socket.create_connection(("127.0.0.1", server.port)) as raw, context.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(f"AUTH {PASSWORD}\r\nSMEMBERS memcov:{{tls}}:modules\r\n".encode())
                time.sleep(0.3)
                self.assertIn(b"flags.build-id.", s.recv(4096))
            # Without the CA the certificate is refused, in one line.
            r = self.memcov("tls", *args, SSL_CERT_FILE=str(certs / "server.key"))
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        finally:
            server.kill()


if __name__ == "__main__":
    unittest.main()
