#!/usr/bin/env bash
# Installs (when missing), configures and starts RabbitMQ and PostgreSQL on loopback only.
# Idempotent: running it while both are up changes nothing. No systemd is needed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  local missing=()
  command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
  command -v pg_ctlcluster >/dev/null 2>&1 && [ -d "/usr/lib/postgresql/$DEEPIMAGINE_PG_VERSION" ] || missing+=(postgresql postgresql-contrib)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "infra-up: installing ${missing[*]}"
    as_root apt-get update -q
    # policy-rc.d keeps the packages from starting their own (systemd) services; we start them below.
    as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

rabbit_config_changed=0
write_if_changed() { # path: writes stdin there when it differs, and notes the change
  local tmp; tmp="$(mktemp)"; cat >"$tmp"
  if ! as_root cmp -s "$tmp" "$1" 2>/dev/null; then as_root cp "$tmp" "$1"; rabbit_config_changed=1; fi
  rm -f "$tmp"
}

configure_rabbitmq() {
  as_root mkdir -p /etc/rabbitmq
  write_if_changed /etc/rabbitmq/rabbitmq.conf <<CONF
listeners.tcp.1 = 127.0.0.1:5672
management.tcp.ip = 127.0.0.1
management.tcp.port = 15672
loopback_users = none
CONF
  write_if_changed /etc/rabbitmq/rabbitmq-env.conf <<CONF
NODENAME=rabbit@localhost
ERL_EPMD_ADDRESS=127.0.0.1
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CONF
  write_if_changed /etc/rabbitmq/enabled_plugins <<CONF
[rabbitmq_management].
CONF
}

rabbit_ping() { as_root rabbitmqctl -n rabbit@localhost -q status >/dev/null 2>&1 && as_root rabbitmq-diagnostics -n rabbit@localhost -q ping >/dev/null 2>&1; }

start_rabbitmq() {
  # A node started before this configuration (e.g. by the package's own scripts) would listen beyond loopback.
  if [ "$rabbit_config_changed" = 1 ] && rabbit_ping; then
    echo "infra-up: restarting RabbitMQ with the loopback-only configuration"
    as_root rabbitmqctl -n rabbit@localhost shutdown >/dev/null || true
  fi
  if pgrep -u rabbitmq beam.smp >/dev/null 2>&1 && ! rabbit_ping; then
    echo "infra-up: a RabbitMQ node not named rabbit@localhost is running; stopping it"
    as_root pkill -u rabbitmq beam.smp || true; sleep 2
  fi
  if rabbit_ping; then echo "infra-up: RabbitMQ already running"; else
    echo "infra-up: starting RabbitMQ"
    as_root rabbitmq-server -detached
    # await_startup fails when called before the node answers at all, so ping first.
    for _ in $(seq 1 120); do rabbit_ping && break; sleep 1; done
    as_root rabbitmqctl -n rabbit@localhost await_startup --timeout 120 >/dev/null
  fi
  local ctl="rabbitmqctl -n rabbit@localhost -q"
  as_root $ctl list_users | awk '{print $1}' | grep -qx "$DEEPIMAGINE_RABBIT_USER" \
    || as_root $ctl add_user "$DEEPIMAGINE_RABBIT_USER" "$DEEPIMAGINE_RABBIT_PASSWORD"
  as_root $ctl set_user_tags "$DEEPIMAGINE_RABBIT_USER" administrator >/dev/null
  for vhost in "$DEEPIMAGINE_RABBIT_VHOST" "$DEEPIMAGINE_TEST_RABBIT_VHOST"; do
    as_root $ctl list_vhosts | grep -qx "$vhost" || as_root $ctl add_vhost "$vhost"
    as_root $ctl set_permissions -p "$vhost" "$DEEPIMAGINE_RABBIT_USER" ".*" ".*" ".*" >/dev/null
  done
}

start_postgresql() {
  local v="$DEEPIMAGINE_PG_VERSION"
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$v main"; then
    as_root pg_createcluster "$v" main -p "$DEEPIMAGINE_PG_PORT" >/dev/null
  fi
  local conf="/etc/postgresql/$v/main/postgresql.conf"
  local before; before="$(as_root md5sum "$conf")"
  as_root sed -i -E "s/^#?listen_addresses\s*=.*/listen_addresses = '127.0.0.1'/" "$conf"
  as_root sed -i -E "s/^#?port\s*=.*/port = $DEEPIMAGINE_PG_PORT/" "$conf"
  # Enough connections for the services, the test hosts and benchmarks at once.
  as_root sed -i -E "s/^#?max_connections\s*=.*/max_connections = 300/" "$conf"
  if pg_lsclusters -h | awk -v v="$v" '$1==v && $2=="main" {print $4}' | grep -q online; then
    if [ "$before" != "$(as_root md5sum "$conf")" ]; then
      echo "infra-up: restarting PostgreSQL with the loopback-only configuration"
      as_root pg_ctlcluster "$v" main restart
    else
      echo "infra-up: PostgreSQL already running"
    fi
  else
    echo "infra-up: starting PostgreSQL"
    as_root pg_ctlcluster "$v" main start
  fi
  local psql=(as_root runuser -u postgres -- psql -p "$DEEPIMAGINE_PG_PORT" -v ON_ERROR_STOP=1 -qtA)
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='$DEEPIMAGINE_DB_USER'")" != "1" ]; then
    "${psql[@]}" -c "create role \"$DEEPIMAGINE_DB_USER\" login createdb password '$DEEPIMAGINE_DB_PASSWORD'"
  fi
  for db in "$DEEPIMAGINE_DB" "$DEEPIMAGINE_TEST_DB"; do
    if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='$db'")" != "1" ]; then
      "${psql[@]}" -c "create database \"$db\" owner \"$DEEPIMAGINE_DB_USER\""
    fi
  done
}

install_packages
configure_rabbitmq
start_rabbitmq
start_postgresql
echo "infra-up: RabbitMQ amqp://127.0.0.1:5672/$DEEPIMAGINE_RABBIT_VHOST, PostgreSQL 127.0.0.1:$DEEPIMAGINE_PG_PORT/$DEEPIMAGINE_DB"
