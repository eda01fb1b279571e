"""memcov-cc and memcov-c++ instrument a project of any build system: a plain Makefile's library
and program record into a region in both modes and name their functions in a report; a step that
only preprocesses, lists dependencies or emits assembly is clang's own; partial links, response
files, the gold linker and libFuzzer's flags get what they can take, -static one line; the
allowlist limits what is instrumented.

    MEMCOV_CLI=artifacts/cli/memcov python3 -m unittest discover -s tests/wrappers -v
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
BIN = ROOT / "artifacts" / "bin"
CC, CXX = str(BIN / "memcov-cc"), str(BIN / "memcov-c++")
CLI = os.environ.get("MEMCOV_CLI") or str(ROOT / "artifacts" / "cli" / "memcov")
CLANG = next((c for c in ("clang", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14") if shutil.which(c)), None)

LIB = textwrap.dedent("""\
    int demo_classify(const char *s)
    {
        int kind = 0;
        for (; *s; s++) {
            if (*s >= '0' && *s <= '9')
                kind |= 1;
            else if (*s == ' ')
                kind |= 2;
            else
                kind |= 4;
        }
        return kind;
    }

    int demo_unused(int x)
    {
        return x > 3 ? x * 2 : x - 1;
    }
    """)
MAIN = textwrap.dedent("""\
    #include <stdio.h>
    int demo_classify(const char *s);
    int main(int argc, char **argv)
    {
        int total = 0;
        for (int i = 1; i < argc; i++)
            total += demo_classify(argv[i]);
        printf("%d\\n", total);
        return 0;
    }
    """)
MAKEFILE = textwrap.dedent("""\
    all: prog
    libdemo.so: lib.c
    \t$(CC) -O1 -fPIC -shared -o $@ lib.c
    main.o: main.c
    \t$(CC) -O1 -c -o $@ main.c
    prog: main.o libdemo.so
    \t$(CC) -o $@ main.o -L. -ldemo -Wl,-rpath,'$$ORIGIN'
    """)


def run(*args, ok=True, **kw):
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, **kw)
    if ok and out.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {out.returncode}: {out.stderr}")
    return out


def sections(obj):
    return run("readelf", "-SW", obj).stdout


class WrapperTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="memcov-wrappers-")
        self.addCleanup(tmp.cleanup)
        self.dir = Path(tmp.name)
        (self.dir / "lib.c").write_text(LIB)
        (self.dir / "main.c").write_text(MAIN)
        (self.dir / "Makefile").write_text(MAKEFILE)

    def region(self, tag):
        name = f"t-wrap-{os.getpid()}-{tag}"
        run(CLI, "rm", "--force", name, ok=False)
        run(CLI, "create", name)
        self.addCleanup(run, CLI, "rm", "--force", name, ok=False)
        return name

    def test_a_makefile_project_records_into_a_region_in_both_modes(self):
        # No-call mode counts where Memcov's plugin was built for this clang, else sets flags.
        plugin = (BIN.parent / "native" / "libmemcov_pass.so").exists()
        for mode, section in (("inline", "__sancov_cntrs" if plugin else "__sancov_bools"),
                              ("callback", "__sancov_guards")):
            with self.subTest(mode=mode):
                run("make", "-s", "clean", ok=False, cwd=self.dir)
                for f in ("prog", "main.o", "libdemo.so"):
                    (self.dir / f).unlink(missing_ok=True)
                env = dict(os.environ, MEMCOV_MODE=mode)
                run("make", "-s", f"CC={CC}", cwd=self.dir, env=env)
                self.assertIn(section, sections(self.dir / "main.o"))
                self.assertIn("__sancov_pcs", sections(self.dir / "libdemo.so"))
                region = self.region(mode)
                out = run(self.dir / "prog", "12 ab", "x", env=dict(os.environ, MEMCOV_REGION=region))
                self.assertEqual(out.stdout.strip(), "11")
                self.assertNotIn("memcov:", out.stderr)
                stat = json.loads(run(CLI, "stat", region, "--json").stdout)
                modules = {Path(m["path"]).name: m for m in stat["modules"]}
                self.assertEqual(sorted(modules), ["libdemo.so", "prog"])
                for m in modules.values():
                    self.assertEqual(m["mode"], mode)
                    self.assertGreater(m["covered"], 0, m["path"])
                rep = json.loads(run(CLI, "report", region, "--json").stdout)
                functions = {fn["name"]: fn for f in rep["files"] for fn in f["functions"]}
                self.assertGreater(functions["demo_classify"]["covered"], 0)
                self.assertEqual(functions["demo_unused"]["covered"], 0)
                self.assertGreater(functions["main"]["covered"], 0)

    @unittest.skipUnless(CLANG, "needs clang")
    def test_preprocessing_dependencies_and_assembly_are_clangs_own(self):
        for step in (["-E", "lib.c"], ["-M", "main.c"], ["-MM", "main.c"]):
            with self.subTest(step=step):
                self.assertEqual(run(CC, *step, cwd=self.dir).stdout, run(CLANG, *step, cwd=self.dir).stdout)
        self.assertIn("__sanitizer_cov_trace_pc_guard", run(CC, "-S", "-o", "-", "lib.c", cwd=self.dir,
                                                              env=dict(os.environ, MEMCOV_MODE="callback")).stdout)
        self.assertIn("clang", run(CC, "--version").stdout)

    def test_partial_links_response_files_and_cxx(self):
        (self.dir / "args").write_text('-c "lib.c" -o lib.o\n')
        run(CC, "@args", cwd=self.dir)
        self.assertIn("__sancov_pcs", sections(self.dir / "lib.o"))
        run(CC, "-c", "main.c", "-o", "main.o", cwd=self.dir)
        run(CC, "-r", "-o", "both.o", "lib.o", "main.o", cwd=self.dir)  # no linker script, no runtime
        run(CC, "-o", "prog2", "both.o", cwd=self.dir)
        self.assertEqual(run(self.dir / "prog2", "7").stdout.strip(), "1")
        (self.dir / "main.cc").write_text(MAIN.replace("int demo_classify", 'extern "C" int demo_classify'))
        run(CXX, "-o", "progxx", "main.cc", "lib.o", cwd=self.dir)
        self.assertEqual(run(self.dir / "progxx", "7 ").stdout.strip(), "3")

    def test_a_compile_and_link_line_gets_no_ubsan_runtime_unless_it_asks_for_one(self):
        def needed(prog):
            return run("readelf", "-d", str(self.dir / prog)).stdout
        # Coverage flags alone: the hook object defines the callbacks, no sanitizer runtime comes in.
        run(CC, "-O1", "-o", "plain", "main.c", "lib.c", cwd=self.dir)
        self.assertNotIn("libgcc_s", needed("plain"))
        self.assertEqual(run(self.dir / "plain", "7").stdout.strip(), "1")
        # Coverage of the line's own (trace-cmp), or a sanitizer: their runtime links as clang links it.
        for extra in (["-fsanitize-coverage=trace-cmp"], ["-fsanitize=undefined"]):
            with self.subTest(extra=extra):
                run(CC, "-O1", *extra, "-o", "with", "main.c", "lib.c", cwd=self.dir)
                self.assertEqual(run(self.dir / "with", "7").stdout.strip(), "1")

    def test_static_is_refused_with_one_line(self):
        out = run(CC, "-static", "-o", "prog", "main.c", "lib.c", cwd=self.dir, ok=False)
        self.assertEqual(out.returncode, 1)
        self.assertEqual(out.stderr.strip().splitlines(),
                         ["memcov-cc: -static is not supported: libmemcov is a shared library (link without -static)"])

    def test_libfuzzer_sees_its_counters_while_the_region_records(self):
        """A library built with fuzzer-no-link and a harness with -fsanitize=fuzzer, both through the
        wrapper: libFuzzer finds as much coverage as with plain clang, and the region records too."""
        if not CLANG:
            self.skipTest("needs clang")
        (self.dir / "fuzz.c").write_text(textwrap.dedent("""\
            #include <stddef.h>
            #include <stdint.h>
            int demo_classify(const char *s);
            int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
            {
                char text[64];
                size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
                for (size_t i = 0; i < n; i++)
                    text[i] = data[i] ? (char)data[i] : ' ';
                text[n] = 0;
                return demo_classify(text) * 0;
            }
            """))
        cov = {}
        for name, cc in (("plain", CLANG), ("memcov", CC)):
            lib, fz = self.dir / f"lib{name}.so", self.dir / f"fz-{name}"
            run(cc, "-O1", "-g", "-fsanitize=fuzzer-no-link", "-fPIC", "-shared", "-o", lib, "lib.c", cwd=self.dir)
            run(cc, "-O1", "-fsanitize=fuzzer", "-o", fz, "fuzz.c", lib, f"-Wl,-rpath,{self.dir}", cwd=self.dir)
            region = self.region(f"fz-{name}")
            out = run(fz, "-seed=1", "-runs=3000", cwd=self.dir, env=dict(os.environ, MEMCOV_REGION=region))
            cov[name] = max(int(c) for c in re.findall(r"cov: (\d+)", out.stderr))
            stat = json.loads(run(CLI, "stat", region, "--json").stdout)
            if name == "memcov":
                modules = {Path(m["path"]).name: m for m in stat["modules"]}
                self.assertGreater(modules[lib.name]["covered"], 0, "the region records the library")
        self.assertEqual(cov["memcov"], cov["plain"], "libFuzzer sees less of the library through the wrapper")

    def test_libtool_steps_pch_stdin_and_version_queries(self):
        hooks = str(BIN.parent / "native" / "memcov_hooks.o")
        run(CC, "-fPIC", "-c", "lib.c", "-o", "lib.o", cwd=self.dir)
        # libtool links C++ libraries with the hook object it learnt from `$CXX -shared -v`.
        run(CXX, "-shared", "-o", "libdup.so", "lib.o", hooks, cwd=self.dir)
        out = run("bash", "-c", f"cat lib.c | {CC} -x c -c - -o stdin.o", cwd=self.dir)
        self.assertIn("__sancov", sections(self.dir / "stdin.o"), out.stderr)
        run(CC, "-x", "c", "-o", "progx", "main.c", "lib.c", cwd=self.dir)
        run(CC, "-nostdlib", "-no-pie", "-Xlinker", "-r", "-o", "part.o", "lib.o", cwd=self.dir)
        version = run(CC, "-v")
        self.assertIn("clang version", version.stderr)

    def test_libfuzzer_and_gold_get_callback_mode(self):
        run(CC, "-O1", "-fsanitize=fuzzer-no-link", "-c", "lib.c", "-o", "fuzz.o", cwd=self.dir)
        # libFuzzer's own inline-8bit-counters stay; Memcov records through trace-pc-guard.
        self.assertIn("__sancov_guards", sections(self.dir / "fuzz.o"))
        if shutil.which("ld.gold"):
            run(CC, "-fuse-ld=gold", "-o", "progg", "main.c", "lib.c", cwd=self.dir)
            self.assertIn("__sancov_guards", sections(self.dir / "progg"))
            region = self.region("gold")
            run(self.dir / "progg", "1", env=dict(os.environ, MEMCOV_REGION=region))
            stat = json.loads(run(CLI, "stat", region, "--json").stdout)
            self.assertGreater(stat["covered_edges"], 0)

    def test_the_allowlist_limits_what_is_instrumented(self):
        (self.dir / "only").write_text("# what to instrument\n*/lib.c\n")
        env = dict(os.environ, MEMCOV_INSTRUMENT_ONLY=str(self.dir / "only"))
        run(CC, "-c", str(self.dir / "lib.c"), "-o", "lib.o", cwd=self.dir, env=env)
        run(CC, "-c", "main.c", "-o", "main.o", cwd=self.dir, env=env)
        self.assertIn("__sancov", sections(self.dir / "lib.o"))
        self.assertNotIn("__sancov", sections(self.dir / "main.o"))


if __name__ == "__main__":
    unittest.main()
