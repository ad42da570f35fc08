#!/usr/bin/env bash
# End-to-end benchmark over HTTP on loopback: one bench_server, the same token everywhere.
#   /open                  no authentication
#   /layered               no authentication, behind a layer that does nothing (what any layer costs)
#   /protected             ClerkLayer + #[protect(permission = "org:team_settings:manage")]
#   /hand                  ClerkLayer + the same rule written with the runtime API
#   /outer-protected       the same /protected handler, with ClerkLayer around the whole Router
#                          (a second listener of bench_server) instead of Router::layer
#   /peer/clerk-rs         clerk-rs 0.5's axum ClerkLayer (bearer token required)
#   /peer/jwt-authorizer   jwt-authorizer 0.15's check_auth in an axum middleware
#   node @clerk/backend    Clerk's authenticateRequest behind node:http, 2 workers (needs node;
#                          installs @clerk/backend from npm into benches/node; PEERS=0 skips peers)
# Requires wrk (Debian package `wrk`). Bounded: ROUNDS (default 3) rounds of DURATION seconds
# (default 5) per route. Odd rounds take the routes in order, even rounds in reverse, so that
# drift during a round falls on both sides of a ratio; besides each route's median round, the
# ratios protected/open and outer-protected/open are given per round, with their median and a
# distribution-free 95 % confidence interval for it (order statistics of the binomial).
# ISOLATE=1 pins the servers to CPU 0 with one worker thread (tokio, and one Node worker) and wrk
# to CPU 1 (taskset), so a route's throughput is the server's CPU cost alone, without the load
# generator competing for the same cores.
# CARRIER=cookie sends the token in `__session` among other cookies, as a browser does, instead
# of `Authorization: Bearer` (the peers read only the header: use PEERS=0).
# CARRIER=production-cookies gives our instance a production publishable key
# (BENCH_PUBLISHABLE_KEY=1) and sends what a browser in front of a deployed Clerk app holds: both
# cookie flavours (`__session`, `__session_<suffix>` and their `__client_uat`) among others.
# For our server each run also reports its CPU time (user + system, /proc/<pid>/stat) per request,
# and per round the ratio of those: what the layer costs the server itself (with shared cores,
# about twice its share of throughput, the load generator using the rest; no steadier, though).
# RESTART=1 (default) starts a fresh bench_server for every round: two runs of one binary could
# differ by more than their intervals (0.921 [0.913, 0.941] against 0.977 [0.956, 0.989] on one
# afternoon) — something fixed for a process's life (thread placement, memory layout) — and only
# rounds from different processes put that variation inside the interval. RESTART=0 keeps one.
# Usage: benches/e2e.sh   (from the repository root; ROUTES limits bench_server's routes)
set -euo pipefail
cd "$(dirname "$0")"
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
PEERS=${PEERS:-1}
ISOLATE=${ISOLATE:-0}
RESTART=${RESTART:-1}
server_cpu=() client_cpu=() node_workers=2
if [ "$ISOLATE" = 1 ]; then
  server_cpu=(taskset -c 0) client_cpu=(taskset -c 1) node_workers=1
  export TOKIO_WORKER_THREADS=1
fi
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build -q --release --bin bench_server
out=$(mktemp)
rounds_out=$(mktemp)
server=
node_pid=
trap 'kill $server 2>/dev/null; [ -z "$node_pid" ] || { pkill -P "$node_pid"; kill "$node_pid"; } 2>/dev/null || true' EXIT
routes=${ROUTES:-/open /layered /protected /hand}  # ROUTES="/open /protected": more rounds per minute
[ "$PEERS" = 1 ] && routes="$routes /peer/clerk-rs /peer/jwt-authorizer"
start_server() { # a fresh bench_server (its own key and token), warmed up
  if [ -n "$server" ]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; fi
  : >"$out"
  BENCH_PUBLISHABLE_KEY=$([ "${CARRIER:-bearer}" = production-cookies ] && echo 1 || echo 0) \
    "${server_cpu[@]}" ./target/release/bench_server 0 >"$out" &
  server=$!
  for _ in $(seq 1 100); do grep -q outer_listening= "$out" && break; sleep 0.1; done
  token=$(sed -n 's/^token=//p' "$out")
  addr=$(sed -n 's/^listening=//p' "$out")
  outer=$(sed -n 's/^outer_listening=//p' "$out")
  sfx=$(sed -n 's/^cookie_suffix=//p' "$out")
  case "${CARRIER:-bearer}" in
    cookie) credential="Cookie: _ga=GA1.2.3; theme=dark; __client_uat=1; __session=$token; other=1" ;;
    production-cookies)
      credential="Cookie: _ga=GA1.2.3; theme=dark; __client_uat=1; __client_uat_$sfx=1; __session=$token; __session_$sfx=$token; other=1" ;;
    bearer) credential="Authorization: Bearer $token" ;;
    *) echo "CARRIER must be bearer, cookie or production-cookies" >&2; exit 1 ;;
  esac
  # Warm-up (connection pools; our JWKS is prefetched, clerk-rs fetches on its first request).
  for route in $routes; do wrk -t1 -c8 -d1s -H "$credential" "http://$addr$route" >/dev/null; done
  wrk -t1 -c8 -d1s -H "$credential" "http://$outer/protected" >/dev/null
}
server_ticks() { # CPU time (user + system, in clock ticks) a process has used so far; 0 for none
  if [ -n "${1:-}" ]; then awk '{print $14 + $15}' "/proc/$1/stat"; else echo 0; fi
}
run() { # run <url> <label> [server pid: also report its CPU time per request]
  local before output after
  before=$(server_ticks "${3:-}")
  output=$("${client_cpu[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$credential" "$1")
  after=$(server_ticks "${3:-}")
  echo "$output" | awk -v route="$2" -v ticks="$((after - before))" -v measured="${3:+1}" -v tck="$(getconf CLK_TCK)" '
    /requests in/ {n=$1}
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2}
    /^ +99%/ {p99=$2}
    /Non-2xx/ {bad=$NF}
    END {
      cpu = (measured && n > 0) ? sprintf("%.3f", ticks * 1e6 / tck / n) : "-"
      printf "%s %s %s %s %s %s\n", route, rps, p50, p99, (bad==""?0:bad), cpu
    }'
}
# ROUNDS rounds over all routes, so that drift during the run (frequency, neighbours) falls on
# every route alike; each route's median round is reported.
reversed=$(echo "$routes" | tr ' ' '\n' | tac | tr '\n' ' ')
for round in $(seq 1 "$ROUNDS"); do
  if [ "$round" = 1 ] || [ "$RESTART" = 1 ]; then start_server; fi
  if [ $((round % 2)) = 1 ]; then
    for route in $routes; do run "http://$addr$route" "$route" "$server"; done
    run "http://$outer/protected" "/outer-protected" "$server"
  else
    run "http://$outer/protected" "/outer-protected" "$server"
    for route in $reversed; do run "http://$addr$route" "$route" "$server"; done
  fi
done >"$rounds_out"
all=$(cat "$rounds_out")
# Clerk's Node SDK last, in its own server, so that its processes are not running beside ours.
if [ "$PEERS" = 1 ] && command -v node >/dev/null; then
  [ -d node/node_modules/@clerk/backend ] ||
    (cd node && npm install --silent --no-audit --no-fund @clerk/backend@latest >/dev/null)
  node_out=$(mktemp)
  PEM=$(sed -n 's/^pem=//p' "$out") PORT=${NODE_PORT:-39123} WORKERS=$node_workers \
    "${server_cpu[@]}" node node/server.mjs >"$node_out" 2>&1 &
  node_pid=$!
  for _ in $(seq 1 100); do grep -q listening= "$node_out" && break; sleep 0.1; done
  node_addr=$(sed -n 's/^listening=//p' "$node_out")
  wrk -t1 -c8 -d2s -H "$credential" "http://$node_addr/api" >/dev/null
  all="$all
$(for round in $(seq 1 "$ROUNDS"); do run "http://$node_addr/api" "node:@clerk/backend"; done)"
fi
echo "every round (route req/s p50 p99 non-2xx server-CPU-µs/request):"
echo "$all" | sed 's/^/  /'
# Median round per route (by req/s).
results=$(echo "$all" | sort -k1,1 -k2,2n | awk '
  {row[$1, ++count[$1]] = $0}
  END {for (r in count) print row[r, int((count[r] + 1) / 2)]}' | sort)
echo "route                    req/s      p50       p99    non-2xx  CPU-µs/req  (median of $ROUNDS rounds of ${DURATION}s)"
echo "$results" | awk '{printf "%-22s %10s %9s %9s %8s %10s\n", $1, $2, $3, $4, $5, $6}'
echo "$results" | awk '
  {rps[$1]=$2}
  function ratio(a, b, note) { if (rps[a] > 0 && rps[b] > 0) printf "%s / %s = %.3f%s\n", substr(a, 2), substr(b, 2), rps[a]/rps[b], note }
  END {
    ratio("/protected", "/open", "")
    ratio("/layered", "/open", "   (what a do-nothing layer costs in axum)")
    ratio("/protected", "/layered", "")
    ratio("/outer-protected", "/open", "   (ClerkLayer around the whole Router)")
    ratio("/protected", "/hand", "")
    for (peer in rps) if (peer ~ /peer|node/) printf "protected / %s = %.3f\n", peer, rps["/protected"]/rps[peer];
  }'

# Per-round ratios (the two routes of a ratio ran next to each other in the same round): median
# and a 95 % confidence interval for the median from the order statistics — the k-th smallest
# and k-th largest ratio, k the largest with P(Binomial(n, 1/2) < k) <= 2.5 %.
echo "$all" | grep -v '^node' | awk -v rounds="$ROUNDS" -v nroutes="$(($(echo $routes | wc -w) + 1))" '
  {round = int((NR - 1) / nroutes); rps[round, $1] = $2; cpu[round, $1] = $6}
  function ratio_stats(name, v, a, b,    r, i, j, n, t, k, cdf, term) {
    n = 0
    for (i = 0; i < rounds; i++) if (v[i, b] > 0) r[++n] = v[i, a] / v[i, b]
    if (n == 0) return
    for (i = 2; i <= n; i++) for (j = i; j > 1 && r[j - 1] > r[j]; j--) { t = r[j]; r[j] = r[j - 1]; r[j - 1] = t }
    k = 0; cdf = 0; term = 0.5 ^ n
    for (i = 0; i < n; i++) { cdf += term; if (cdf > 0.025) break; k = i + 1; term = term * (n - i) / (i + 1) }
    printf "%s per round: median %.3f", name, (n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2)
    if (k >= 1) printf ", 95%% CI of the median [%.3f, %.3f]", r[k], r[n - k + 1]
    else printf " (too few rounds for a 95%% interval)"
    printf ", range %.3f-%.3f over %d rounds\n", r[1], r[n], n
  }
  END {
    ratio_stats("protected / open", rps, "/protected", "/open")
    ratio_stats("outer-protected / open", rps, "/outer-protected", "/open")
    ratio_stats("server CPU per request, protected / open", cpu, "/protected", "/open")
    ratio_stats("server CPU per request, outer-protected / open", cpu, "/outer-protected", "/open")
  }'
