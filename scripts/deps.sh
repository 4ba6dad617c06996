# Sourced by ./convlive and ./test.sh: checks the .NET SDK and installs the Debian packages ConvLive needs
# when they are missing (apt-get as root, or through sudo). Prints what to do when it cannot.

CONVLIVE_RUNTIME_PACKAGES=(libglfw3 libgtk-3-0 libgl1-mesa-dri libegl1 libegl-mesa0 libopenblas0-pthread fonts-dejavu-core)
CONVLIVE_TEST_PACKAGES=(xvfb xauth xdotool libonnx-testdata python3-torch python3-onnx python3-opencv ffmpeg)
# Wine runs the Windows build in the tests; where it cannot be installed (arm64, no apt) those tests skip.
CONVLIVE_OPTIONAL_TEST_PACKAGES=(wine64 wine)

convlive_require_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "error: the .NET 10 SDK is not installed (no 'dotnet' on PATH)." >&2
    echo "       Install it from Microsoft's package feed or with dotnet-install.sh (https://dot.net), then re-run." >&2
    exit 1
  fi
  if ! dotnet --list-sdks 2>/dev/null | grep -q '^10\.'; then
    echo "error: ConvLive needs the .NET 10 SDK; 'dotnet --list-sdks' shows: $(dotnet --list-sdks | tr '\n' ' ')" >&2
    exit 1
  fi
}

# convlive_ensure_packages PKG...: installs the packages dpkg does not list as installed.
convlive_ensure_packages() {
  command -v dpkg-query >/dev/null 2>&1 || return 0   # not Debian/Ubuntu: the README lists what to install
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}" >&2
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "error: missing packages ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq >/dev/null || { echo "error: apt-get update failed; install by hand: apt-get install ${missing[*]}" >&2; exit 1; }
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "error: apt-get install ${missing[*]} failed" >&2; exit 1; }
}
