# Shared settings for the local (loopback-only) RabbitMQ and PostgreSQL used by make run, tests and CI.
# Every value can be overridden from the environment (e.g. a second node for checks: DEEPIMAGINE_RABBIT_NODE=rabbit-check@localhost
# DEEPIMAGINE_RABBIT_PORT=5673 DEEPIMAGINE_RABBIT_MANAGEMENT_PORT=15673 DEEPIMAGINE_RABBIT_BASE=/var/lib/deepimagine/rabbit-check).
export DEEPIMAGINE_PG_VERSION="${DEEPIMAGINE_PG_VERSION:-15}"
export DEEPIMAGINE_PG_CLUSTER="${DEEPIMAGINE_PG_CLUSTER:-main}"
export DEEPIMAGINE_PG_PORT="${DEEPIMAGINE_PG_PORT:-5432}"
# Our settings go into the cluster's conf.d (included last by Debian's postgresql.conf), so postgresql.conf stays the package's.
export DEEPIMAGINE_PG_CONF_DIR="${DEEPIMAGINE_PG_CONF_DIR:-/etc/postgresql/$DEEPIMAGINE_PG_VERSION/$DEEPIMAGINE_PG_CLUSTER/conf.d}"
export DEEPIMAGINE_DB="${DEEPIMAGINE_DB:-deepimagine}"
export DEEPIMAGINE_DB_USER="${DEEPIMAGINE_DB_USER:-deepimagine}"
export DEEPIMAGINE_DB_PASSWORD="${DEEPIMAGINE_DB_PASSWORD:-deepimagine}"
export DEEPIMAGINE_RABBIT_NODE="${DEEPIMAGINE_RABBIT_NODE:-rabbit@localhost}"
export DEEPIMAGINE_RABBIT_PORT="${DEEPIMAGINE_RABBIT_PORT:-5672}"
export DEEPIMAGINE_RABBIT_MANAGEMENT_PORT="${DEEPIMAGINE_RABBIT_MANAGEMENT_PORT:-15672}"
# The node's configuration, data and logs live here (owned by the project, not /etc/rabbitmq or /var/lib/rabbitmq),
# so no earlier state of the package's own directories matters.
export DEEPIMAGINE_RABBIT_BASE="${DEEPIMAGINE_RABBIT_BASE:-/var/lib/deepimagine/rabbitmq}"
export DEEPIMAGINE_RABBIT_VHOST="${DEEPIMAGINE_RABBIT_VHOST:-deepimagine}"
export DEEPIMAGINE_RABBIT_USER="${DEEPIMAGINE_RABBIT_USER:-deepimagine}"
export DEEPIMAGINE_RABBIT_PASSWORD="${DEEPIMAGINE_RABBIT_PASSWORD:-deepimagine}"
# Seconds a node may take to start before infra-up gives up and prints its log.
export DEEPIMAGINE_START_TIMEOUT="${DEEPIMAGINE_START_TIMEOUT:-60}"
# The integration tests use their own vhost and database, so they never compete with a running `make run`.
export DEEPIMAGINE_TEST_DB="${DEEPIMAGINE_TEST_DB:-deepimagine_test}"
export DEEPIMAGINE_TEST_RABBIT_VHOST="${DEEPIMAGINE_TEST_RABBIT_VHOST:-deepimagine-test}"
