#!/usr/bin/env bash
# Installs what the tests need, builds everything in Release (warnings are errors) and runs every test headless:
# EGL for offscreen rendering, Xvfb for the real-window tests. Ends with "N passed, M failed, K skipped".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
convlive_require_dotnet
convlive_ensure_packages "${CONVLIVE_RUNTIME_PACKAGES[@]}" "${CONVLIVE_TEST_PACKAGES[@]}"
(convlive_ensure_packages "${CONVLIVE_OPTIONAL_TEST_PACKAGES[@]}") || echo "note: ${CONVLIVE_OPTIONAL_TEST_PACKAGES[*]} could not be installed: the Windows build's tests will skip" >&2
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build ConvLive.sln -c Release --nologo -v quiet -clp:"Summary;ErrorsOnly"

mkdir -p "$root/.build"
# The Windows build (self-contained win-x64, what a Windows user runs), tested under Wine by WindowsBuildTests.
if win_exe=$(scripts/windows-build.sh 2>"$root/.build/windows-build.log" | tail -n 1) && [ -f "$win_exe" ]; then
  export CONVLIVE_WINDOWS_BUILD="$win_exe"
else
  export CONVLIVE_WINDOWS_SKIP="the Windows build was not made: $(tail -n 3 "$root/.build/windows-build.log" | tr '\n' ' ')"
  echo "note: $CONVLIVE_WINDOWS_SKIP" >&2
fi

results="$root/.build/test-results"
rm -rf "$results"
status=0
run=(dotnet test ConvLive.sln -c Release --no-build --nologo --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@")
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null 2>&1; then
  xvfb-run -a -s "-screen 0 1920x1080x24" "${run[@]}" || status=$?
else
  "${run[@]}" || status=$?
fi

# The soak's short version (scripts/soak.sh: everything at once), alone after the tests so nothing else loads the
# machine under it; counted as one test.
soak_passed=0 soak_failed=0
if command -v ffprobe >/dev/null 2>&1; then
  if SOAK_OUT="$root/.build/soak-ci" CONVLIVE_DLL="$root/src/ConvLive.App/bin/Release/net10.0/convlive.dll" \
      scripts/soak.sh 60 20 5 >"$root/.build/soak-ci.log" 2>&1; then
    soak_passed=1
    echo "soak (60 s): passed"
  else
    soak_failed=1
    echo "soak (60 s): FAILED"
  fi
  sed 's/^/  /' "$root/.build/soak-ci.log" | tail -n 16
fi

if [ -n "${CONVLIVE_WINDOWS_BUILD:-}" ]; then
  (source scripts/wine-env.sh && wineserver -k >/dev/null 2>&1) || true
fi

passed=$soak_passed failed=$soak_failed skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get total) - $(get executed)))
done
if [ "$failed" -gt 0 ] && command -v python3 >/dev/null 2>&1; then
  python3 scripts/failed-tests.py "$results"/*.trx || true
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -eq 0 ] && [ "$failed" -gt 0 ]; then status=1; fi
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then echo "no test ran" >&2; status=1; fi
exit "$status"
