#!/usr/bin/env bash
# One line per piece of the local infrastructure (for ops and bug reports); exits non-zero when any piece fails.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
source "$here/lib.sh"

failures=0
report() { # ok? what detail
  if [ "$1" = 0 ]; then printf 'ok    %-36s %s\n' "$2" "$3"; else printf 'FAIL  %-36s %s\n' "$2" "$3"; failures=$((failures + 1)); fi
}
package_version() { dpkg-query -W -f '${Status} ${Version}' "$1" 2>/dev/null | awk '$3=="installed" {print $4}'; }

for package in rabbitmq-server "postgresql-$DEEPIMAGINE_PG_VERSION"; do
  version="$(package_version "$package")"
  report "$([ -n "$version" ]; echo $?)" "package $package" "${version:-not installed (make infra-up installs it)}"
done

readable_by() { # user path...
  local user="$1" bad=(); shift
  for path in "$@"; do as_root runuser -u "$user" -- test -r "$path" 2>/dev/null || bad+=("$path"); done
  report "${#bad[@]}" "config readable by $user" "$([ ${#bad[@]} -eq 0 ] && echo "$*" || echo "missing or unreadable: ${bad[*]}")"
}
readable_by rabbitmq "$rabbit_etc/rabbitmq.conf" "$rabbit_etc/enabled_plugins" "$rabbit_env_file"
readable_by postgres "$DEEPIMAGINE_PG_CONF_DIR/deepimagine.conf"

epmd_port="${ERL_EPMD_PORT:-4369}"
for port in "$DEEPIMAGINE_RABBIT_PORT" "$((DEEPIMAGINE_RABBIT_PORT + 20000))" "$DEEPIMAGINE_RABBIT_MANAGEMENT_PORT" "$epmd_port" "$DEEPIMAGINE_PG_PORT"; do
  [ "$port" != 0 ] || continue
  addresses="$(ss -ltnH "sport = :$port" | awk '{print $4}' | sed -E 's/:[0-9]+$//' | sort -u | paste -sd' ')"
  if [ -z "$addresses" ]; then report 1 "port $port" "nothing listens"
  else
    outside="$(tr ' ' '\n' <<<"$addresses" | grep -v -E '^(127\.[0-9.]+|\[::1\]|)$' | tr '\n' ' ')"
    report "$([ -z "$outside" ]; echo $?)" "port $port on loopback only" "${outside:+also on $outside}${outside:-$addresses}"
  fi
done

if rabbit_ping; then report 0 "rabbitmq node" "$DEEPIMAGINE_RABBIT_NODE answers"
  vhosts="$(rabbitmqctl_q list_vhosts 2>/dev/null)"
  for vhost in "$DEEPIMAGINE_RABBIT_VHOST" "$DEEPIMAGINE_TEST_RABBIT_VHOST"; do
    report "$(grep -qx "$vhost" <<<"$vhosts"; echo $?)" "rabbitmq vhost $vhost" "$(grep -qx "$vhost" <<<"$vhosts" && echo present || echo "missing (make infra-up creates it)")"
  done
  users="$(rabbitmqctl_q list_users 2>/dev/null | awk '{print $1}')"
  report "$(grep -qx "$DEEPIMAGINE_RABBIT_USER" <<<"$users"; echo $?)" "rabbitmq user $DEEPIMAGINE_RABBIT_USER" "$(grep -qx "$DEEPIMAGINE_RABBIT_USER" <<<"$users" && echo present || echo missing)"
else
  report 1 "rabbitmq node" "$DEEPIMAGINE_RABBIT_NODE does not answer (boot log: $rabbit_boot_log; start: make infra-up)"
fi

if pg_online; then report 0 "postgresql cluster" "$DEEPIMAGINE_PG_VERSION/$DEEPIMAGINE_PG_CLUSTER online"
  role="$(pg_psql -c "select 1 from pg_roles where rolname='$DEEPIMAGINE_DB_USER'" 2>/dev/null)"
  report "$([ "$role" = 1 ]; echo $?)" "postgresql role $DEEPIMAGINE_DB_USER" "$([ "$role" = 1 ] && echo present || echo missing)"
  for db in "$DEEPIMAGINE_DB" "$DEEPIMAGINE_TEST_DB"; do
    found="$(pg_psql -c "select 1 from pg_database where datname='$db'" 2>/dev/null)"
    report "$([ "$found" = 1 ]; echo $?)" "postgresql database $db" "$([ "$found" = 1 ] && echo present || echo "missing (make infra-up creates it)")"
  done
else
  report 1 "postgresql cluster" "$DEEPIMAGINE_PG_VERSION/$DEEPIMAGINE_PG_CLUSTER not online (log: $pg_log; start: make infra-up)"
fi

[ "$failures" -eq 0 ] && echo "doctor: all good" || echo "doctor: $failures problem(s)"
exit $(( failures > 0 ))
