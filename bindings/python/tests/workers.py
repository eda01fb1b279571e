"""Worker functions for the cross-process tests: importable, so spawn can pickle them.

Children find libmemcov.so through $MEMCOV_LIBRARY and the sample modules through
$MEMCOV_TEST_LIBDIR, which every start method passes on. memcov is imported before any
sample module is loaded, so the process holds one runtime.
"""

import ctypes
import json
import os
import sys

import memcov

# The inputs every cross-process test runs (the native tests' list).
INPUTS = [
    b"1+2", b"(3*4)-5", b"0x1F%7", b"10/0", b"!0 == 1", b"((((1))))",
    b"2<3", b"4>5", b"-(-7)", b"1 +", b"abc", b"0xff*0XAB",
    b"9%0", b"(1+2", b"7 7", b"if x for", b"while(1){", b"return 42;",
    b"a.b,c;d:e", b"x_y z", b"\t\n ", b"#@!", b"12 34 56", b"ret",
]

_runners = None


def sample_path(which):
    """The path of libmcov_sample_<which>.so, or of its no-call build when
    $MEMCOV_TEST_SAMPLES is "inline"."""
    libdir = os.environ.get("MEMCOV_TEST_LIBDIR")
    if not libdir:
        raise RuntimeError("MEMCOV_TEST_LIBDIR is not set")
    suffix = "_inline" if os.environ.get("MEMCOV_TEST_SAMPLES") == "inline" else ""
    return os.path.join(libdir, f"libmcov_sample_{which}{suffix}.so")


def runners():
    """sample_a_run and sample_b_run, loading A then B on first use."""
    global _runners
    if _runners is None:
        fns = []
        for which in ("a", "b"):
            lib = ctypes.CDLL(sample_path(which))
            fn = getattr(lib, f"sample_{which}_run")
            fn.restype = ctypes.c_int64
            fn.argtypes = [ctypes.c_char_p]
            fns.append(fn)
        _runners = fns
    return _runners


def run(index):
    """Run input ``index`` through both samples."""
    for fn in runners():
        fn(INPUTS[index])


def _state(index, **extra):
    runners()  # joining happens when the first module registers
    return dict(index=index, pid=os.getpid(), region=memcov.region_name(),
                modules=memcov.module_count(), private=memcov.private_module_count(), **extra)


def run_input(index):
    """One input, nothing else; reports how this process is attached."""
    state = _state(index)
    run(index)
    return state


def run_input_scoped(index):
    """One input under reset()/get_now() and push()/pop(); returns the counts seen."""
    state = _state(index)
    memcov.reset()
    run(index)
    own = memcov.get_now()
    memcov.push()
    empty = memcov.get_now()
    run(index)
    scoped = memcov.get_now()
    memcov.pop()
    after_pop = memcov.get_now()
    with memcov.scope():
        nested_empty = memcov.get_now()
    return dict(state, own=own, empty=empty, scoped=scoped, after_pop=after_pop,
                nested_empty=nested_empty, after_scope=memcov.get_now())


def run_input_in_own_view(index):
    """One input in a fresh own view, and no memcov call after it: the worker's exit must
    still bring the input's edges to the region."""
    state = _state(index)
    memcov.reset()
    run(index)
    return state


_report = None


def init_report(array):
    """Pool initializer: the shared array run_input_then_die writes its pid into."""
    global _report
    _report = array


def run_input_then_die(index):
    """Run one input, write this pid into the report array (shared memory, written before
    anything else happens), then SIGKILL this process: no exit handler runs, no result."""
    _state(index)
    run(index)
    with _report.get_lock():
        _report[index] = os.getpid()
    os.kill(os.getpid(), 9)


def run_inputs(indices):
    """Run several inputs in this process."""
    state = _state(None)
    for i in indices:
        run(i)
    return state


def single_process_checks(name):
    """Views, hitmaps and blobs in one process: detached first, then in region ``name``."""
    out = {}
    runners()
    out["attached_at_start"] = memcov.is_attached()
    for i in range(3):
        run(i)
    hitmap = memcov.get_hitmap()
    out["total"] = memcov.get_total()
    out["hitmap_len"] = len(hitmap)
    out["hitmap_set"] = sum(1 for b in hitmap if b)
    out["now"] = memcov.get_now()
    blob = memcov.serialize()
    out["blob_magic"] = blob[:8].decode("latin-1")
    memcov.reset()
    out["after_reset"] = memcov.get_now()
    memcov.deserialize(blob)
    out["after_deserialize"] = memcov.get_now()
    out["same_after_deserialize"] = memcov.get_hitmap() == hitmap
    memcov.reset()
    memcov.set_hitmap(hitmap)
    out["after_set_hitmap"] = memcov.get_now()
    out["same_after_set_hitmap"] = memcov.get_hitmap() == hitmap
    try:
        memcov.set_hitmap(bytes(len(hitmap) + 1))
        out["set_hitmap_too_long"] = "accepted"
    except ValueError:
        out["set_hitmap_too_long"] = "ValueError"
    try:
        memcov.deserialize(blob[:-1])
        out["truncated_blob"] = "accepted"
    except memcov.MemcovError as e:
        out["truncated_blob"] = e.code
    # Into a region: the private hits move in with the modules.
    memcov.create(name, 1 << 16)
    out["region"] = memcov.region_name()
    out["private_after_create"] = memcov.private_module_count()
    memcov.pop()  # no push: ignored
    out["covered_own_view"] = memcov.get_now()  # the own view of reset() is still open
    memcov.reset_region(name)
    out["region_after_reset_region"] = memcov.get_now()  # own view: left alone
    memcov.detach()
    out["attached_after_detach"] = memcov.is_attached()
    out["name_after_detach"] = memcov.region_name()
    out["removed"] = memcov.remove(name)
    out["removed_again"] = memcov.remove(name)
    return out


def serialize_inputs(name, indices):
    """Attach to region ``name``, run the inputs, and return the serialized view (a map file)."""
    memcov.attach(name)
    runners()
    for i in indices:
        run(i)
    return memcov.serialize()


def deserialize_into(name, data):
    """Attach to region ``name``, load the samples (so they register), OR ``data`` into the view
    and return the region's hitmap."""
    memcov.attach(name)
    runners()
    memcov.deserialize(data)
    return bytes(memcov.get_hitmap())


def reference(name):
    """Attach to region ``name`` and run every input in this one process; returns the
    edges each input covers on its own (reset() before each)."""
    memcov.attach(name)
    runners()
    counts = []
    for i in range(len(INPUTS)):
        memcov.reset()
        run(i)
        counts.append(memcov.get_now())
    return dict(pid=os.getpid(), region=memcov.region_name(), modules=memcov.module_count(),
                private=memcov.private_module_count(), counts=counts)


if __name__ == "__main__":
    # python -m tests.workers reference NAME: the reference run, as JSON on stdout.
    if len(sys.argv) == 3 and sys.argv[1] == "reference":
        print(json.dumps(reference(sys.argv[2])))
    else:
        sys.exit("usage: python -m tests.workers reference NAME")
