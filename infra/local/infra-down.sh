#!/usr/bin/env bash
# Stops the local RabbitMQ and PostgreSQL started by infra-up.sh. Idempotent.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
source "$here/lib.sh"

if command -v rabbitmqctl >/dev/null 2>&1 && rabbit_ping; then
  echo "infra-down: stopping RabbitMQ"
  rabbit_tool rabbitmqctl shutdown >/dev/null   # 'shutdown' waits for the node to exit; 'stop' does not
fi
if command -v pg_lsclusters >/dev/null 2>&1 && pg_online; then
  echo "infra-down: stopping PostgreSQL"
  as_root pg_ctlcluster "$DEEPIMAGINE_PG_VERSION" "$DEEPIMAGINE_PG_CLUSTER" stop
fi
echo "infra-down: done"
