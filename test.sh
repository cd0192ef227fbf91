#!/usr/bin/env bash
# Runs Gateway's whole test suite, as CI does. Installs the test peers first when they are missing
# (socat, mbpoll, libmodbus, gcc, git, pcscd and vsmartcard-vpcd, chromium and fonts-noto-cjk from
# Debian's packages; needs root or sudo for that step), and starts pcscd when none runs.
# Usage: ./test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v mbpoll >/dev/null 2>&1 || need+=(mbpoll)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v git >/dev/null 2>&1 || need+=(git)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
[ -f /usr/include/modbus/modbus.h ] || need+=(libmodbus-dev)
# The PC/SC tests: pcscd with the virtual readers of vsmartcard-vpcd ("Virtual PCD 00 00" and "00 01").
command -v pcscd >/dev/null 2>&1 || [ -x /usr/sbin/pcscd ] || need+=(pcscd)
[ -f /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || need+=(vsmartcard-vpcd)
# The console's browser tests: Playwright drives Debian's chromium by its path; the CJK fonts make
# the Chinese pages' screenshots show text instead of boxes.
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || need+=(fonts-noto-cjk)
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing test peers: ${need[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "test.sh: missing ${need[*]} and no apt-get; interop tests will say they cannot run" >&2
  fi
fi
# Start pcscd only when none runs (nor waits on systemd's socket), so a developer's own is left alone.
pcscd_running() {
  local comm
  for comm in /proc/[0-9]*/comm; do
    [ "$(cat "$comm" 2>/dev/null)" = pcscd ] && return 0
  done
  return 1
}
# pcscd outlives this script: it starts without the descriptors this script inherited, or a lock held
# around it (`flock FILE ./test.sh`) would stay held by pcscd for as long as pcscd runs.
without_inherited_fds() {
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    exec "$@"
  )
}
if [ -x /usr/sbin/pcscd ] && ! pcscd_running \
   && ! { command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet pcscd.socket 2>/dev/null; }; then
  echo "test.sh: starting pcscd"
  without_inherited_fds "${sudo_cmd[@]}" /usr/sbin/pcscd
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Gateway.sln -c Release -warnaserror -nologo -clp:ErrorsOnly

log=$(mktemp)
attempt=$(mktemp)
first=$(mktemp)
again=$(mktemp)
trap 'rm -f "$log" "$attempt" "$first" "$again"' EXIT
status=0

# The tests a run's output names as failed, one a line; a run that failed without naming one (it hung,
# or the test host crashed) counts as one, named after its assembly.
failed_tests() {
  local names
  names=$(sed -nE 's/^[[:space:]]+Failed ([^[:space:]].*) \[[^]]*\][[:space:]]*$/\1/p' "$2" | sort -u)
  if [ -z "$names" ]; then
    names="$(basename "$1" .csproj): the run failed without naming a test (a hang or a crash: see its output)"
  fi
  printf '%s\n' "$names"
}

# One test assembly at a time: several at once on 2 cores starve the PN532 simulator's replies past
# the binding's fixed ~89 ms deadline. Tests inside an assembly still run in parallel. A hang fails
# the assembly after 5 minutes (--blame-hang-timeout names the test) instead of stalling CI. An
# assembly that fails or hangs is run once more, but a retried test is a failing test until its cause
# is found: every test that failed on the first run is listed by name and counted at the end, and a
# test that fails on the retry as well fails the run.
for project in tests/*/*.Tests.csproj; do
  if ! dotnet test "$project" -c Release --no-build --nologo --blame-hang-timeout 5m "$@" 2>&1 | tee "$attempt"; then
    failed_tests "$project" "$attempt" | tee -a "$first" | sed 's/^/test.sh: FAILED on the first run: /'
    echo "test.sh: RETRY: $project failed or hung on the first run; running it once more"
    if ! dotnet test "$project" -c Release --no-build --nologo --blame-hang-timeout 5m "$@" 2>&1 | tee "$attempt"; then
      failed_tests "$project" "$attempt" >> "$again"
      status=1
    fi
  fi
  cat "$attempt" >> "$log"
done

# Benchmarks never run in full here; a small smoke run proves each still works.
echo "test.sh: benchmark smoke run"
dotnet bench/Gateway.Bench/bin/Release/net10.0/gateway-bench.dll --smoke || status=$?

passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -Eo 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo "${passed} passed, ${failed} failed, ${skipped} skipped (the last run of each assembly)"
if [ -s "$first" ]; then
  sort -u -o "$first" "$first"
  sort -u -o "$again" "$again"
  echo "$(wc -l < "$first") failed on the first run (a retried test is a failing test until its cause is found):"
  sed 's/^/  FAILED: /' "$first"
  twice=$(comm -12 "$first" "$again")
  if [ -n "$twice" ]; then
    echo "$(printf '%s\n' "$twice" | wc -l) failed on the first run and again on the retry:"
    printf '%s\n' "$twice" | sed 's/^/  FAILED TWICE: /'
  fi
  passed_on_retry=$(comm -23 "$first" "$again")
  if [ -n "$passed_on_retry" ]; then
    echo "$(printf '%s\n' "$passed_on_retry" | wc -l) of them passed on the retry (flaky: find the cause):"
    printf '%s\n' "$passed_on_retry" | sed 's/^/  FLAKY: /'
  fi
  retry_only=$(comm -13 "$first" "$again")
  if [ -n "$retry_only" ]; then
    echo "$(printf '%s\n' "$retry_only" | wc -l) passed on the first run and failed on the retry:"
    printf '%s\n' "$retry_only" | sed 's/^/  FAILED ON THE RETRY: /'
  fi
fi
exit $status
