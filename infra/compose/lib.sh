# Shared by images.sh and compose-test.sh: a working Docker engine and compose, the files and the project name.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
compose_files=(-f "$root/docker-compose.yml" -f "$root/infra/compose/docker-compose.host.yml")
project="${DEEPIMAGINE_COMPOSE_PROJECT:-deepimagine}"

# Installs docker.io (and compose) from the apt source when missing (needs root) and starts the engine when it is down.
ensure_docker() {
  if ! command -v dockerd >/dev/null || ! { command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1; }; then
    [ "$(id -u)" = 0 ] || { echo "compose: Docker or compose is missing; run as root (it installs docker.io and docker-compose) or install them" >&2; exit 1; }
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io docker-compose >/dev/null
  fi
  if ! docker info >/dev/null 2>&1; then
    if [ -d /run/systemd/system ]; then systemctl start docker
    else
      [ "$(id -u)" = 0 ] || { echo "compose: the Docker engine is not running; start dockerd (as root)" >&2; exit 1; }
      mkdir -p "$root/.run"
      setsid dockerd >"$root/.run/dockerd.log" 2>&1 </dev/null &
    fi
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { echo "compose: the Docker engine did not start; see $root/.run/dockerd.log" >&2; exit 1; }
  fi
}

# compose-test's own tools (curl for the HTTP calls, jq to read the prediction), installed like Docker when missing.
ensure_test_tools() {
  local missing=()
  for tool in curl jq; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" = 0 ] || { echo "compose-test: ${missing[*]} missing; run as root (it installs them) or install them" >&2; exit 1; }
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

compose() {
  if docker compose version >/dev/null 2>&1; then docker compose -p "$project" "${compose_files[@]}" "$@"
  else docker-compose -p "$project" "${compose_files[@]}" "$@"; fi
}

# "name|project folder|port" for every service in the one list, infra/services.tsv.
listed_services() {
  while IFS=$'\t' read -r name dir port _; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    echo "$name|$dir|$port"
  done <"$root/infra/services.tsv"
}
