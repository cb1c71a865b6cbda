#!/usr/bin/env bash
# Regression check for issue 7: runs infra-up's configuration step under `umask 077` into a scratch directory and
# verifies, as the users the services run as (rabbitmq, postgres), that they can read every file written for them and
# enter every directory on the way. Needs root (or sudo) and the two users (present once infra-up installed the packages).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
for user in rabbitmq postgres; do
  getent passwd "$user" >/dev/null || { echo "config-permissions: user '$user' does not exist; run 'make infra-up' first" >&2; exit 1; }
done

scratch="$(as_root mktemp -d /tmp/deepimagine-config-check.XXXXXX)"
trap 'as_root rm -rf "$scratch"' EXIT
as_root chmod 0755 "$scratch"   # stands in for /var/lib and /etc, which everyone may enter

(
  umask 077
  as_root env DEEPIMAGINE_RABBIT_BASE="$scratch/deepimagine/rabbitmq" DEEPIMAGINE_PG_CONF_DIR="$scratch/postgresql/conf.d" \
    bash "$here/infra-up.sh" --configure-only
)

failures=0
check() { # user test-flag path
  if as_root runuser -u "$1" -- test "$2" "$3"; then echo "ok   $1 can $4 $3"; else echo "FAIL $1 cannot $4 $3"; failures=$((failures + 1)); fi
}
expect_files() { # user dir file...: those files exist, and every file and directory under dir is usable by user
  local user="$1" dir="$2"; shift 2
  for name in "$@"; do as_root test -f "$dir/$name" || { echo "FAIL $dir/$name was not written"; failures=$((failures + 1)); }; done
  while IFS= read -r d; do check "$user" -x "$d" enter; done < <(as_root find "$dir" -type d)
  while IFS= read -r f; do check "$user" -r "$f" read; done < <(as_root find "$dir" -type f)
}
expect_files rabbitmq "$scratch/deepimagine/rabbitmq" etc/rabbitmq.conf etc/enabled_plugins etc/rabbitmq-env.conf
check rabbitmq -w "$scratch/deepimagine/rabbitmq/mnesia" write
check rabbitmq -w "$scratch/deepimagine/rabbitmq/log" write
expect_files postgres "$scratch/postgresql/conf.d" deepimagine.conf

if [ "$failures" -gt 0 ]; then echo "config-permissions: $failures check(s) failed"; exit 1; fi
echo "config-permissions: every file is readable by the user that reads it"
