#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs one libFuzzer target for a while and prints one result line:
#   NAME: S s, N execs (E/s), cov C, ft F, corpus A -> B, findings K
# (cov = code edges reached, ft = libFuzzer's finer coverage features, corpus = inputs
# kept from the seeds and the work corpus, those adding coverage -> inputs at the end).
# A finding (sanitizer report, crash, broken invariant, timeout, leak) prints libFuzzer's
# whole log, the saved input and how to reproduce it, and exits 1.
#
# Usage: run_fuzz.sh [--corpus DIR] [--artifacts DIR] BINARY SEED_DIR SECONDS [FLAG...]
#   --corpus DIR     work corpus that new inputs are added to and kept in (default: a
#                    temporary directory, removed at the end); SEED_DIR is only read
#   --artifacts DIR  where a finding's input is saved (default: the current directory)
#   FLAG...          more libFuzzer flags, e.g. -max_len=64 -seed=1
set -uo pipefail

corpus=""
artifacts="."
while [ $# -gt 0 ]; do
    case "$1" in
        --corpus) corpus=$2; shift 2 ;;
        --artifacts) artifacts=$2; shift 2 ;;
        *) break ;;
    esac
done
if [ $# -lt 3 ]; then
    echo "usage: $0 [--corpus DIR] [--artifacts DIR] BINARY SEED_DIR SECONDS [FLAG...]" >&2
    exit 2
fi
bin=$1 seeds=$2 secs=$3
shift 3
name=$(basename "$bin")

tmp=$(mktemp -d "/tmp/colatrl-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ -z "$corpus" ]; then
    corpus="$tmp/corpus"
fi
mkdir -p "$corpus" "$artifacts"
log="$tmp/log"

# libFuzzer's own exit status for a finding is 77, which meson reads as SKIP: map every
# finding to 1. -timeout: one input running longer than 10 s is a hang, a finding too.
"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -error_exitcode=1 -timeout_exitcode=1 -artifact_prefix="$artifacts/$name-" \
    "$@" "$corpus" "$seeds" >"$log" 2>&1
rc=$?

final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
# "#123 INITED cov: 45 ft: 67 corp: 8/120b ..." and the same for DONE (or the last pulse).
field() { # LINE-PATTERN FIELD
    grep -E "^#[0-9]+[[:space:]]+$1" "$log" | tail -n 1 | sed -n "s/.* $2: \([0-9]*\).*/\1/p"
}
execs=$(final_stat number_of_executed_units)
rate=$(final_stat average_exec_per_sec)
cov=$(field 'DONE|pulse|NEW|REDUCE' cov)
ft=$(field 'DONE|pulse|NEW|REDUCE' ft)
corp0=$(grep -E '^#[0-9]+[[:space:]]+INITED' "$log" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' | tail -n 1)
corp1=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
found=$(grep -c 'Test unit written to' "$log")
if [ "$rc" -ne 0 ] && [ "$found" -eq 0 ]; then
    found=1 # e.g. killed by a sanitizer before libFuzzer could save the input
fi
line="$name: $secs s, ${execs:-?} execs (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp0:-?} -> ${corp1:-${corp0:-?}}, findings $found"

if [ "$found" -ne 0 ]; then
    cat "$log"
    echo "----"
    grep 'Test unit written to' "$log" | sed 's/.*Test unit written to //' | while read -r unit; do
        echo "saved input: $unit ($(stat -c %s "$unit" 2>/dev/null) bytes)"
        od -A d -t x1 "$unit" | head -n 20
        echo "reproduce: $bin $unit"
    done
    echo "$line"
    exit 1
fi
echo "$line"
