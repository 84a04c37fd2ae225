#!/usr/bin/env bash
# Runs each workload of ../shared/reference/benchmarks.md in SwiftGAN and in PyTorch, alternating,
# in one run, and prints their JSON lines plus the SwiftGAN / PyTorch ratio of images per second.
#   bench/compare.sh [rounds]      (needs: pip install torch numpy; python3 on PATH or $PYTHON)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
PYTHON=${PYTHON:-python3}
swift build -c release --product gan-bench >&2
BIN=.build/release/gan-bench
for spec in "dcgan28 64" "dcgan28 128" "mlpgan 100" "sample 1000"; do
  set -- $spec
  for r in $(seq "$rounds"); do
    s=$($BIN "$1" --batch "$2" --threads 2); echo "$s"
    p=$($PYTHON bench/pytorch_bench.py "$1" --batch "$2" --threads 2); echo "$p"
    $PYTHON - "$s" "$p" <<'PY'
import json, sys
s, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({"bench": s["bench"], "batch": s["batch"], "ratio_img_per_s": round(s["img_per_s"] / p["img_per_s"], 3),
                  "ratio_peak_rss": round(s["peak_rss_mb"] / p["peak_rss_mb"], 3)}))
PY
  done
done
