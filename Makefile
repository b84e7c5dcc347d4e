# Switchboard build tasks (GNU make).
#
# `run`, `build`, `test`, `bench` and `migrate` need only Go: the generated
# files (*_templ.go, static/css/app.css, static/js/htmx.min.js) are committed.
# `generate` and `check` also need Node.js/npm for Tailwind and htmx.

GO       ?= go
NPM      ?= npm
NPX      ?= npx
BINARY   ?= switchboard

TAILWIND_IN  := static/css/input.css
TAILWIND_OUT := static/css/app.css
HTMX_SRC     := node_modules/htmx.org/dist/htmx.min.js
HTMX_OUT     := static/js/htmx.min.js

# Tailwind's bundled caniuse-lite data ages; its nag is noise in CI logs.
export BROWSERSLIST_IGNORE_OLD_DATA := 1
# Redocly CLI: no telemetry, no update check (CI runs offline after npm ci).
export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true

.DEFAULT_GOAL := help

.PHONY: help run build test generate check lint-openapi bench loadtest migrate clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## Run the server (go run ./cmd/switchboard serve)
	$(GO) run ./cmd/switchboard serve

build: ## Build the ./switchboard binary
	$(GO) build -trimpath -ldflags='-s -w' -o $(BINARY) ./cmd/switchboard

test: ## Run all tests with the race detector
	$(GO) test -race -count=1 -timeout 30m ./...

bench: ## Run benchmarks (no tests)
	$(GO) test -run '^$$' -bench . -benchmem ./...

loadtest: ## Load run on PostgreSQL with wrk and pgbench (see README "Load test")
	./loadtest/loadtest.sh

migrate: ## Apply database migrations
	$(GO) run ./cmd/switchboard migrate

# Restored from package-lock.json when missing (or older than the lock file).
node_modules: package.json package-lock.json
	$(NPM) ci
	@touch $@

generate: node_modules ## Regenerate templ code, app.css and htmx.min.js
	$(GO) tool templ generate
	$(NPX) --no-install tailwindcss -c tailwind.config.js -i $(TAILWIND_IN) -o $(TAILWIND_OUT) --minify
	cp $(HTMX_SRC) $(HTMX_OUT)

check: ## gofmt, go vet, go mod tidy, generated files up to date, OpenAPI lint, tests
	@out=$$(gofmt -l .) || exit 1; \
	files=$$(printf '%s\n' "$$out" | grep -v '^node_modules/' || true); \
	if [ -n "$$files" ]; then \
		echo "gofmt: these files need formatting (run gofmt -w):"; \
		echo "$$files"; \
		exit 1; \
	fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(MAKE) --no-print-directory generate
	@stale=$$(git status --porcelain -- '*_templ.go' static/); \
	if [ -n "$$stale" ]; then \
		echo "$$stale"; \
		echo "generated files are stale: run make generate and commit"; \
		exit 1; \
	fi
	$(MAKE) --no-print-directory lint-openapi
	$(MAKE) --no-print-directory test

lint-openapi: node_modules ## Lint handlers/openapi.json (Redocly, recommended rules)
	$(NPX) --no-install redocly lint --extends=recommended handlers/openapi.json

clean: ## Remove the built binary
	rm -f $(BINARY)
