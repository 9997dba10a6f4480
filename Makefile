# The two commands of the README: `make run` (the whole app: web, worker, beat, the demo organization) and
# `make test` (the suite). Both use PostgreSQL and Redis: DATABASE_URL / REDIS_URL when set, otherwise embedded
# servers from pip wheels with their data in .data/ (scripts/with_servers.py). Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WITH_SERVERS := $(BIN)/python scripts/with_servers.py

.PHONY: run test lint bench lock clean

PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps
COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

$(BIN)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.lock
	touch $@

$(BIN)/.installed-bench: $(BIN)/.installed requirements-bench.lock
	$(PIP_INSTALL) -r requirements-bench.lock
	touch $@

# Web on PORT, a Celery worker and beat (Procfile, honcho), emails printed to the console.
run: $(BIN)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" SITE_URL=http://127.0.0.1:$(PORT) $(WITH_SERVERS) sh -c \
		'python manage.py migrate --noinput && python manage.py loaddemo && exec honcho start --port $(PORT)'

# Two test processes (pytest-xdist), each with its own test database: the suite keeps growing and CI allows 90 minutes.
test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r accounts config oteapp -x '*/migrations/*'
	$(WITH_SERVERS) $(BIN)/python -m pytest -n 2 --create-db

lint: $(BIN)/.installed
	$(BIN)/ruff check .

# Pins every dependency, transitive ones included, with their hashes: requirements.txt and requirements-dev.txt
# into requirements.lock, requirements-bench.txt into requirements-bench.lock. Run it after adding or upgrading a
# dependency in one of those files, and commit the .txt and .lock files together.
lock: $(BIN)/.installed
	test -x $(BIN)/pip-compile || $(BIN)/pip install --quiet --disable-pip-version-check pip-tools==7.6.2
	$(COMPILE) --output-file requirements.lock requirements-dev.txt
	$(COMPILE) --output-file requirements-bench.lock requirements-bench.txt

# The app measured against its own floors (bench/README.md): writes docs/benchmarks.md and .json.
# Uses its own database (oteapp_bench) and Redis db 13; BENCH_SCALE=0.05 for a quick development run.
bench: $(BIN)/.installed-bench
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null 2>&1) \
		|| echo "bench: wrk could not be installed; the load comes from Python threads, which caps /healthz lower"
	$(WITH_SERVERS) $(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
