"""`memcov report` names the code a region's edges lie in: which functions of the sample ran agrees
with llvm-cov's source-based coverage of the same inputs, function for function; the functions it
calls not instrumented are those the PC table has no address in; its LCOV tracefile renders in
genhtml without a warning, its Cobertura XML and its HTML report (in a browser, fetching nothing)
say what its JSON says; it works on a region whose writers were all SIGKILLed and on the map
exported from it (with the same result), on modules loaded in either order, and beside modules it
cannot name (file gone, no PC table), which it lists with the reason, and names the gone one's
code again from a --debug-dir build-id tree. `memcov diff --functions`
tells the functions one map reached and the other did not. Errors are one line; --source-root
moves the sources.

    MEMCOV_CLI=artifacts/cli/memcov MEMCOV_SAMPLE_DIR=artifacts/samples python3 -m unittest tests/cli/test_report.py

Needs clang, llvm-cov, llvm-profdata (versioned -14 names first), binutils' readelf and nm,
genhtml and chromium; a test whose tool is missing is skipped, except under ./build.sh test
(MEMCOV_REQUIRE_TOOLS=1), which installs them and fails it instead. The browser's screenshot of the
index is kept in artifacts/report-test/index.png.
"""
import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = os.environ.get("MEMCOV_CLI") or str(ROOT / "artifacts" / "cli" / "memcov")
SAMPLES = Path(os.environ.get("MEMCOV_SAMPLE_DIR") or ROOT / "artifacts" / "samples")
NATIVE = ROOT / "artifacts" / "native"
FIXTURES = Path(os.environ.get("MEMCOV_TEST_LIBDIR")
                or ROOT / "artifacts" / "obj" / "native-release" / "native" / "tests")
SHM = Path(os.environ.get("MEMCOV_SHM_DIR") or "/dev/shm")
CORPUS = ROOT / "samples" / "corpus"
SCREENSHOT = ROOT / "artifacts" / "report-test" / "index.png"


def tool(*names):
    return next((p for p in map(shutil.which, names) if p), None)


CLANG = tool("clang-14", "clang")
LLVM_COV = tool("llvm-cov-14", "llvm-cov")
LLVM_PROFDATA = tool("llvm-profdata-14", "llvm-profdata")
READELF = tool("readelf", "llvm-readelf-14", "llvm-readelf")
NM = tool("nm")  # binutils' nm: -l gives each symbol's source file (llvm-nm has no -l)
GENHTML = tool("genhtml")
CHROMIUM = tool("chromium", "chromium-browser", "google-chrome")


def needs(available, what):
    """Skip a test whose tools are missing; where the tools were installed for the run, fail it."""
    if available:
        return lambda test: test
    if os.environ.get("MEMCOV_REQUIRE_TOOLS") == "1":
        return lambda test: lambda self: self.fail(f"{what}: not installed")
    return unittest.skip(what)


def corpus(*prefixes):
    """The corpus inputs whose names start with one of prefixes, in name order."""
    return [p for p in sorted(CORPUS.iterdir()) if p.name.startswith(prefixes)]


# A child that loads modules in the order given, runs inputs through them and SIGKILLs itself: the
# region then has only writers that never ran an exit path. Modules join MEMCOV_REGION as they load.
CHILD = r"""
import ctypes, json, os, signal, sys
spec = json.loads(sys.argv[1])
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
mods = [ctypes.CDLL(p) for p in spec["load"]]
for index, func, arg in spec.get("calls", []):
    fn = getattr(mods[index], func)
    fn.restype = ctypes.c_int64
    fn(arg.encode())
if spec.get("scripts"):
    run = mods[0].msample_run
    run.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p]
    null = libc.fopen(b"/dev/null", b"w")
    for path in spec["scripts"]:
        data = open(path, "rb").read()
        run(data, len(data), null, null)
sys.stdout.write("ran\n")
sys.stdout.flush()
os.kill(os.getpid(), signal.SIGKILL)
"""

# Runs a command with a time limit and leaves no process behind: as a subreaper it gets the
# command's orphaned helpers (a browser has several), reaps them, and kills any still running.
BOUNDED = r"""
import ctypes, os, signal, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
p = subprocess.Popen(sys.argv[2:])
try:
    rc = p.wait(float(sys.argv[1]))
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    rc = 124

def children():
    me = str(os.getpid())
    for d in os.listdir("/proc"):
        try:
            if d.isdigit() and open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1] == me:
                yield int(d)
        except (OSError, IndexError):
            pass

grace = time.monotonic() + 5
while True:
    try:
        if os.waitpid(-1, os.WNOHANG)[0]:
            continue
    except ChildProcessError:
        break
    if time.monotonic() > grace:
        for pid in children():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    time.sleep(0.05)
sys.exit(rc)
"""


def memcov(*args, ok=True, timeout=300):
    out = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout)
    if ok and out.returncode != 0:
        raise AssertionError(f"memcov {' '.join(args)} exited {out.returncode}: {out.stderr}")
    return out


def report(source, *options):
    """`memcov report SOURCE --json`: its stdout must be one JSON document and nothing else."""
    out = memcov("report", source, "--json", *options)
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"memcov report --json wrote more than one JSON document ({e}):\n{out.stdout[:2000]}")


def running(marker):
    """The processes whose command line holds marker."""
    found = []
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{d}/cmdline").read_bytes():
                found.append(int(d))
        except OSError:
            pass
    return found


def functions(rep):
    """(file entry, function entry) for every function of a report."""
    return [(f, fn) for f in rep["files"] for fn in f["functions"]]


def key(f, fn):
    return (os.path.basename(f["path"]), fn["name"])


def section(so, name):
    """(address, size) of section name of ELF file so, or None."""
    out = subprocess.run([READELF, "-SW", so], capture_output=True, text=True, check=True).stdout
    m = re.search(rf"\s{re.escape(name)}\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", out)
    return (int(m[1], 16), int(m[2], 16)) if m else None


def pc_table(so):
    """The PCs of so's __sancov_pcs, one per edge, from its dynamic relocations: each 16-byte entry
    is (PC, flags) and only the PC is relocated, RELATIVE for a local function (the addend is the
    PC) and R_X86_64_64 against the symbol for an exported one (symbol value + addend)."""
    lo, size = section(so, "__sancov_pcs")
    pcs = {}
    for line in subprocess.run([READELF, "-rW", so], capture_output=True, text=True, check=True).stdout.splitlines():
        f = line.split()
        if len(f) < 4 or not re.fullmatch(r"[0-9a-f]{8,16}", f[0]):
            continue
        off = int(f[0], 16)
        if not (lo <= off < lo + size and (off - lo) % 16 == 0):
            continue
        if f[2] == "R_X86_64_RELATIVE":
            pcs[off] = int(f[3], 16)
        elif f[2] == "R_X86_64_64":
            pcs[off] = int(f[3], 16) + (-1 if f[-2] == "-" else 1) * int(f[-1], 16)
    if len(pcs) != size // 16:
        raise AssertionError(f"read {len(pcs)} PCs of {size // 16} entries from {so}'s relocations")
    return sorted(pcs.values())


def function_symbols(so):
    """(address, size, name, source file) of so's function symbols that have a source line."""
    out = subprocess.run([NM, "--defined-only", "-S", "-l", so], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        sym, _, where = line.partition("\t")
        f = sym.split()
        if len(f) == 4 and f[2] in "tT" and ":" in where:
            syms.append((int(f[0], 16), int(f[1], 16), f[3], where.rsplit(":", 1)[0]))
    return syms


class Text(html.parser.HTMLParser):
    """A page's visible text (not its scripts or styles), its links and the assets it loads."""

    def __init__(self, page):
        super().__init__()
        self.parts, self.links, self.assets, self._skip = [], [], [], 0
        self._link = None
        self.feed(page)
        self.text = re.sub(r"\s+", " ", "".join(self.parts))

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        if a.get("src"):
            self.assets.append(a["src"])
        if tag == "link" and a.get("href"):
            self.assets.append(a["href"])
        if tag == "a" and a.get("href"):
            self._link = [a["href"], ""]
            self.links.append(self._link)
        self.parts.append(" " if tag in ("td", "th", "tr", "div", "p", "li", "br", "table") else "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        if tag == "a":
            self._link = None

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)
            if self._link:
                self._link[1] += data


class ReportCase(unittest.TestCase):
    """A temporary directory, regions removed with every file beside them, and the checks every report passes."""
    maxDiff = None

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="memcov-report-")
        self.addCleanup(tmp.cleanup)
        self.tmp = Path(tmp.name)

    def region(self, tag):
        """A new region, removed (with its lanes and PC files) when the test ends."""
        name = f"t-report-{os.getpid()}-{tag}"
        memcov("rm", "--force", name, ok=False)
        memcov("create", name)
        self.addCleanup(self.drop_region, name)
        return name

    def drop_region(self, name):
        memcov("rm", "--force", name, ok=False)
        side = re.compile(rf"\.memcov-(lanes|pcs)-{re.escape(name)}(-[0-9a-f]+)+")
        left = [p for p in SHM.iterdir() if p.name == f"memcov-{name}" or side.fullmatch(p.name)]
        for p in left:
            p.unlink(missing_ok=True)  # leave nothing, then say what rm missed
        if left:
            raise AssertionError(f"memcov rm {name} left {sorted(p.name for p in left)}")

    def record(self, region, inputs, driver=None):
        """Runs each input through the sample driver (a process each) recording into region."""
        env = dict(os.environ, MEMCOV_REGION=region)
        for path in inputs:
            out = subprocess.run([str(driver or SAMPLES / "memcov-sample"), str(path)], env=env, timeout=60,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            self.assertEqual(out.returncode, 0, f"{path}: {out.stderr}")

    def killed_child(self, region, spec):
        """Runs CHILD with spec recording into region; it must get as far as its SIGKILL."""
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(spec)], capture_output=True, text=True,
                             timeout=120, env=dict(os.environ, MEMCOV_REGION=region))
        self.assertEqual((out.returncode, out.stdout), (-signal.SIGKILL, "ran\n"), out.stderr)

    def stat(self, region):
        return json.loads(memcov("stat", region, "--json").stdout)

    def check_consistent(self, rep):
        """What holds for any report: statuses follow the counts, totals are the sums."""
        for f, fn in functions(rep):
            e, c = fn["edges"], fn["covered"]
            want = ("not_instrumented" if e == 0 else "none" if c == 0 else "full" if c == e else "partial")
            self.assertEqual(fn["status"], want, f"{fn['name']} in {f['path']}: {c}/{e} edges")
            self.assertLessEqual(c, e)
        counted = [fn for _, fn in functions(rep) if fn["status"] != "not_instrumented"]
        self.assertEqual(rep["functions"], len(counted))
        self.assertEqual(rep["functions_covered"], sum(1 for fn in counted if fn["covered"] > 0))
        self.assertEqual(rep["edges"], sum(m["edges"] for m in rep["modules"]))
        self.assertEqual(rep["covered"], sum(m["covered"] for m in rep["modules"]))
        self.assertEqual(rep["lines"], sum(f["lines"] for f in rep["files"]))
        self.assertEqual(rep["lines_covered"], sum(f["lines_covered"] for f in rep["files"]))
        for f in rep["files"]:
            self.assertEqual(f["lines_covered"], sum(1 for d in f["line_details"] if d["covered"] > 0), f["path"])



class ReportTest(ReportCase):
    # 1 -----------------------------------------------------------------------------------------
    @needs(CLANG and LLVM_COV and LLVM_PROFDATA and READELF and NM,
           "needs clang, llvm-cov, llvm-profdata, readelf and nm")
    def test_functions_reached_agree_with_llvm_cov_and_uninstrumented_ones_have_no_pc(self):
        sources = [str(p) for p in sorted((ROOT / "samples" / "src").glob("*.c"))]
        common = ["-O0", "-std=c11", "-fPIC", "-fvisibility=hidden", f"-I{ROOT / 'samples' / 'include'}"]
        builds = {}
        for kind, flags, libs in (
                ("llvm-cov", ["-fprofile-instr-generate", "-fcoverage-mapping"], []),
                ("memcov", ["-gline-tables-only", "-fsanitize-coverage=trace-pc-guard,pc-table"],
                 [str(NATIVE / "libmemcov_hooks.a"), f"-L{NATIVE}", "-lmemcov", f"-Wl,-rpath,{NATIVE}"])):
            d = self.tmp / kind
            d.mkdir()
            lib = d / "libmemcov_sample.so"
            subprocess.run([CLANG, *common, *flags, "-shared", *sources, *libs, "-o", str(lib)],
                           check=True, timeout=300)
            subprocess.run([CLANG, *common, str(ROOT / "samples" / "driver" / "main.c"), f"-L{d}", "-lmemcov_sample",
                            "-Wl,-rpath,$ORIGIN", "-o", str(d / "memcov-sample")], check=True, timeout=300)
            builds[kind] = (lib, d / "memcov-sample")

        mlib = builds["memcov"][0]
        # A library Memcov records: it calls into libmemcov to register its guards and has a PC table.
        dyn = subprocess.run([NM, "-D", str(mlib)], capture_output=True, text=True, check=True).stdout
        self.assertRegex(dyn, r"\bU mcov_register_guards\b")
        pcs = pc_table(str(mlib))

        # Inputs that leave some functions unreached (the builtins of lists, maps and strings).
        inputs = corpus("algo-", "arith-", "control-", "parse-")
        self.assertGreaterEqual(len(inputs), 60)

        profiles = self.tmp / "profiles"
        profiles.mkdir()
        for i, path in enumerate(inputs):
            out = subprocess.run([str(builds["llvm-cov"][1]), str(path)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, timeout=60,
                                 env=dict(os.environ, LLVM_PROFILE_FILE=str(profiles / f"{i}.profraw")))
            self.assertEqual(out.returncode, 0, path)
        merged = self.tmp / "merged.profdata"
        subprocess.run([LLVM_PROFDATA, "merge", "-sparse", "-o", str(merged), *map(str, sorted(profiles.iterdir()))],
                       check=True, timeout=120)
        export = subprocess.run([LLVM_COV, "export", "-format=text", f"-instr-profile={merged}", "-object",
                                 str(builds["llvm-cov"][0])], capture_output=True, text=True, check=True, timeout=120)
        # llvm-cov names a static function "file.c:name"; filenames[0] is the file that defines it.
        llvm = {(os.path.basename(fn["filenames"][0]), fn["name"].rsplit(":", 1)[-1]): fn["count"]
                for fn in json.loads(export.stdout)["data"][0]["functions"]}

        region = self.region("llvmcov")
        self.record(region, inputs, driver=builds["memcov"][1])
        stat = self.stat(region)
        rep = report(region)
        self.check_consistent(rep)

        self.assertEqual(rep["covered"], stat["covered_edges"])
        self.assertEqual(rep["edges"], sum(m["edges"] for m in stat["modules"]))
        # The driver is not instrumented: the library is the region's one module.
        self.assertEqual(len(rep["modules"]), 1, rep["modules"])
        mod = rep["modules"][0]
        self.assertEqual(os.path.realpath(mod["path"]), os.path.realpath(mlib))
        self.assertTrue(mod["pc_table"])
        self.assertIsNone(mod["problem"])
        self.assertEqual(os.path.realpath(mod["binary"]), os.path.realpath(mlib))
        self.assertEqual(mod["edges"], len(pcs), "one edge per entry of the PC table")
        self.assertGreater(mod["covered"], 0)
        # Unoptimized, nothing is inlined: every edge lies in exactly one function of one file.
        mine = functions(rep)
        self.assertEqual(sum(fn["edges"] for _, fn in mine), mod["edges"])
        self.assertEqual(sum(fn["covered"] for _, fn in mine), mod["covered"])

        # Function for function: Memcov reached it exactly when llvm-cov counted it.
        compared, unknown, disagree = Counter(), [], []
        for f, fn in mine:
            if fn["status"] == "not_instrumented":
                continue
            k = key(f, fn)
            if k not in llvm:
                unknown.append(k)
                continue
            compared[fn["covered"] > 0] += 1
            if (llvm[k] > 0) != (fn["covered"] > 0):
                disagree.append(f"{k[0]}:{k[1]} (llvm-cov count {llvm[k]}, memcov {fn['covered']}/{fn['edges']} edges)")
        self.assertEqual(unknown, [], "functions llvm-cov does not know")
        self.assertEqual(disagree, [], "functions whose reach Memcov and llvm-cov disagree on")
        self.assertGreater(sum(compared.values()), 20)
        self.assertGreater(compared[True], 0, "no function reached")
        self.assertGreater(compared[False], 0, "no function unreached")
        # And no function llvm-cov saw run is missing from the report.
        named = {key(f, fn) for f, fn in mine}
        self.assertEqual(sorted(k for k, n in llvm.items() if n > 0 and k not in named), [])

        # Not instrumented: the functions of the module's instrumented files with no PC in the table.
        syms = function_symbols(str(mlib))
        has_pc = {s: any(s[0] <= pc < s[0] + max(s[1], 1) for pc in pcs) for s in syms}
        instrumented_files = {s[3] for s, yes in has_pc.items() if yes}
        expected = sorted((os.path.basename(s[3]), s[2]) for s, yes in has_pc.items()
                          if not yes and s[3] in instrumented_files)
        got = sorted(key(f, fn) for f, fn in mine if fn["status"] == "not_instrumented")
        self.assertEqual(got, expected)
        for f, fn in mine:
            if fn["status"] == "not_instrumented":
                self.assertEqual((fn["edges"], fn["covered"]), (0, 0), fn["name"])

    # 2 -----------------------------------------------------------------------------------------
    @needs(GENHTML, "needs genhtml (lcov)")
    def test_lcov_renders_in_genhtml_without_warnings_and_cobertura_says_what_the_json_says(self):
        region = self.region("lcov")
        self.record(region, corpus("arith-", "list-", "string-"))
        trace, cobertura = self.tmp / "coverage.info", self.tmp / "coverage.xml"
        rep = report(region, "--lcov", str(trace), "--cobertura", str(cobertura))
        text = trace.read_text()

        records, current = {}, None
        for line in text.splitlines():
            tag, _, value = line.partition(":")
            if tag == "SF":
                current = records.setdefault(value, Counter())
            elif line == "end_of_record":
                current = None
            elif tag in ("LF", "LH", "FNF", "FNH"):
                self.assertIsNotNone(current, line)
                current[tag] = int(value)
            elif tag == "DA":
                current["DA"] += 1
                current["DA hit"] += int(value.split(",")[1]) > 0
        sample_files = {os.path.basename(sf) for sf in records} & {"lexer.c", "parser.c", "eval.c", "value.c"}
        self.assertGreaterEqual(len(sample_files), 3, sorted(records))
        self.assertTrue(any(r["LH"] > 0 for r in records.values()), "no line hit")
        # The tracefile says what the JSON says, file for file.
        self.assertEqual(sorted(records), sorted(f["path"] for f in rep["files"]))
        for f in rep["files"]:
            r = records[f["path"]]
            self.assertEqual((r["LF"], r["LH"]), (f["lines"], f["lines_covered"]), f["path"])
            self.assertEqual(r["LH"], r["DA hit"], f["path"])
            self.assertEqual(r["FNH"], sum(1 for fn in f["functions"] if fn["covered"] > 0), f["path"])

        out = subprocess.run([GENHTML, "-o", str(self.tmp / "genhtml"), str(trace)], capture_output=True, text=True,
                             timeout=300)
        said = out.stdout + out.stderr
        self.assertEqual(out.returncode, 0, said)
        self.assertNotIn("WARNING", said)
        self.assertNotIn("ERROR", said)
        self.assertTrue((self.tmp / "genhtml" / "index.html").is_file())

        root = ET.parse(cobertura).getroot()
        self.assertEqual(root.tag, "coverage")
        self.assertEqual((int(root.get("lines-valid")), int(root.get("lines-covered"))),
                         (rep["lines"], rep["lines_covered"]))
        classes = {c.get("filename"): c for c in root.iter("class")}
        for f in rep["files"]:
            found = [c for name, c in classes.items() if name == f["path"] or f["path"].endswith("/" + name)]
            self.assertEqual(len(found), 1, f"{f['path']} among the classes {sorted(classes)}")
            hit = sum(1 for line in found[0].findall("lines/line") if int(line.get("hits")) > 0)
            self.assertEqual(hit, f["lines_covered"], f["path"])

    # 3 -----------------------------------------------------------------------------------------
    def browse(self, page, *options):
        """Chromium's rendering of page (--dump-dom), or what an option asked it for."""
        home = self.tmp / "browser"
        home.mkdir(exist_ok=True)
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-default-apps", "--disable-sync", "--no-first-run",
               f"--user-data-dir={home / 'profile'}", *(options or ["--dump-dom"]), page.as_uri()]
        # Its own HOME: the browser writes caches and crash settings there.
        env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"))
        p = subprocess.Popen([sys.executable, "-c", BOUNDED, "90", *cmd], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
        try:
            out, err = p.communicate(timeout=150)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)  # the group it leads: the runner and the browser
            p.communicate()
            self.fail(f"chromium did not finish with {page}")
        self.assertEqual(p.returncode, 0, f"chromium on {page}: {err[-2000:]}")
        return out

    @needs(CHROMIUM, "needs chromium")
    def test_html_report_renders_in_a_browser_and_loads_nothing_from_the_network(self):
        region = self.region("html")
        self.record(region, corpus("arith-", "list-", "control-"))
        out = self.tmp / "html"
        rep = report(region, "--html", str(out))
        index = out / "index.html"
        self.assertTrue(index.is_file())

        for page in out.rglob("*.htm*"):
            raw = page.read_text(errors="replace")
            remote = [a for a in Text(raw).assets if re.match(r"\s*(https?:)?//", a, re.I)]
            remote += re.findall(r"""(?:url\(|@import)\s*["']?\s*((?:https?:)?//[^"')\s]*)""", raw, re.I)
            self.assertEqual(remote, [], f"{page.name} loads assets from elsewhere")

        shown = Text(self.browse(index))
        for href, _ in shown.links:
            if not re.match(r"[a-z]+:|#", href, re.I):
                self.assertTrue((index.parent / href.split("#")[0]).is_file(), f"index.html links {href}: not there")
        names = sorted({os.path.basename(f["path"]) for f in rep["files"]})
        self.assertIn("lexer.c", names)
        self.assertIn("parser.c", names)
        for name in names:
            self.assertIn(name, shown.text, "a source file missing from the index")

        # A file with functions both reached and not: its page names both.
        def split(f):
            return ([fn for fn in f["functions"] if fn["covered"] > 0],
                    [fn for fn in f["functions"] if fn["status"] == "none"])
        chosen = max(rep["files"], key=lambda f: min(len(x) for x in split(f)))
        reached, unreached = split(chosen)
        self.assertTrue(reached and unreached, "no file with functions both reached and not")
        base = os.path.basename(chosen["path"])
        links = [href for href, text in shown.links if base in text] or \
                [href for href, _ in shown.links if Path(base).stem in href]
        self.assertTrue(links, f"index.html links no page for {base}")
        href = links[0]
        self.assertNotRegex(href, r"^[a-z]+:|^/", "a link that is not relative")
        page = (index.parent / href.split("#")[0]).resolve()
        self.assertTrue(page.is_file(), href)
        text = Text(self.browse(page)).text
        self.assertIn(reached[0]["name"], text)
        self.assertIn(unreached[0]["name"], text)
        # The source itself: the line that defines the reached function.
        line = re.sub(r"\s+", " ", Path(chosen["path"]).read_text().splitlines()[reached[0]["line"] - 1]).strip()
        self.assertIn(line, text)

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.unlink(missing_ok=True)
        self.browse(index, f"--screenshot={SCREENSHOT}", "--window-size=1280,1600")
        self.assertTrue(SCREENSHOT.read_bytes().startswith(b"\x89PNG"), "no screenshot")

    # 4 -----------------------------------------------------------------------------------------
    def test_report_of_a_region_whose_writers_were_sigkilled_and_of_its_exported_map(self):
        lib = SAMPLES / "libmemcov_sample.so"
        if READELF:
            self.assertIsNotNone(section(str(lib), "__sancov_pcs"), f"{lib} was built without a PC table")
        region = self.region("killed")
        scripts = [str(p) for p in corpus("arith-", "list-", "map-")]
        for part in (scripts[0::3], scripts[1::3], scripts[2::3]):
            self.killed_child(region, {"load": [str(lib)], "scripts": part})

        rep = report(region)
        self.check_consistent(rep)
        self.assertGreater(rep["covered"], 0)
        self.assertEqual(rep["covered"], self.stat(region)["covered_edges"])
        self.assertGreater(rep["functions_covered"], 0)
        self.assertTrue(rep["modules"])
        for m in rep["modules"]:
            self.assertTrue(m["pc_table"], m)
            self.assertIsNone(m["problem"], m)
        self.assertTrue(any(fn["name"] == "msample_run" and fn["covered"] > 0 for _, fn in functions(rep)))

        saved = self.tmp / "map.mcovmap"
        memcov("export", region, "-o", str(saved))
        from_map = report(str(saved))
        rep.pop("source")
        from_map.pop("source")
        self.assertEqual(from_map, rep, "the exported map reports otherwise than its region")

    # 5 -----------------------------------------------------------------------------------------
    def test_two_modules_loaded_in_either_order_are_both_reported(self):
        a, b = str(FIXTURES / "libmcov_sample_a.so"), str(FIXTURES / "libmcov_sample_b.so")
        region = self.region("order")
        first = [[0, "sample_a_run", "0x1F+2"], [1, "sample_b_run", "if x"]]
        second = [[1, "sample_a_run", "(3)*-4 % 5"], [0, "sample_b_run", "{1;"]]  # b is module 0 here
        self.killed_child(region, {"load": [a, b], "calls": first})
        self.killed_child(region, {"load": [b, a], "calls": second})
        rep = report(region)
        self.check_consistent(rep)
        by_name = {os.path.basename(m["path"]): m for m in rep["modules"]}
        for name in ("libmcov_sample_a.so", "libmcov_sample_b.so"):
            self.assertIn(name, by_name)
            self.assertTrue(by_name[name]["pc_table"], by_name[name])
            self.assertIsNone(by_name[name]["problem"], by_name[name])
            self.assertGreater(by_name[name]["covered"], 0, name)
        self.assertEqual(len(rep["modules"]), 2, "a module reported twice")
        files = {f["path"]: f for f in rep["files"]}
        for fixture, run in (("sample_a.c", "sample_a_run"), ("sample_b.c", "sample_b_run")):
            path = str(ROOT / "native" / "tests" / "fixtures" / fixture)
            self.assertIn(path, files)
            self.assertIn(run, [fn["name"] for fn in files[path]["functions"] if fn["covered"] > 0])

        # Edges depend only on the inputs: one process running them all gives the same report.
        one = self.region("orderone")
        self.killed_child(one, {"load": [a, b], "calls": first + [[1 - i, f, arg] for i, f, arg in second]})
        def counts(r):
            return sorted((key(f, fn), fn["edges"], fn["covered"], fn["status"]) for f, fn in functions(r))
        self.assertEqual(counts(rep), counts(report(one)))

    # 6 -----------------------------------------------------------------------------------------
    def test_modules_that_cannot_be_named_are_reported_with_the_problem_and_the_rest_is_not_lost(self):
        gone = self.tmp / "libmcov_gone.so"
        shutil.copy(FIXTURES / "libmcov_sample_a.so", gone)
        plain = str(FIXTURES / "libmcov_sample_plain.so")  # compiled without pc-table
        if READELF:
            self.assertIsNone(section(plain, "__sancov_pcs"), f"{plain} has a PC table")
        region = self.region("gone")
        self.killed_child(region, {"load": [str(gone), plain, str(FIXTURES / "libmcov_sample_b.so")],
                                   "calls": [[0, "sample_a_run", "1+2"], [1, "sample_plain_run", "ab(12)"],
                                             [2, "sample_b_run", "if x"]]})
        gone.unlink()
        out = memcov("report", region, "--json")
        self.assertNotIn("Traceback", out.stderr)
        self.assertNotIn("Unhandled exception", out.stderr)
        self.assertNotRegex(out.stderr, r"(?m)^\s+at ", "a stack trace")
        rep = json.loads(out.stdout)
        self.check_consistent(rep)
        mods = {os.path.basename(m["path"]): m for m in rep["modules"]}
        self.assertEqual(sorted(mods), ["libmcov_gone.so", "libmcov_sample_b.so", "libmcov_sample_plain.so"])
        for m in mods.values():
            self.assertGreater(m["covered"], 0, f"{m['path']}: edges are counted without naming them")
        self.assertEqual(rep["covered"], self.stat(region)["covered_edges"])

        self.assertTrue(mods["libmcov_gone.so"]["pc_table"], "its table was kept beside the region")
        self.assertIsNotNone(mods["libmcov_gone.so"]["problem"])
        self.assertIn(gone.name, mods["libmcov_gone.so"]["problem"], "the problem does not say which file")
        self.assertFalse(mods["libmcov_sample_plain.so"]["pc_table"])
        self.assertIsNotNone(mods["libmcov_sample_plain.so"]["problem"])
        self.assertIsNone(mods["libmcov_sample_b.so"]["problem"])
        names = {os.path.basename(f["path"]): [fn["name"] for fn in f["functions"] if fn["covered"] > 0]
                 for f in rep["files"]}
        self.assertIn("sample_b_run", names.get("sample_b.c", []))
        self.assertNotIn("sample_a.c", names)
        self.assertNotIn("sample_plain.c", names)

        # A copy of the file in a build-id tree (what --debug-dir searches) names its code again.
        if READELF:
            notes = subprocess.run([READELF, "-nW", str(FIXTURES / "libmcov_sample_a.so")], capture_output=True,
                                   text=True, check=True).stdout
            build_id = re.search(r"Build ID: ([0-9a-f]+)", notes)[1]
            debug = self.tmp / "debug" / ".build-id" / build_id[:2] / f"{build_id[2:]}.debug"
            debug.parent.mkdir(parents=True)
            shutil.copy(FIXTURES / "libmcov_sample_a.so", debug)
            found = report(region, "--debug-dir", str(self.tmp / "debug"))
            self.assertIsNone({os.path.basename(m["path"]): m for m in found["modules"]}["libmcov_gone.so"]["problem"])
            self.assertIn("sample_a_run", [fn["name"] for f, fn in functions(found)
                                           if os.path.basename(f["path"]) == "sample_a.c" and fn["covered"] > 0])

        # A map keeps what the region had, modules without a table or a file included.
        saved = self.tmp / "mixed.mcovmap"
        memcov("export", region, "-o", str(saved))
        from_map = report(str(saved))
        rep.pop("source")
        from_map.pop("source")
        self.assertEqual(from_map, rep, "the exported map reports otherwise than its region")

    # 7 -----------------------------------------------------------------------------------------
    def test_diff_functions_tells_functions_reached_and_lost(self):
        region = self.region("diff")
        self.record(region, corpus("arith-0"))
        first, second = self.tmp / "first.mcovmap", self.tmp / "second.mcovmap"
        memcov("export", region, "-o", str(first))
        self.record(region, corpus("list-", "map-", "string-"))
        memcov("export", region, "-o", str(second))

        diff = json.loads(memcov("diff", str(first), str(second), "--functions", "--json").stdout)
        self.assertEqual(diff["lost"], [])
        self.assertTrue(diff["reached"], "nothing reached")
        for e in diff["reached"]:
            self.assertEqual(e["first"], 0, e)
            self.assertGreater(e["second"], 0, e)
        for e in diff["changed"]:
            self.assertGreater(e["first"], 0, e)
            self.assertGreater(e["second"], e["first"], e)  # the second map is a superset
        # The functions reached are those the two reports show unreached, then reached.
        before = {key(f, fn): fn["covered"] for f, fn in functions(report(str(first)))}
        after = {key(f, fn): fn["covered"] for f, fn in functions(report(str(second)))}
        self.assertEqual(sorted((os.path.basename(e["file"]), e["name"]) for e in diff["reached"]),
                         sorted(k for k, n in after.items() if n > 0 and before.get(k, 0) == 0))

        back = json.loads(memcov("diff", str(second), str(first), "--functions", "--json").stdout)
        self.assertEqual(back["reached"], [])
        self.assertEqual(sorted((e["file"], e["name"], e["second"], e["first"]) for e in back["lost"]),
                         sorted((e["file"], e["name"], e["first"], e["second"]) for e in diff["reached"]))

    # 8 -----------------------------------------------------------------------------------------
    def test_errors_are_one_line_and_source_root_moves_the_sources(self):
        out = memcov("report", f"t-report-{os.getpid()}-nosuch", "--json", ok=False)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertRegex(out.stderr, r"^memcov: [^\n]+\n?$")
        junk = self.tmp / "junk.mcovmap"
        junk.write_bytes(b"not a map\n")
        out = memcov("report", str(junk), ok=False)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertRegex(out.stderr, r"^memcov: [^\n]+\n?$")
        self.assertEqual(memcov("report", ok=False).returncode, 2)

        region = self.region("roots")
        self.record(region, corpus("arith-0"))
        rep = report(region)
        src = ROOT / "samples" / "src"
        ours = [f for f in rep["files"] if Path(f["path"]).parent == src]
        self.assertTrue(ours)
        for f in ours:
            self.assertEqual(f["source"], f["path"], "a readable source is read where the line tables say")
        moved = self.tmp / "moved"
        shutil.copytree(src, moved)
        (moved / os.path.basename(ours[0]["path"])).unlink()
        rep = report(region, "--source-root", f"{src}={moved}")
        for f in rep["files"]:
            if Path(f["path"]).parent == src:
                there = moved / os.path.basename(f["path"])
                # Where the root has no copy, the file is read where the line tables say.
                self.assertEqual(f["source"], str(there) if there.exists() else f["path"], f["path"])
        gone = report(region, "--source-root", f"{src}={moved}", "--source-root", f"{ROOT}=/nonexistent")
        self.assertIn(str(moved), {os.path.dirname(f["source"] or "") for f in gone["files"]})


if __name__ == "__main__":
    unittest.main()


class ReportHostileInputTest(ReportCase):
    """What a report meets outside the build it came from: a damaged PC file, a source that is a
    FIFO or a device, line numbers far past the source's end, names XML cannot hold, a symbolizer
    that never answers. Each gets a report or one line, never a hang, a stack trace or an orphan."""

    def test_a_damaged_pc_file_costs_its_module_its_names_and_nothing_else(self):
        region = self.region("badpc")
        self.record(region, corpus("algo-")[:3])
        pcs = [p for p in SHM.iterdir() if p.name.startswith(f".memcov-pcs-{region}-")]
        self.assertEqual(len(pcs), 1, "one PC file for the sample's one module")
        data = bytearray(pcs[0].read_bytes())
        data[500] ^= 0x40
        pcs[0].write_bytes(bytes(data))
        covered = self.stat(region)["covered_edges"]
        rep = report(region)
        self.assertEqual(rep["covered"], covered, "the edges still count")
        self.assertFalse(rep["modules"][0]["pc_table"])
        self.assertIn("PC file", rep["modules"][0]["problem"])
        saved = self.tmp / "bad.mcovmap"
        memcov("export", region, "-o", str(saved))
        self.assertEqual(report(str(saved))["covered"], covered)

    def test_line_numbers_past_the_source_and_odd_names_render_small_and_valid(self):
        if not CLANG:
            self.skipTest("needs clang")
        src = self.tmp / "far.c"
        src.write_text("int near(int x) { return x + 1; }\n#line 2000000000\nint far(int x) { if (x) return 2; return 3; }\n")
        odd = self.tmp / "b\x07in"
        odd.mkdir()
        lib = odd / "libfar.so"
        subprocess.run([CLANG, "-O0", "-gline-tables-only", "-fsanitize-coverage=trace-pc-guard,pc-table", "-fPIC",
                        "-shared", str(src), str(NATIVE / "libmemcov_hooks.a"), f"-L{NATIVE}", "-lmemcov",
                        f"-Wl,-rpath,{NATIVE}", "-o", str(lib)], check=True, capture_output=True)
        region = self.region("far")
        self.killed_child(region, {"load": [str(lib)], "calls": [[0, "far", "x"]]})
        site, xml, info = self.tmp / "html", self.tmp / "c.xml", self.tmp / "l.info"
        out = memcov("report", region, "--html", str(site), "--cobertura", str(xml), "--lcov", str(info), timeout=60)
        self.assertNotIn("Unhandled", out.stderr)
        page = next((site / "files").iterdir())
        self.assertLess(page.stat().st_size, 1 << 20, "a page per line number up to two billion")
        self.assertIn("2000000000", page.read_text())
        root = ET.parse(xml).getroot()  # parses: control characters are written as \xNN
        self.assertIn("\\x07", " ".join(c.get("filename", "") + c.get("name", "") for c in root.iter("package")))

    def test_a_source_that_is_a_fifo_or_a_device_is_not_read(self):
        region = self.region("fifo")
        self.record(region, corpus("algo-")[:2])
        roots = self.tmp / "src"
        roots.mkdir()
        for f in (ROOT / "samples" / "src").glob("*.c"):
            os.symlink("/dev/zero", roots / f.name)
        os.mkfifo(roots / "lexer.c.fifo")
        os.replace(roots / "lexer.c.fifo", roots / "lexer.c")
        out = memcov("report", region, "--html", str(self.tmp / "html"), "--source-root",
                     f"{ROOT / 'samples' / 'src'}={roots}", timeout=60)
        self.assertIn("wrote HTML", out.stdout)

    def test_a_symbolizer_that_never_answers_is_stopped_with_the_report(self):
        region = self.region("hang")
        self.record(region, corpus("algo-")[:1])
        script = self.tmp / "symbolizer"
        script.write_text(f"#!/bin/bash\nexec -a {region} sleep 1000\n")
        script.chmod(0o755)
        p = subprocess.Popen([CLI, "report", region, "--symbolizer", str(script)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 130, err)
        self.assertEqual(err.strip(), "memcov: interrupted")
        deadline = time.monotonic() + 5
        while running(region) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(running(region), [], "the symbolizer outlived the report")
