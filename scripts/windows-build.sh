#!/usr/bin/env bash
# Publishes the self-contained win-x64 build (what a Windows user runs) into .build/win-x64 and readies a Wine
# prefix in .build/wine-prefix, so the tests can run convlive.exe under Wine on this Linux machine.
# Prints the path of convlive.exe on its last line; exits 3 (with the reason) when Wine is not installed.
# Sourced settings for Wine are in scripts/wine-env.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/wine-env.sh
source "$root/scripts/wine-env.sh"
if ! command -v wine >/dev/null 2>&1; then
  echo "Wine is not installed (apt-get install wine64 wine): the Windows build is not tested" >&2
  exit 3
fi

out="$root/.build/win-x64"
dotnet publish "$root/src/ConvLive.App/ConvLive.App.csproj" -c Release -r win-x64 --self-contained true \
  -o "$out" --nologo -v quiet -clp:ErrorsOnly >&2
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  mkdir -p "$WINEPREFIX"
  wineboot -i >/dev/null 2>&1 || { echo "wineboot could not create the prefix $WINEPREFIX" >&2; exit 3; }
fi
convlive_wine_server
echo "$out/convlive.exe"
