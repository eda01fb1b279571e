"""A library not written here, built the way its users build it: Debian's source of zlib,
`CC=memcov-cc ./configure && make`, then its own test suite (`make test`) with MEMCOV_REGION set.
The suite must pass, and the region must hold libz and the test programs with a plausible share
of their edges, which `memcov report` names down to zlib's source files.

The source comes from Debian's archive (`apt-get source --download-only` with a deb-src list of
its own, not the system's) into a cache outside the checkout ($MEMCOV_CACHE_DIR, else
$XDG_CACHE_HOME/memcov, else ~/.cache/memcov), so later runs do not fetch it again. If it cannot be
fetched, the test fails and says why: it is never skipped.

    MEMCOV_CLI=artifacts/cli/memcov python3 -m unittest discover -s tests/thirdparty -v
"""
import json
import os
import subprocess
import tarfile
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = os.environ.get("MEMCOV_CLI") or str(ROOT / "artifacts" / "cli" / "memcov")
WRAPPER = ROOT / "artifacts" / "bin" / "memcov-cc"
CACHE = Path(os.environ.get("MEMCOV_CACHE_DIR") or
             Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "memcov") / "debian-source"
SOURCES = """\
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def run(*args, **kw):
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=900, **kw)
    if out.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {out.returncode}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return out.stdout


def zlib_source():
    """The upstream tarball of Debian's zlib, fetched once into the cache."""
    found = sorted(CACHE.glob("zlib_*.orig.tar.*"))
    if found:
        return found[-1]
    parts, lists = CACHE / "apt" / "parts", CACHE / "apt" / "lists"
    (lists / "partial").mkdir(parents=True, exist_ok=True)
    parts.mkdir(parents=True, exist_ok=True)
    (parts / "debian-src.sources").write_text(SOURCES)
    (CACHE / "apt" / "empty.list").write_text("")
    apt = ["apt-get", "-o", f"Dir::Etc::SourceList={CACHE / 'apt' / 'empty.list'}", "-o", f"Dir::Etc::SourceParts={parts}",
           "-o", f"Dir::State::Lists={lists}", "-o", "Debug::NoLocking=1"]
    try:
        run(*apt, "update")
        run(*apt, "source", "--download-only", "zlib", cwd=CACHE)
    except AssertionError as e:
        raise AssertionError(f"cannot fetch zlib's source from Debian's archive into {CACHE}: {e}") from None
    found = sorted(CACHE.glob("zlib_*.orig.tar.*"))
    if not found:
        raise AssertionError(f"apt-get source zlib left no zlib_*.orig.tar.* in {CACHE}")
    return found[-1]


class ZlibTest(unittest.TestCase):
    def test_zlibs_own_tests_pass_recording_into_a_region(self):
        tarball = zlib_source()
        with tempfile.TemporaryDirectory(prefix="memcov-zlib-") as work:
            with tarfile.open(tarball) as tar:
                tar.extractall(work, filter="data")
            src = next(p for p in Path(work).iterdir() if p.is_dir())
            env = {k: v for k, v in os.environ.items() if k != "MEMCOV_REGION"}  # configure records nothing
            run("./configure", cwd=src, env=dict(env, CC=str(WRAPPER)))
            run("make", "-j2", cwd=src, env=env)
            region = f"t-zlib-{os.getpid()}"
            run(CLI, "create", region)
            try:
                out = run("make", "test", cwd=src, env=dict(env, MEMCOV_REGION=region))
                self.assertIn("*** zlib shared test OK ***", out)
                stat = json.loads(run(CLI, "stat", region, "--json"))
                modules = {Path(m["path"]).name: m for m in stat["modules"]}
                libz = [m for name, m in modules.items() if name.startswith("libz.so")]
                self.assertEqual(len(libz), 1, sorted(modules))
                self.assertIn("example", modules)
                for m in [libz[0], modules["example"]]:
                    share = m["covered"] / m["edges"]
                    self.assertTrue(0.1 < share < 0.9, f"{m['path']}: {m['covered']} of {m['edges']} edges")
                report = json.loads(run(CLI, "report", region, "--json"))
                files = {Path(f["path"]).name: f for f in report["files"]}
                self.assertGreater(files["inflate.c"]["covered"], 0)
                self.assertGreater(files["deflate.c"]["covered"], 0)
            finally:
                subprocess.run([CLI, "rm", region], capture_output=True)


if __name__ == "__main__":
    unittest.main()
