#!/bin/bash
# First start: initdb with POSTGRES_USER/POSTGRES_PASSWORD and create POSTGRES_DB. Then postgres in the foreground on
# PGPORT (5432), listening on POSTGRES_LISTEN (* ; 127.0.0.1 on a host network), password auth over TCP.
set -euo pipefail
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="$(mktemp)"
  printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /var/run/postgresql" -w start >/dev/null
  [ "$db" = "postgres" ] || createdb -h /var/run/postgresql -U "$user" "$db"
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -p "${PGPORT:-5432}" -c listen_addresses="${POSTGRES_LISTEN:-*}" -k /var/run/postgresql -c max_connections=200
