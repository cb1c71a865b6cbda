# Shared settings for the local (loopback-only) RabbitMQ and PostgreSQL used by make run, tests and CI.
# Every value can be overridden from the environment.
export DEEPIMAGINE_PG_VERSION="${DEEPIMAGINE_PG_VERSION:-15}"
export DEEPIMAGINE_PG_PORT="${DEEPIMAGINE_PG_PORT:-5432}"
export DEEPIMAGINE_DB="${DEEPIMAGINE_DB:-deepimagine}"
export DEEPIMAGINE_DB_USER="${DEEPIMAGINE_DB_USER:-deepimagine}"
export DEEPIMAGINE_DB_PASSWORD="${DEEPIMAGINE_DB_PASSWORD:-deepimagine}"
export DEEPIMAGINE_RABBIT_VHOST="${DEEPIMAGINE_RABBIT_VHOST:-deepimagine}"
export DEEPIMAGINE_RABBIT_USER="${DEEPIMAGINE_RABBIT_USER:-deepimagine}"
export DEEPIMAGINE_RABBIT_PASSWORD="${DEEPIMAGINE_RABBIT_PASSWORD:-deepimagine}"
# The integration tests use their own vhost and database, so they never compete with a running `make run`.
export DEEPIMAGINE_TEST_DB="${DEEPIMAGINE_TEST_DB:-deepimagine_test}"
export DEEPIMAGINE_TEST_RABBIT_VHOST="${DEEPIMAGINE_TEST_RABBIT_VHOST:-deepimagine-test}"
