#!/bin/bash
# Writes rabbitmq.conf from the environment, then runs the broker in the foreground.
#   RABBITMQ_DEFAULT_USER / _PASS / _VHOST  the one user (all permissions) and vhost made on first start
#   RABBITMQ_NODE_PORT (5672), RABBITMQ_MANAGEMENT_PORT (15672), RABBITMQ_LISTEN_IP (0.0.0.0; 127.0.0.1 on a host network)
#   ERL_EPMD_PORT, RABBITMQ_NODENAME: set them on a host network that already runs another broker.
set -euo pipefail
ip="${RABBITMQ_LISTEN_IP:-0.0.0.0}"
cat >"$RABBITMQ_CONFIG_FILE" <<CONF
listeners.tcp.1 = ${ip}:${RABBITMQ_NODE_PORT:-5672}
management.tcp.ip = ${ip}
management.tcp.port = ${RABBITMQ_MANAGEMENT_PORT:-15672}
default_user = ${RABBITMQ_DEFAULT_USER:-guest}
default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}
default_vhost = ${RABBITMQ_DEFAULT_VHOST:-/}
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
loopback_users = none
log.console = true
log.console.level = info
log.file = false
CONF
if [ "$ip" = "127.0.0.1" ]; then
  # Keep Erlang distribution and epmd on loopback too.
  export ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
fi
# Debian's /usr/sbin wrapper sends output to files; the real script logs to stdout (compose logs).
exec /usr/lib/rabbitmq/bin/rabbitmq-server
