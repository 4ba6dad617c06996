# Sourced: the settings a .NET 10 self-contained build needs under Wine 8 (measured here; ../shared/ARCHITECTURE.md):
# mscoree must stay enabled, winedbg must not start (it can hang on a crash), W^X off (else a CLR error in a
# finaliser), no Wine debug chatter, and a prefix of our own inside the build folder.
_convlive_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export WINEPREFIX="${CONVLIVE_WINEPREFIX:-$_convlive_root/.build/wine-prefix}"
export WINEDLLOVERRIDES="mshtml=;winedbg.exe=d"
export DOTNET_EnableWriteXorExecute=0
export WINEDEBUG=-all
export WINEARCH=win64

# A persistent wineserver with its output on /dev/null: a server started by the first `wine` would inherit that
# command's stdout, and whoever reads it (a pipe, a test) would wait for the server to exit.
convlive_wine_server() {
  wineserver -p >/dev/null 2>&1 </dev/null || true
}
