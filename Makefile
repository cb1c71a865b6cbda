# DeepImagine — `make run` runs the main job on the bundled real data; `make test` runs every test.
# Both start the local RabbitMQ and PostgreSQL first (installed from Debian packages when missing).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
DOTNET ?= dotnet
CONFIG ?= Release

.PHONY: images compose-up compose-down compose-test all build infra-up infra-down doctor services-up services-down services-status run stop test test-faults bench-ingest bench-pairs bench-model pairs-audit evaluate evaluate-evidence train bench-train bench-rollouts clean bench-grpo train-models import-data bench-predict

all: build

build:
	$(DOTNET) build DeepImagine.sln -c $(CONFIG) -nologo -v minimal -clp:NoSummary

infra-up:
	infra/local/infra-up.sh

infra-down:
	infra/local/infra-down.sh

## One line per piece of the local infrastructure: packages, config readable, ports on loopback only, node up, vhosts/users/databases.
doctor:
	infra/local/doctor.sh

# Restarts what runs, so the services always run the build just made.
services-up: build
	infra/local/services.sh stop
	infra/local/services.sh start

services-down:
	infra/local/services.sh stop

services-status:
	infra/local/services.sh status

## The main job: infrastructure, services, every bundled real trial imported through the bus (stored, mined, turned into
## step examples), counts printed, the pair invariants checked, the base model and operators trained (or reused), then
## the CT Open and dose-response scoreboards. The services keep running, the gateway answering, until `make stop`.
run: infra-up build services-up
	$(MAKE) --no-print-directory import-data
	$(MAKE) --no-print-directory train-models
	$(MAKE) --no-print-directory evaluate
	@echo "gateway: http://127.0.0.1:5100 (GET /api/trials/{id}, /api/pairs, /api/datasets; POST /api/trials with header X-Api-Key); stop with 'make stop'"
	@echo "local API key: $$(sed -n 's/.*LocalDevelopmentKey = "\(.*\)";/\1/p' shared/DeepImagine.ServiceDefaults/ApiKeys.cs)"

## Every bundled trial through the running services, with the counts and the pair invariants (all 0).
import-data:
	./deepimagine import --wait data
	./deepimagine stats
	@echo "pairs (kind factor count):"
	./deepimagine pairs stats
	./deepimagine pairs audit data | tail -n 1

stop: services-down infra-down

## Every test: parsing on the bundled records, and the services on live RabbitMQ and PostgreSQL.
test: infra-up
	$(DOTNET) build DeepImagine.sln -c $(CONFIG) -nologo -v minimal -clp:NoSummary
	@rm -rf .run/test-results; mkdir -p .run
	$(DOTNET) test DeepImagine.sln -c $(CONFIG) --no-build --results-directory .run/test-results --logger "trx" 2>&1 | tee .run/test.log; \
	status=$${PIPESTATUS[0]}; \
	passed=$$(cat .run/test-results/*.trx 2>/dev/null | grep -o '<Counters [^>]*' | grep -o ' passed="[0-9]*"' | tr -dc '0-9\n' | awk '{s+=$$1} END {print s+0}'); \
	failed=$$(cat .run/test-results/*.trx 2>/dev/null | grep -o '<Counters [^>]*' | grep -o ' failed="[0-9]*"' | tr -dc '0-9\n' | awk '{s+=$$1} END {print s+0}'); \
	echo "tests: $${passed:-0} passed, $${failed:-0} failed"; \
	exit $$status

## Ingestion under faults (broker and database restarts, kill -9, duplicate publishing) and hostile input, on a private
## RabbitMQ (:5674) and PostgreSQL (:5434) started by infra/faults/faults-infra.sh; the shared ones are never touched.
test-faults:
	$(DOTNET) build services/pair-miner/DeepImagine.PairMiner/DeepImagine.PairMiner.csproj -c $(CONFIG) -nologo -v quiet -clp:NoSummary
	$(DOTNET) build tests/DeepImagine.FaultTests/DeepImagine.FaultTests.csproj -c $(CONFIG) -nologo -v quiet -clp:NoSummary
	status=0; $(DOTNET) tests/DeepImagine.FaultTests/bin/$(CONFIG)/net10.0/DeepImagine.FaultTests.dll || status=$$?; \
	infra/faults/faults-infra.sh down; exit $$status

## End-to-end ingestion throughput (1k and 10k records) into docs/benchmarks.md.
bench-ingest: infra-up build services-up
	./deepimagine bench ingest --sizes 1000 10000 --report docs/benchmarks.md

## Ingest + mine at store sizes 1k, 10k, 50k; approximate mining time per new trial; into docs/benchmarks.md.
bench-pairs: infra-up build services-up
	./deepimagine bench pairs --sizes 1000 10000 50000 --report docs/benchmarks.md

## Model core: training and generation speed, memory, against PyTorch (Debian's python3-torch), into docs/benchmarks.md.
bench-model:
	@command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c "import torch" 2>/dev/null || \
	  { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q && $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-torch libopenblas0-pthread; }
	./deepimagine bench model --report docs/benchmarks.md

## Mine the bundled records in-process and check every pair invariant (no infrastructure needed).
pairs-audit:
	./deepimagine pairs audit data

## The methods of the CT Open scoreboard and of the dose scoreboard (`make run`, `make evaluate`).
EVAL_METHODS ?= prior,logreg,forest,direct,rag,deepimagine
DOSE_METHODS ?= copy,loglinear,emax,deepimagine

## Scoreboards: CT Open Winter 2025 (grouped 5-fold CV by NCT id; known-answer questions built from data/ as knowledge;
## direct and rag use the newest trained model of gpu-learner's store, deepimagine its operators) and clinDR
## dose-response (a seeded 25% of the bundled protocols held out; deepimagine: the store's dose operator). Reports in
## .run/evaluation/; with nothing changed (inputs, models, code) both scoreboards are reprinted from there (--reuse).
evaluate:
	./deepimagine evaluate --train data/benchmarks/ct-open/winter-2025.json --cv 5 --methods $(EVAL_METHODS) --reuse --out .run/evaluation/ct-open
	./deepimagine evaluate-dose --data data/clindr-dose-response --holdout-fraction 0.25 --methods $(DOSE_METHODS) --reuse --out .run/evaluation/dose

## Evidence Inference (grouped 5-fold CV by article) on the bundled labelled questions; report in .run/evaluation/evidence-inference.
evaluate-evidence:
	./deepimagine evaluate --task evidence-inference --train data/evidence-inference/questions.jsonl.gz --cv 5 --methods prior,logreg,forest --out .run/evaluation/evidence-inference

clean:
	$(DOTNET) clean DeepImagine.sln -nologo -v quiet
	rm -rf .run

## Pretrain the base model, then one SFT operator (LoRA) per factor, on the dataset trace-generator built from the
## bundled data; CPU defaults finish within 20 minutes on 2 cores. Jobs are keyed by inputs + configuration, so a
## second `make train` with nothing changed reuses the models. `make run` does this too (then evaluates).
train: infra-up build services-up
	$(MAKE) --no-print-directory import-data
	$(MAKE) --no-print-directory train-models

## The training jobs alone, on running services with imported data: wait until trace-generator has written the step
## examples of everything mined, then pretrain and SFT (each reused when its inputs and settings are unchanged).
train-models:
	./deepimagine datasets wait --quiet-seconds 20 --timeout 900
	./deepimagine train --kind pretrain --wait
	./deepimagine train --kind sft --wait

## SFT tokens/s through gpu-learner against the same job in process (needs `make train`'s base model); into docs/benchmarks.md.
bench-train: run
	./deepimagine bench train --report docs/benchmarks.md

## rollout-generator's sampling in process: 8 prompts x group size 8 in one batch, tiny and default model sizes; into docs/benchmarks.md.
bench-rollouts:
	./deepimagine bench rollouts --report docs/benchmarks.md
# GRPO through the services with a second rollout-generator (competing consumer) on ROLLOUT2_PORT; needs the
# rollout-generator and reward-verifier services in infra/services.tsv and a trained base (make train).
ROLLOUT2_PORT ?= 5114
bench-grpo: run
	infra/local/services.sh start-extra rollout-generator $(ROLLOUT2_PORT)
	@./deepimagine bench grpo --report docs/benchmarks.md; status=$$?; infra/local/services.sh stop-extra rollout-generator $(ROLLOUT2_PORT) >/dev/null; exit $$status
## Prediction latency: 8 concurrent clients through the gateway on CT Open items (needs `make train`'s operators, else the
## predictor answers the class prior and says anchors=0); last line p50_ms= p99_ms= rps= anchors=; into docs/benchmarks.md.
bench-predict: infra-up build services-up
	./deepimagine bench predict --requests 64 --clients 8 --report docs/benchmarks.md

## Containers (README "Operations"): every image offline (Debian base from the apt source, .NET runtime from NuGet).
images:
	infra/compose/images.sh

## The stack in containers with this machine's override (host networking; gateway on 127.0.0.1:5200).
compose-up: images
	infra/compose/compose.sh up

compose-down:
	infra/compose/compose.sh down

## Smoke test through the real containers: import, a tiny model trained and one prediction, independent deploy, 2 pair-miner
## replicas, tear down (not in `make test`; in CI after it).
compose-test:
	infra/compose/compose-test.sh
