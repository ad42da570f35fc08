#!/usr/bin/env bash
# End-to-end benchmark over HTTP on loopback: one bench_server, three routes, the same token.
#   /open       no authentication
#   /protected  ClerkLayer + #[protect(permission = "org:team_settings:manage")]
#   /hand       ClerkLayer + the same rule written with the runtime API
# Requires wrk (Debian package `wrk`). Bounded: DURATION seconds per route (default 10).
# Usage: benches/e2e.sh   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")"
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build -q --release --bin bench_server
out=$(mktemp)
./target/release/bench_server 0 >"$out" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q listening= "$out" && break; sleep 0.1; done
token=$(sed -n 's/^token=//p' "$out")
addr=$(sed -n 's/^listening=//p' "$out")
run() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $token" "http://$addr$1" |
    awk -v route="$1" '
      /Requests\/sec/ {rps=$2}
      /^ +50%/ {p50=$2}
      /^ +99%/ {p99=$2}
      /Non-2xx/ {bad=$NF}
      END {printf "%s %s %s %s %s\n", route, rps, p50, p99, (bad==""?0:bad)}'
}
# Warm-up (connection pools, JWKS already prefetched by the server), then the three routes.
wrk -t1 -c8 -d2s -H "Authorization: Bearer $token" "http://$addr/protected" >/dev/null
results=$(for route in /open /protected /hand; do run "$route"; done)
echo "route        req/s      p50       p99    non-2xx"
echo "$results" | awk '{printf "%-10s %10s %9s %9s %8s\n", $1, $2, $3, $4, $5}'
echo "$results" | awk '
  {rps[$1]=$2}
  END {
    printf "protected / open = %.3f\n", rps["/protected"]/rps["/open"];
    printf "protected / hand = %.3f\n", rps["/protected"]/rps["/hand"];
  }'
