# Shared by the load scripts: wrk installed if missing, and a server started in the
# background until it says where it listens. Source it from the repository root.

# ensure_wrk: installs wrk with apt if it is not on the PATH.
ensure_wrk() {
  if ! command -v wrk >/dev/null; then
    echo "installing wrk..." >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null
  fi
}

# workdir: a temporary folder in $work; at exit, the background jobs are stopped and it is
# removed.
workdir() {
  work=$(mktemp -d)
  trap 'jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"' EXIT
}

# flood_config DB [EXTRA] [URL] [CHANNEL_EXTRA]: Vigie's shipped defaults (SQLite,
# synchronous=FULL, log level info) on a sim channel, with the per-sender rate limit raised
# so the 10,000 senders of bench/ingest.lua are not throttled; EXTRA is TOML added before
# the channel; with URL, the database is PostgreSQL (DB then only places the key files);
# CHANNEL_EXTRA is added to the channel's table.
flood_config() {
  cat <<TOML
[server]
listen = "127.0.0.1:0"
[storage]
path = "$1"
synchronous = "full"
${3:+url = \"$3\"}
[log]
level = "info"
[inbound.rate_limit]
per_minute = 1000000
burst = 1000000
${2:-}
[[channels]]
id = "sim"
kind = "sim"
${4:-}
TOML
}

# start NAME COMMAND...: runs a server in the background, its log in $work/NAME.log; sets
# SERVER_PID, and ADDR once it listens.
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

# stop: stops the server `start` started.
stop() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; }
