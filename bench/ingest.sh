#!/usr/bin/env bash
# Durable ingest benchmark.
#
# Drives POST /webhooks/sim/sms with wrk (64 connections on loopback) against Vigie with its
# embedded SQLite store at synchronous=FULL and, alternating in the same run, against a
# minimal axum handler that stores nothing (examples/minimal_sink.rs). Durable messages/s
# counts the rows actually in the database after each run, not the answers; the messages
# the intake read (parsed, filed, answered) in the same time are counted too. Each server is
# measured ROUNDS times, alternating, and the medians are reported: a shared 2-core machine
# drifts by ±10% between runs. With FLOOR=1, each round also measures
# examples/durable_floor.rs: the least a gateway keeping the same promises must do per
# message (parsed, stored at synchronous=FULL before the answer, read, a report and a reply
# row written, the reply claimed and sent), and nothing else.
#
# Usage: bench/ingest.sh      (DURATION=10s CONNECTIONS=64 THREADS=2 ROUNDS=3 FLOOR=0 to change)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
FLOOR=${FLOOR:-0}

. bench/common.sh
ensure_wrk
cargo build --release --quiet --bin vigie --example minimal_sink --example durable_floor

workdir

load() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1" --latency -s bench/ingest.lua "http://$ADDR"; }
count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$1" "$2"; }
rows() { count "$1" "select count(*) from inbound_messages"; }
read_rows() { count "$1" "select count(*) from inbound_messages where state != 'new'"; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }


: >"$work/results"
for round in $(seq "$ROUNDS"); do
  start sink target/release/examples/minimal_sink 127.0.0.1:0
  load 2s >/dev/null
  sink=$(load "$DURATION" | grep '^RESULT')
  stop
  echo "sink $(field requests "$sink") $(field seconds "$sink") $(field p50_ms "$sink") $(field p99_ms "$sink") $(field errors "$sink") 0" >>"$work/results"

  db="$work/vigie-$round.db"
  flood_config "$db" >"$work/vigie.toml"
  start vigie target/release/vigie serve --config "$work/vigie.toml"
  load 2s >/dev/null
  before=$(rows "$db"); read_before=$(read_rows "$db")
  vigie=$(load "$DURATION" | grep '^RESULT')
  after=$(rows "$db"); read_after=$(read_rows "$db")
  stop
  echo "vigie $((after - before)) $(field seconds "$vigie") $(field p50_ms "$vigie") $(field p99_ms "$vigie") $(field errors "$vigie") $((read_after - read_before))" >>"$work/results"
  if [ "$FLOOR" = 1 ]; then
    db="$work/floor-$round.db"
    start floor target/release/examples/durable_floor 127.0.0.1:0 "$db"
    load 2s >/dev/null
    before=$(count "$db" "select count(*) from inbound"); read_before=$(count "$db" "select count(*) from inbound where state = 1")
    floor=$(load "$DURATION" | grep '^RESULT')
    after=$(count "$db" "select count(*) from inbound"); read_after=$(count "$db" "select count(*) from inbound where state = 1")
    stop
    echo "floor $((after - before)) $(field seconds "$floor") $(field p50_ms "$floor") $(field p99_ms "$floor") $(field errors "$floor") $((read_after - read_before))" >>"$work/results"
  fi
  echo "round $round: $(tail -"$((2 + FLOOR))" "$work/results" | tr '\n' ' ')" >&2
done

python3 - "$work/results" "$CONNECTIONS" "$THREADS" "$(nproc)" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def summary(name):
    runs = [r for r in rows if r[0] == name]
    rate = statistics.median(int(r[1]) / float(r[2]) for r in runs)
    p50 = statistics.median(float(r[3]) for r in runs)
    p99 = statistics.median(float(r[4]) for r in runs)
    errors = sum(int(r[5]) for r in runs)
    read = statistics.median(int(r[6]) / float(r[2]) for r in runs)
    return rate, p50, p99, errors, [round(int(r[1]) / float(r[2])) for r in runs], read
sink, vigie = summary("sink"), summary("vigie")
print("| server | messages/s (median) | p50 ms | p99 ms | errors | runs |")
print("| --- | --- | --- | --- | --- | --- |")
print(f"| minimal axum handler (stores nothing) | {sink[0]:.0f} | {sink[1]:.2f} | {sink[2]:.2f} | {sink[3]} | {sink[4]} |")
print(f"| vigie, durable (synchronous=FULL) | {vigie[0]:.0f} | {vigie[1]:.2f} | {vigie[2]:.2f} | {vigie[3]} | {vigie[4]} |")
print()
print(f"read by the intake in the same time (parsed, filed under the incident, answered): "
      f"{vigie[5]:.0f} messages/s (median)")
print(f"durable ingest = {100 * vigie[0] / sink[0]:.1f}% of the minimal handler "
      f"({sys.argv[2]} connections, {sys.argv[3]} wrk threads, {sys.argv[4]} cores)")
if any(r[0] == "floor" for r in rows):
    floor = summary("floor")
    print(f"the floor (examples/durable_floor.rs): {floor[0]:.0f} messages/s stored, "
          f"{floor[5]:.0f} read, p99 {floor[2]:.2f} ms, runs {floor[4]}: "
          f"{100 * floor[0] / sink[0]:.1f}% of the minimal handler")
PY
