#!/usr/bin/env bash
# Instructions per request of /open, /protected and /hand on bench_server (and, for a visitor
# without a session, of /open and /public with no token), counted with callgrind
# (valgrind): repeatable whatever else the machine does, unlike wall-clock throughput. N keep-alive
# requests per route (default 2000) from a small Python client; the counts include everything the
# server does for a request (hyper, axum, ours) across its threads.
# CARRIER=cookie sends the token as a browser does, in `__session` among other cookies (with
# `__client_uat`), instead of `Authorization: Bearer`; CARRIER=production-cookies gives the
# instance a production publishable key and sends both cookie flavours, as a browser in front of a
# deployed Clerk app does (see e2e.sh).
# Usage: benches/instructions.sh   (from the repository root; needs valgrind and python3)
set -euo pipefail
cd "$(dirname "$0")"
N=${N:-2000}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
cargo build -q --release --bin bench_server
dir=${CALLGRIND_DIR:-$(mktemp -d)}  # CALLGRIND_DIR keeps the profiles for callgrind_annotate
case "${CARRIER:=bearer}" in
  bearer | cookie | production-cookies) ;;
  *) echo "CARRIER must be bearer, cookie or production-cookies" >&2; exit 1 ;;
esac
BENCH_PUBLISHABLE_KEY=$([ "$CARRIER" = production-cookies ] && echo 1 || echo 0) \
  valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out.%p" ./target/release/bench_server 0 \
  >"$dir/server.out" 2>"$dir/valgrind.err" &
vg=$!
trap 'kill $vg 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do grep -q outer_listening= "$dir/server.out" 2>/dev/null && break; sleep 0.2; done
token=$(sed -n 's/^token=//p' "$dir/server.out")
addr=$(sed -n 's/^listening=//p' "$dir/server.out")
outer=$(sed -n 's/^outer_listening=//p' "$dir/server.out")
sfx=$(sed -n 's/^cookie_suffix=//p' "$dir/server.out")
drive() { # drive <path> <count> [address]
  python3 - "${3:-$addr}" "$1" "$2" "$token" "$CARRIER" "$sfx" <<'PY'
import http.client, sys
host, port = sys.argv[1].split(':')
conn = http.client.HTTPConnection(host, int(port))
token, sfx = sys.argv[4], sys.argv[6]
if sys.argv[5] == 'cookie':
    headers = {'Cookie': '_ga=GA1.2.3; theme=dark; __client_uat=1; __session=' + token + '; other=1'}
elif sys.argv[5] == 'production-cookies':
    headers = {'Cookie': f'_ga=GA1.2.3; theme=dark; __client_uat=1; __client_uat_{sfx}=1; '
                         f'__session={token}; __session_{sfx}={token}; other=1'}
elif sys.argv[5] == 'none':
    headers = {}
else:
    headers = {'Authorization': 'Bearer ' + sys.argv[4]}
for _ in range(int(sys.argv[3])):
    conn.request('GET', sys.argv[2], headers=headers)
    response = conn.getresponse()
    response.read()
    assert response.status == 200, response.status
PY
}
drive /protected 200 && drive /open 200 && drive /protected 200 "$outer" # warm-up
CARRIER=none drive /public 200 && CARRIER=none drive /public 200 "$outer"
routes="open layered protected hand outer-protected open-anonymous public-anonymous outer-public-anonymous"
for route in $routes; do
  callgrind_control -z "$vg" >/dev/null
  case "$route" in
    outer-protected) drive /protected "$N" "$outer" ;;
    # A visitor without a session: no token at all, on /open and on the public route behind
    # `ClerkLayer` (signed out, with Clerk's debug headers).
    open-anonymous) CARRIER=none drive /open "$N" ;;
    public-anonymous) CARRIER=none drive /public "$N" ;;
    outer-public-anonymous) CARRIER=none drive /public "$N" "$outer" ;;
    *) drive "/$route" "$N" ;;
  esac
  callgrind_control -d "$route" "$vg" >/dev/null
done
echo "route                      instructions/request"
i=0
for route in $routes; do
  i=$((i + 1))
  total=$(callgrind_annotate "$dir"/callgrind.out.*."$i" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  label=/$route
  case "$route" in *-anonymous) label="/${route%-anonymous} (no token)" ;; esac
  printf "%-26s %10d\n" "$label" $((total / N))
done
