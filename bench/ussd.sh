#!/usr/bin/env bash
# USSD menu benchmark: answer time of menu steps with 500 sessions open at once.
#
# Drives POST /webhooks/sim/ussd with wrk (250 connections, 2 threads) against Vigie with
# its shipped defaults (SQLite, synchronous=FULL, log level info). 500 sessions walk the
# whole report menu, step after step, each ending in a report sent (which the intake then
# files and receipts by SMS, on the same machine). Each connection waits THINK_MS (1000)
# between its requests, as a caller reads a screen: about 250 steps/s, each session
# answering every 2 s, far busier than people at their phones. THINK_MS=0 measures the
# most steps per second instead (answers then wait in line). Reports p50 and p99 per round.
#
# Usage: bench/ussd.sh      (DURATION=30s CONNECTIONS=250 THREADS=2 ROUNDS=3 to change)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-250}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}

. bench/common.sh
ensure_wrk
cargo build --release --quiet --bin vigie

workdir

for round in $(seq "$ROUNDS"); do
  cat >"$work/vigie.toml" <<TOML
[server]
listen = "127.0.0.1:0"
[storage]
path = "$work/ussd-$round.db"
[[channels]]
id = "sim"
kind = "sim"
TOML
  start vigie target/release/vigie serve --config "$work/vigie.toml"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s bench/ussd.lua "http://$ADDR" >/dev/null
  result=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/ussd.lua "http://$ADDR" | grep '^RESULT')
  reports=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from inbound_messages where provider_message_id like 'ussd:%'\").fetchone()[0])" "$work/ussd-$round.db")
  echo "round $round: $result reports_sent=$reports"
  stop
done
