#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Long libFuzzer runs of the fuzz targets (tests/fuzz/), one after the other, from the
# ASan+UBSan build (scripts/build san), with a random seed and a work corpus that is
# kept between runs (build-san/fuzz-corpus/TARGET: each run starts where the last one
# stopped). Prints a table: execs, exec/s, coverage, corpus growth, findings. A finding's
# input is saved in build-san/fuzz-artifacts/ and printed with how to reproduce it.
#
# Usage: bench/fuzz_long.sh [TARGET|all] [SECONDS]   (default: all, 600 s each)
#   TARGET: fuzz_pref64_option, fuzz_dns64_answer, fuzz_config (or without "fuzz_")
# Env:   COLATRL_SAN_BUILDDIR (default ./build-san)
# Inputs worth keeping as seeds can be folded into the tree's corpus, minimized:
#   build-san/tests/fuzz/TARGET -merge=1 tests/fuzz/corpus/NAME build-san/fuzz-corpus/TARGET
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
which=${1:-all}
secs=${2:-600}
sandir=${COLATRL_SAN_BUILDDIR:-build-san}
scripts/deps test || exit 1
scripts/build san >/dev/null || { echo "sanitizer build failed (scripts/build san)" >&2; exit 1; }

# The short runs' commands (tests/fuzz/meson.build) are the one list of targets and flags.
# One line per target: NAME, then the command, tab-separated.
mapfile -t runs < <(meson introspect --tests "$sandir" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if any(s.split(":")[-1] == "fuzz" for s in t["suite"]):
        print("\t".join([t["name"]] + t["cmd"]))')
[ ${#runs[@]} -gt 0 ] || { echo "no fuzz targets in $sandir (-Dfuzzing=enabled?)" >&2; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1}
symbolizer=$(command -v llvm-symbolizer-19 || command -v llvm-symbolizer || true)
[ -z "$symbolizer" ] || export ASAN_SYMBOLIZER_PATH="$symbolizer"

results=()
status=0
ran=0
for run in "${runs[@]}"; do
    IFS=$'\t' read -r -a cmd <<<"$run"
    name=${cmd[0]}
    [ "$which" = all ] || [ "$which" = "$name" ] || [ "fuzz_$which" = "$name" ] || continue
    ran=1
    # NAME run_fuzz.sh --artifacts DIR BINARY SEEDS SECONDS -seed=1 FLAGS...
    script=${cmd[1]} bin=${cmd[4]} seeds=${cmd[5]}
    [[ $bin == /* ]] || bin="$sandir/$bin" # meson runs tests in the build directory
    flags=()
    for f in "${cmd[@]:7}"; do
        case "$f" in -seed=*) ;; *) flags+=("$f") ;; esac
    done
    corpus="$sandir/fuzz-corpus/$name"
    mkdir -p "$corpus"
    echo "== $name: $secs s (work corpus $corpus, $(find "$corpus" -type f | wc -l) inputs)" >&2
    out=$("$script" --corpus "$corpus" --artifacts "$sandir/fuzz-artifacts" "$bin" "$seeds" \
        "$secs" -seed=0 "${flags[@]}")
    rc=$?
    [ $rc -eq 0 ] || { printf '%s\n' "$out"; status=1; }
    results+=("$(printf '%s\n' "$out" | tail -n 1)")
done
[ $ran -eq 1 ] || { echo "unknown target '$which' (have: ${runs[*]%%$'\t'*})" >&2; exit 2; }

echo
printf '%-20s %8s %12s %9s %6s %7s %16s %8s\n' target seconds execs "exec/s" cov ft corpus findings
for r in "${results[@]}"; do
    # "NAME: S s, N execs (E/s), cov C, ft F, corpus A -> B, findings K"
    sed -E 's/^([^:]+): ([0-9]+) s, ([^ ]+) execs \(([^/]+)\/s\), cov ([^,]+), ft ([^,]+), corpus ([^ ]+) -> ([^,]+), findings (.*)$/\1 \2 \3 \4 \5 \6 \7->\8 \9/' <<<"$r" |
        awk '{printf "%-20s %8s %12s %9s %6s %7s %16s %8s\n", $1, $2, $3, $4, $5, $6, $7, $8}'
done
exit $status
