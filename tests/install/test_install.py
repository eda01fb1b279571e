"""`cmake --install` gives what each way of building needs, and each records into a region: a CMake
project with find_package(memcov CONFIG) and memcov_instrument() (both modes), a build that takes
pkg-config's flags, and a Makefile project built with the installed memcov-cc, also after the
prefix was moved elsewhere.

    MEMCOV_CLI=artifacts/cli/memcov python3 -m unittest discover -s tests/install -v
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("MEMCOV_BUILD_DIR") or ROOT / "artifacts" / "obj" / "native-release")
CLI = os.environ.get("MEMCOV_CLI") or str(ROOT / "artifacts" / "cli" / "memcov")
CC = next((c for c in ("clang", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14") if shutil.which(c)), "clang")

LIB = "int demo_pick(int x)\n{\n    if (x > 2)\n        return x * 3;\n    return x + 1;\n}\n"
MAIN = textwrap.dedent("""\
    #include <stdio.h>
    #include <stdlib.h>
    int demo_pick(int x);
    int main(int argc, char **argv)
    {
        printf("%d\\n", demo_pick(argc > 1 ? atoi(argv[1]) : 0));
        return 0;
    }
    """)
CMAKELISTS = textwrap.dedent("""\
    cmake_minimum_required(VERSION 3.18)
    project(consumer C)
    find_package(memcov 0.1 CONFIG REQUIRED)
    add_library(demo SHARED lib.c)
    memcov_instrument(demo MODE ${MODE})
    add_executable(prog main.c)
    target_link_libraries(prog PRIVATE demo)
    """)


def run(*args, ok=True, **kw):
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kw)
    if ok and out.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {out.returncode}:\n{out.stdout}\n{out.stderr}")
    return out


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="memcov-install-")
        cls.prefix = Path(cls._tmp.name) / "prefix"
        run("cmake", "--install", BUILD, "--prefix", cls.prefix)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="memcov-consumer-")
        self.addCleanup(tmp.cleanup)
        self.dir = Path(tmp.name)
        (self.dir / "lib.c").write_text(LIB)
        (self.dir / "main.c").write_text(MAIN)

    def recorded(self, tag, program, arg="5"):
        """Runs program recording into a new region: the region's modules by file name."""
        region = f"t-install-{os.getpid()}-{tag}"
        run(CLI, "rm", "--force", region, ok=False)
        run(CLI, "create", region)
        try:
            out = run(program, arg, env=dict(os.environ, MEMCOV_REGION=region))
            self.assertEqual(out.stdout.strip(), "15")
            self.assertNotIn("memcov:", out.stderr)
            stat = json.loads(run(CLI, "stat", region, "--json").stdout)
            return {Path(m["path"]).name: m for m in stat["modules"]}
        finally:
            run(CLI, "rm", "--force", region, ok=False)

    def test_find_package_gives_memcov_instrument_in_both_modes(self):
        (self.dir / "CMakeLists.txt").write_text(CMAKELISTS)
        for mode in ("callback", "inline"):
            with self.subTest(mode=mode):
                build = self.dir / f"build-{mode}"
                run("cmake", "-S", self.dir, "-B", build, f"-DCMAKE_C_COMPILER={CC}", f"-DCMAKE_PREFIX_PATH={self.prefix}",
                    f"-DMODE={mode}")
                run("cmake", "--build", build)
                modules = self.recorded(mode, build / "prog")
                self.assertEqual(list(modules), ["libdemo.so"])
                self.assertEqual(modules["libdemo.so"]["mode"], mode)
                self.assertGreater(modules["libdemo.so"]["covered"], 0)

    def test_pkg_config_flags_record_also_from_a_moved_prefix(self):
        moved = Path(self._tmp.name) / "moved"
        shutil.copytree(self.prefix, moved, symlinks=True)
        self.addCleanup(shutil.rmtree, moved, True)
        for prefix in (self.prefix, moved):
            with self.subTest(prefix=prefix):
                env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
                # One version for every package: the NuGet packages' too.
                nuget = re.search(r"<Version>([^<]+)</Version>",
                                  (ROOT / "src" / "Memcov.SharedMem" / "Memcov.SharedMem.csproj").read_text())[1]
                self.assertEqual(run("pkg-config", "--modversion", "memcov", env=env).stdout.strip(), nuget)
                cflags = run("pkg-config", "--cflags", "memcov", env=env).stdout.split()
                libs = run("pkg-config", "--libs", "memcov", env=env).stdout.split()
                self.assertTrue(any(w.endswith("memcov_hooks.o") for w in libs), libs)
                lib = self.dir / f"libdemo-{prefix.name}.so"
                run(CC, "-O1", "-fPIC", "-shared", *cflags, "-o", lib, self.dir / "lib.c", *libs)
                prog = self.dir / f"prog-{prefix.name}"
                run(CC, "-o", prog, self.dir / "main.c", lib, f"-Wl,-rpath,{self.dir}")
                modules = self.recorded(f"pc-{prefix.name}", prog)
                self.assertGreater(modules[lib.name]["covered"], 0)
                self.assertEqual(modules[lib.name]["mode"], "callback")

    def test_the_installed_wrapper_builds_a_makefile_project(self):
        (self.dir / "Makefile").write_text(
            "prog: main.c lib.c\n\t$(CC) -O1 -o $@ main.c lib.c\n")
        run("make", "-s", f"CC={self.prefix / 'bin' / 'memcov-cc'}", cwd=self.dir)
        modules = self.recorded("wrapper", self.dir / "prog")
        self.assertGreater(modules["prog"]["covered"], 0)


if __name__ == "__main__":
    unittest.main()
