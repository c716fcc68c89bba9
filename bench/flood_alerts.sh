#!/usr/bin/env bash
# Alerts first under a flood (issue 16).
#
# Floods POST /webhooks/sim/sms with bench/ingest.lua's load (64 connections, 10,000
# unregistered senders all reporting an attack in Koro) for DURATION seconds. Meanwhile
# bench/flood_alerts.py sends one attack report a second from 20 registered monitors, each a
# new incident in a place with its own responder, and afterwards reads from the database the
# time from each probe's arrival at the webhook to its alert queued, and to the sim provider
# accepting it. Also reported: durable ingest and the intake's rate during the flood, and the
# backlog left when it ends.
#
# Usage: bench/flood_alerts.sh      (DURATION=60 CONNECTIONS=64 THREADS=2 to change)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-60}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}

. bench/common.sh
ensure_wrk
cargo build --release --quiet --bin vigie

workdir

places=(Ansongo Bandiagara Bankass Bla Bourem Djenné Douentza Gao Goundam Kidal Macina
  Menaka Niafunke Niono San Ségou Tombouctou Tominian Ténenkou Youwarou)
printf '%s\n' "${places[@]}" >"$work/places"
{
  echo "phone,name,roles,language,home,zones,discreet"
  for i in "${!places[@]}"; do
    printf '+2237690%04d,Moniteur %d,monitor,fr,%s,,false\n' "$i" "$i" "${places[$i]}"
    printf '+2237090%04d,Intervenant %d,responder,fr,,%s,false\n' "$i" "$i" "${places[$i]}"
  done
} >"$work/contacts.csv"

db="$work/vigie.db"
flood_config "$db" "$(printf '[alerts]\nsources = 1')" >"$work/vigie.toml"

target/release/vigie import contacts "$work/contacts.csv" --config "$work/vigie.toml" >&2
start vigie target/release/vigie serve --config "$work/vigie.toml"

count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1], timeout=30).execute(sys.argv[2]).fetchone()[0])" "$db" "$1"; }
before=$(count "select count(*) from inbound_messages")
read_before=$(count "select count(*) from inbound_messages where state != 'new'")
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/ingest.lua "http://$ADDR" >"$work/wrk.out" &
flood=$!
python3 bench/flood_alerts.py "$ADDR" "$db" "$DURATION" "$work/places" >"$work/probes.json" &
probes=$!
wait "$flood"
after=$(count "select count(*) from inbound_messages")
read_after=$(count "select count(*) from inbound_messages where state != 'new'")
wait "$probes"
stop

python3 - "$work/probes.json" "$work/wrk.out" "$((after - before))" "$((read_after - read_before))" "$DURATION" <<'PY'
import json, re, sys
probes = json.load(open(sys.argv[1]))
wrk = open(sys.argv[2]).read()
stored, read, seconds = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
result = re.search(r"^RESULT .*$", wrk, re.M)
print(f"flood: {stored / seconds:,.0f} durable msg/s stored, {read / seconds:,.0f} msg/s read by the intake ({result.group(0) if result else 'no wrk result'})")
print(f"backlog during the flood (every 10 s): {probes['backlog_during']}; at its end: {probes['backlog_at_flood_end']:,}")
print(f"probes: {probes['probes']}, alerted: {probes['alerted']}")
for key in ("webhook_answer_s", "to_alert_queued_s", "to_provider_accepted_s"):
    s = probes[key]
    print(f"  {key}: " + ", ".join(f"{k} {v}" for k, v in s.items()))
PY
