"""The Python wheel as a user gets it: a fresh venv of /usr/bin/python3, `pip install --no-index`
of the wheel, and the Pool example run from outside the repository against a library instrumented
here with memcov-cc. The package must find the libmemcov.so.2 it carries (no MEMCOV_LIBRARY, no
PYTHONPATH) and the workers' union must exceed every single input's edges.

    python3 tests/packaging/python_wheel.py artifacts/packages/memcov-VERSION-py3-none-linux_x86_64.whl
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args, **kw):
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kw)
    if out.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))} exited {out.returncode}:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def main(wheel):
    wheel = Path(wheel).resolve()
    if not re.search(r"-py3-none-linux_x86_64\.whl$", wheel.name):
        sys.exit(f"{wheel.name}: the wheel must be tagged for linux_x86_64 (it carries libmemcov.so.2)")
    # One version for every package: the NuGet packages' (src/Memcov.SharedMem) and the wheel's.
    nuget = re.search(r"<Version>([^<]+)</Version>", (ROOT / "src" / "Memcov.SharedMem" / "Memcov.SharedMem.csproj").read_text())[1]
    if not wheel.name.startswith(f"memcov-{nuget}-"):
        sys.exit(f"{wheel.name}: bindings/python/pyproject.toml's version is not the packages' {nuget}")
    with tempfile.TemporaryDirectory(prefix="memcov-wheel-") as work:
        work = Path(work)
        run("/usr/bin/python3", "-m", "venv", work / "venv")
        python = work / "venv" / "bin" / "python"
        run(python, "-m", "pip", "install", "--no-index", "--quiet", wheel)
        lib = work / "libmcov_sample_a.so"
        run(ROOT / "artifacts" / "bin" / "memcov-cc", "-O1", "-fPIC", "-shared", "-o", lib,
            ROOT / "native" / "tests" / "fixtures" / "sample_a.c")
        shutil.copy(ROOT / "bindings" / "python" / "examples" / "pool_union.py", work / "pool_union.py")
        env = {k: v for k, v in os.environ.items() if k not in ("MEMCOV_LIBRARY", "PYTHONPATH", "MEMCOV_REGION")}
        where = run(python, "-c", "import memcov; print(memcov.library_path())", cwd=work, env=env).strip()
        if not where.startswith(str(work / "venv")):
            sys.exit(f"the installed package loaded {where}, not the libmemcov.so.2 it carries")
        out = run(python, work / "pool_union.py", lib, cwd=work, env=env)
        union = int(re.search(r"^union: ([0-9]+) edges", out, re.M)[1])
        singles = [int(m[1]) for m in re.finditer(r"^'.*'\s+-?[0-9]+\s+([0-9]+)\s+[0-9]+", out, re.M)]
        if not singles or union <= max(singles):
            sys.exit(f"the Pool's union ({union}) is not more than one input's edges ({singles}):\n{out}")
        print(f"wheel {wheel.name}: loaded {where}; union {union} edges, inputs {min(singles)}..{max(singles)}")


if __name__ == "__main__":
    main(sys.argv[1])
