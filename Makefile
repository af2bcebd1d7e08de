# Two entry points for a fresh machine: `make reports` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install reports test test-fast lint browser-deps office-deps bench bench-selection

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

install: $(STAMP)

## Run the main job on the built-in synthetic programme and render its reports into reports/
reports: install
	$(VENV)/bin/evaluation run --out reports

## Chromium for the browser tests (Debian packages; Playwright's own browser download cannot work here)
browser-deps:
	@command -v chromium > /dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver > /dev/null)

## LibreOffice Calc, headless, for the test that opens the published spreadsheets in it (Debian packages)
office-deps:
	@command -v soffice > /dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui > /dev/null)

## Lint, type-check, then every test including slow, notebook and browser tests
test: install browser-deps office-deps
	$(VENV)/bin/ruff check evaluation tests bench
	$(VENV)/bin/ruff format --check evaluation tests bench
	$(VENV)/bin/mypy evaluation
	$(VENV)/bin/pytest -n 2 --dist loadgroup

test-fast: install
	$(VENV)/bin/pytest -n 2 -m "not slow and not browser and not notebook"

bench: install
	$(PY) bench/bench_matching.py

## The full simulation study of the impact estimators (about 50 minutes on two cores; docs/method_selection.md)
bench-selection: install
	$(PY) bench/bench_selection.py --replications 200 --workers 2
