#!/usr/bin/env bash
# Two builds of Vigie compared under bench/ingest.lua's load, in alternation.
#
# This shared 2-core machine drifts by a sixth within the hour, more than most changes
# gain, so one run of each proves nothing: the two binaries run in turn, PAIRS times, each
# on a fresh database, and the medians compare. Per run: messages/s stored and read by the
# intake (rows in the database, not answers), and CPU time per message read, for the whole
# process and for its writer thread (the one that sets the pace once the intake keeps up).
#
# Usage: cp target/release/vigie /tmp/vigie-old; (change, cargo build --release)
#        bench/pairs.sh /tmp/vigie-old target/release/vigie
#        (PAIRS=4 DURATION=10 CONNECTIONS=64 THREADS=2 to change)
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -eq 2 ] || { echo "usage: $0 OLD_BINARY NEW_BINARY" >&2; exit 2; }
PAIRS=${PAIRS:-4}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}

. bench/common.sh
ensure_wrk
workdir

load() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1" -s bench/ingest.lua "http://$ADDR" >/dev/null; }
count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$1" "$2"; }
stored() { count "$1" "select count(*) from inbound_messages"; }
read_rows() { count "$1" "select count(*) from inbound_messages where state != 'new'"; }
# Clock ticks a process or thread has run (user + system), from its stat file.
ticks() { awk '{print $14 + $15}' "$1"; }

# run NAME BINARY: one measured run; appends "NAME stored read cpu_ticks writer_ticks".
run() {
  local db="$work/$1.db"
  rm -f "$db" "$db-wal" "$db-shm"
  flood_config "$db" >"$work/vigie.toml"
  start "$1" "$2" serve --config "$work/vigie.toml"
  load 2s
  local writer
  writer=$(dirname "$(grep -l '^vigie-writer$' /proc/"$SERVER_PID"/task/*/comm | head -1)")
  local s0 r0 c0 w0 s1 r1 c1 w1
  s0=$(stored "$db"); r0=$(read_rows "$db")
  c0=$(ticks /proc/"$SERVER_PID"/stat); w0=$(ticks "$writer"/stat)
  load "${DURATION}s"
  c1=$(ticks /proc/"$SERVER_PID"/stat); w1=$(ticks "$writer"/stat)
  s1=$(stored "$db"); r1=$(read_rows "$db")
  stop
  echo "$1 $((s1 - s0)) $((r1 - r0)) $((c1 - c0)) $((w1 - w0))" >>"$work/results"
  echo "run: $(tail -1 "$work/results")" >&2
}

: >"$work/results"
for _ in $(seq "$PAIRS"); do
  run old "$1"
  run new "$2"
done

python3 - "$work/results" "$DURATION" "$(getconf CLK_TCK)" <<'PY'
import statistics, sys
seconds, hz = float(sys.argv[2]), float(sys.argv[3])
rows = [line.split() for line in open(sys.argv[1])]
print("| build | stored msg/s | read msg/s | Vigie CPU µs/msg | writer CPU µs/msg |")
print("| --- | --- | --- | --- | --- |")
for name in ("old", "new"):
    runs = [[int(x) for x in r[1:]] for r in rows if r[0] == name]
    stored = [s / seconds for s, _, _, _ in runs]
    read = [r / seconds for _, r, _, _ in runs]
    cpu = [1e6 * c / hz / max(r, 1) for _, r, c, _ in runs]
    writer = [1e6 * w / hz / max(r, 1) for _, r, _, w in runs]
    cells = [f"{statistics.median(v):,.0f} ({' / '.join(f'{x:,.0f}' for x in v)})"
             for v in (stored, read, cpu, writer)]
    print(f"| {name} | " + " | ".join(cells) + " |")
PY
