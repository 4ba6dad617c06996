#!/usr/bin/env bash
# Everything at once, for a long time: AlexNet (torchvision layout, full size, seeded weights) live on the synthetic
# scene with Grad-CAM on every frame, conv5's top-9 grids filling, the window recorded, and a training run on the
# stored samples started every TRAIN_EVERY seconds, for SECONDS; resident memory, managed heap, GL objects and
# device buffers sampled every SAMPLE seconds. Then checks: resources flat after warm-up, the display at its rate,
# the recording playable to its last frame, every training run finished and exported.
#   scripts/soak.sh [SECONDS=1200] [TRAIN_EVERY=120] [SAMPLE=10]      (CI runs a short version through the tests)
# Writes OUT (default .build/soak) with stats.json, soak.mp4, the log, and prints the figures; exit 1 when a check fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-1200}" train_every="${2:-120}" sample="${3:-10}"
out="${SOAK_OUT:-$root/.build/soak}"
rm -rf "$out"
mkdir -p "$out/models" "$out/samples"
export CONVLIVE_MODELS="$out/models"
# CONVLIVE_DLL: a build to run instead of ./convlive (the tests pass their own, so nothing is rebuilt beside them).
cl() { if [ -n "${CONVLIVE_DLL:-}" ]; then dotnet "$CONVLIVE_DLL" "$@"; else "$root/convlive" "$@"; fi; }

cl models seeded alexnet-tv --out "$out/models/alexnet-torchvision.onnx" --seed 7 >/dev/null
/usr/bin/python3 - "$out/samples" <<'PY'
import sys, os, numpy as np, cv2
rng = np.random.default_rng(3)
for name, draw in [("circle", lambda im, c: cv2.circle(im, c, 40, (40, 200, 255), -1)),
                   ("square", lambda im, c: cv2.rectangle(im, (c[0] - 35, c[1] - 35), (c[0] + 35, c[1] + 35), (255, 120, 40), -1)),
                   ("stripes", lambda im, c: [cv2.line(im, (x, 0), (x, 239), (230, 230, 230), 6) for x in range(c[0] % 24, 320, 24)])]:
    os.makedirs(os.path.join(sys.argv[1], name), exist_ok=True)
    for i in range(8):
        im = (rng.random((240, 320, 3)) * 60).astype(np.uint8)
        draw(im, (int(rng.integers(60, 260)), int(rng.integers(60, 180))))
        cv2.imwrite(os.path.join(sys.argv[1], name, f"{i}.png"), im)
PY

echo "soak: ${seconds} s, a training run every ${train_every} s, resources every ${sample} s, in $out"
cl live --model alexnet-torchvision --source synthetic --device cpu --headless --size 1280x720 \
  --duration "$seconds" --sample-every "$sample" --sample-gc --train-every "$train_every" --samples "$out/samples" \
  --explain gradcam --select conv5:0 --record "$out/soak.mp4" --stats "$out/stats.json" >"$out/log.txt" 2>&1 \
  || { tail -n 20 "$out/log.txt"; echo "soak: convlive failed" >&2; exit 1; }
tail -n 3 "$out/log.txt"

frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of default=nw=1:nk=1 "$out/soak.mp4" 2>/dev/null || echo 0)
/usr/bin/python3 - "$out/stats.json" "$seconds" "$train_every" "${frames:-0}" <<'PY'
import json, sys
stats = json.load(open(sys.argv[1])); seconds = float(sys.argv[2]); every = float(sys.argv[3]); probed = int(sys.argv[4])
res = stats["resources"]
failures = []
def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok: failures.append(what)
mb = lambda b: b / 1048576
warm = next((r for r in res if r["seconds"] >= min(60, seconds / 3)), res[0])
last = res[-1]
print(f"{'seconds':>8} {'RSS MB':>8} {'heap MB':>8} {'GL obj':>7} {'dev buf':>8} {'dev MB':>7} {'frames':>8}")
for r in [res[0], warm] + res[len(res) // 2: len(res) // 2 + 1] + [last]:
    print(f"{r['seconds']:8.0f} {mb(r['workingSetBytes']):8.1f} {mb(r['managedHeapBytes']):8.1f} {r['glObjects']:7d} {r['deviceBuffers']:8d} {mb(r['deviceBytes']):7.1f} {r['framesRendered']:8d}")
# Flat: after warm-up the run is cut in two halves; the second's resident peak and managed-heap floor may not rise
# over the first's by more than a little (a leak grows through both). --sample-gc makes each heap figure what is live
# after a full collection: without it a short run once read an exported model's dead arrays (144 MB) as growth.
after = res[res.index(warm):]
first, second = after[: len(after) // 2] or after, after[len(after) // 2:] or after
rss = lambda part: max(mb(r["workingSetBytes"]) for r in part)
heap = lambda part: min(mb(r["managedHeapBytes"]) for r in part)
check(rss(second) - rss(first) < 150, f"resident memory after warm-up, peak: {rss(first):.0f} MB in the first half, {rss(second):.0f} MB in the second")
check(heap(second) - heap(first) < 100, f"managed heap after warm-up, floor: {heap(first):.0f} MB in the first half, {heap(second):.0f} MB in the second")
check(last["glObjects"] <= warm["glObjects"] + 2, f"GL objects: {warm['glObjects']} -> {last['glObjects']}")
check(last["deviceBuffers"] <= warm["deviceBuffers"] + 8, f"device buffers: {warm['deviceBuffers']} -> {last['deviceBuffers']} ({mb(warm['deviceBytes']):.0f} -> {mb(last['deviceBytes']):.0f} MB)")
display = stats.get("displayFps", 0); inference = stats.get("inferenceFps", 0)
check(display >= 30, f"display {display:.1f} fps, inference {inference:.1f} a second")
rec = stats.get("recording") or {}
check(rec.get("error") is None and probed > 0 and probed == rec.get("frames"), f"recording: {rec.get('frames')} frames written ({rec.get('dropped')} dropped), {probed} decoded by ffprobe, error {rec.get('error')}")
check(stats.get("explain") == "gradcam" and (stats.get("stageMsP50", {}).get("explain") or 0) > 0, f"Grad-CAM on the frames: {stats.get('explain')}, {stats.get('stageMsP50', {}).get('explain')} ms median")
runs = stats.get("trainingRuns", {})
expected = max(1, int(seconds // every) - 1)  # a run still going when its time comes delays the next
check(runs.get("started", 0) >= expected and runs.get("finished", 0) >= runs.get("started", 0) - 1 and runs.get("exportFailed", 1) == 0 and runs.get("exported", 0) >= runs.get("finished", 0) - 1,
      f"training runs: {runs.get('started')} started (>= {expected}), {runs.get('finished')} finished, {runs.get('exported')} exported, {runs.get('exportFailed')} failed")
sys.exit(1 if failures else 0)
PY
