#!/usr/bin/env bash
# A private RabbitMQ node and PostgreSQL cluster for the fault tests (make test-faults), so that they can be restarted
# and killed without touching the shared ones on 5672 / 5432. Loopback only; everything lives under a scratch folder.
#   faults-infra.sh up | down | restart-rabbitmq | restart-postgresql | status
# Settings (environment): FAULTS_SCRATCH (default .run/faults), FAULTS_AMQP_PORT (5674), FAULTS_RABBIT_DIST_PORT (25674),
# FAULTS_MANAGEMENT_PORT (15674), FAULTS_PG_PORT (5434).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
scratch="${FAULTS_SCRATCH:-$root/.run/faults}"
amqp_port="${FAULTS_AMQP_PORT:-5674}"
dist_port="${FAULTS_RABBIT_DIST_PORT:-25674}"
management_port="${FAULTS_MANAGEMENT_PORT:-15674}"
pg_port="${FAULTS_PG_PORT:-5434}"
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
node="rabbit-faults@localhost"
user=deepimagine; password=deepimagine

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# The node reads only these files, never /etc/rabbitmq, so the shared node's configuration is not involved.
rabbit_env() {
  export RABBITMQ_NODENAME="$node" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$amqp_port" RABBITMQ_DIST_PORT="$dist_port"
  export RABBITMQ_CONF_ENV_FILE="$scratch/rabbitmq/rabbitmq-env.conf" RABBITMQ_CONFIG_FILE="$scratch/rabbitmq/rabbitmq.conf"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$scratch/rabbitmq/enabled_plugins" RABBITMQ_MNESIA_BASE="$scratch/rabbitmq/mnesia"
  export RABBITMQ_LOG_BASE="$scratch/rabbitmq/log" RABBITMQ_PID_FILE="$scratch/rabbitmq/rabbit.pid" ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}
ctl() { rabbit_env; /usr/lib/rabbitmq/bin/rabbitmqctl -n "$node" -q "$@"; }
rabbit_ping() { ctl ping >/dev/null 2>&1; }

start_rabbitmq() {
  rabbit_env
  mkdir -p "$scratch/rabbitmq/mnesia" "$scratch/rabbitmq/log"
  : >"$scratch/rabbitmq/rabbitmq-env.conf"
  cat >"$scratch/rabbitmq/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$amqp_port
management.tcp.ip = 127.0.0.1
management.tcp.port = $management_port
loopback_users = none
CONF
  echo "[rabbitmq_management]." >"$scratch/rabbitmq/enabled_plugins"
  if rabbit_ping; then return; fi
  /usr/lib/rabbitmq/bin/rabbitmq-server -detached
  for _ in $(seq 1 120); do rabbit_ping && break; sleep 1; done
  ctl await_startup --timeout 120 >/dev/null
  ctl list_users | awk '{print $1}' | grep -qx "$user" || ctl add_user "$user" "$password" >/dev/null
  ctl set_user_tags "$user" administrator >/dev/null
  ctl set_permissions -p / "$user" ".*" ".*" ".*" >/dev/null
}

stop_rabbitmq() { if rabbit_ping; then ctl shutdown >/dev/null 2>&1 || true; fi; }

pg_data="$scratch/postgresql/data"
pg_ctl() { as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$scratch/postgresql/log" "$@"; }

start_postgresql() {
  mkdir -p "$scratch/postgresql"
  [ "$(id -u)" -eq 0 ] && chown postgres "$scratch/postgresql" && chmod 755 "$scratch" "$scratch/.." 2>/dev/null || true
  if [ ! -f "$pg_data/PG_VERSION" ]; then
    as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 >/dev/null
    cat >>"$pg_data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$scratch/postgresql'
max_connections = 200
CONF
  fi
  if ! as_postgres "$pg_bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; then pg_ctl -w -t 60 start >/dev/null; fi
  psql_admin -tc "select 1 from pg_roles where rolname = '$user'" | grep -q 1 \
    || psql_admin -c "create role $user login password '$password'" >/dev/null
  psql_admin -tc "select 1 from pg_database where datname = 'deepimagine_faults'" | grep -q 1 \
    || psql_admin -c "create database deepimagine_faults owner $user" >/dev/null
}
psql_admin() { as_postgres "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres "$@"; }
stop_postgresql() { if [ -f "$pg_data/PG_VERSION" ]; then pg_ctl -m fast -w stop >/dev/null 2>&1 || true; fi; }

case "${1:-}" in
  up) start_postgresql; start_rabbitmq; echo "faults-infra: RabbitMQ 127.0.0.1:$amqp_port (management :$management_port), PostgreSQL 127.0.0.1:$pg_port" ;;
  down) stop_rabbitmq; stop_postgresql ;;
  restart-rabbitmq) stop_rabbitmq; start_rabbitmq ;;
  stop-rabbitmq) stop_rabbitmq ;;
  start-rabbitmq) start_rabbitmq ;;
  restart-postgresql) pg_ctl -m fast -w -t 60 restart >/dev/null ;;
  status) rabbit_ping && echo "rabbitmq up" || echo "rabbitmq down"; as_postgres "$pg_bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1 && echo "postgresql up" || echo "postgresql down" ;;
  *) echo "usage: $0 up|down|restart-rabbitmq|stop-rabbitmq|start-rabbitmq|restart-postgresql|status" >&2; exit 2 ;;
esac
