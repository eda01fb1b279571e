"""Which source files, functions and lines a region's or a map file's edges reached.

The report is the memcov command's (`memcov report SOURCE --json`, docs/report.md): this module
runs it and returns its JSON as plain data, so C#, the command and Python give one answer::

    r = memcov.report("my-run")
    for f in r["files"]:
        print(f["path"], f["covered"], "of", f["edges"])

The command is found at $MEMCOV_CLI, else `memcov` on PATH, else artifacts/cli/memcov of the
checkout this module lives in.
"""

import json
import os
import shutil
import subprocess

from .errors import MCOV_E_SYSTEM, MemcovError


def _cli():
    wanted = os.environ.get("MEMCOV_CLI")
    if wanted:
        return wanted
    found = shutil.which("memcov")
    if found:
        return found
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.join(here, "..", "..", "..", "artifacts", "cli", "memcov")
    if os.path.exists(built):
        return os.path.normpath(built)
    raise FileNotFoundError("the memcov command was not found: set MEMCOV_CLI to its path, put it "
                            "on PATH, or run ./build.sh build")


def report(source, *, lcov=None, html=None, cobertura=None, source_roots=(), debug_dirs=(),
           symbolizer=None, timeout=None):
    """The report of ``source`` (a region name or a map file path) as a dict: totals, "modules"
    and "files" (each with "functions" and "line_details"), as docs/report.md describes.

    lcov, html (a directory) and cobertura also write those files; source_roots is a sequence of
    (from, to) prefix pairs for sources that moved; debug_dirs are searched by build-id for
    binaries that moved. Raises MemcovError with the command's message when it fails.
    """
    args = [_cli(), "report", "--json"]
    for flag, value in (("--lcov", lcov), ("--html", html), ("--cobertura", cobertura),
                        ("--symbolizer", symbolizer)):
        if value is not None:
            args += [flag, os.fspath(value)]
    for old, new in source_roots:
        args += ["--source-root", f"{os.fspath(old)}={os.fspath(new)}"]
    for d in debug_dirs:
        args += ["--debug-dir", os.fspath(d)]
    args += ["--", os.fspath(source)]  # a source named like an option is still the source
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        said = [line for line in lines if line.startswith("memcov:")]
        raise MemcovError(MCOV_E_SYSTEM, (said or lines or
                                          [f"memcov report exited with {done.returncode}"])[-1])
    return json.loads(done.stdout)


__all__ = ["report"]
