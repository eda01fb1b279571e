#!/usr/bin/env bash
# Memcov's build entry point. Verbs: build, test, pack, demo, bench, clean. build.ps1 mirrors it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
artifacts="$root/artifacts"

# Each dotnet call leaves empty directories in TMPDIR: a run's own, removed at its end, keeps
# them out of the system's.
run_tmp="$(mktemp -d "${TMPDIR:-/tmp}/memcov-build-XXXXXX")"
trap 'rm -rf "$run_tmp"' EXIT
export TMPDIR="$run_tmp"

log() { printf '==> %s\n' "$*" >&2; }

apt_install() {
  log "installing $* with apt-get"
  if [ "$(id -u)" -ne 0 ]; then
    log "not root: install $* yourself"; return 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# clang, or clang-18 ... clang-14; installs clang-14 when none is there.
find_clang() {
  for c in clang clang-18 clang-17 clang-16 clang-15 clang-14; do
    if command -v "$c" >/dev/null; then echo "$c"; return; fi
  done
  apt_install clang-14 && echo clang-14
}

# compiler-rt (ASan/UBSan, and linking with -fsanitize-coverage) comes in its own package.
# ensure_compiler_rt CC MAJOR
ensure_compiler_rt() {
  if [ -f "$("$1" -print-file-name=libclang_rt.asan-x86_64.a)" ]; then return; fi
  apt_install "libclang-rt-$2-dev"
}

# LLVM's development files for the compiler's major version: the no-call layout plugin
# (native/pass) is built against them, with the matching clang++. Without them everything else
# builds, and no-call modules keep clang's slower layout. ensure_llvm_dev MAJOR
ensure_llvm_dev() {
  local major="$1"
  if [ ! -f "/usr/lib/llvm-$major/lib/cmake/llvm/LLVMConfig.cmake" ]; then
    apt_install "llvm-$major-dev" ||
      log "no llvm-$major-dev: the no-call layout plugin is not built (no-call modules run slower)"
  fi
}

ensure_tools() {
  command -v cmake >/dev/null || apt_install cmake
  CC="$(find_clang)"
  CXX="${CC/clang/clang++}"
  export CC CXX
  CC_MAJOR="$("$CC" -dumpversion | cut -d. -f1)"
  ensure_compiler_rt "$CC" "$CC_MAJOR"
  ensure_llvm_dev "$CC_MAJOR"
}

# build_native VARIANT [cmake options...]: configure and build into artifacts/obj/native-VARIANT.
build_native() {
  local variant="$1"; shift
  local dir="$artifacts/obj/native-$variant"
  cmake -S "$root" -B "$dir" -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" --parallel "$(nproc)" >/dev/null
}

# libmemcov.so.2 (the soname) and libmemcov.so, the link-time name, a symlink to it. The directory
# is made again, so no file of an older build (another soname) stays beside them.
publish_native() {
  local dir="$artifacts/obj/native-release/native"
  rm -rf "$artifacts/native"
  mkdir -p "$artifacts/native"
  cp "$dir/libmemcov.so.2" "$dir/libmemcov_hooks.a" "$dir/memcov-harness" "$artifacts/native/"
  ln -sfn libmemcov.so.2 "$artifacts/native/libmemcov.so"
  cp "$root/native/include/memcov.h" "$root/native/include/memcov_region.h" \
    "$root/native/include/memcov_map.h" "$root/native/include/memcov_files.h" \
    "$root/native/include/memcov_spawn.h" "$artifacts/native/"
  cp "$root/native/cmake/memcov-inline.ld" "$dir/memcov_hooks.o" "$dir/memcov_hooks_guards.o" \
    "$root/native/flags/memcov.flags" "$artifacts/native/"
  if [ -f "$dir/pass/libmemcov_pass.so" ]; then
    cp "$dir/pass/libmemcov_pass.so" "$dir/pass/libmemcov_pass.llvm" "$artifacts/native/"
  fi
}

# The compiler wrappers: memcov-cc, and memcov-c++ (the same script, which reads its name).
publish_wrappers() {
  rm -rf "$artifacts/bin"
  mkdir -p "$artifacts/bin"
  cp "$root/native/flags/memcov-cc" "$artifacts/bin/memcov-cc"
  ln -s memcov-cc "$artifacts/bin/memcov-c++"
}

# The sample driver and its library. Their RUNPATH ($ORIGIN, $ORIGIN/../native) finds the
# library beside the driver and artifacts/native/libmemcov.so.
publish_samples() {
  local dir="$artifacts/obj/native-release/samples"
  mkdir -p "$artifacts/samples"
  cp "$dir/memcov-sample" "$dir/libmemcov_sample.so" "$dir/libmemcov_sample_fuzz.so" "$artifacts/samples/"
}

# The memcov command, framework-dependent and precompiled for this machine's runtime:
# artifacts/cli/memcov (or dotnet artifacts/cli/memcov.dll).
publish_cli() {
  dotnet publish "$root/src/Memcov.Cli/Memcov.Cli.csproj" -c Release --use-current-runtime --self-contained false -p:PublishReadyToRun=true \
    -o "$artifacts/cli" --nologo -v quiet >/dev/null
}

cmd_build() {
  ensure_tools
  log "native release -> artifacts/native/libmemcov.so, artifacts/samples/memcov-sample"
  build_native release
  publish_native
  publish_wrappers
  publish_samples
  log "memcov command -> artifacts/cli/memcov"
  publish_cli
}

run_stage() {
  local name="$1"; shift
  local start=$SECONDS
  log "test stage: $name"
  "$@"
  log "test stage: $name passed in $((SECONDS - start)) s"
}

ctest_variant() {
  ctest --test-dir "$artifacts/obj/native-$1" --output-on-failure --parallel "$(nproc)" --timeout 300
}

python_tests() {
  MEMCOV_LIBRARY="$artifacts/obj/native-release/native/libmemcov.so" \
  MEMCOV_TEST_LIBDIR="$artifacts/obj/native-release/native/tests" \
  MEMCOV_SAMPLE_DIR="$artifacts/samples" \
    python3 -m unittest discover -s "$root/bindings/python/tests" -t "$root/bindings/python" -v
}

# What the report's tests compare with and render in: llvm-cov and llvm-symbolizer (the
# compiler's LLVM, CC_MAJOR from ensure_tools), genhtml, a headless browser.
ensure_report_tools() {
  command -v "llvm-symbolizer-$CC_MAJOR" >/dev/null && command -v "llvm-cov-$CC_MAJOR" >/dev/null ||
    apt_install "llvm-$CC_MAJOR"
  command -v genhtml >/dev/null || apt_install lcov
  command -v chromium >/dev/null || apt_install chromium
}

# What the campaign tests run against: a Redis server of their own, and openssl for a test CA.
ensure_campaign_tools() {
  command -v redis-server >/dev/null || apt_install redis-server
  command -v openssl >/dev/null || apt_install openssl
}

# The memcov command in a pseudo-terminal: the live view and the summary as a user sees them;
# its reports; campaigns on Redis.
cli_terminal_tests() {
  ensure_report_tools
  ensure_campaign_tools
  MEMCOV_REQUIRE_TOOLS=1 MEMCOV_CLI="$artifacts/cli/memcov" MEMCOV_SAMPLE_DIR="$artifacts/samples" \
    python3 -m unittest discover -s "$root/tests/cli" -p 'test_*.py' -v
}

# memcov-cc and memcov-c++ on a Makefile project and on every kind of step.
wrapper_tests() {
  MEMCOV_CLI="$artifacts/cli/memcov" python3 -m unittest discover -s "$root/tests/wrappers" -v
}

# cmake --install, then find_package, pkg-config and the installed wrappers.
install_tests() {
  MEMCOV_CLI="$artifacts/cli/memcov" MEMCOV_BUILD_DIR="$artifacts/obj/native-release" \
    python3 -m unittest discover -s "$root/tests/install" -v
}

# zlib from Debian's source packages, built with memcov-cc, its own tests recording into a region.
thirdparty_tests() {
  MEMCOV_CLI="$artifacts/cli/memcov" python3 -m unittest discover -s "$root/tests/thirdparty" -v
}

# Random command lines and files for every memcov command, for a bounded time (60 s; MEMCOV_FUZZ_SECONDS
# changes it, MEMCOV_FUZZ_SEED repeats a run): documented exit codes, memcov: lines only, nothing left behind.
cli_fuzz() {
  MEMCOV_CLI="$artifacts/cli/memcov" MEMCOV_SAMPLE_DIR="$artifacts/samples" \
    python3 "$root/tests/cli/fuzz_cli.py"
}

# The .NET library's tests; the cross-process ones run the native release build's mcov_worker.
dotnet_tests() {
  MEMCOV_TEST_NATIVE_DIR="$artifacts/obj/native-release/native" MEMCOV_SAMPLE_DIR="$artifacts/samples" \
    dotnet test "$root/Memcov.sln" -c Release --logger "console;verbosity=normal"
}

# The NuGet package: the .NET library with libmemcov.so under runtimes/linux-x64/native.
pack_library() {
  dotnet pack "$root/src/Memcov.SharedMem/Memcov.SharedMem.csproj" -c Release -o "$artifacts/packages"
  dotnet pack "$root/src/Memcov.Redis/Memcov.Redis.csproj" -c Release -o "$artifacts/packages"
  dotnet pack "$root/src/Memcov.Cli/Memcov.Cli.csproj" -c Release -o "$artifacts/packages"
  pack_python
}

# Debian's setuptools, wheel and venv for /usr/bin/python3: the python3 first on PATH may be
# another Python without wheel, and no Python package index is reachable.
ensure_python_packaging() {
  /usr/bin/python3 -c 'import setuptools, wheel, venv, ensurepip' 2>/dev/null ||
    apt_install python3-setuptools python3-wheel python3-venv python3-pip
}

# The Python wheel (artifacts/packages/memcov-VERSION-py3-none-linux_x86_64.whl), built from a copy
# of bindings/python with libmemcov.so.2 beside the module.
pack_python() {
  local stage
  ensure_python_packaging
  stage="$(mktemp -d)"
  trap "rm -rf '$stage'" RETURN
  cp -r "$root/bindings/python/memcov" "$root/bindings/python/pyproject.toml" "$root/bindings/python/setup.cfg" "$stage/"
  rm -rf "$stage/memcov/__pycache__"
  cp "$artifacts/native/libmemcov.so.2" "$stage/memcov/"
  mkdir -p "$artifacts/packages"
  rm -f "$artifacts/packages"/memcov-*.whl
  (cd "$stage" && /usr/bin/python3 -m pip wheel --quiet --no-deps --no-build-isolation --no-index \
    -w "$artifacts/packages" .)
}

python_package_test() {
  python3 "$root/tests/packaging/python_wheel.py" "$(ls "$artifacts/packages"/memcov-*-linux_x86_64.whl)"
}

# The memcov command as a .NET tool: installed from artifacts/packages into a temporary tool path,
# with a packages folder of its own (the version is fixed: the global cache could hold an older
# build of it), then run on the sample.
tool_test() {
  local version work out
  version="$(dotnet msbuild "$root/src/Memcov.Cli/Memcov.Cli.csproj" -getProperty:Version)"
  work="$(mktemp -d)"
  trap "rm -rf '$work'" RETURN
  NUGET_PACKAGES="$work/packages" dotnet tool install --tool-path "$work/tools" \
    --add-source "$artifacts/packages" Memcov.Cli --version "$version" >/dev/null
  "$work/tools/memcov" --version | grep -q "^$version" || { log "the tool is not version $version"; return 1; }
  out="$("$work/tools/memcov" run --jobs 2 --inputs "$root/samples/corpus" --json -- "$artifacts/samples/memcov-sample" {})"
  grep -q '"covered_edges": [1-9]' <<<"$out" || { log "the installed tool's run covered nothing: $out"; return 1; }
  # The harness worker came with the tool, and runs from where the tool was installed.
  out="$("$work/tools/memcov" run --harness "$artifacts/samples/libmemcov_sample_fuzz.so" --inputs "$root/samples/corpus" --json)"
  grep -q '"covered_edges": [1-9]' <<<"$out" && grep -q '"mode": "harness"' <<<"$out" ||
    { log "the installed tool's harness run covered nothing: $out"; return 1; }
}

# The package as a user gets it: tests/package copied out of the repository (away from its
# Directory.*.props) restores it from a local feed into its own packages folder, builds and runs.
# The program must use the packaged runtime and count the sample's edges in the region.
package_test() {
  local version work out library covered now modules
  version="$(dotnet msbuild "$root/src/Memcov.SharedMem/Memcov.SharedMem.csproj" -getProperty:Version)"
  work="$(mktemp -d)"
  trap "rm -rf '$work'" RETURN
  mkdir "$work/feed"
  cp "$artifacts/packages/Memcov.SharedMem.$version.nupkg" "$work/feed/"
  cp "$root/tests/package/"* "$work/"
  out="$(dotnet run --project "$work/PackageTest.csproj" -c Release -p:MemcovVersion="$version" -- \
    "$artifacts/obj/native-release/native/tests/libmcov_sample_a.so")" || { printf '%s\n' "$out" >&2; return 1; }
  printf '%s\n' "$out" >&2
  library="$(sed -n 's/^library=//p' <<<"$out")"
  read -r covered now modules < <(sed -n 's/^covered=\([0-9]*\) now=\([0-9]*\) modules=\([0-9]*\)$/\1 \2 \3/p' <<<"$out")
  if [[ "$library" != "$work"/*/runtimes/linux-x64/native/libmemcov.so.2 ]] || ! cmp -s "$library" "$artifacts/native/libmemcov.so.2"; then
    log "the package's program used $library, not the packaged libmemcov.so.2"; return 1
  fi
  if [ "${modules:-0}" -ne 1 ] || [ "${covered:-0}" -eq 0 ] || [ "$covered" -ne "$now" ]; then
    log "the package's program counted covered=$covered now=$now modules=$modules"; return 1
  fi
}

# build.ps1 must build the same runtime: the same files in artifacts/native, and a libmemcov.so
# with the same exported symbols.
powershell_mirror() {
  local before after files
  bash "$root/tests/scripts/check_build_mirror.sh"
  before="$(nm -D --defined-only "$artifacts/native/libmemcov.so" | awk '{print $3}' | sort)"
  files="$(ls "$artifacts/native")"
  rm -rf "$artifacts/native"
  (cd "$root" && dotnet tool restore >/dev/null && dotnet pwsh -NoProfile -File ./build.ps1 build)
  if [ "$(ls "$artifacts/native" 2>/dev/null)" != "$files" ]; then
    log "build.ps1 published [$(ls "$artifacts/native" 2>/dev/null | tr '\n' ' ')] to artifacts/native, build.sh [$(tr '\n' ' ' <<<"$files")]"
    return 1
  fi
  after="$(nm -D --defined-only "$artifacts/native/libmemcov.so" | awk '{print $3}' | sort)"
  if [ "$before" != "$after" ]; then
    log "build.ps1 built a libmemcov.so with other exported symbols than build.sh"; return 1
  fi
}

# The benchmarks (bench/run.py): recording cost of each build variant, gathering many workers,
# the .NET kernels and the feed, memcov report's speed and what pc-table costs at start-up; tables
# in artifacts/bench (--smoke: artifacts/bench-smoke).
run_bench() {
  python3 "$root/bench/run.py" "$@"
}

cmd_test() {
  cmd_build
  # The sanitizer also in CMAKE_CXX_FLAGS, where a user's build puts it: the plugin must not get it.
  run_stage "native asan+ubsan build" build_native asan -DMEMCOV_SANITIZE=ON \
    "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined"
  run_stage "native ctest (release)" ctest_variant release
  run_stage "native ctest (asan+ubsan)" ctest_variant asan
  run_stage "python unittest" python_tests
  run_stage "dotnet test" dotnet_tests
  run_stage "memcov in a terminal" cli_terminal_tests
  run_stage "compiler wrappers" wrapper_tests
  run_stage "cmake --install, find_package, pkg-config" install_tests
  run_stage "zlib built with memcov-cc, its tests recording" thirdparty_tests
  run_stage "memcov fuzzed" cli_fuzz
  run_stage "demo" demo_job
  run_stage "dotnet pack" pack_library
  run_stage "NuGet package in a new project" package_test
  run_stage "memcov as a .NET tool" tool_test
  run_stage "Python wheel in a new venv" python_package_test
  run_stage "benchmark smoke run" run_bench --smoke
  run_stage "build.ps1 mirror" powershell_mirror
}

cmd_pack() {
  cmd_build
  log "NuGet package -> artifacts/packages"
  pack_library
}

# The main job: the sample target over its corpus on 4 workers into one region, live, then the
# coverage plot. Writes artifacts/demo/coverage.feed and artifacts/demo/coverage.png.
demo_job() {
  local memcov="$artifacts/cli/memcov" region="demo-$$" rc=0
  mkdir -p "$artifacts/demo"
  rm -rf "$artifacts/demo/coverage.png" "$artifacts/demo/report"
  log "demo: memcov run --jobs 4 over samples/corpus"
  "$memcov" run --jobs 4 --region "$region" --keep --inputs "$root/samples/corpus" \
    --record "$artifacts/demo/coverage.feed" -- "$artifacts/samples/memcov-sample" {} &&
    "$memcov" plot "$artifacts/demo/coverage.feed" -o "$artifacts/demo/coverage.png" &&
    "$memcov" report "$region" --html "$artifacts/demo/report" || rc=1
  "$memcov" rm "$region" >/dev/null 2>&1 || true
  [ "$rc" -eq 0 ] && [ -s "$artifacts/demo/coverage.png" ] && [ -s "$artifacts/demo/report/index.html" ] || return 1
  log "demo: plot $artifacts/demo/coverage.png, report $artifacts/demo/report/index.html"
}

cmd_demo() {
  cmd_build
  demo_job
}

cmd_bench() {
  cmd_build
  log "benchmarks -> artifacts/bench"
  run_bench --command "./build.sh bench"
}

cmd_clean() {
  rm -rf "$artifacts"
}

case "${1:-build}" in
  build) cmd_build ;;
  test) cmd_test ;;
  pack) cmd_pack ;;
  demo) cmd_demo ;;
  bench) cmd_bench ;;
  clean) cmd_clean ;;
  *) echo "usage: $0 [build|test|pack|demo|bench|clean]" >&2; exit 2 ;;
esac
