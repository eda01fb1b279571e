#!/usr/bin/env pwsh
# Memcov's build entry point for PowerShell 7: a mirror of build.sh, verb for verb and
# function for function. Verbs: build, test, pack, demo, bench, clean. The logic lives in CMake; keep
# this file as thin as build.sh and change both together
# (tests/scripts/check_build_mirror.sh checks that the verbs and functions still match).
#
#   dotnet tool restore
#   dotnet pwsh -NoProfile -File ./build.ps1 [build|test|pack|demo|bench|clean]
param(
    [Parameter(Position = 0)]
    [string] $Verb = 'build'
)

$ErrorActionPreference = 'Stop'
# Native commands never throw by themselves: each one is followed by Assert-ExitCode.
$PSNativeCommandUseErrorActionPreference = $false
Set-StrictMode -Version Latest

$root = $PSScriptRoot
$artifacts = Join-Path $root 'artifacts'
# Exit code of the native command that failed, so the script exits with it as build.sh does.
$script:failedExitCode = 0

# log
function Write-Log([string] $Message) {
    [Console]::Error.WriteLine("==> $Message")
}

# Stops the script when the last native command failed (build.sh: set -e).
function Assert-ExitCode([string] $What) {
    if ($LASTEXITCODE -ne 0) {
        $script:failedExitCode = $LASTEXITCODE
        throw "$What failed with exit code $LASTEXITCODE"
    }
}

# Runs $Script with environment variables set for it only (build.sh: VAR=value command).
function Invoke-WithEnv([hashtable] $Environment, [scriptblock] $Script) {
    $saved = @{}
    foreach ($name in $Environment.Keys) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, [string] $Environment[$name])
    }
    try { & $Script }
    finally {
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
}

# apt_install
function Install-AptPackage([string[]] $Packages) {
    Write-Log "installing $Packages with apt-get"
    $uid = id -u
    Assert-ExitCode 'id -u'
    if ([int] $uid -ne 0) {
        Write-Log "not root: install $Packages yourself"
        throw "cannot install $Packages"
    }
    Invoke-WithEnv @{ DEBIAN_FRONTEND = 'noninteractive' } {
        apt-get update -qq > $null   # failures ignored, as with `|| true` in build.sh
        apt-get install -y -qq @Packages > $null
        Assert-ExitCode "apt-get install $Packages"
    }
}

# find_clang: clang, or clang-18 ... clang-14; installs clang-14 when none is there.
function Find-Clang {
    foreach ($c in 'clang', 'clang-18', 'clang-17', 'clang-16', 'clang-15', 'clang-14') {
        if (Get-Command $c -CommandType Application -ErrorAction SilentlyContinue) { return $c }
    }
    Install-AptPackage 'clang-14'
    return 'clang-14'
}

# ensure_compiler_rt: compiler-rt (ASan/UBSan, and linking with -fsanitize-coverage)
# comes in its own package.
function Ensure-CompilerRt([string] $Cc, [string] $Major) {
    # Quoted: PowerShell splits an unquoted -name=value argument at its first '.'.
    $asan = & $Cc '-print-file-name=libclang_rt.asan-x86_64.a'
    Assert-ExitCode "$Cc -print-file-name"
    if (Test-Path -LiteralPath $asan -PathType Leaf) { return }
    Install-AptPackage "libclang-rt-$Major-dev"
}

# ensure_llvm_dev: LLVM's development files for the compiler's major version: the no-call
# layout plugin (native/pass) is built against them, with the matching clang++. Without them
# everything else builds, and no-call modules keep clang's slower layout.
function Ensure-LlvmDev([string] $Major) {
    if (-not (Test-Path -LiteralPath "/usr/lib/llvm-$Major/lib/cmake/llvm/LLVMConfig.cmake" -PathType Leaf)) {
        try {
            Install-AptPackage "llvm-$Major-dev"
        } catch {
            Write-Log "no llvm-$Major-dev: the no-call layout plugin is not built (no-call modules run slower)"
        }
    }
}

# ensure_tools
function Ensure-Tools {
    if (-not (Get-Command cmake -CommandType Application -ErrorAction SilentlyContinue)) {
        Install-AptPackage 'cmake'
    }
    $env:CC = Find-Clang
    $env:CXX = $env:CC -replace '^clang', 'clang++'
    $version = & $env:CC -dumpversion
    Assert-ExitCode "$env:CC -dumpversion"
    $script:CcMajor = ($version -split '\.')[0]
    Ensure-CompilerRt $env:CC $script:CcMajor
    Ensure-LlvmDev $script:CcMajor
}

# build_native VARIANT [cmake options...]: configure and build into artifacts/obj/native-VARIANT.
function Build-Native([string] $Variant, [string[]] $CMakeOptions = @()) {
    $dir = Join-Path $artifacts "obj/native-$Variant"
    cmake -S $root -B $dir "-DCMAKE_C_COMPILER=$env:CC" "-DCMAKE_CXX_COMPILER=$env:CXX" '-DCMAKE_BUILD_TYPE=RelWithDebInfo' @CMakeOptions > $null
    Assert-ExitCode "cmake configure ($Variant)"
    cmake --build $dir --parallel ([Environment]::ProcessorCount) > $null
    Assert-ExitCode "cmake --build ($Variant)"
}

# publish_native: libmemcov.so.2 (the soname) and libmemcov.so, the link-time name, a symlink to it,
# in a directory made again.
function Publish-Native {
    $dir = Join-Path $artifacts 'obj/native-release/native'
    $dest = Join-Path $artifacts 'native'
    if (Test-Path -LiteralPath $dest) { Remove-Item -LiteralPath $dest -Recurse -Force }
    New-Item -ItemType Directory -Force -Path $dest > $null
    Copy-Item -LiteralPath (Join-Path $dir 'libmemcov.so.2'), (Join-Path $dir 'libmemcov_hooks.a'), (Join-Path $dir 'memcov-harness') -Destination $dest
    New-Item -ItemType SymbolicLink -Force -Path (Join-Path $dest 'libmemcov.so') -Target 'libmemcov.so.2' > $null
    Copy-Item -LiteralPath (Join-Path $root 'native/include/memcov.h'), (Join-Path $root 'native/include/memcov_region.h'),
        (Join-Path $root 'native/include/memcov_map.h'), (Join-Path $root 'native/include/memcov_files.h'),
        (Join-Path $root 'native/include/memcov_spawn.h') -Destination $dest
    Copy-Item -LiteralPath (Join-Path $root 'native/cmake/memcov-inline.ld'), (Join-Path $dir 'memcov_hooks.o'),
        (Join-Path $dir 'memcov_hooks_guards.o'), (Join-Path $root 'native/flags/memcov.flags') -Destination $dest
    $plugin = Join-Path $dir 'pass/libmemcov_pass.so'
    if (Test-Path -LiteralPath $plugin -PathType Leaf) {
        Copy-Item -LiteralPath $plugin, (Join-Path $dir 'pass/libmemcov_pass.llvm') -Destination $dest
    }
}

# publish_wrappers: the compiler wrappers: memcov-cc, and memcov-c++ (the same script, which reads its name).
function Publish-Wrappers {
    $dest = Join-Path $artifacts 'bin'
    if (Test-Path -LiteralPath $dest) { Remove-Item -LiteralPath $dest -Recurse -Force }
    New-Item -ItemType Directory -Force -Path $dest > $null
    Copy-Item -LiteralPath (Join-Path $root 'native/flags/memcov-cc') -Destination $dest
    New-Item -ItemType SymbolicLink -Force -Path (Join-Path $dest 'memcov-c++') -Target 'memcov-cc' > $null
}

# publish_samples: the sample driver and its library. Their RUNPATH ($ORIGIN,
# $ORIGIN/../native) finds the library beside the driver and artifacts/native/libmemcov.so.
function Publish-Samples {
    $dir = Join-Path $artifacts 'obj/native-release/samples'
    $dest = Join-Path $artifacts 'samples'
    New-Item -ItemType Directory -Force -Path $dest > $null
    Copy-Item -LiteralPath (Join-Path $dir 'memcov-sample'), (Join-Path $dir 'libmemcov_sample.so'), (Join-Path $dir 'libmemcov_sample_fuzz.so') -Destination $dest
}

# publish_cli: the memcov command, framework-dependent and precompiled for this machine's runtime, in artifacts/cli.
function Publish-Cli {
    dotnet publish (Join-Path $root 'src/Memcov.Cli/Memcov.Cli.csproj') -c Release --use-current-runtime --self-contained false -p:PublishReadyToRun=true `
        -o (Join-Path $artifacts 'cli') --nologo -v quiet > $null
    Assert-ExitCode 'dotnet publish'
}

# cmd_build
function Invoke-Build {
    Ensure-Tools
    Write-Log 'native release -> artifacts/native/libmemcov.so, artifacts/samples/memcov-sample'
    Build-Native 'release'
    Publish-Native
    Publish-Wrappers
    Publish-Samples
    Write-Log 'memcov command -> artifacts/cli/memcov'
    Publish-Cli
}

# run_stage
function Invoke-Stage([string] $Name, [scriptblock] $Stage) {
    $watch = [Diagnostics.Stopwatch]::StartNew()
    Write-Log "test stage: $Name"
    & $Stage
    Write-Log "test stage: $Name passed in $([int][Math]::Floor($watch.Elapsed.TotalSeconds)) s"
}

# ctest_variant
function Invoke-CTest([string] $Variant) {
    ctest --test-dir (Join-Path $artifacts "obj/native-$Variant") --output-on-failure --parallel ([Environment]::ProcessorCount) --timeout 300
    Assert-ExitCode "ctest ($Variant)"
}

# ensure_report_tools: what the report's tests compare with and render in: llvm-cov and
# llvm-symbolizer (the compiler's LLVM, CcMajor from Ensure-Tools), genhtml, a headless browser.
function Ensure-ReportTools {
    $major = $script:CcMajor
    $have = { param($name) [bool](Get-Command $name -CommandType Application -ErrorAction SilentlyContinue) }
    if (-not ((& $have "llvm-symbolizer-$major") -and (& $have "llvm-cov-$major"))) {
        Install-AptPackage "llvm-$major"
    }
    if (-not (& $have 'genhtml')) { Install-AptPackage 'lcov' }
    if (-not (& $have 'chromium')) { Install-AptPackage 'chromium' }
}

# ensure_campaign_tools: what the campaign tests run against: a Redis server of their own, and
# openssl for a test CA.
function Ensure-CampaignTools {
    $have = { param($name) [bool](Get-Command $name -CommandType Application -ErrorAction SilentlyContinue) }
    if (-not (& $have 'redis-server')) { Install-AptPackage 'redis-server' }
    if (-not (& $have 'openssl')) { Install-AptPackage 'openssl' }
}

# cli_terminal_tests: the memcov command in a pseudo-terminal, its reports, campaigns on Redis.
function Invoke-CliTerminalTests {
    Ensure-ReportTools
    Ensure-CampaignTools
    Invoke-WithEnv @{
        MEMCOV_REQUIRE_TOOLS = '1'
        MEMCOV_CLI        = Join-Path $artifacts 'cli/memcov'
        MEMCOV_SAMPLE_DIR = Join-Path $artifacts 'samples'
    } {
        python3 -m unittest discover -s (Join-Path $root 'tests/cli') -p 'test_*.py' -v
        Assert-ExitCode 'memcov in a terminal'
    }
}

# wrapper_tests: memcov-cc and memcov-c++ on a Makefile project and on every kind of step.
function Invoke-WrapperTests {
    Invoke-WithEnv @{ MEMCOV_CLI = Join-Path $artifacts 'cli/memcov' } {
        python3 -m unittest discover -s (Join-Path $root 'tests/wrappers') -v
        Assert-ExitCode 'compiler wrappers'
    }
}

# install_tests: cmake --install, then find_package, pkg-config and the installed wrappers.
function Invoke-InstallTests {
    Invoke-WithEnv @{ MEMCOV_CLI = Join-Path $artifacts 'cli/memcov'; MEMCOV_BUILD_DIR = Join-Path $artifacts 'obj/native-release' } {
        python3 -m unittest discover -s (Join-Path $root 'tests/install') -v
        Assert-ExitCode 'cmake --install, find_package, pkg-config'
    }
}

# thirdparty_tests: zlib from Debian's source packages, built with memcov-cc, its own tests recording into a region.
function Invoke-ThirdPartyTests {
    Invoke-WithEnv @{ MEMCOV_CLI = Join-Path $artifacts 'cli/memcov' } {
        python3 -m unittest discover -s (Join-Path $root 'tests/thirdparty') -v
        Assert-ExitCode 'zlib built with memcov-cc, its tests recording'
    }
}

# cli_fuzz: random command lines and files for every memcov command, for a bounded time.
function Invoke-CliFuzz {
    Invoke-WithEnv @{
        MEMCOV_CLI        = Join-Path $artifacts 'cli/memcov'
        MEMCOV_SAMPLE_DIR = Join-Path $artifacts 'samples'
    } {
        python3 (Join-Path $root 'tests/cli/fuzz_cli.py')
        Assert-ExitCode 'memcov fuzzed'
    }
}

# python_tests
function Invoke-PythonTests {
    Invoke-WithEnv @{
        MEMCOV_LIBRARY      = Join-Path $artifacts 'obj/native-release/native/libmemcov.so'
        MEMCOV_TEST_LIBDIR  = Join-Path $artifacts 'obj/native-release/native/tests'
        MEMCOV_SAMPLE_DIR   = Join-Path $artifacts 'samples'
    } {
        python3 -m unittest discover -s (Join-Path $root 'bindings/python/tests') -t (Join-Path $root 'bindings/python') -v
        Assert-ExitCode 'python unittest'
    }
}

# dotnet_tests: the .NET library's tests; the cross-process ones run the native release
# build's mcov_worker.
function Invoke-DotnetTests {
    Invoke-WithEnv @{ MEMCOV_TEST_NATIVE_DIR = Join-Path $artifacts 'obj/native-release/native'; MEMCOV_SAMPLE_DIR = Join-Path $artifacts 'samples' } {
        dotnet test (Join-Path $root 'Memcov.sln') -c Release --logger 'console;verbosity=normal'
        Assert-ExitCode 'dotnet test'
    }
}

# pack_library: the NuGet package, the .NET library with libmemcov.so under
# runtimes/linux-x64/native.
function Invoke-DotnetPack {
    dotnet pack (Join-Path $root 'src/Memcov.SharedMem/Memcov.SharedMem.csproj') -c Release -o (Join-Path $artifacts 'packages')
    Assert-ExitCode 'dotnet pack'
    dotnet pack (Join-Path $root 'src/Memcov.Redis/Memcov.Redis.csproj') -c Release -o (Join-Path $artifacts 'packages')
    Assert-ExitCode 'dotnet pack (Memcov.Redis)'
    dotnet pack (Join-Path $root 'src/Memcov.Cli/Memcov.Cli.csproj') -c Release -o (Join-Path $artifacts 'packages')
    Assert-ExitCode 'dotnet pack (the tool)'
    Invoke-PackPython
}

# ensure_python_packaging: Debian's setuptools, wheel and venv for /usr/bin/python3.
function Ensure-PythonPackaging {
    /usr/bin/python3 -c 'import setuptools, wheel, venv, ensurepip' 2> $null
    if ($LASTEXITCODE -ne 0) { Install-AptPackage 'python3-setuptools', 'python3-wheel', 'python3-venv', 'python3-pip' }
}

# pack_python: the Python wheel, built from a copy of bindings/python with libmemcov.so.2 beside the module.
function Invoke-PackPython {
    Ensure-PythonPackaging
    $stage = Join-Path ([IO.Path]::GetTempPath()) "tmp.$([Guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $stage > $null
    try {
        Copy-Item -Recurse -LiteralPath (Join-Path $root 'bindings/python/memcov'), (Join-Path $root 'bindings/python/pyproject.toml'),
            (Join-Path $root 'bindings/python/setup.cfg') -Destination $stage
        Remove-Item -Recurse -Force -ErrorAction SilentlyContinue (Join-Path $stage 'memcov/__pycache__')
        Copy-Item -LiteralPath (Join-Path $artifacts 'native/libmemcov.so.2') -Destination (Join-Path $stage 'memcov')
        $packages = Join-Path $artifacts 'packages'
        New-Item -ItemType Directory -Force -Path $packages > $null
        Remove-Item -Force -ErrorAction SilentlyContinue (Join-Path $packages 'memcov-*.whl')
        Push-Location $stage
        try {
            /usr/bin/python3 -m pip wheel --quiet --no-deps --no-build-isolation --no-index -w $packages .
            Assert-ExitCode 'pip wheel'
        }
        finally { Pop-Location }
    }
    finally {
        Remove-Item -LiteralPath $stage -Recurse -Force
    }
}

# python_package_test: the wheel in a fresh venv, running the Pool example from outside the repository.
function Invoke-PythonPackageTest {
    $wheel = Get-ChildItem -Path (Join-Path $artifacts 'packages') -Filter 'memcov-*-linux_x86_64.whl' | Select-Object -First 1
    python3 (Join-Path $root 'tests/packaging/python_wheel.py') $wheel.FullName
    Assert-ExitCode 'Python wheel in a new venv'
}

# tool_test: the memcov command as a .NET tool, installed from artifacts/packages into a temporary
# tool path with a packages folder of its own, then run on the sample.
function Invoke-ToolTest {
    $version = dotnet msbuild (Join-Path $root 'src/Memcov.Cli/Memcov.Cli.csproj') -getProperty:Version
    Assert-ExitCode 'dotnet msbuild -getProperty:Version'
    $work = Join-Path ([IO.Path]::GetTempPath()) "tmp.$([Guid]::NewGuid().ToString('N'))"
    try {
        Invoke-WithEnv @{ NUGET_PACKAGES = Join-Path $work 'packages' } {
            dotnet tool install --tool-path (Join-Path $work 'tools') --add-source (Join-Path $artifacts 'packages') Memcov.Cli --version $version > $null
            Assert-ExitCode 'dotnet tool install'
        }
        $memcov = Join-Path $work 'tools/memcov'
        if (-not ((& $memcov --version) -match "^$([regex]::Escape($version))")) { throw "the tool is not version $version" }
        $out = (& $memcov run --jobs 2 --inputs (Join-Path $root 'samples/corpus') --json -- (Join-Path $artifacts 'samples/memcov-sample') '{}') -join "`n"
        Assert-ExitCode 'the installed tool'
        if ($out -notmatch '"covered_edges": [1-9]') { throw "the installed tool's run covered nothing: $out" }
        # The harness worker came with the tool, and runs from where the tool was installed.
        $out = (& $memcov run --harness (Join-Path $artifacts 'samples/libmemcov_sample_fuzz.so') --inputs (Join-Path $root 'samples/corpus') --json) -join "`n"
        Assert-ExitCode 'the installed tool, harness mode'
        if ($out -notmatch '"covered_edges": [1-9]' -or $out -notmatch '"mode": "harness"') { throw "the installed tool's harness run covered nothing: $out" }
    }
    finally {
        if (Test-Path -LiteralPath $work) { Remove-Item -LiteralPath $work -Recurse -Force }
    }
}

# package_test: the package as a user gets it. tests/package copied out of the repository (away
# from its Directory.*.props) restores it from a local feed into its own packages folder, builds
# and runs. The program must use the packaged runtime and count the sample's edges in the region.
function Invoke-PackageTest {
    $project = Join-Path $root 'src/Memcov.SharedMem/Memcov.SharedMem.csproj'
    $version = dotnet msbuild $project -getProperty:Version
    Assert-ExitCode 'dotnet msbuild -getProperty:Version'
    $work = Join-Path ([IO.Path]::GetTempPath()) "tmp.$([Guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path (Join-Path $work 'feed') > $null
    try {
        Copy-Item -LiteralPath (Join-Path $artifacts "packages/Memcov.SharedMem.$version.nupkg") -Destination (Join-Path $work 'feed')
        Copy-Item -Path (Join-Path $root 'tests/package/*') -Destination $work
        $out = @(dotnet run --project (Join-Path $work 'PackageTest.csproj') -c Release "-p:MemcovVersion=$version" -- `
            (Join-Path $artifacts 'obj/native-release/native/tests/libmcov_sample_a.so'))
        $out | ForEach-Object { [Console]::Error.WriteLine($_) }
        Assert-ExitCode 'the package test program'
        $library = ($out | Select-String -Pattern '^library=(.*)$' | Select-Object -First 1).Matches.Groups[1].Value
        $packaged = Join-Path $artifacts 'native/libmemcov.so.2'
        if (-not $library -or -not $library.StartsWith("$work/") -or
            -not $library.EndsWith('/runtimes/linux-x64/native/libmemcov.so.2') -or
            (Get-FileHash -LiteralPath $library).Hash -ne (Get-FileHash -LiteralPath $packaged).Hash) {
            throw "the package's program used $library, not the packaged libmemcov.so.2"
        }
        $counts = $out | Select-String -Pattern '^covered=([0-9]+) now=([0-9]+) modules=([0-9]+)$' | Select-Object -First 1
        $covered, $now, $modules = if ($counts) { $counts.Matches.Groups[1..3] | ForEach-Object { [long] $_.Value } } else { 0, -1, 0 }
        if ($modules -ne 1 -or $covered -eq 0 -or $covered -ne $now) {
            throw "the package's program counted covered=$covered now=$now modules=$modules"
        }
    }
    finally {
        Remove-Item -LiteralPath $work -Recurse -Force
    }
}

# run_bench: the benchmarks (bench/run.py): recording cost of each build variant, gathering many
# workers, the .NET kernels and the feed; tables in artifacts/bench (--smoke: artifacts/bench-smoke).
function Invoke-BenchRun([string[]] $Arguments) {
    python3 (Join-Path $root 'bench/run.py') @Arguments
    Assert-ExitCode 'bench/run.py'
}

# powershell_mirror has no counterpart here: build.sh's test runs this script's build verb
# as its last stage, and this script must not call itself.

# cmd_test: the same stages as build.sh's test except its last one, "build.ps1 mirror".
function Invoke-Test {
    Invoke-Build
    # The sanitizer also in CMAKE_CXX_FLAGS, where a user's build puts it: the plugin must not get it.
    Invoke-Stage 'native asan+ubsan build' { Build-Native 'asan' @('-DMEMCOV_SANITIZE=ON', '-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined') }
    Invoke-Stage 'native ctest (release)' { Invoke-CTest 'release' }
    Invoke-Stage 'native ctest (asan+ubsan)' { Invoke-CTest 'asan' }
    Invoke-Stage 'python unittest' { Invoke-PythonTests }
    Invoke-Stage 'dotnet test' { Invoke-DotnetTests }
    Invoke-Stage 'memcov in a terminal' { Invoke-CliTerminalTests }
    Invoke-Stage 'compiler wrappers' { Invoke-WrapperTests }
    Invoke-Stage 'cmake --install, find_package, pkg-config' { Invoke-InstallTests }
    Invoke-Stage 'zlib built with memcov-cc, its tests recording' { Invoke-ThirdPartyTests }
    Invoke-Stage 'memcov fuzzed' { Invoke-CliFuzz }
    Invoke-Stage 'demo' { Invoke-DemoJob }
    Invoke-Stage 'dotnet pack' { Invoke-DotnetPack }
    Invoke-Stage 'NuGet package in a new project' { Invoke-PackageTest }
    Invoke-Stage 'memcov as a .NET tool' { Invoke-ToolTest }
    Invoke-Stage 'Python wheel in a new venv' { Invoke-PythonPackageTest }
    Invoke-Stage 'benchmark smoke run' { Invoke-BenchRun '--smoke' }
}

# cmd_pack
function Invoke-Pack {
    Invoke-Build
    Write-Log 'NuGet package -> artifacts/packages'
    Invoke-DotnetPack
}

# demo_job: the sample target over its corpus on 4 workers, live, then the coverage plot and
# the HTML report of which code the corpus reached.
function Invoke-DemoJob {
    $demo = Join-Path $artifacts 'demo'
    $region = "demo-$PID"
    New-Item -ItemType Directory -Force -Path $demo > $null
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue (Join-Path $demo 'coverage.png'), (Join-Path $demo 'report')
    Write-Log 'demo: memcov run --jobs 4 over samples/corpus'
    $memcov = Join-Path $artifacts 'cli/memcov'
    try {
        & $memcov run --jobs 4 --region $region --keep --inputs (Join-Path $root 'samples/corpus') `
            --record (Join-Path $demo 'coverage.feed') -- (Join-Path $artifacts 'samples/memcov-sample') '{}'
        Assert-ExitCode 'memcov run'
        & $memcov plot (Join-Path $demo 'coverage.feed') -o (Join-Path $demo 'coverage.png')
        Assert-ExitCode 'memcov plot'
        & $memcov report $region --html (Join-Path $demo 'report')
        Assert-ExitCode 'memcov report'
    }
    finally {
        & $memcov rm $region > $null 2>&1
    }
    if (-not (Test-Path (Join-Path $demo 'coverage.png'))) { throw 'the demo wrote no coverage.png' }
    if (-not (Test-Path (Join-Path $demo 'report/index.html'))) { throw 'the demo wrote no report' }
    Write-Log "demo: plot $(Join-Path $demo 'coverage.png'), report $(Join-Path $demo 'report/index.html')"
}

# cmd_demo
function Invoke-Demo {
    Invoke-Build
    Invoke-DemoJob
}

# cmd_bench
function Invoke-Bench {
    Invoke-Build
    Write-Log 'benchmarks -> artifacts/bench'
    Invoke-BenchRun '--command', './build.ps1 bench'
}

# cmd_clean
function Invoke-Clean {
    if (Test-Path -LiteralPath $artifacts) { Remove-Item -LiteralPath $artifacts -Recurse -Force }
}

# Each dotnet call leaves empty directories in TMPDIR: a run's own, removed at its end, keeps
# them out of the system's.
$runTmp = [System.IO.Directory]::CreateTempSubdirectory('memcov-build-').FullName
$env:TMPDIR = $runTmp
$exitCode = 0
try {
    switch -CaseSensitive ($Verb) {
        'build' { Invoke-Build }
        'test' { Invoke-Test }
        'pack' { Invoke-Pack }
        'demo' { Invoke-Demo }
        'bench' { Invoke-Bench }
        'clean' { Invoke-Clean }
        default {
            [Console]::Error.WriteLine("usage: $PSCommandPath [build|test|pack|demo|bench|clean]")
            $exitCode = 2
        }
    }
}
catch {
    [Console]::Error.WriteLine("build.ps1: $($_.Exception.Message)")
    $exitCode = if ($script:failedExitCode -ne 0) { $script:failedExitCode } else { 1 }
}
Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $runTmp
exit $exitCode
