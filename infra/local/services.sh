#!/usr/bin/env bash
# Starts or stops the built services (Release) in the background, with logs and pids under .run/.
# usage: services.sh start|stop|status
#        services.sh start-extra NAME PORT | stop-extra NAME PORT   (one more instance of a listed service, e.g. a second
#        rollout-generator for make bench-grpo; logs and pid in .run/NAME-PORT.*)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
run="$root/.run"
mkdir -p "$run"

# The one service list, infra/services.tsv (name, project folder, port, routes, health path), as
# "name|project folder|assembly|base URL|health path" entries, in the list's order.
services=()
while IFS=$'\t' read -r name dir port _routes health; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  services+=("$name|$dir|$(basename "$dir")|http://127.0.0.1:$port|$health")
done <"$root/infra/services.tsv"

# Each service runs in a session of its own under a small supervisor loop: exit code 75 is its bus watchdog asking to be
# started afresh (shared/DeepImagine.ServiceDefaults/BusWatchdog.cs), any other exit ends it. The pid file holds the
# session's leader, so the whole group is checked and signalled.
launch() { # bin folder, assembly, url, log file; prints the pid
  (cd "$1" && exec setsid bash -c 'while :; do dotnet "$0" --urls "$1"; code=$?; [ "$code" -eq 75 ] || exit "$code"
    echo "services: started again after its bus watchdog ended it (exit 75)"; done' "$2.dll" "$3" >"$4" 2>&1 </dev/null) &
  echo $!
}
is_running() { [ -f "$run/$1.pid" ] && kill -0 -- "-$(cat "$run/$1.pid")" 2>/dev/null; }
signal() { kill "$1" -- "-$(cat "$run/$2.pid")" 2>/dev/null || true; } # signal, name

start() {
  for entry in "${services[@]}"; do
    IFS='|' read -r name dir assembly url health <<<"$entry"
    if is_running "$name"; then echo "services: $name already running"; continue; fi
    local bin="$root/$dir/bin/Release/net10.0"
    [ -f "$bin/$assembly.dll" ] || { echo "services: $name is not built (make build)" >&2; exit 1; }
    # Every descriptor is redirected so the caller's pipes close; setsid detaches it from the caller's session.
    launch "$bin" "$assembly" "$url" "$run/$name.log" >"$run/$name.pid"
    for _ in $(seq 1 120); do
      if curl -fsS "$url$health" >/dev/null 2>&1; then break; fi
      if ! is_running "$name"; then echo "services: $name exited; see $run/$name.log" >&2; tail -20 "$run/$name.log" >&2; exit 1; fi
      sleep 0.5
    done
    curl -fsS "$url$health" >/dev/null || { echo "services: $name is not healthy; see $run/$name.log" >&2; exit 1; }
    echo "services: $name up at $url"
  done
}

stop() {
  for entry in "${services[@]}"; do
    IFS='|' read -r name _ _ _ _ <<<"$entry"
    if is_running "$name"; then
      signal -TERM "$name"
      for _ in $(seq 1 60); do is_running "$name" || break; sleep 0.5; done
      is_running "$name" && signal -KILL "$name"
      echo "services: $name stopped"
    fi
    rm -f "$run/$name.pid"
  done
}

status() {
  for entry in "${services[@]}"; do
    IFS='|' read -r name _ _ url health <<<"$entry"
    if is_running "$name"; then echo "$name running at $url ($(curl -fsS "$url$health" 2>/dev/null || echo unhealthy))"; else echo "$name stopped"; fi
  done
}

# Another instance of a service of the list on another port: competing consumers on the same queues.
start_extra() {
  local want="$1" port="$2" entry name dir assembly url health
  for entry in "${services[@]}"; do
    IFS='|' read -r name dir assembly url health <<<"$entry"
    [ "$name" == "$want" ] || continue
    local id="$name-$port" extra_url="http://127.0.0.1:$port" bin="$root/$dir/bin/Release/net10.0"
    if is_running "$id"; then echo "services: $id already running"; return 0; fi
    [ -f "$bin/$assembly.dll" ] || { echo "services: $name is not built (make build)" >&2; exit 1; }
    launch "$bin" "$assembly" "$extra_url" "$run/$id.log" >"$run/$id.pid"
    for _ in $(seq 1 120); do
      if curl -fsS "$extra_url$health" >/dev/null 2>&1; then echo "services: $id up at $extra_url"; return 0; fi
      if ! is_running "$id"; then echo "services: $id exited; see $run/$id.log" >&2; tail -20 "$run/$id.log" >&2; exit 1; fi
      sleep 0.5
    done
    echo "services: $id is not healthy; see $run/$id.log" >&2; exit 1
  done
  echo "services: '$want' is not in infra/services.tsv" >&2; exit 2
}

stop_extra() {
  local id="$1-$2"
  if is_running "$id"; then
    signal -TERM "$id"
    for _ in $(seq 1 60); do is_running "$id" || break; sleep 0.5; done
    is_running "$id" && signal -KILL "$id"
    echo "services: $id stopped"
  fi
  rm -f "$run/$id.pid"
}

case "${1:-}" in
  start) start ;;
  start-extra) [ $# -eq 3 ] || { echo "usage: $0 start-extra NAME PORT" >&2; exit 2; }; start_extra "$2" "$3" ;;
  stop-extra) [ $# -eq 3 ] || { echo "usage: $0 stop-extra NAME PORT" >&2; exit 2; }; stop_extra "$2" "$3" ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status|start-extra NAME PORT|stop-extra NAME PORT" >&2; exit 2 ;;
esac
