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
# target for FUZZSHORT beyond its seeds.
FUZZSHORT ?= 5s
test: test-services
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZSHORT)

# fuzz runs every fuzz target for FUZZTIME each (their seed corpora, in
# testdata/fuzz and the f.Add calls, also run in plain `make test`); what
# a run finds is written to the package's testdata/fuzz: commit it with
# the fix, and it is a regression test from then on.
# FUZZMIN bounds how long each new input is minimized (Go's default, 60 s,
# would spend a short run on one slow input).
FUZZTIME ?= 3m
FUZZMIN  ?= 50x
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) $$pkg || exit 1; \
	  done; \
	done

bench: services build
	scripts/bench.sh

docker:
	docker build -t leadd:$(VERSION) .
