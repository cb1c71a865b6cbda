#!/usr/bin/env bash
# Installs (when missing), configures and starts RabbitMQ and PostgreSQL on loopback only. No systemd is needed.
# Idempotent: running it while both are up changes nothing. Any umask: every file a service reads is written with an
# explicit owner and mode. When a node does not start, prints the end of its log and exits non-zero within
# DEEPIMAGINE_START_TIMEOUT seconds.
#   --configure-only   write the configuration files only (no install, no start): what the permission check runs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
source "$here/lib.sh"

install_packages() {
  local missing=()
  command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
  command -v pg_ctlcluster >/dev/null 2>&1 && [ -d "/usr/lib/postgresql/$DEEPIMAGINE_PG_VERSION" ] || missing+=(postgresql postgresql-contrib)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "infra-up: installing ${missing[*]}"
    as_root apt-get update -q
    # RUNLEVEL=1 keeps the packages from starting their own services; we start them below.
    as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

write_config() { # owner path: writes stdin there, owner-owned and world-readable (0644) whatever the umask
  local owner="$1" path="$2" tmp; tmp="$(mktemp)"; cat >"$tmp"
  # Installed on every run, so a file left with a wrong owner or mode by an earlier run is repaired.
  as_root install -m 0644 -o "$owner" -g "$owner" "$tmp" "$path"
  rm -f "$tmp"
}
make_dir() { as_root install -d -m "$1" -o "$2" -g "$2" "$3"; } # mode owner path

configure_rabbitmq() {
  local base="$DEEPIMAGINE_RABBIT_BASE" port="$DEEPIMAGINE_RABBIT_PORT" management="$DEEPIMAGINE_RABBIT_MANAGEMENT_PORT"
  make_dir 0755 root "$(dirname "$base")"
  make_dir 0755 rabbitmq "$base"
  make_dir 0755 rabbitmq "$rabbit_etc"
  make_dir 0750 rabbitmq "$base/mnesia"
  make_dir 0755 rabbitmq "$rabbit_log_dir"
  # The Erlang cookie lives in the rabbitmq user's home, which `rm -rf /var/lib/rabbitmq` may have removed.
  local home; home="$(getent passwd rabbitmq | cut -d: -f6)"
  [ -d "$home" ] || make_dir 0755 rabbitmq "$home"
  write_config rabbitmq "$rabbit_etc/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$port
loopback_users = none
# The node logs to its file only; start-up errors before logging is set up still reach the boot log.
log.console = false
$(if [ "$management" != 0 ]; then printf 'management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = %s' "$management"; fi)
CONF
  write_config rabbitmq "$rabbit_etc/enabled_plugins" <<CONF
[$([ "$management" != 0 ] && echo rabbitmq_management)].
CONF
  # Read by the node's start script (RABBITMQ_CONF_ENV_FILE); the distribution port must differ per node on one machine.
  write_config rabbitmq "$rabbit_env_file" <<CONF
NODENAME=$DEEPIMAGINE_RABBIT_NODE
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=$port
DIST_PORT=$((port + 20000))
CONFIG_FILE=$rabbit_etc/rabbitmq.conf
ENABLED_PLUGINS_FILE=$rabbit_etc/enabled_plugins
MNESIA_BASE=$base/mnesia
LOG_BASE=$rabbit_log_dir
ERL_EPMD_ADDRESS=127.0.0.1
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CONF
}

configure_postgresql() {
  make_dir 0755 postgres "$DEEPIMAGINE_PG_CONF_DIR"
  # conf.d is included after postgresql.conf, so these win over the package's defaults.
  write_config postgres "$DEEPIMAGINE_PG_CONF_DIR/deepimagine.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $DEEPIMAGINE_PG_PORT
# Enough connections for the services, the test hosts and benchmarks at once.
max_connections = 300
CONF
}

rabbit_failed() { # reason: prints the cause (the boot log's first errors come first; the rest is the crash report)
  echo "infra-up: RabbitMQ node $DEEPIMAGINE_RABBIT_NODE did not start: $1" >&2
  if as_root grep -q '\[error\]' "$rabbit_boot_log"; then
    echo "--- first errors in $rabbit_boot_log" >&2
    as_root grep -m 10 '\[error\]' "$rabbit_boot_log" >&2
  else
    echo "--- last lines of $rabbit_boot_log" >&2
    as_root tail -n 25 "$rabbit_boot_log" >&2 || true
  fi
  local node_log="$rabbit_log_dir/$DEEPIMAGINE_RABBIT_NODE.log" size
  size="$(as_root stat -c %s "$node_log" 2>/dev/null || echo 0)"
  if [ "$size" -gt "$node_log_size_at_start" ]; then
    echo "--- last lines this start wrote to $node_log" >&2
    as_root tail -c +"$((node_log_size_at_start + 1))" "$node_log" | tail -n 15 >&2
  fi
  exit 1
}

# A RabbitMQ node that is not ours but holds our port (e.g. one the package started with its defaults) is stopped;
# anything else there is an error to report, not to kill.
free_rabbit_port() {
  local line pid
  line="$(as_root ss -ltnpH "sport = :$DEEPIMAGINE_RABBIT_PORT" | head -1)"
  [ -n "$line" ] || return 0
  pid="$(grep -o 'pid=[0-9]*' <<<"$line" | head -1 | cut -d= -f2)"
  if [ -n "$pid" ] && [ "$(ps -o user= -p "$pid")" = rabbitmq ] && ps -o comm= -p "$pid" | grep -q beam; then
    echo "infra-up: stopping the RabbitMQ node (pid $pid) that holds port $DEEPIMAGINE_RABBIT_PORT but is not $DEEPIMAGINE_RABBIT_NODE"
    as_root kill "$pid"; for _ in $(seq 1 20); do as_root kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
  fi
  echo "infra-up: port $DEEPIMAGINE_RABBIT_PORT is taken by another process: $line" >&2
  exit 1
}

start_rabbitmq() {
  local stamp="$DEEPIMAGINE_RABBIT_BASE/started-with.sha256" config_hash
  config_hash="$(as_root cat "$rabbit_etc/rabbitmq.conf" "$rabbit_etc/enabled_plugins" "$rabbit_env_file" | sha256sum | cut -d' ' -f1)"
  if rabbit_ping && [ "$(as_root cat "$stamp" 2>/dev/null)" != "$config_hash" ]; then
    echo "infra-up: restarting RabbitMQ: it runs with another configuration than $rabbit_etc"
    rabbit_tool rabbitmqctl shutdown >/dev/null || true
  fi
  if rabbit_ping; then echo "infra-up: RabbitMQ already running"; else
    free_rabbit_port
    echo "infra-up: starting RabbitMQ ($DEEPIMAGINE_RABBIT_NODE, boot log $rabbit_boot_log)"
    as_root install -m 0644 -o "$(id -u)" -g "$(id -g)" /dev/null "$rabbit_boot_log"
    node_log_size_at_start="$(as_root stat -c %s "$rabbit_log_dir/$DEEPIMAGINE_RABBIT_NODE.log" 2>/dev/null || echo 0)"
    # In the foreground (not -detached), in its own session, so its start-up errors land in the boot log and its exit is seen.
    as_root env RABBITMQ_CONF_ENV_FILE="$rabbit_env_file" setsid rabbitmq-server >>"$rabbit_boot_log" 2>&1 </dev/null &
    local server=$! deadline=$((SECONDS + DEEPIMAGINE_START_TIMEOUT))
    until rabbit_ping; do
      kill -0 "$server" 2>/dev/null || rabbit_failed "the server process exited"
      [ "$SECONDS" -lt "$deadline" ] || rabbit_failed "no answer within $DEEPIMAGINE_START_TIMEOUT s"
      sleep 1
    done
    rabbit_tool rabbitmqctl await_startup --timeout "$(( deadline > SECONDS ? deadline - SECONDS : 1 ))" >/dev/null \
      || rabbit_failed "it answers but did not finish booting within $DEEPIMAGINE_START_TIMEOUT s"
    echo "$config_hash" | as_root tee "$stamp" >/dev/null
  fi
  rabbitmqctl_q list_users | awk '{print $1}' | grep -qx "$DEEPIMAGINE_RABBIT_USER" \
    || rabbitmqctl_q add_user "$DEEPIMAGINE_RABBIT_USER" "$DEEPIMAGINE_RABBIT_PASSWORD"
  rabbitmqctl_q set_user_tags "$DEEPIMAGINE_RABBIT_USER" administrator >/dev/null
  for vhost in "$DEEPIMAGINE_RABBIT_VHOST" "$DEEPIMAGINE_TEST_RABBIT_VHOST"; do
    rabbitmqctl_q list_vhosts | grep -qx "$vhost" || rabbitmqctl_q add_vhost "$vhost"
    rabbitmqctl_q set_permissions -p "$vhost" "$DEEPIMAGINE_RABBIT_USER" ".*" ".*" ".*" >/dev/null
  done
}

pg_failed() { # what: prints what this attempt wrote to the cluster's log (pg_ctlcluster's own error is above it)
  echo "infra-up: PostgreSQL $DEEPIMAGINE_PG_VERSION/$DEEPIMAGINE_PG_CLUSTER did not $1" >&2
  local size; size="$(as_root stat -c %s "$pg_log" 2>/dev/null || echo 0)"
  if [ "$size" -gt "$pg_log_size_at_start" ]; then
    echo "--- last lines this attempt wrote to $pg_log" >&2
    as_root tail -c +"$((pg_log_size_at_start + 1))" "$pg_log" | tail -n 20 >&2
  else
    echo "--- nothing new in $pg_log: the error above is pg_ctlcluster's" >&2
  fi
  exit 1
}

start_postgresql() {
  local v="$DEEPIMAGINE_PG_VERSION" c="$DEEPIMAGINE_PG_CLUSTER"
  pg_log_size_at_start="$(as_root stat -c %s "$pg_log" 2>/dev/null || echo 0)"
  if pg_online; then
    # Restart only when the running server's settings differ from ours (they need a restart, not a reload).
    local running_port wanted="127.0.0.1 $DEEPIMAGINE_PG_PORT 300" running
    running_port="$(pg_lsclusters -h | awk -v v="$v" -v c="$c" '$1==v && $2==c {print $3}')"
    running="$(as_root runuser -u postgres -- psql -p "$running_port" -qtA -c \
      "select current_setting('listen_addresses')||' '||current_setting('port')||' '||current_setting('max_connections')")"
    if [ "$running" != "$wanted" ]; then
      echo "infra-up: restarting PostgreSQL with the loopback-only configuration (was: $running)"
      as_root timeout "$DEEPIMAGINE_START_TIMEOUT" pg_ctlcluster "$v" "$c" restart || pg_failed "restart"
    else
      echo "infra-up: PostgreSQL already running"
    fi
  else
    echo "infra-up: starting PostgreSQL"
    as_root timeout "$DEEPIMAGINE_START_TIMEOUT" pg_ctlcluster "$v" "$c" start || pg_failed "start"
  fi
  if [ "$(pg_psql -c "select 1 from pg_roles where rolname='$DEEPIMAGINE_DB_USER'")" != "1" ]; then
    pg_psql -c "create role \"$DEEPIMAGINE_DB_USER\" login createdb password '$DEEPIMAGINE_DB_PASSWORD'"
  fi
  for db in "$DEEPIMAGINE_DB" "$DEEPIMAGINE_TEST_DB"; do
    if [ "$(pg_psql -c "select 1 from pg_database where datname='$db'")" != "1" ]; then
      pg_psql -c "create database \"$db\" owner \"$DEEPIMAGINE_DB_USER\""
    fi
  done
}

if [ "${1:-}" = "--configure-only" ]; then
  configure_rabbitmq
  configure_postgresql
  exit 0
fi
install_packages
configure_rabbitmq
start_rabbitmq
if ! pg_exists; then
  echo "infra-up: creating PostgreSQL cluster $DEEPIMAGINE_PG_VERSION/$DEEPIMAGINE_PG_CLUSTER"
  as_root pg_createcluster "$DEEPIMAGINE_PG_VERSION" "$DEEPIMAGINE_PG_CLUSTER" -p "$DEEPIMAGINE_PG_PORT" >/dev/null
fi
configure_postgresql
start_postgresql
echo "infra-up: RabbitMQ amqp://127.0.0.1:$DEEPIMAGINE_RABBIT_PORT/$DEEPIMAGINE_RABBIT_VHOST, PostgreSQL 127.0.0.1:$DEEPIMAGINE_PG_PORT/$DEEPIMAGINE_DB"
