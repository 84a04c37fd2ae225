#!/usr/bin/env bash
# Runs each workload of ../shared/reference/benchmarks.md in SwiftGAN (gan-bench) and in PyTorch
# (bench/pytorch_bench.py), alternating, in one run, with the same thread count, and prints
# their JSON lines, then one summary line per workload: medians over the rounds, the ratio
# SwiftGAN / PyTorch of images per second and of peak memory, the memory the steps add to the
# loaded process on each side, heap allocations per iteration of each and the KiB they asked
# for (counted by bench/malloc_count.c, preloaded into both), and for dcgan28 the step's
# effective GFLOP/s as a fraction of the sgemm ceiling measured in the same run: each round's
# step against the mean of the sgemm measured just before and just after it, median over the
# rounds, and each round's fraction; each round's speed ratio; and PyTorch's own 1024³ torch.mm
# beside each PyTorch dcgan28 round, an outside view of the ceiling. Odd rounds run SwiftGAN
# first, even rounds PyTorch. Each side restarts its peak-RSS mark after loading, so what the
# steps add is measured apart from the loading peak (peak_rss_mb is still the whole process's).
#   bench/compare.sh [rounds]    (needs PyTorch: pip install torch numpy; python3 on PATH or $PYTHON;
#                                 THREADS=2 by default; OpenBLAS honours OPENBLAS_CORETYPE)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
PYTHON=${PYTHON:-python3}
THREADS=${THREADS:-2}
swift build -c release --product gan-bench >&2
BIN=.build/release/gan-bench
COUNTER=.build/malloc_count.so
cc -O2 -shared -fPIC -o "$COUNTER" bench/malloc_count.c
export LD_PRELOAD="$PWD/$COUNTER"
log=$(mktemp)
swiftgan_round() {
  # The sgemm ceiling is measured on both sides of every SwiftGAN dcgan28 round (the
  # machine's speed drifts over a run; one measurement at the start made the fraction depend
  # on when it ran, and one just before a round read anywhere from 200 to 380 GFLOP/s).
  if [ "$1" = dcgan28 ]; then $BIN sgemm --threads "$THREADS" | tee -a "$log"; fi
  $BIN "$1" --batch "$2" --threads "$THREADS" | tee -a "$log"
  if [ "$1" = dcgan28 ]; then $BIN sgemm --threads "$THREADS" | tee -a "$log"; fi
}
pytorch_round() {
  $PYTHON bench/pytorch_bench.py "$1" --batch "$2" --threads "$THREADS" | tee -a "$log"
  # PyTorch's own 1024³ product, an outside view of the ceiling the fraction divides by.
  if [ "$1" = dcgan28 ]; then $PYTHON bench/pytorch_bench.py sgemm --threads "$THREADS" | tee -a "$log"; fi
}
for spec in "dcgan28 64" "dcgan28 128" "mlpgan 100" "sample 1000"; do
  set -- $spec
  for r in $(seq "$rounds"); do
    # Odd rounds start with SwiftGAN, even rounds with PyTorch, so neither always runs first.
    if [ $((r % 2)) = 1 ]; then swiftgan_round "$1" "$2"; pytorch_round "$1" "$2"
    else pytorch_round "$1" "$2"; swiftgan_round "$1" "$2"; fi
  done
done
unset LD_PRELOAD
$PYTHON - "$log" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
# Each SwiftGAN dcgan28 round with the sgemm ceiling measured on either side of it (their mean):
# the machine's speed drifts by a fifth within minutes, so a fraction of two medians taken at
# different times would measure the drift.
ceilings = [q for q in rows if q["bench"] == "sgemm" and q.get("impl") != "pytorch"]
for i, r in enumerate(rows):
    if r["bench"] == "dcgan28" and r.get("impl") == "swiftgan":
        before = [q["gflop_per_s"] for q in rows[:i] if q in ceilings][-1:]
        after = [q["gflop_per_s"] for q in rows[i + 1:] if q in ceilings][:1]
        assert before and after, "a dcgan28 round without sgemm measurements on both sides"
        r["ceiling"] = (before[0] + after[0]) / 2
def med(rs, key):
    v = [r[key] for r in rs if r.get(key) is not None]
    return round(statistics.median(v), 1) if v else None
for bench, batch in dict.fromkeys((r["bench"], r["batch"]) for r in rows if r["bench"] != "sgemm"):
    s = [r for r in rows if (r["bench"], r.get("batch"), r.get("impl")) == (bench, batch, "swiftgan")]
    p = [r for r in rows if (r["bench"], r.get("batch"), r.get("impl")) == (bench, batch, "pytorch")]
    out = {"bench": bench, "batch": batch, "summary": True,
           "swiftgan_img_per_s": med(s, "img_per_s"), "pytorch_img_per_s": med(p, "img_per_s"),
           "ratio_img_per_s": round(med(s, "img_per_s") / med(p, "img_per_s"), 3),
           "ratio_peak_rss": round(med(s, "peak_rss_mb") / med(p, "peak_rss_mb"), 3),
           # What the steps add to the resident size of the loaded process (model and data in
           # memory, before the first step): PyTorch's import alone holds hundreds of MB.
           "swiftgan_step_rss_mb": med(s, "step_rss_mb"), "pytorch_step_rss_mb": med(p, "step_rss_mb"),
           "swiftgan_allocs_per_iter": med(s, "allocs_per_iter"), "pytorch_allocs_per_iter": med(p, "allocs_per_iter"),
           "swiftgan_alloc_kib_per_iter": med(s, "alloc_kib_per_iter"), "pytorch_alloc_kib_per_iter": med(p, "alloc_kib_per_iter")}
    # Each round's ratio (round r of one side against round r of the other), in order.
    out["ratio_rounds"] = [round(x["img_per_s"] / y["img_per_s"], 3) for x, y in zip(s, p)]
    if bench == "dcgan28":
        out["sgemm_gflop_per_s"] = med(s, "ceiling")
        out["pytorch_sgemm_gflop_per_s"] = med([q for q in rows if q["bench"] == "sgemm" and q.get("impl") == "pytorch"], "gflop_per_s")
        fractions = [r["gflop_per_s"] / r["ceiling"] for r in s]
        out["fraction_of_sgemm"] = round(statistics.median(fractions), 3)
        # Every round's, in order: the target asks for 70% in each, not only in the median.
        out["fraction_of_sgemm_rounds"] = [round(f, 3) for f in fractions]
    print(json.dumps(out))
PY
rm -f "$log"
