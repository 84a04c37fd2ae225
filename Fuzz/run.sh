#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of the hostile-input parsers.
#
#   Fuzz/run.sh [seconds] [targets...]
#
#   seconds  run time per target (default 60); targets run one after another
#   targets  any of: safetensors gzip idx png npy cifar (default: all)
#
# Environment: FUZZ_NICE (niceness, default 10), FUZZ_TIMEOUT (seconds per input, default 10),
# FUZZ_BUILD_ONLY=1 (build the binaries, run nothing).
#
# GANTensor and GANData are compiled with swiftc (not SwiftPM) as static libraries instrumented for
# libFuzzer and AddressSanitizer; each Fuzz/<target>.swift is linked against them. Everything goes
# to .build-fuzz/ (git-ignored):
#   modules/   the instrumented modules        bin/<target>        the fuzzer binaries
#   corpus/<target>/   the growing corpus      artifacts/<target>/ crash-, oom-, timeout- inputs
#   logs/<target>.log  libFuzzer's output      summary.tsv         one line per run
# Seeds come from Fuzz/seeds/<target>/ (python3 Fuzz/make_seeds.py rewrites them), dictionaries
# from Fuzz/dicts/<target>.dict.
#
# To reproduce a crash: .build-fuzz/bin/<target> .build-fuzz/artifacts/<target>/crash-…
# To minimise it:       .build-fuzz/bin/<target> -minimize_crash=1 -runs=10000 crash-…
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
ALL_TARGETS=(safetensors gzip idx png npy cifar)

SECONDS_PER_TARGET=${1:-60}
if [[ $# -gt 0 ]]; then shift; fi
if ! [[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]]; then
    echo "usage: Fuzz/run.sh [seconds] [targets...]   (targets: ${ALL_TARGETS[*]})" >&2
    exit 2
fi
TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then TARGETS=("${ALL_TARGETS[@]}"); fi
for t in "${TARGETS[@]}"; do
    if [[ ! -f Fuzz/$t.swift ]]; then
        echo "run.sh: unknown target '$t' (no Fuzz/$t.swift); targets: ${ALL_TARGETS[*]}" >&2
        exit 2
    fi
done

NICE=${FUZZ_NICE:-10}
# Swift's own crash backtracer reads memory in ways AddressSanitizer reports; let libFuzzer report traps.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
PER_INPUT_TIMEOUT=${FUZZ_TIMEOUT:-10}
OUT=$ROOT/.build-fuzz
MODULES=$OUT/modules
mkdir -p "$MODULES" "$OUT/bin" "$OUT/logs"

SWIFTC=${SWIFTC:-swiftc}
OPENBLAS_INCLUDE=/usr/include/x86_64-linux-gnu/openblas-pthread
OPENBLAS_LIB=/usr/lib/x86_64-linux-gnu/openblas-pthread
FLAGS=(-sanitize=fuzzer,address -parse-as-library -O -g -swift-version 5
       -I "$MODULES" -I Sources/CZlib -I Sources/CBLAS -Xcc "-I$OPENBLAS_INCLUDE")
LINK=(-L"$OPENBLAS_LIB" -lopenblas -lz)

# Builds module $1 from Sources/$1/*.swift unless the library is newer than every source.
build_module() {
    local name=$1 lib=$MODULES/lib$1.a
    if [[ -f $lib && -z $(find "Sources/$name" "$0" -newer "$lib" -print -quit) && ( $name == GANTensor || $MODULES/libGANTensor.a -ot $lib ) ]]; then
        return 0
    fi
    echo "== building $name (instrumented)"
    if ! nice -n "$NICE" "$SWIFTC" "${FLAGS[@]}" -module-name "$name" -emit-module \
            -emit-module-path "$MODULES/$name.swiftmodule" -emit-library -static -o "$lib" \
            Sources/"$name"/*.swift >"$OUT/logs/build-$name.log" 2>&1; then
        grep -E "error:" "$OUT/logs/build-$name.log" | head -20 >&2
        echo "run.sh: building $name failed; see $OUT/logs/build-$name.log" >&2
        exit 1
    fi
}

build_target() {
    local t=$1 bin=$OUT/bin/$1
    if [[ -x $bin && Fuzz/$t.swift -ot $bin && $MODULES/libGANData.a -ot $bin && $MODULES/libGANTensor.a -ot $bin ]]; then
        return 0
    fi
    echo "== building fuzzer $t"
    local libs=("$MODULES/libGANData.a" "$MODULES/libGANTensor.a")
    if ! nice -n "$NICE" "$SWIFTC" "${FLAGS[@]}" "Fuzz/$t.swift" "${libs[@]}" "${LINK[@]}" -o "$bin" \
            >"$OUT/logs/build-$t.log" 2>&1; then
        grep -E "error" "$OUT/logs/build-$t.log" | head -20 >&2
        echo "run.sh: building fuzzer $t failed; see $OUT/logs/build-$t.log" >&2
        exit 1
    fi
}

build_module GANTensor
build_module GANData
for t in "${TARGETS[@]}"; do build_target "$t"; done
if [[ ${FUZZ_BUILD_ONLY:-0} == 1 ]]; then exit 0; fi

ROWS=()
for t in "${TARGETS[@]}"; do
    corpus=$OUT/corpus/$t
    artifacts=$OUT/artifacts/$t
    log=$OUT/logs/$t.log
    mkdir -p "$corpus" "$artifacts"
    before=$(find "$artifacts" -type f | wc -l)
    args=(-max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -malloc_limit_mb=2048
          -timeout="$PER_INPUT_TIMEOUT" -print_final_stats=1 -artifact_prefix="$artifacts/")
    if [[ -f Fuzz/dicts/$t.dict ]]; then args+=(-dict="Fuzz/dicts/$t.dict"); fi
    seeds=()
    if [[ -d Fuzz/seeds/$t ]]; then seeds=("Fuzz/seeds/$t"); fi
    echo "== fuzzing $t for ${SECONDS_PER_TARGET}s (log: $log)"
    start=$(date +%s)
    nice -n "$NICE" "$OUT/bin/$t" "${args[@]}" "$corpus" "${seeds[@]}" >"$log" 2>&1
    status=$?
    duration=$(( $(date +%s) - start ))
    execs=$(grep -Eo 'stat::number_of_executed_(units|runs): *[0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')
    if [[ -z $execs ]]; then
        # libFuzzer died before printing its final stats: take the last progress line.
        execs=$(grep -Eo '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    fi
    crashes=$(( $(find "$artifacts" -type f | wc -l) - before ))
    if [[ $status -ne 0 && $crashes -eq 0 ]]; then crashes="? (exit $status)"; fi
    corpus_size=$(find "$corpus" -type f | wc -l)
    ROWS+=("$t|$duration|${execs:-0}|$crashes|$corpus_size")
    printf '%s\t%s\t%ss\t%s execs\t%s crashes\t%s corpus files\n' \
        "$(date -u +%FT%TZ)" "$t" "$duration" "${execs:-0}" "$crashes" "$corpus_size" >>"$OUT/summary.tsv"
    if [[ $crashes != 0 ]]; then
        grep -E 'ERROR: |Fatal error|SUMMARY|artifact_prefix|Test unit written' "$log" | head -8
    fi
done

echo
printf '%-12s %9s %14s %8s %8s\n' target duration executions crashes corpus
for row in "${ROWS[@]}"; do
    IFS='|' read -r t d e c s <<<"$row"
    printf '%-12s %8ss %14s %8s %8s\n' "$t" "$d" "$e" "$c" "$s"
done
