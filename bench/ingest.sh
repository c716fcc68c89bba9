#!/usr/bin/env bash
# Durable ingest benchmark.
#
# Drives POST /webhooks/sim/sms with wrk (64 connections on loopback) against Vigie with its
# embedded SQLite store at synchronous=FULL, and, in the same run, against a minimal axum
# handler that stores nothing (examples/minimal_sink.rs). Durable messages/s counts the rows
# actually in the database afterwards, not the answers.
#
# Usage: bench/ingest.sh            (DURATION=10s CONNECTIONS=64 THREADS=2 to change)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}

if ! command -v wrk >/dev/null; then
  echo "installing wrk..." >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --quiet --bin vigie --example minimal_sink

work=$(mktemp -d)
cleanup() { jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# start NAME COMMAND...: runs a server in the background; sets SERVER_PID, and ADDR once it listens.
start() {
  local name=$1; shift
  "$@" 2>"$work/$name.log" &
  SERVER_PID=$!
  ADDR=""
  for _ in $(seq 200); do
    ADDR=$(grep -o 'listening on http://[0-9.:]*' "$work/$name.log" | head -1 | sed 's|.*http://||' || true)
    [ -n "$ADDR" ] && return 0
    sleep 0.05
  done
  echo "$name did not start:" >&2; cat "$work/$name.log" >&2; exit 1
}

# measure NAME: warms up, then runs wrk and prints its RESULT line.
measure() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s bench/ingest.lua "http://$ADDR" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/ingest.lua "http://$ADDR" \
    | tee "$work/$1.wrk" | grep '^RESULT'
}

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

start sink target/release/examples/minimal_sink 127.0.0.1:0
sink=$(measure sink)
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

cat >"$work/vigie.toml" <<TOML
[server]
listen = "127.0.0.1:0"
[storage]
path = "$work/vigie.db"
synchronous = "full"
[log]
level = "info"
[inbound.rate_limit]
per_minute = 1000000
burst = 1000000
[[channels]]
id = "sim"
kind = "sim"
TOML
# Warm-up rows are counted apart: only the measured run's rows count.
start vigie target/release/vigie serve --config "$work/vigie.toml"
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s bench/ingest.lua "http://$ADDR" >/dev/null
before=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from inbound_messages').fetchone()[0])" "$work/vigie.db")
vigie=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/ingest.lua "http://$ADDR" | tee "$work/vigie.wrk" | grep '^RESULT')
after=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from inbound_messages').fetchone()[0])" "$work/vigie.db")
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

seconds=$(field seconds "$vigie")
durable=$(python3 -c "print(round(($after - $before) / $seconds))")
sink_rate=$(python3 -c "print(round($(field requests "$sink") / $(field seconds "$sink")))")
ratio=$(python3 -c "print(round(100 * $durable / $sink_rate, 1))")

echo
echo "| server | messages/s | p50 ms | p99 ms | errors |"
echo "| --- | --- | --- | --- | --- |"
echo "| minimal axum handler (stores nothing) | $sink_rate | $(field p50_ms "$sink") | $(field p99_ms "$sink") | $(field errors "$sink") |"
echo "| vigie, durable (synchronous=FULL) | $durable | $(field p50_ms "$vigie") | $(field p99_ms "$vigie") | $(field errors "$vigie") |"
echo
echo "durable ingest = ${ratio}% of the minimal handler; $((after - before)) rows committed in ${seconds}s; ${CONNECTIONS} connections, ${THREADS} wrk threads, $(nproc) cores"
