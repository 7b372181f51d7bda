# The two commands: `make run` and `make test`. Everything else is their plumbing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
TRANSLATIONS := portal/translations
export PORT

.PHONY: run test install install-test compile extract translations-update serve lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Catalogues are compiled on every run and test; the .mo files are never committed.
compile: install
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS) -D messages --statistics 2>&1 | grep -v '^$$' || true
	@for l in uz uz_Cyrl ru en; do test -f $(TRANSLATIONS)/$$l/LC_MESSAGES/messages.mo || { echo "missing catalogue $$l"; exit 1; }; done

run: compile
	$(BIN)/portal migrate
	$(BIN)/portal seed-demo
	$(BIN)/portal serve

serve: compile
	$(BIN)/portal serve

test: install-test compile
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .

# For translators: collect new strings and merge them into the four catalogues.
extract: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy --no-location --no-wrap --sort-output --project=icm-portal \
		-o $(TRANSLATIONS)/messages.pot .

translations-update: extract
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -D messages --ignore-obsolete --no-fuzzy-matching --no-wrap

bench: install-test compile
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
