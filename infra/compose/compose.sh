#!/usr/bin/env bash
# `make compose-up` / `make compose-down`: the stack with this machine's override (host networking, loopback, the
# alternative ports). Anything else is passed to compose: compose.sh ps | logs -f pair-miner | up -d --no-deps gateway
# usage: compose.sh up|down|<compose arguments>
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
ensure_docker
case "${1:-}" in
  up)
    compose up -d
    for _ in $(seq 1 200); do
      ids="$(compose ps -q)"
      unhealthy="$(docker inspect -f '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' $ids | grep -v ' healthy$' || true)"
      [ -z "$unhealthy" ] && { compose ps; echo "compose: up; gateway http://127.0.0.1:5200 (make compose-down stops it; the volumes stay)"; exit 0; }
      sleep 3
    done
    echo "compose: not healthy after 600 s:" >&2; echo "$unhealthy" >&2; exit 1 ;;
  down) shift; compose --profile scale down --remove-orphans "$@" ;;   # volumes stay; "down -v" deletes them
  "") echo "usage: $0 up|down|<compose arguments>" >&2; exit 2 ;;
  *) compose "$@" ;;
esac
