#!/usr/bin/env bash
# Console benchmark (issue 15), against the release binary with its shipped defaults:
#  1. bytes on the wire for a first and a repeat visit of the incidents page (gzip, as a
#     browser asks; assets at hashed paths are cached, so a repeat visit fetches the page
#     and the map's points only);
#  2. server time to render the incidents list (page and live fragment) with 10,000
#     incidents stored, by wrk (p50, p99);
#  3. CONSOLES (200) live streams open while reports stream in: how long from a report's
#     webhook answer to its event on every stream (bench/live_consoles.py).
#
# Usage: bench/console.sh      (INCIDENTS=10000 CONSOLES=200 DURATION=10s to change)
set -euo pipefail
cd "$(dirname "$0")/.."

INCIDENTS=${INCIDENTS:-10000}
CONSOLES=${CONSOLES:-200}
DURATION=${DURATION:-10s}

. bench/common.sh
ensure_wrk
cargo build --release --quiet --bin vigie

workdir

cat >"$work/vigie.toml" <<TOML
admin_token = "bench"
[server]
listen = "127.0.0.1:0"
[storage]
path = "$work/console.db"
[inbound.rate_limit]
per_minute = 100000
burst = 100000
[console]
logins_per_minute = 1000
[[channels]]
id = "sim"
kind = "sim"
TOML

# The schema, then INCIDENTS incidents across Mali's communes, each with its report.
start vigie target/release/vigie serve --config "$work/vigie.toml"
stop
python3 - "$work/console.db" "$INCIDENTS" <<'PY'
import random, sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
random.seed(7)
places = [("Mopti", "Koro", "Koro", 14.06, -3.07), ("Mopti", "Bankass", "Bankass", 14.08, -3.52),
          ("Mopti", "Douentza", "Douentza", 15.00, -2.95), ("Gao", "Ansongo", "Ansongo", 15.66, 0.50),
          ("Segou", "Macina", "Macina", 13.96, -5.36), ("Tombouctou", "Goundam", "Goundam", 16.41, -3.67)]
cats = ["ATT", "ENL", "MEN", "PRES", "VOL", "DEP"]
now = int(time.time() * 1000)
c = sqlite3.connect(db)
for i in range(1, n + 1):
    a1, a2, a3, lat, lon = random.choice(places)
    t = now - random.randint(0, 30 * 86_400_000)
    cat = random.choice(cats)
    c.execute("INSERT INTO inbound_messages (channel, sender, text, received_at, content_hash, raw, state) VALUES ('sim', ?, ?, ?, ?, '', 'done')",
              (f"+2237600{i:04d}", f"{cat} {a3}", t, i))
    c.execute("INSERT INTO incidents (category, first_time, last_time, lat, lon, commune, precision, place_name, sources, severity, counts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 3, ?, 1, ?, '{}', ?, ?)",
              (cat, t, t, lat + random.uniform(-.1, .1), lon + random.uniform(-.1, .1), f"{a1}/{a2}/{a3}", f"{a3} ({a1})", random.randint(1, 5), t, t))
    iid = c.execute("select last_insert_rowid()").fetchone()[0]
    c.execute("INSERT INTO reports (inbound_id, reporter, status, category, counts, event_time, language, created_at, updated_at, incident_id, admin1, admin2, admin3, place_name) VALUES (?, ?, 'filed', ?, '{}', ?, 'fr', ?, ?, ?, ?, ?, ?, ?)",
              (i, f"+2237600{i:04d}", cat, t, t, t, iid, a1, a2, a3, a3))
c.execute("DELETE FROM changes")
c.commit()
print(f"seeded {n} incidents")
PY

start vigie target/release/vigie serve --config "$work/vigie.toml"
base="http://$ADDR"
curl -s -o /dev/null -c "$work/jar" -d token=bench "$base/console/login"
cookie="vigie_session=$(awk '/vigie_session/ {print $7}' "$work/jar")"

echo "== bytes on the wire (gzip; bodies and headers)"
# wire PATH [HEADER...]: the bytes one request brings back, headers included.
wire() {
  local path=$1; shift
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  curl -s -o /dev/null -w '%{size_download} %{size_header}' -H 'Accept-Encoding: gzip' \
    -H "Cookie: $cookie" "${args[@]}" "$base$path" | awk '{print $1 + $2}'
}
page=$(curl -s --compressed -H "Cookie: $cookie" "$base/console/incidents")
html=$(wire /console/incidents)
assets=0
for path in $(grep -o '/console/assets/[^"]*' <<<"$page" | sed 's|&#x2f;|/|g' | sort -u); do
  assets=$((assets + $(wire "$path")))
done
points_path=$(grep -o 'data-points="[^"]*"' <<<"$page" | sed 's/data-points="//; s/"$//; s/&amp;/\&/g; s|&#x2f;|/|g')
points=$(wire "$points_path")
basemap=$(wire /console/map/basemap.geojson)
etag=$(curl -s -D - -o /dev/null -H "Cookie: $cookie" "$base$points_path" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')
points_again=$(wire "$points_path" "If-None-Match: $etag")
echo "page $html, assets $assets, basemap $basemap, map points $points (again, unchanged: $points_again)"
# A repeat visit: assets (immutable) and the basemap (a day) come from the browser's cache.
echo "first visit: $((html + assets + basemap + points)) bytes; repeat visit: $((html + points_again)) bytes"

echo "== render time with $INCIDENTS incidents (wrk, 4 connections, $DURATION)"
for path in /console/incidents /console/incidents/rows; do
  wrk -t2 -c4 -d2s -H "Cookie: $cookie" "$base$path" >/dev/null
  wrk -t2 -c4 -d"$DURATION" --latency -H "Cookie: $cookie" "$base$path" \
    | awk -v p="$path" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print p": p50 "p50", p99 "p99", "rps" req/s"}'
done

echo "== $CONSOLES live consoles while reports stream in"
python3 bench/live_consoles.py "$base" "$cookie" "$CONSOLES"
stop
