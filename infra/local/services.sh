#!/usr/bin/env bash
# Starts or stops the built services (Release) in the background, with logs and pids under .run/.
# usage: services.sh start|stop|status
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
run="$root/.run"
mkdir -p "$run"

# name | project folder | assembly | health URL
services=(
  "pair-miner|services/pair-miner/DeepImagine.PairMiner|DeepImagine.PairMiner|http://127.0.0.1:5101"
  "trace-generator|services/trace-generator/DeepImagine.TraceGenerator|DeepImagine.TraceGenerator|http://127.0.0.1:5102"
  "gpu-learner|services/gpu-learner/DeepImagine.GpuLearner|DeepImagine.GpuLearner|http://127.0.0.1:5103"
  "gateway|services/gateway/DeepImagine.Gateway|DeepImagine.Gateway|http://127.0.0.1:5100"
)

is_running() { [ -f "$run/$1.pid" ] && kill -0 "$(cat "$run/$1.pid")" 2>/dev/null; }

start() {
  for entry in "${services[@]}"; do
    IFS='|' read -r name dir assembly url <<<"$entry"
    if is_running "$name"; then echo "services: $name already running"; continue; fi
    local bin="$root/$dir/bin/Release/net10.0"
    [ -f "$bin/$assembly.dll" ] || { echo "services: $name is not built (make build)" >&2; exit 1; }
    # Every descriptor is redirected so the caller's pipes close; setsid detaches it from the caller's session.
    (cd "$bin" && exec setsid dotnet "$assembly.dll" --urls "$url" >"$run/$name.log" 2>&1 </dev/null) &
    echo $! >"$run/$name.pid"
    for _ in $(seq 1 120); do
      if curl -fsS "$url/health" >/dev/null 2>&1; then break; fi
      if ! is_running "$name"; then echo "services: $name exited; see $run/$name.log" >&2; tail -20 "$run/$name.log" >&2; exit 1; fi
      sleep 0.5
    done
    curl -fsS "$url/health" >/dev/null || { echo "services: $name is not healthy; see $run/$name.log" >&2; exit 1; }
    echo "services: $name up at $url"
  done
}

stop() {
  for entry in "${services[@]}"; do
    IFS='|' read -r name _ _ _ <<<"$entry"
    if is_running "$name"; then
      kill "$(cat "$run/$name.pid")" 2>/dev/null || true
      for _ in $(seq 1 60); do is_running "$name" || break; sleep 0.5; done
      is_running "$name" && kill -9 "$(cat "$run/$name.pid")" 2>/dev/null || true
      echo "services: $name stopped"
    fi
    rm -f "$run/$name.pid"
  done
}

status() {
  for entry in "${services[@]}"; do
    IFS='|' read -r name _ _ url <<<"$entry"
    if is_running "$name"; then echo "$name running at $url ($(curl -fsS "$url/health" 2>/dev/null || echo unhealthy))"; else echo "$name stopped"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
