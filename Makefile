# Two commands on a fresh machine: `make run` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run demo serve test test-fast lint format bench check-deploy clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## The app on its embedded default: SQLite + ORM broker, web server and qcluster together.
## Ctrl-C stops both.
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_dev_user
	@echo "Web: http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the task cluster)"
	@trap 'trap - INT TERM EXIT; kill -TERM $$q $$web 2>/dev/null; wait' INT TERM EXIT; \
	  setsid $(PY) manage.py qcluster & q=$$!; \
	  $(PY) manage.py runserver --noreload $(HOST):$(PORT) & web=$$!; \
	  wait

## `make run` wired to the local BigCommerce stand-in, so registration, deliveries, fetches and
## runs all work with no store. Use store hash `standin` and access token `standin-token`.
demo: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_dev_user
	@echo "Web: http://$(HOST):$(PORT)/  (log in as demo; Ctrl-C stops everything)"
	@echo "BigCommerce stand-in: http://127.0.0.1:8765 (store hash standin, access token standin-token)"
	@echo "An HTTP step to a local receiver (http://127.0.0.1:9000/...) needs its host allowed:"
	@echo "  OUTBOUND_HTTP_ALLOWLIST=127.0.0.1:9000 make demo"
	@trap 'trap - INT TERM EXIT; kill -TERM $$s $$q $$web 2>/dev/null; wait' INT TERM EXIT; \
	  export BIGCOMMERCE_API_BASE_URL=http://127.0.0.1:8765 PUBLIC_BASE_URL=http://$(HOST):$(PORT) \
	         WEBHOOK_ALLOW_HTTP=true; \
	  setsid $(PY) manage.py bigcommerce_standin --port 8765 & s=$$!; \
	  setsid $(PY) manage.py qcluster & q=$$!; \
	  $(PY) manage.py runserver --noreload $(HOST):$(PORT) & web=$$!; \
	  wait

## The production web server (waitress: each request read whole before a thread takes it) on
## HOST:PORT, with the environment's settings (DEBUG, DATABASE_URL, WEB_THREADS, ...).
serve: $(STAMP)
	WEB_BIND=$${WEB_BIND:-$(HOST):$(PORT)} $(PY) -m initiator_site.serve

## The whole suite on the embedded default (SQLite + ORM broker).
test: $(STAMP)
	$(PY) -m pytest -q -m "not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check-deploy: $(STAMP)
	DEBUG=false SECRET_KEY=$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(50))') \
	FIELD_ENCRYPTION_KEYS=$$($(PY) -c 'from cryptography.fernet import Fernet;print(Fernet.generate_key().decode())') \
	ALLOWED_HOSTS=example.com $(PY) manage.py check --deploy --fail-level WARNING

## Ingest (on waitress and on gunicorn sync, in the same rounds) and pipeline figures on
## SQLite/ORM and PostgreSQL/Redis (skipped when unreachable), with their baselines; prints a
## table and saves JSON under bench-results/. About 5 minutes.
bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles test-db.sqlite3*
