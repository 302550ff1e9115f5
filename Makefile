# Leadd: two commands. `make run` brings up what the daemon needs and serves
# the demo configuration on :8080; `make test` runs the whole suite.
GO      ?= $(shell command -v go || echo /usr/local/go/bin/go)
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
CONFIG  ?= configs/leadd.yaml
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/leadd?sslmode=disable
export REDIS_URL    ?= redis://127.0.0.1:6379/0

.PHONY: run build test services test-services bench vet docker fuzz

build:
	CGO_ENABLED=0 $(GO) build -ldflags "-s -w -X main.version=$(VERSION)" -o bin/leadd ./cmd/leadd

services:
	scripts/services.sh

run: services build
	bin/leadd migrate --config $(CONFIG)
	bin/leadd serve --config $(CONFIG)

test-services:
	scripts/services.sh --test

# test runs the suite (every fuzz target's seeds included), then each fuzz
# target for FUZZSHORT executions beyond its seeds. A count, not a duration:
# Go 1.26's coordinator can report its own -fuzztime deadline as a failure
# ("context deadline exceeded", no input written; go.dev/issue/75804, fixed
# in 1.27), and a count has no deadline to race.
FUZZSHORT ?= 10000x
test: test-services
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZSHORT)

# fuzz runs every fuzz target for FUZZTIME each (their seed corpora, in
# testdata/fuzz and the f.Add calls, also run in plain `make test`); what
# a run finds is written to the package's testdata/fuzz: commit it with
# the fix, and it is a regression test from then on. A duration run that
# ends in that coordinator race with no failing input written is run once
# more (scripts/fuzz.sh); a real finding always writes its input.
# FUZZMIN bounds how long each new input is minimized (Go's default, 60 s,
# would spend a short run on one slow input).
FUZZTIME ?= 3m
FUZZMIN  ?= 50x
fuzz:
	GO=$(GO) scripts/fuzz.sh $(FUZZTIME) $(FUZZMIN)

bench: services build
	scripts/bench.sh

docker:
	docker build -t leadd:$(VERSION) .
