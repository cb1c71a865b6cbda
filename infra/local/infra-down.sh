#!/usr/bin/env bash
# Stops the local RabbitMQ and PostgreSQL started by infra-up.sh. Idempotent.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if command -v rabbitmqctl >/dev/null 2>&1 && as_root rabbitmq-diagnostics -n rabbit@localhost -q ping >/dev/null 2>&1; then
  echo "infra-down: stopping RabbitMQ"
  as_root rabbitmqctl -n rabbit@localhost shutdown >/dev/null   # 'shutdown' waits for the node to exit; 'stop' does not
fi
if command -v pg_lsclusters >/dev/null 2>&1 && pg_lsclusters -h | awk -v v="$DEEPIMAGINE_PG_VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
  echo "infra-down: stopping PostgreSQL"
  as_root pg_ctlcluster "$DEEPIMAGINE_PG_VERSION" main stop
fi
echo "infra-down: done"
