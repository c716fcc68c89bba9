#!/usr/bin/env bash
# Storage backends and nodes, measured in one run (issue 18):
# - durable ingest (rows committed per second under wrk's load on the sim webhook) and the
#   pipeline (messages the intake read in the same time: parsed, filed under an incident,
#   answered; then, the load stopped, what it reads of the backlog in 5 s), on SQLite, on
#   PostgreSQL with one node, and on PostgreSQL with two nodes sharing one database, the
#   load split between them;
# - the time a survivor takes to resume a dead node's sends: two nodes, replies queued on
#   a channel the first one owns (sending 50 a second), the first killed with SIGKILL; the
#   time from the kill to the next SMS sent, and until every SMS waiting at the kill is
#   sent.
#
# PostgreSQL is the machine's cluster (started if stopped, as .ci/run does), with a role
# vigie_bench that may create databases; each run gets a fresh database, dropped after.
# Usage: bench/nodes.sh   (DURATION=10s CONNECTIONS=64 THREADS=2 ROUNDS=2 to change)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-2}

. bench/common.sh
ensure_wrk
cargo build --release --quiet --bin vigie
workdir

read -r pg_version pg_cluster pg_port _ < <(pg_lsclusters -h | head -n 1)
pg_ctlcluster "$pg_version" "$pg_cluster" start 2>/dev/null || true
su postgres -c "psql -q -v ON_ERROR_STOP=1" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigie_bench') THEN
    CREATE ROLE vigie_bench LOGIN CREATEDB PASSWORD 'vigie_bench';
  END IF;
END $$;
SQL
PG="postgres://vigie_bench:vigie_bench@127.0.0.1:${pg_port}"
psqlq() { PGPASSWORD=vigie_bench psql -h 127.0.0.1 -p "$pg_port" -U vigie_bench -tAq -v ON_ERROR_STOP=1 "$@"; }
fresh_db() {
  psqlq -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
}

# count WHERE SQL: one number, from SQLite (a path) or PostgreSQL (a database name).
count() {
  case $1 in
    /*) python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$1" "$2" ;;
    *) psqlq -d "$1" -c "$2" ;;
  esac
}
stored() { count "$1" "select count(*) from inbound_messages"; }
read_msgs() { count "$1" "select count(*) from inbound_messages where state != 'new'"; }
load() { wrk -t"$THREADS" -c"$2" -d"$3" --latency -s bench/ingest.lua "http://$1"; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

# measure NAME DB ADDR...: warms up, then loads the nodes at ADDR... at once for DURATION;
# then 5 s with no load; appends "NAME stored seconds p99_ms read drained" to the results.
measure() {
  local name=$1 db=$2; shift 2
  local per=$((CONNECTIONS / $#)) pids=() i=0
  # Only the loads are waited for: the nodes run in the background too.
  for addr in "$@"; do load "$addr" "$per" 2s >/dev/null & pids+=($!); done
  wait "${pids[@]}"
  local before read_before
  before=$(stored "$db"); read_before=$(read_msgs "$db")
  pids=()
  for addr in "$@"; do load "$addr" "$per" "$DURATION" >"$work/wrk.$i" & pids+=($!); i=$((i + 1)); done
  wait "${pids[@]}"
  local after read_after p99=0 seconds=0
  after=$(stored "$db"); read_after=$(read_msgs "$db")
  for f in "$work"/wrk.*; do
    r=$(grep '^RESULT' "$f"); seconds=$(field seconds "$r")
    p99=$(python3 -c "print(max($p99, $(field p99_ms "$r")))")
  done
  rm -f "$work"/wrk.*
  # The pipeline alone: the backlog left, read with no load coming in.
  sleep 5
  local drained
  drained=$(( $(read_msgs "$db") - read_after ))
  echo "$name $((after - before)) $seconds $p99 $((read_after - read_before)) $drained" >>"$work/results"
  echo "  $name: $(tail -1 "$work/results")" >&2
}

# node NAME CONFIG: starts a node; its address in ADDR, its pid in SERVER_PID.
node() { start "$1" target/release/vigie serve --config "$2"; }

: >"$work/results"
for round in $(seq "$ROUNDS"); do
  echo "round $round" >&2
  flood_config "$work/sqlite-$round.db" >"$work/sqlite.toml"
  node sqlite "$work/sqlite.toml"; pid=$SERVER_PID
  measure sqlite "$work/sqlite-$round.db" "$ADDR"
  kill "$pid"; wait "$pid" 2>/dev/null || true

  db="bench_one_$round"; fresh_db "$db"
  flood_config "$work/keys-one-$round.db" "" "$PG/$db" >"$work/one.toml"
  node pg1 "$work/one.toml"; pid=$SERVER_PID
  measure postgres-1 "$db" "$ADDR"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  psqlq -d postgres -c "DROP DATABASE $db WITH (FORCE)"

  db="bench_two_$round"; fresh_db "$db"
  flood_config "$work/keys-two-$round.db" "" "$PG/$db" >"$work/two.toml"
  node pg2a "$work/two.toml"; a=$SERVER_PID; addr_a=$ADDR
  node pg2b "$work/two.toml"; b=$SERVER_PID; addr_b=$ADDR
  measure postgres-2 "$db" "$addr_a" "$addr_b"
  kill "$a" "$b"; wait "$a" "$b" 2>/dev/null || true
  psqlq -d postgres -c "DROP DATABASE $db WITH (FORCE)"
done

# Resume: the first node owns the channel, replies wait on it, the node dies.
db="bench_resume"; fresh_db "$db"
flood_config "$work/keys-resume.db" "" "$PG/$db" "send_per_second = 50" >"$work/resume.toml"
node resume-a "$work/resume.toml"; a=$SERVER_PID; addr_a=$ADDR
sleep 1
node resume-b "$work/resume.toml"; b=$SERVER_PID
load "$addr_a" 16 2s >/dev/null
kill -KILL "$a"
killed=$(date +%s%3N)
waiting=$(count "$db" "select count(*) from outbound_messages where status in ('queued', 'sending')")
last=$(count "$db" "select coalesce(max(id), 0) from outbound_messages")
resumed="" drained=""
for _ in $(seq 1200); do
  [ -z "$resumed" ] && resumed=$(count "$db" "select min(sent_at) - $killed from outbound_messages where sent_at > $killed")
  left=$(count "$db" "select count(*) from outbound_messages where id <= $last and status in ('queued', 'sending')")
  if [ "$left" = 0 ]; then drained=$(( $(date +%s%3N) - killed )); break; fi
  sleep 0.1
done
kill "$b"; wait "$b" 2>/dev/null || true
psqlq -d postgres -c "DROP DATABASE $db WITH (FORCE)"

python3 - "$work/results" "$CONNECTIONS" "$(nproc)" "$waiting" "${resumed:-none}" "${drained:-none}" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
print("| storage | stored messages/s (median) | read by the intake /s, under the load | read /s, load stopped | wrk p99 ms | runs (stored/s) |")
print("| --- | --- | --- | --- | --- | --- |")
names = {"sqlite": "SQLite, one node", "postgres-1": "PostgreSQL, one node",
         "postgres-2": "PostgreSQL, two nodes"}
for key, label in names.items():
    runs = [r for r in rows if r[0] == key]
    rate = statistics.median(int(r[1]) / float(r[2]) for r in runs)
    read = statistics.median(int(r[4]) / float(r[2]) for r in runs)
    p99 = statistics.median(float(r[3]) for r in runs)
    drained = statistics.median(int(r[5]) / 5 for r in runs)
    each = [round(int(r[1]) / float(r[2])) for r in runs]
    print(f"| {label} | {rate:.0f} | {read:.0f} | {drained:.0f} | {p99:.1f} | {each} |")
print()
print(f"{sys.argv[2]} connections in all, {sys.argv[3]} cores; the nodes and PostgreSQL share them.")
print(f"resume: {sys.argv[4]} SMS waiting on the dead node's channel; the survivor sent the "
      f"next one {sys.argv[5]} ms after the kill, and the last of them {sys.argv[6]} ms after it")
PY
