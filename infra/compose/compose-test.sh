#!/usr/bin/env bash
# `make compose-test`: the smoke test through the real containers, on this machine's override (host networking,
# loopback, ports 5200-5208/5435/5675). Builds every image, starts the stack from empty volumes, imports the bundled
# v2 trials through the gateway, waits for storage and pairs, trains a tiny base model and one operator (sft, all factors)
# through the gateway and predicts one CT Open item with it (probabilities summing to 1, a DECISION line), then
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
# The CLI against the stack: through its gateway with the key, on its broker (5675).
cli() { Gateway__Url="$gateway" ApiKeys__0="$api_key" RabbitMq__Host=127.0.0.1 RabbitMq__Port=5675 ./deepimagine "$@"; }
fail() { echo "compose-test: FAILED: $*" >&2; compose ps >&2 || true; compose logs --no-color --tail 20 2>&1 | cut -c1-300 >&2 || true; exit 1; }
teardown() { compose --profile scale down -v --remove-orphans >/dev/null 2>&1 || true; rm -rf "$work"; }
trap teardown EXIT

ensure_docker
ensure_test_tools
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

log "prediction: a tiny base model and one operator trained through the gateway, then one CT Open item predicted"
cli datasets wait --quiet-seconds 15 --timeout 900 >"$work/datasets.log" 2>&1 \
  || fail "trace-generator wrote no step examples from the mined pairs: $(tail -3 "$work/datasets.log")"
# Tiny on purpose (seconds of CPU): this checks the path through the containers and the shared model store, not quality.
cli train --kind pretrain --wait --timeout 1200 --set vocab_size=512 hidden_size=32 intermediate_size=64 layers=1 heads=2 \
  kv_heads=1 head_dim=16 steps=20 batch_size=4 max_seq_len=64 checkpoint_every=20 eval_every=20 >"$work/pretrain.log" 2>&1 \
  || fail "the tiny pretrain job did not complete: $(tail -5 "$work/pretrain.log")"
# One operator for every factor (<base>-all), which the predictor uses wherever no factor has its own.
cli train --kind sft --factor all --wait --timeout 1200 --set steps=4 batch_size=2 lora_rank=4 checkpoint_every=4 eval_every=4 \
  eval_examples=2 eval_max_new_tokens=8 >"$work/sft.log" 2>&1 \
  || fail "the tiny sft job did not complete: $(tail -5 "$work/sft.log")"
log "$(grep -o 'kind=pretrain model=[^ ]* version=[^ ]*' "$work/pretrain.log"); $(grep -o 'kind=sft model=[^ ]* version=[^ ]*' "$work/sft.log")"
benchmark=data/benchmarks/ct-open/winter-2025.json
# The benchmark's items with their answers are the anchors (the predictor never anchors a target on itself).
curl -fsS -m 300 -H "X-Api-Key: $api_key" -H 'Content-Type: application/json' --data-binary "@$benchmark" \
  "$gateway/api/knowledge/ct-open" >"$work/knowledge.json" || fail "importing $benchmark as knowledge through the gateway failed"
jq -c '{item: .items[0]}' "$benchmark" >"$work/prediction-request.json"
# The predictor reloads its operators when gpu-learner publishes a checkpoint (in the background): asked again until it
# answers with the new operator.
for attempt in $(seq 1 30); do
  code=$(curl -sS -m 900 -o "$work/prediction.json" -w '%{http_code}' -H "X-Api-Key: $api_key" -H 'Content-Type: application/json' \
    --data-binary "@$work/prediction-request.json" "$gateway/api/predictions") || code=000
  [ "$code" = 200 ] || fail "POST /api/predictions answered $code: $(head -c 500 "$work/prediction.json" 2>/dev/null)"
  jq -e '.modelVersions.arm | startswith("deepimagine-base-all@v")' "$work/prediction.json" >/dev/null && break
  [ "$attempt" -lt 30 ] || fail "the predictor still answers without the trained operator: $(jq -c .modelVersions "$work/prediction.json")"
  sleep 2
done
# One prediction per question, one probability per option summing to 1, and each output ending in its DECISION line.
problems="$(jq -r --slurpfile request "$work/prediction-request.json" '
  ($request[0].item.questions) as $questions
  | (if (.predictions | length) != ($questions | length) then "\(.predictions | length) predictions for \($questions | length) questions" else empty end),
    (.predictions[] | .questionIndex as $i
      | (if (.probabilities | length) != ($questions[$i].options | length) then "question \($i): \(.probabilities | length) probabilities for \($questions[$i].options | length) options" else empty end),
        (if ((.probabilities | add) - 1 | fabs) > 1e-6 then "question \($i): probabilities sum to \(.probabilities | add)" else empty end),
        (if (.output | test("\nDECISION: \\([0-9.]+(, [0-9.]+){1,2}\\)$") | not) then "question \($i): no DECISION line at the end of the output" else empty end))
  ' "$work/prediction.json")"
[ -z "$problems" ] || fail "the prediction of $(jq -r '.items[0].nct_id' "$benchmark"): $problems"
prediction="$(jq -r '.predictions[0] | "probabilities=\(.probabilities | map(. * 1000 | round / 1000) | join(",")) chains=\(.chains | length) \(.output | split("\n") | last)"' "$work/prediction.json")"
log "predicted $(jq -r '.items[0].nct_id' "$benchmark") through the gateway with $(jq -r .modelVersions.arm "$work/prediction.json"): $prediction"

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
bench() { cli bench ingest --sizes "$bench_size" \
  | tee -a "$work/bench.log" | grep -o 'trials_per_s=[0-9.]*' | tail -1 | cut -d= -f2; }
one=$(bench)
compose --profile scale up -d --no-deps pair-miner-2 2>&1 | grep -v -e '^Creating' || true
health=$(wait_healthy 300); read -r containers healthy <<<"$health"
two=$(bench)
[ -n "$one" ] && [ -n "$two" ] || fail "bench ingest printed no throughput: $(cat "$work/bench.log")"
speedup=$(awk -v a="$one" -v b="$two" 'BEGIN {printf "%.2f", b / a}')
log "stored trials/s: 1 replica $one, 2 replicas $two"
stored=$(stored_count)

compose --profile scale down -v --remove-orphans 2>&1 | grep -v -e '^Stopping' -e '^Removing' || true
log "torn down; took $(( $(date +%s) - started )) s"
echo "containers=$containers healthy=$healthy stored=$stored lost=$lost independent_restart=ok replicas2_speedup=$speedup"
