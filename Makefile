# make run          - the product: uvicorn (ASGI) and a Django-Q2 worker on SQLite + the ORM broker
# make test         - the whole test suite (DATABASE_URL=postgres://... to run it on PostgreSQL)
# make test-fast    - the suite without real clusters, browsers or fault injection, on two
#                     processes, fewer fuzz examples (day to day, under a minute)
# make test-browser - the task center in Chromium (Playwright; needs /usr/bin/chromium)
# make typecheck    - mypy (django-stubs, djangorestframework-stubs) on tasks_app and state_app
PYTHON ?= python3
VENV ?= .venv
DJANGO ?= django>=5.2,<7
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast test-browser lint typecheck check install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,asgi,browser,backport]" "$(DJANGO)"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py rundemo

test: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	GTF_FUZZ_EXAMPLES=$${GTF_FUZZ_EXAMPLES:-8} $(BIN)/python -m pytest -q -n 2 \
	  -m "not qcluster and not faults and not browser" -p no:randomly $(PYTEST_ARGS)

test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser tests/browser $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache
