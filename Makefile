# DeepImagine — `make run` runs the main job on the bundled real data; `make test` runs every test.
# Both start the local RabbitMQ and PostgreSQL first (installed from Debian packages when missing).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
DOTNET ?= dotnet
CONFIG ?= Release

.PHONY: all build infra-up infra-down migrate services-up services-down services-status run stop test bench-ingest bench-pairs bench-model train bench-train clean

all: build

build:
	$(DOTNET) build DeepImagine.sln -c $(CONFIG) -nologo -v minimal -clp:NoSummary

infra-up:
	infra/local/infra-up.sh

infra-down:
	infra/local/infra-down.sh

migrate: infra-up
	./deepimagine migrate

# Restarts what runs, so the services always run the build just made.
services-up: build
	infra/local/services.sh stop
	infra/local/services.sh start

services-down:
	infra/local/services.sh stop

services-status:
	infra/local/services.sh status

## The main job: infrastructure, services, every bundled real trial imported through the bus, counts printed.
run: infra-up build migrate services-up
	./deepimagine import --wait data
	./deepimagine stats
	@echo "pairs (kind factor count):"
	./deepimagine pairs stats
	@echo "gateway: http://127.0.0.1:5100 (GET /api/trials/{id}, POST /api/trials, /openapi/trials.json); stop with 'make stop'"

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

## End-to-end ingestion throughput (1k and 10k records) into docs/benchmarks.md.
bench-ingest: infra-up build migrate services-up
	./deepimagine bench ingest --sizes 1000 10000 --report docs/benchmarks.md

## Ingest + mine at store sizes 1k, 10k, 50k; approximate mining time per new trial; into docs/benchmarks.md.
bench-pairs: infra-up build migrate services-up
	./deepimagine bench pairs --sizes 1000 10000 50000 --report docs/benchmarks.md

## Model core: training and generation speed, memory, against PyTorch (Debian's python3-torch), into docs/benchmarks.md.
bench-model:
	@command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c "import torch" 2>/dev/null || \
	  { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q && $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-torch libopenblas0-pthread; }
	./deepimagine bench model --report docs/benchmarks.md

clean:
	$(DOTNET) clean DeepImagine.sln -nologo -v quiet
	rm -rf .run

## Pretrain the base model, then one SFT operator (LoRA) per factor, on the dataset trace-generator built from the
## bundled data; CPU defaults finish within 20 minutes on 2 cores. Jobs are keyed by inputs + configuration, so a
## second `make train` with nothing changed reuses the models.
train: run
	./deepimagine train --kind pretrain --wait
	./deepimagine train --kind sft --wait

## SFT tokens/s through gpu-learner against the same job in process (needs `make train`'s base model); into docs/benchmarks.md.
bench-train: run
	./deepimagine bench train --report docs/benchmarks.md
