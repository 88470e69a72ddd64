#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The BPF packet fuzzing of the test command (tests/bpf/test_fuzz.cpp, meson test
# bpf_fuzz) at bench scale: 10 million packets by default through the four tc
# programs, with a fresh random seed unless one is given. Prints the seed, the
# packets per program, pass/drop/translated, the run time and the findings; a
# finding's packet is printed in hex, and the same seed reproduces the run.
#
# Usage: bench/bpf_fuzz_long.sh [PACKETS] [SEED]    (as root)
# Env:   COLATRL_BUILD_DIR (default ./build)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
packets=${1:-10000000}
seed=${2:-$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')}
build=${COLATRL_BUILD_DIR:-$PWD/build}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
bin=$build/tests/bpf/bpf_packet_tests
[ -x "$bin" ] || { echo "missing $bin (scripts/build)" >&2; exit 1; }

start=$(date +%s%N)
out=$(COLATRL_FUZZ_SEED=$seed COLATRL_FUZZ_PACKETS=$packets "$bin" '[fuzz]' 2>&1)
rc=$?
end=$(date +%s%N)
grep -E '^(bpf fuzz|FINDING)' <<<"$out"
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -n 40
summary=$(grep '^bpf fuzz: [0-9]* packets' <<<"$out")
findings=$(sed -nE 's/.*; ([0-9]+) findings$/\1/p' <<<"$summary")
printf '\n%-12s %-22s %-10s %-10s\n' packets seed seconds findings
ms=$(((end - start) / 1000000))
printf '%-12s %-22s %-10s %-10s\n' "$packets" "$seed" "$((ms / 1000)).$((ms % 1000 / 100))" \
    "${findings:-?}"
exit $rc
