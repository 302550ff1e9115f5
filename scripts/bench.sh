#!/usr/bin/env bash
# The first benchmark (docs/benchmarks.md): a fresh database, the daemon on
# a free local port with logs at warn, and cmd/leadbench run against it —
# as fast as it accepts, again with three webhook endpoints subscribed to
# every event (a local receiver in leadbench), then at a fixed 1,000
# posts/s — printing the reports (also kept in .run/bench-*.txt) and how
# the webhook fan-out changed processed/s. Postgres and Redis must answer
# (`make bench` runs scripts/services.sh first).
#
# Knobs: BENCH_N (events per run, 20000), BENCH_C (connections, 64),
# BENCH_RATE (the fixed rate, 1000), BENCH_CONTACTS (10000),
# BENCH_RETURNING (0.3), BENCH_DB (leadd_bench), BENCH_PORT (18080),
# BENCH_REDIS_URL (redis://127.0.0.1:6379/8), BENCH_MODES ("max webhooks fixed"),
# BENCH_WEBHOOKS (endpoints in the webhooks mode, 3),
# BENCH_STATEMENTS=1 (pg_stat_statements' top statements, where the server
# loads it), BENCH_PROFILE=1 (a CPU profile of the daemon while posting,
# BENCH_PROFILE_SECONDS long, 5), BENCH_CLIENT (how leadbench posts: lean,
# its own keep-alive connections, or std, net/http's client),
# BENCH_BURST_PAUSE (the daemon's processor.burst_pause, e.g. 100ms),
# BENCH_LEADD (a daemon binary built elsewhere, to compare two versions
# with the same load generator back to back).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
N=${BENCH_N:-20000}
C=${BENCH_C:-64}
RATE=${BENCH_RATE:-1000}
CONTACTS=${BENCH_CONTACTS:-10000}
RETURNING=${BENCH_RETURNING:-0.3}
MODES=${BENCH_MODES:-max webhooks fixed}
HOOKS=${BENCH_WEBHOOKS:-3}
DB=${BENCH_DB:-leadd_bench}
DB_URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
REDIS_URL_BENCH=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/8}
REDIS_DB=${REDIS_URL_BENCH##*/}
PREFIX="leadbench:"
PORT=${BENCH_PORT:-18080}

psql_() { PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_isready -q -h 127.0.0.1 -p 5432 || { echo "bench: PostgreSQL does not answer on 127.0.0.1:5432 (run scripts/services.sh)" >&2; exit 1; }
redis-cli -n "$REDIS_DB" ping >/dev/null || { echo "bench: Redis does not answer on 127.0.0.1:6379" >&2; exit 1; }

tmp=$(mktemp -d /tmp/leadbench.XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "bench: building"
mkdir -p bin .run
LEADD=${BENCH_LEADD:-bin/leadd}
[ -n "${BENCH_LEADD:-}" ] || CGO_ENABLED=0 "$GO" build -ldflags "-s -w -X main.version=$(git describe --always --dirty 2>/dev/null || echo dev)" -o bin/leadd ./cmd/leadd
"$GO" build -o "$tmp/leadbench" ./cmd/leadbench

echo "bench: fresh database $DB, Redis db $REDIS_DB keys $PREFIX*"
psql_ -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" -c "CREATE DATABASE \"$DB\""
psql_ -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" 2>/dev/null && psql_ -d "$DB" -c "SELECT pg_stat_statements_reset()" >/dev/null 2>&1 || true
redis-cli -n "$REDIS_DB" --scan --pattern "$PREFIX*" | xargs -r redis-cli -n "$REDIS_DB" del >/dev/null

# The demo configuration, quieter, with its own Redis keys.
sed -e 's/^\(\s*level:\s*\)info/\1warn/' -e "s/^\(\s*prefix:\s*\)\"leadd:\"/\1\"$PREFIX\"/" \
  -e "s|^\(\s*templates:\s*\)templates|\1$PWD/configs/templates|" \
  -e "s/^\(\s*burst_pause:\s*\)[0-9a-z]*/\1${BENCH_BURST_PAUSE:-0s}/" \
  configs/leadd.yaml >"$tmp/leadd.yaml"
grep -q 'level: warn' "$tmp/leadd.yaml" && grep -q "prefix: \"$PREFIX\"" "$tmp/leadd.yaml" \
  || { echo "bench: could not adapt configs/leadd.yaml (log.level, redis.prefix)" >&2; exit 1; }

# The machine's limits are measured beside Leadd, on a database of their own
# with the same schema (cmd/leadbench/baseline.go).
BASE_DB="${DB}_base"
BASE_URL="postgres://postgres@127.0.0.1:5432/$BASE_DB?sslmode=disable"
psql_ -d postgres -c "DROP DATABASE IF EXISTS \"$BASE_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$BASE_DB\""
DATABASE_URL="$BASE_URL" REDIS_URL="$REDIS_URL_BENCH" "$LEADD" migrate --config "$tmp/leadd.yaml" >/dev/null

while port_busy "$PORT"; do PORT=$((PORT + 1)); done
ADDR="127.0.0.1:$PORT"
echo "bench: starting $LEADD on $ADDR (log: .run/bench-leadd.log)"
DEBUG_ADDR=""
[ -z "${BENCH_PROFILE:-}" ] || DEBUG_ADDR="127.0.0.1:$((PORT + 1000))"
DATABASE_URL="$DB_URL" REDIS_URL="$REDIS_URL_BENCH" LEADD_HTTP_ADDR="$ADDR" LEADD_DEBUG_ADDR="$DEBUG_ADDR" \
  "$LEADD" serve --config "$tmp/leadd.yaml" >.run/bench-leadd.log 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://$ADDR/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "bench: the daemon exited:" >&2; tail -n 20 .run/bench-leadd.log >&2; exit 1; }
  sleep 0.2
done
curl -sf "http://$ADDR/healthz" >/dev/null || { echo "bench: the daemon does not answer on $ADDR" >&2; exit 1; }

out=".run/bench-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "# $(date -R) — $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -m | awk '/^Mem:/ {print $2}') MB RAM"
  echo "# leadd $([ -z "${BENCH_LEADD:-}" ] && { git describe --always --dirty 2>/dev/null || echo dev; } || "$LEADD" version 2>/dev/null || echo "$LEADD"), $("$GO" version | cut -d' ' -f3), $(psql_ -d postgres -c 'SHOW server_version'), Redis $(redis-cli info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p')"
  echo
} | tee "$out"

rc=0
rm -f .run/bench-*.pprof
declare -A processed=()
for mode in $MODES; do
  hooks=0
  case $mode in
    max) rate=0; base=(-base-db "$BASE_URL") ;;
    webhooks) rate=0; hooks=$HOOKS; base=() ;;
    fixed) rate=$RATE; base=() ;;
    *) echo "bench: unknown mode $mode (max, webhooks, fixed)" >&2; exit 2 ;;
  esac
  prof=()
  if [ -n "$DEBUG_ADDR" ]; then
    # A CPU profile of the daemon from the first post on: intake and
    # processing at once, not the seeding and the baselines before them.
    prof=(-pprof "http://$DEBUG_ADDR" -pprof-out ".run/bench-$mode.pprof" -pprof-time "${BENCH_PROFILE_SECONDS:-5}s")
  fi
  "$tmp/leadbench" -url "http://$ADDR" -db "$DB_URL" -pid "$pid" -n "$N" -c "$C" -rate "$rate" -client "${BENCH_CLIENT:-lean}" \
    -contacts "$CONTACTS" -returning "$RETURNING" -webhooks "$hooks" "${base[@]}" "${prof[@]}" | tee -a "$out" "$tmp/run.txt" || rc=1
  processed[$mode]=$(sed -n 's/^  rate *\([0-9]*\) events\/s.*/\1/p' "$tmp/run.txt" | tail -n 1)
  rm -f "$tmp/run.txt"
  # What autovacuum would do within a minute, done now so the next run does
  # not depend on when it happens to wake (see docs/benchmarks.md).
  psql_ -d "$DB" -c "VACUUM ANALYZE"
done

psql_ -d postgres -c "DROP DATABASE IF EXISTS \"$BASE_DB\" WITH (FORCE)"
for p in .run/bench-*.pprof; do
  [ -s "$p" ] || continue
  echo "bench: where leadd's CPU went ($p, top 15 by cumulative time)" | tee -a "$out"
  "$GO" tool pprof -top -cum -nodecount=15 "$LEADD" "$p" 2>/dev/null | tail -n 16 | tee -a "$out"
done
if [ -n "${BENCH_STATEMENTS:-}" ]; then
  echo "bench: the processing statements (pg_stat_statements, by total time)" | tee -a "$out"
  psql_ -d "$DB" -P format=aligned -P footer=off -c "SELECT calls, round(total_exec_time::numeric) AS total_ms,
      round((total_exec_time / calls)::numeric, 3) AS ms_per_call, rows,
      left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS statement
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND query !~* '^(create|alter|vacuum|analyze|--)' ORDER BY total_exec_time DESC LIMIT 12" 2>/dev/null | tee -a "$out" || true
fi
if [ -n "${processed[max]:-}" ] && [ -n "${processed[webhooks]:-}" ]; then
  awk -v a="${processed[max]}" -v b="${processed[webhooks]}" -v n="$HOOKS" 'BEGIN {
    d = 100 * (b - a) / a
    printf "webhook fan-out: processed %d events/s without webhooks, %d with %d endpoints on every event (%+.1f%%): %s\n",
      a, b, n, d, (d >= -10 ? "within 10%" : "MORE THAN 10% SLOWER")
  }' | tee -a "$out"
fi

if grep -qE '"level":"(ERROR|WARN)"' .run/bench-leadd.log; then
  echo "bench: the daemon logged warnings or errors (first five):"
  grep -E '"level":"(ERROR|WARN)"' .run/bench-leadd.log | head -n 5
fi
echo "bench: reports kept in $out"
exit $rc
