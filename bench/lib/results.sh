# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Machine-readable benchmark results (sourced). bench/run sets BENCH_RESULTS to
# a file and reads it back for its summary table (bench/lib/summary.py); run
# alone, a benchmark only prints its own table.
# Usage: bench_result KEY VALUE UNIT   (one tab-separated line per figure)
bench_result() {
    [ -n "${BENCH_RESULTS:-}" ] || return 0
    printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$BENCH_RESULTS"
}
