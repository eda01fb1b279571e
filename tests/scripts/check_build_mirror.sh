#!/usr/bin/env bash
# Checks that build.ps1 still mirrors build.sh: the same verbs, and a PowerShell function
# for each build.sh function. Exits 1 on a mismatch. Needs only bash, grep and sed.
#   bash tests/scripts/check_build_mirror.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
sh="$root/build.sh" ps="$root/build.ps1"
fail=0

# Verbs: the patterns of build.sh's `case "${1:-build}"` block, and of build.ps1's `switch`.
sh_verbs="$(sed -n '/^case "\${1/,/^esac/p' "$sh" | sed -n 's/^[[:space:]]*\([a-z][a-z-]*\))[[:space:]].*/\1/p' | sort)"
ps_verbs="$(sed -n '/switch -CaseSensitive (\$Verb)/,/^[[:space:]]*}[[:space:]]*$/p' "$ps" \
  | sed -n "s/^[[:space:]]*'\([a-z][a-z-]*\)'[[:space:]]*{.*/\1/p" | sort)"
if [ -z "$sh_verbs" ] || [ "$sh_verbs" != "$ps_verbs" ]; then
  echo "verbs differ: build.sh [$(echo $sh_verbs)] build.ps1 [$(echo $ps_verbs)]" >&2; fail=1
fi

# Functions: build.sh name -> build.ps1 name ('-' = deliberately none).
map='log Write-Log
apt_install Install-AptPackage
find_clang Find-Clang
ensure_compiler_rt Ensure-CompilerRt
ensure_llvm_dev Ensure-LlvmDev
ensure_tools Ensure-Tools
build_native Build-Native
publish_native Publish-Native
publish_wrappers Publish-Wrappers
publish_samples Publish-Samples
publish_cli Publish-Cli
cmd_build Invoke-Build
run_stage Invoke-Stage
ctest_variant Invoke-CTest
python_tests Invoke-PythonTests
ensure_report_tools Ensure-ReportTools
ensure_campaign_tools Ensure-CampaignTools
cli_terminal_tests Invoke-CliTerminalTests
wrapper_tests Invoke-WrapperTests
install_tests Invoke-InstallTests
thirdparty_tests Invoke-ThirdPartyTests
cli_fuzz Invoke-CliFuzz
dotnet_tests Invoke-DotnetTests
pack_library Invoke-DotnetPack
package_test Invoke-PackageTest
tool_test Invoke-ToolTest
ensure_python_packaging Ensure-PythonPackaging
pack_python Invoke-PackPython
python_package_test Invoke-PythonPackageTest
run_bench Invoke-BenchRun
powershell_mirror -
cmd_test Invoke-Test
cmd_pack Invoke-Pack
demo_job Invoke-DemoJob
cmd_demo Invoke-Demo
cmd_bench Invoke-Bench
cmd_clean Invoke-Clean'
for f in $(sed -n 's/^\([a-z_][a-z0-9_]*\)() {.*/\1/p' "$sh"); do
  p="$(printf '%s\n' "$map" | awk -v f="$f" '$1 == f { print $2 }')"
  if [ -z "$p" ]; then
    echo "build.sh function $f has no entry in $0's map: add it, and its build.ps1 mirror" >&2; fail=1
  elif [ "$p" != - ] && ! grep -qE "^function $p([[:space:](]|\$)" "$ps"; then
    echo "build.ps1 lacks function $p (mirror of build.sh's $f)" >&2; fail=1
  fi
done

# And the other way: every function of the map (each verb's cmd_* among them) is still in build.sh.
for f in $(printf '%s\n' "$map" | awk '{ print $1 }'); do
  if ! grep -q "^$f() {" "$sh"; then
    echo "build.sh lacks function $f, which $0's map (and perhaps a verb) names" >&2; fail=1
  fi
done

if [ "$fail" -eq 0 ]; then echo "build.ps1 mirrors build.sh: verbs $(echo $sh_verbs)"; fi
exit "$fail"
