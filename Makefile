# attr-eraser. On a fresh machine with Go and make: `make run`, `make test`.
SHELL := /bin/bash
GO    ?= go
EVENT ?= events/sqs-gdpr-erasure.json

# Lambda's build, exactly as `sam build` runs it (BuildMethod: makefile).
RELEASE_ENV   := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
RELEASE_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w"

.PHONY: build build-EraserFunction eraserctl run stack tencent-standin test vet fmt-check bench fuzz lint clean

## build: the arm64 release binary, bin/bootstrap, and the operator tool for this machine, bin/eraserctl
build: eraserctl
	$(RELEASE_ENV) $(GO) build $(RELEASE_FLAGS) -o bin/bootstrap ./function

## eraserctl: the operator tool for this machine, bin/eraserctl (submit a backfill, prove an erasure, redrive by class, hash an account)
eraserctl:
	$(GO) build -trimpath -o bin/eraserctl ./internal/cmd/eraserctl

## build-EraserFunction: called by `sam build` with ARTIFACTS_DIR set
build-EraserFunction:
	$(RELEASE_ENV) $(GO) build $(RELEASE_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./function

# The local run uses this machine's architecture: the emulator runs the
# binary directly, without Docker.
bin/local/bootstrap: FORCE
	CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -o $@ ./function

# The emulator is pinned in go.mod with a `tool` line.
bin/aws-lambda-rie: go.mod go.sum
	CGO_ENABLED=0 $(GO) build -o $@ github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie

## run: invoke the function under the emulator with $(EVENT), against local stand-ins, and print its own output; RAW=1 prints the emulator's too, FAULT=rate-limit|flaky|signature|content|outage|unverified makes the Tencent stand-in fail, and the function's variables pass through (make run DRY_RUN=true LOG_LEVEL=debug)
# Make exports its command-line variables to the recipe's environment, where
# internal/cmd/run takes the function's variables (internal/config) from.
run: bin/local/bootstrap bin/aws-lambda-rie
	$(GO) run ./internal/cmd/run -bootstrap bin/local/bootstrap -rie bin/aws-lambda-rie -event $(EVENT)$(if $(FAULT), -fault $(FAULT))$(if $(filter-out 0 false,$(RAW)), -raw)

## stack: the deployed system on this machine, on moto_server, for trying by hand; Ctrl-C shows what happened (STACK_FLAGS='-v -scale 0.1'; FAULT= as for run)
# Built, then run directly: `go run` turns Ctrl-C into exit status 1.
stack: bin/local/bootstrap bin/aws-lambda-rie bin/stack
	@bin/stack -template template.yaml -bootstrap bin/local/bootstrap -rie bin/aws-lambda-rie$(if $(FAULT), -fault $(FAULT)) $(STACK_FLAGS)

bin/stack: FORCE
	$(GO) build -o $@ ./internal/cmd/stack

## tencent-standin: the Tencent Chat stand-in alone, for `sam local invoke` (KEY_FILE=path [PORT=n])
PORT ?= 0
# Built, then run directly: `go run` turns Ctrl-C into exit status 1.
tencent-standin: bin/tencent-standin
	@bin/tencent-standin -addr 127.0.0.1:$(PORT) -key-file $(KEY_FILE)

bin/tencent-standin: FORCE
	$(GO) build -o $@ ./internal/cmd/tencent-standin

## test: formatting, vet, and every test (unit, integration, emulator end-to-end)
test: fmt-check vet
	@[ "$$(id -u)" = 0 ] || echo "=== SKIPPED: the Lambda-sized runner's tests (internal/dev/lambdasize, localrun's TestLambdaSized): making cgroups needs root (go test -v says why for each; CI=true as root fails instead)" >&2
	@command -v moto_server >/dev/null || echo "=== SKIPPED: the real-AWS-semantics tier (internal/dev/awstier): moto_server not found on PATH; pip install 'moto[server]==5.2.1' (CI=true fails instead)" >&2
	$(GO) test -race -count=1 -timeout 10m ./...

fmt-check:
	@out=$$(gofmt -l function internal); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## lint: go vet, then staticcheck (pinned in go.mod with a `tool` line)
lint:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

clean:
	rm -rf bin

FORCE:

# Every Fuzz* target of the module, found in the test files, run one after
# the other (go test fuzzes one target at a time) for FUZZTIME each. A
# crasher fails the run and is written to the package's testdata/fuzz.
FUZZTIME ?= 60s

## fuzz: run each fuzz target for $(FUZZTIME) (make fuzz FUZZTIME=10s)
fuzz:
	@set -e; \
	for file in $$(grep -rl --include='*_test.go' '^func Fuzz' function internal | sort); do \
	  for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
	    pkg=./$$(dirname $$file)/; \
	    echo "$(GO) test -run '^\$$' -fuzz '^$$target\$$' -fuzztime $(FUZZTIME) $$pkg"; \
	    $(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## bench: the performance suite of issue 4 (not part of `make test`); prints one table
bench:
	$(GO) run ./internal/cmd/bench $(BENCH_FLAGS)
