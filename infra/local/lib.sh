# Helpers shared by infra-up.sh, infra-down.sh and doctor.sh (sourced after env.sh).

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

rabbit_etc="$DEEPIMAGINE_RABBIT_BASE/etc"
rabbit_env_file="$rabbit_etc/rabbitmq-env.conf"
rabbit_log_dir="$DEEPIMAGINE_RABBIT_BASE/log"
rabbit_boot_log="$rabbit_log_dir/boot.log"
pg_log="/var/log/postgresql/postgresql-$DEEPIMAGINE_PG_VERSION-$DEEPIMAGINE_PG_CLUSTER.log"

# Debian's /usr/sbin wrappers run the tools as user rabbitmq through a non-login `su`, which keeps the environment,
# so RABBITMQ_CONF_ENV_FILE reaches the node (sudo would drop it: hence `env` after as_root).
rabbit_tool() { local tool="$1"; shift; as_root env RABBITMQ_CONF_ENV_FILE="$rabbit_env_file" "$tool" -n "$DEEPIMAGINE_RABBIT_NODE" "$@"; }
rabbitmqctl_q() { rabbit_tool rabbitmqctl -q "$@"; }
rabbit_ping() { rabbit_tool rabbitmq-diagnostics -q ping --timeout 5 >/dev/null 2>&1; } # bounded: a half-started node would hold it 60 s

pg_online() { pg_lsclusters -h 2>/dev/null | awk -v v="$DEEPIMAGINE_PG_VERSION" -v c="$DEEPIMAGINE_PG_CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; }
pg_exists() { pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$DEEPIMAGINE_PG_VERSION $DEEPIMAGINE_PG_CLUSTER"; }
pg_psql() { as_root runuser -u postgres -- psql -p "$DEEPIMAGINE_PG_PORT" -v ON_ERROR_STOP=1 -qtA "$@"; }
