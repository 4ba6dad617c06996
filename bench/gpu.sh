#!/usr/bin/env bash
# GPU figures in one go, for a machine with a CUDA GPU (the device tool's H100/H200, or your own):
# builds, runs the ONNX node conformance on CUDA, the CUDA unit tests, and `bench --model` for AlexNet-layout and
# ResNet-18 on cuda and cpu against ONNX Runtime, writing JSON and PNG under OUT (default bench/out).
# Usage: bench/gpu.sh [OUT]          Needs: dotnet 10 SDK, NVIDIA driver (CUDA runtime via ILGPU), no internet.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-bench/out}"
mkdir -p "$out"
log() { printf '\n== %s\n' "$*"; }

log "machine"
if ! nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$out/gpu.txt" 2>/dev/null; then
  echo "bench/gpu.sh: no NVIDIA GPU or driver here (nvidia-smi failed); run it on a CUDA machine, or use ./convlive bench --model M.onnx for the CPU" >&2
  exit 2
fi
cat "$out/gpu.txt"
nproc | tee -a "$out/gpu.txt"

log "build (Release)"
dotnet build ConvLive.sln -c Release -v quiet -nologo | tail -3
app=(dotnet src/ConvLive.App/bin/Release/net10.0/convlive.dll)

log "ONNX node conformance on CUDA"
"${app[@]}" conformance --device cuda > "$out/conformance-cuda.txt" 2>&1 || echo "conformance on cuda FAILED (see $out/conformance-cuda.txt)"
tail -1 "$out/conformance-cuda.txt"

log "CUDA unit tests"
dotnet test tests/ConvLive.Engine.Tests -c Release --no-build --filter "DisplayName~cuda" \
  --logger "console;verbosity=minimal" > "$out/tests-cuda.txt" 2>&1 || echo "CUDA tests FAILED (see $out/tests-cuda.txt)"
tail -3 "$out/tests-cuda.txt"

log "models"
models="$out/models"
mkdir -p "$models"
resnet=src/ConvLive.App/bin/Release/net10.0/models/resnet18/ResNet18Onnx/ResNet18.onnx
alexnet=""
for d in "${CONVLIVE_MODELS:-}" "${XDG_DATA_HOME:-$HOME/.local/share}/convlive/models" src/ConvLive.App/bin/Release/net10.0/models; do
  [[ -n "$d" && -f "$d/bvlcalexnet-12.onnx" ]] && { alexnet="$d/bvlcalexnet-12.onnx"; break; }
done
if [[ -z "$alexnet" || ! -f "$alexnet" ]]; then
  # Same architecture, shapes and cost with random weights (the pretrained file needs the internet).
  echo "AlexNet weights absent (no internet?): timing seeded AlexNets (torchvision and zoo layouts)"
  "${app[@]}" models seeded alexnet-tv --out "$models/alexnet-tv-seeded.onnx"
  "${app[@]}" models seeded alexnet-zoo --out "$models/alexnet-zoo-seeded.onnx"
  alexnet="$models/alexnet-tv-seeded.onnx $models/alexnet-zoo-seeded.onnx"
fi

# shellcheck disable=SC2086 # $alexnet is one or two paths without spaces
for m in "$resnet" $alexnet; do
  name="$(basename "$m" .onnx)"
  log "bench $name: cuda and cpu vs ONNX Runtime"
  "${app[@]}" bench --model "$m" --device cuda --device cpu --peers ort --runs 100 \
    --json "$out/bench-$name.json" --png "$out/bench-$name.png" | tee "$out/bench-$name.txt"
done

log "done: $out"
ls -l "$out"
