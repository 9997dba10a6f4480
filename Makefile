# The two commands of the README: `make run` (the app on SQLite) and `make test` (the suite on
# PostgreSQL and Redis). Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint worker beat bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(BIN)/.installed
	DJANGO_SETTINGS_MODULE=config.settings.base $(BIN)/python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=config.settings.base $(BIN)/python manage.py loaddemo
	DJANGO_SETTINGS_MODULE=config.settings.base $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(BIN)/.installed
	$(BIN)/python scripts/check_services.py
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r accounts config oteapp -x '*/migrations/*'
	$(BIN)/python -m pytest --create-db

lint: $(BIN)/.installed
	$(BIN)/ruff check .

worker: $(BIN)/.installed
	$(BIN)/celery -A config worker --loglevel=INFO --concurrency=2

beat: $(BIN)/.installed
	$(BIN)/celery -A config beat --loglevel=INFO

# The app measured against its own floors (issue 7, bench/README.md): writes docs/benchmarks.md and .json.
# Uses its own database (oteapp_bench) and Redis db 13; BENCH_SCALE=0.05 for a quick development run.
bench: $(BIN)/.installed
	$(BIN)/python scripts/check_services.py
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null 2>&1) \
		|| echo "bench: wrk could not be installed; the load comes from Python threads, which caps /healthz lower"
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
