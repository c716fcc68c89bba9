#!/usr/bin/env bash
# The floor beside the ingest benchmark: bench/ingest.sh's load against the minimal handler
# and against examples/durable_floor.rs (the least a durable, answering gateway must do per
# message: parsed, stored at synchronous=FULL before the answer, read, a report and a reply
# row written, the reply claimed and sent), alternating, ROUNDS times each.
#
# Usage: bench/floor.sh      (DURATION=10s CONNECTIONS=64 THREADS=2 ROUNDS=3 to change)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}

. bench/common.sh
ensure_wrk
cargo build --release --quiet --example minimal_sink --example durable_floor

workdir

load() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1" --latency -s bench/ingest.lua "http://$ADDR"; }
count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$1" "$2"; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

for round in $(seq "$ROUNDS"); do
  start sink target/release/examples/minimal_sink 127.0.0.1:0
  load 2s >/dev/null
  sink=$(load "$DURATION" | grep '^RESULT')
  stop
  db="$work/floor-$round.db"
  start floor target/release/examples/durable_floor 127.0.0.1:0 "$db"
  load 2s >/dev/null
  before=$(count "$db" "select count(*) from inbound"); read_before=$(count "$db" "select count(*) from inbound where state = 1")
  floor=$(load "$DURATION" | grep '^RESULT')
  after=$(count "$db" "select count(*) from inbound"); read_after=$(count "$db" "select count(*) from inbound where state = 1")
  stop
  secs=$(field seconds "$floor")
  python3 - "$(field requests "$sink")" "$(field seconds "$sink")" "$((after - before))" "$((read_after - read_before))" "$secs" "$(field p99_ms "$floor")" "$round" <<'PY'
import sys
sink_n, sink_s, stored, read, secs, p99, rnd = sys.argv[1:]
sink = int(sink_n) / float(sink_s)
print(f"round {rnd}: minimal handler {sink:.0f} msg/s; floor {int(stored)/float(secs):.0f} stored, "
      f"{int(read)/float(secs):.0f} read msg/s (p99 {p99} ms): {100*int(stored)/float(secs)/sink:.1f}%")
PY
done
