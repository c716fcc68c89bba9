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
