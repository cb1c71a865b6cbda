#!/usr/bin/env bash
# `make compose-test`: the smoke test through the real containers, on this machine's override (host networking,
# loopback, ports 5200-5204/5435/5675). Builds every image, starts the stack from empty volumes, imports the bundled
# v2 trials through the gateway, waits for storage and pairs, then
#   independent deploy: rebuilds trace-generator's image and recreates only it (up -d --no-deps) while a second import
#     runs; the gateway and pair-miner must answer throughout, and every accepted trial must be stored;
#   scale-out: ingest throughput (deepimagine bench ingest, on the bus) with one pair-miner, then with two replicas
#     competing on the same queues;
# and tears everything down (also on failure). Last line:
#   containers=<n> healthy=<n> stored=<k> lost=0 independent_restart=ok replicas2_speedup=<x>
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
gateway="http://127.0.0.1:5200"
pair_miner="http://127.0.0.1:5201"
api_key="${DEEPIMAGINE_API_KEY:-deepimagine-local-dev-key}"
bench_size="${COMPOSE_TEST_BENCH_SIZE:-2000}"
work="$(mktemp -d /tmp/deepimagine-compose-test.XXXXXX)"
started=$(date +%s)
log() { echo "compose-test: $*"; }
fail() { echo "compose-test: FAILED: $*" >&2; compose ps >&2 || true; compose logs --no-color --tail 20 2>&1 | cut -c1-300 >&2 || true; exit 1; }
teardown() { compose --profile scale down -v --remove-orphans >/dev/null 2>&1 || true; rm -rf "$work"; }
trap teardown EXIT

ensure_docker
# One client imports thousands of trials here: the gateway's per-client rate limit (100/s by default) is raised for the run.
export DEEPIMAGINE_GATEWAY_TOKENS_PER_SECOND="${DEEPIMAGINE_GATEWAY_TOKENS_PER_SECOND:-5000}"
infra/compose/images.sh

# Every container of the project healthy (or fail after a timeout); prints "<containers> <healthy>".
wait_healthy() {
  local deadline=$(( $(date +%s) + ${1:-300} )) ids total healthy
  while :; do
    ids="$(docker ps -aq --filter "label=com.docker.compose.project=$project")"
    total=$(wc -w <<<"$ids")
    healthy=$( [ -z "$ids" ] && echo 0 || docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' $ids | grep -c '^healthy$' || true)
    [ "$total" -gt 0 ] && [ "$healthy" -eq "$total" ] && { echo "$total $healthy"; return 0; }
    [ "$(date +%s)" -lt "$deadline" ] || { docker ps -a --filter "label=com.docker.compose.project=$project" >&2; fail "$healthy of $total containers healthy after ${1:-300}s"; }
    sleep 3
  done
}

stored_count() { curl -fsS "$gateway/api/trials/stats" | grep -o '"records":[0-9]*' | awk -F: '{s+=$2} END {print s+0}'; }
pair_count() { curl -fsS "$gateway/api/pairs/stats" | grep -o '"count":[0-9]*' | awk -F: '{s+=$2} END {print s+0}'; }

# Writes one file per study (named by its NCT id) from a jsonl(.gz); with a prefix digit, rewrites every NCT id of the
# study (NCT0xxxxxxx -> NCT<digit>xxxxxxx) so the copies are new trials.
split_studies() { # source dir [digit]
  mkdir -p "$2"
  local n=0 line id
  while IFS= read -r line; do
    [ -n "${3:-}" ] && line="$(sed -E "s/NCT0([0-9]{7})/NCT${3}\1/g" <<<"$line")"
    id="$(grep -o -m1 '"nctId":"NCT[0-9]*"' <<<"$line" | head -1 | cut -d'"' -f4)"
    [ -n "$id" ] || fail "a study in $1 (line $((n + 1))) has no protocolSection.identificationModule.nctId"
    printf '%s' "$line" >"$2/$id.json"
    n=$((n + 1))
  done < <(zcat -f "$1")
}

# POSTs every file of a directory to the gateway (8 at a time). Each answer must be 202 Accepted or 400 (a record the
# service refuses, with a problem naming the field); anything else fails the test. Prints the number accepted.
import_dir() { # dir
  local config="$work/$(basename "$1").curl" codes="$work/$(basename "$1").codes"
  : >"$config"
  for f in "$1"/*.json; do
    # "next" only between transfers: a trailing one is an empty transfer that makes curl abort the others.
    [ -s "$config" ] && echo next >>"$config"
    printf 'url = "%s/api/trials"\nheader = "Content-Type: application/json"\nheader = "X-Api-Key: %s"\ndata-binary = "@%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
      "$gateway" "$api_key" "$f" >>"$config"
  done
  curl -sS --no-progress-meter --parallel --parallel-max 8 -K "$config" >"$codes" 2>"$work/curl.err" || true
  local other answered
  answered=$(wc -l <"$codes")
  [ "$answered" -eq "$(ls "$1" | wc -l)" ] || { echo "compose-test: FAILED: importing $1, curl finished $answered of $(ls "$1" | wc -l) transfers: $(sort -u "$work/curl.err" | head -3)" >&2; exit 1; }
  other="$(grep -v -x -e 202 -e 400 "$codes" | sort | uniq -c | tr -s ' ' | tr '\n' ',' || true)"
  [ -z "$other" ] || { echo "compose-test: FAILED: importing $1 got answers other than 202/400 (count code): $other $(sort -u "$work/curl.err" | head -3)" >&2; exit 1; }
  grep -c -x 202 "$codes" || true
}

# Waits until the stored count reaches a target (or stops growing for 60 s); prints it.
wait_stored() { # target
  local last=-1 same=0 now
  while :; do
    now="$(stored_count)"
    [ "$now" -ge "$1" ] && { echo "$now"; return; }
    if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0; fi
    [ $same -lt 20 ] || { echo "$now"; return; }
    last=$now; sleep 3
  done
}

log "starting RabbitMQ, PostgreSQL and the services from empty volumes"
compose --profile scale down -v --remove-orphans >/dev/null 2>&1 || true
compose up -d 2>&1 | grep -v '^Creating' || true
health=$(wait_healthy 600); read -r containers healthy <<<"$health"
log "$healthy of $containers containers healthy"

log "importing the bundled v2 trials through the gateway"
split_studies data/ctgov-v2-json/studies.jsonl.gz "$work/bundled"
published=$(import_dir "$work/bundled")
distinct=$(ls "$work/bundled" | wc -l)
refused=$(grep -c -x 400 "$work/bundled.codes" || true)
[ "$((published + refused))" -eq "$distinct" ] || fail "the gateway answered $published accepted + $refused refused for $distinct bundled trials"
[ "$published" -gt 0 ] || fail "the gateway accepted none of the bundled trials"
stored=$(wait_stored "$published")
[ "$stored" -eq "$published" ] || fail "stored $stored of $published published trials"
# Pairs: mined after storage; wait until the count stops growing.
pairs=0; for _ in $(seq 1 40); do now=$(pair_count); [ "$now" -gt 0 ] && [ "$now" -eq "$pairs" ] && break; pairs=$now; sleep 3; done
[ "$pairs" -gt 0 ] || fail "no pairs mined from $stored trials"
log "published=$published (refused as invalid: $refused) stored=$stored pairs=$pairs"

log "independent deploy: rebuilding trace-generator's image, then recreating only it while a second import runs"
split_studies data/ctgov-v2-json/studies.jsonl.gz "$work/deploy" 8
split_studies data/ctgov-v2-json/studies.jsonl.gz "$work/deploy" 9
infra/compose/images.sh trace-generator
old_id="$(compose ps -q trace-generator)"
( import_dir "$work/deploy" >"$work/deploy.accepted" ) &
importer=$!
# The others keep serving: the gateway and pair-miner are polled every half second until import and deploy are done.
( failures=0; while kill -0 $importer 2>/dev/null || [ ! -f "$work/deployed" ]; do
    curl -fsS -o /dev/null -m 5 "$gateway/health" && curl -fsS -o /dev/null -m 5 "$pair_miner/health" || failures=$((failures + 1))
    sleep 0.5; done; echo $failures >"$work/probe.failures" ) &
prober=$!
sleep 2
kill -0 $importer 2>/dev/null || fail "the second import ended before the deploy began; nothing was tested"
compose up -d --no-deps --force-recreate trace-generator 2>&1 | grep -v '^Recreating' || true
kill -0 $importer 2>/dev/null && overlap="the whole recreate" || overlap="the start of the recreate"
touch "$work/deployed"
wait $importer; wait $prober
new_id="$(compose ps -q trace-generator)"
[ "$new_id" != "$old_id" ] || fail "trace-generator was not recreated"
wait_healthy 300 >/dev/null
deploy_published=$(cat "$work/deploy.accepted")
probe_failures=$(cat "$work/probe.failures")
# The copies are the bundled studies twice under new ids: the same ones must be accepted as before.
[ "$deploy_published" -eq "$((2 * published))" ] || fail "during the deploy the gateway accepted $deploy_published trials, before it $published of the same studies (x2)"
[ "$probe_failures" -eq 0 ] || fail "gateway or pair-miner health failed $probe_failures times during the deploy"
published=$((published + deploy_published))
stored=$(wait_stored "$published")
lost=$((published - stored))
[ "$lost" -eq 0 ] || fail "published $published, stored $stored: $lost lost"
log "independent deploy ok: trace-generator recreated while the import ran (during $overlap), gateway and pair-miner answered throughout, published=$published stored=$stored"

log "scale-out: ingest throughput (bench ingest, $bench_size trials) with 1 and 2 pair-miner replicas"
bench() { Gateway__Url="$gateway" RabbitMq__Host=127.0.0.1 RabbitMq__Port=5675 ./deepimagine bench ingest --sizes "$bench_size" \
  | tee -a "$work/bench.log" | grep -o 'trials_per_s=[0-9.]*' | tail -1 | cut -d= -f2; }
one=$(bench)
compose --profile scale up -d --no-deps pair-miner-2
health=$(wait_healthy 300); read -r containers healthy <<<"$health"
two=$(bench)
[ -n "$one" ] && [ -n "$two" ] || fail "bench ingest printed no throughput: $(cat "$work/bench.log")"
speedup=$(awk -v a="$one" -v b="$two" 'BEGIN {printf "%.2f", b / a}')
log "stored trials/s: 1 replica $one, 2 replicas $two"
stored=$(stored_count)

compose --profile scale down -v --remove-orphans >/dev/null
log "torn down; took $(( $(date +%s) - started )) s"
echo "containers=$containers healthy=$healthy stored=$stored lost=$lost independent_restart=ok replicas2_speedup=$speedup"
