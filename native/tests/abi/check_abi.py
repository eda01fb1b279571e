#!/usr/bin/env python3
"""The exported ABI of libmemcov.so is exactly what native/abi/libmemcov.map says.

check_abi.py LIBRARY VERSION_SCRIPT SOVERSION REPO_ROOT

- `nm -D --defined-only --with-symbol-versions` of LIBRARY lists exactly the script's symbols,
  each in its node, and nothing else. The nodes are the public MEMCOV_<soversion> and the private
  MEMCOV_PRIVATE_<soversion>, each maybe followed by nodes .1, .2, ... that add symbols and inherit
  the one before (symbols added without a new soname).
- The public headers (memcov.h, memcov_files.h, memcov_spawn.h) declare exactly the public node's functions, less
  the sanitizer callbacks; the private node's functions are declared in native/src/hook_abi.h
  and in no public header.
- `readelf -d` shows the soname libmemcov.so.SOVERSION, and the Python module and the .NET library
  ask for that same soname; Python's prototypes are public functions only.
Exits 1 with what differs.
"""
import re
import subprocess
import sys


def script_nodes(path):
    text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)
    nodes = {}
    for node, body, parent in re.findall(r"([\w.]+)\s*\{(.*?)\}\s*([\w.]*)\s*;", text, flags=re.S):
        glob = body.split("local:")[0].replace("global:", "")
        nodes[node] = ({s.strip() for s in glob.split(";") if s.strip()}, parent)
    return nodes


def node_problems(nodes, base):
    """The nodes of one family: base, then base.1, base.2, ..., each inheriting the one before."""
    family = sorted((n for n in nodes if n == base or n.startswith(base + ".")),
                    key=lambda n: int(n.rpartition(".")[2]) if n != base else 0)
    problems = []
    for i, n in enumerate(family):
        want_name = base if i == 0 else f"{base}.{i}"
        want_parent = "" if i == 0 else family[i - 1]
        if n != want_name or nodes[n][1] != want_parent:
            problems.append(f"version node {n} (inherits {nodes[n][1] or 'nothing'}): expected {want_name}"
                            f" inheriting {want_parent or 'nothing'}")
    return family, problems


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", "--with-symbol-versions", library],
                         check=True, capture_output=True, text=True).stdout
    symbols = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[1] == "A":
            continue
        name, _, node = parts[2].partition("@@")
        symbols[name] = node
    return symbols


def declared(path):
    text = "\n".join(l for l in open(path) if not l.lstrip().startswith("#"))
    return set(re.findall(r"MCOV_API\s+[^;(]*?\b(\w+)\s*\(", text))


def main(library, script, soversion, root):
    problems = []
    script_text = script_nodes(script)
    pub, priv = f"MEMCOV_{soversion}", f"MEMCOV_PRIVATE_{soversion}"
    pub_family, pub_problems = node_problems(script_text, pub)
    priv_family, priv_problems = node_problems(script_text, priv)
    problems += pub_problems + priv_problems
    if set(script_text) != set(pub_family) | set(priv_family) or not pub_family or not priv_family:
        problems.append(f"version nodes {sorted(script_text)}, expected {pub} and {priv} (and their .N)")
    nodes = {n: syms for n, (syms, _) in script_text.items()}
    want = {s: n for n, syms in nodes.items() for s in syms}
    # What each family exports, for the header checks below.
    nodes[pub] = set().union(*(nodes[n] for n in pub_family)) if pub_family else set()
    nodes[priv] = set().union(*(nodes[n] for n in priv_family)) if priv_family else set()
    got = exported(library)
    for s in sorted(set(want) | set(got)):
        if want.get(s) != got.get(s):
            problems.append(f"{s}: the script says {want.get(s) or 'not exported'}, "
                            f"the library exports {got.get(s) or 'nothing'}")

    public = set()
    for header in ("memcov.h", "memcov_files.h", "memcov_spawn.h"):
        public |= declared(f"{root}/native/include/{header}")
    callbacks = {s for s in nodes.get(pub, ()) if s.startswith("__sanitizer_cov_")}
    if public != nodes.get(pub, set()) - callbacks:
        problems.append(f"public headers and {pub} differ: headers only {sorted(public - nodes.get(pub, set()))}, "
                        f"node only {sorted(nodes.get(pub, set()) - callbacks - public)}")
    private = declared(f"{root}/native/src/hook_abi.h")
    if private != nodes.get(priv, set()):
        problems.append(f"hook_abi.h declares {sorted(private)}, {priv} has {sorted(nodes.get(priv, ()))}")

    dyn = subprocess.run(["readelf", "-d", library], check=True, capture_output=True, text=True).stdout
    soname = re.search(r"\(SONAME\).*\[(.*)\]", dyn)
    expected = f"libmemcov.so.{soversion}"
    if not soname or soname.group(1) != expected:
        problems.append(f"soname {soname.group(1) if soname else 'missing'}, expected {expected}")

    sys.path.insert(0, f"{root}/bindings/python")
    import importlib.util
    spec = importlib.util.spec_from_file_location("memcov_library", f"{root}/bindings/python/memcov/library.py")
    library_py = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(library_py)
    if library_py.SONAME != expected:
        problems.append(f"Python asks for {library_py.SONAME}, the library is {expected}")
    not_public = set(library_py.PROTOTYPES) - (public | callbacks)
    if not_public:
        problems.append(f"Python declares functions outside the public API: {sorted(not_public)}")
    dotnet = open(f"{root}/src/Memcov.SharedMem/Native/MemcovLibrary.cs").read()
    if f'internal const string FileName = "{expected}";' not in dotnet:
        problems.append(f".NET's MemcovLibrary.FileName is not {expected}")

    for p in problems:
        print(p, file=sys.stderr)
    print(f"{len(got)} symbols checked: {len(nodes.get(pub, ()))} public, "
          f"{len(nodes.get(priv, ()))} private; soname {expected}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
