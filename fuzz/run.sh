#!/usr/bin/env bash
# Runs every fuzz target for SECONDS_PER_TARGET (default 600) seconds, two at a time (the
# machine has two cores), and writes each target's final libFuzzer statistics to logs/.
# cargo-fuzz needs nightly flags; on a stable toolchain RUSTC_BOOTSTRAP=1 enables them.
set -euo pipefail
cd "$(dirname "$0")"
secs=${SECONDS_PER_TARGET:-600}
mkdir -p logs
# The committed seeds start each corpus; the working corpus itself is not committed.
for dir in seeds/*/; do
  target=$(basename "$dir")
  mkdir -p "corpus/$target"
  cp -n "$dir"* "corpus/$target/"
done
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
run() {
  cargo fuzz run -O "$1" "corpus/$1" -- -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 >"logs/$1.log" 2>&1
  echo "$1: exit $? $(grep -E 'stat::number_of_executed_units' "logs/$1.log" | tail -1)"
}
targets=(verify_token claims_to_auth publishable_key request_headers redirect_url)
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[$i]}" &
  [ $((i + 1)) -lt ${#targets[@]} ] && run "${targets[$((i + 1))]}" &
  wait
done
