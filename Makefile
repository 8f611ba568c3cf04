# Set-up and everyday commands. `make demo` runs the main job; `make test` runs the tests.
VENV ?= .venv
PY := $(VENV)/bin/python
DATA ?= ../shared/data
DB ?= market.duckdb

.PHONY: install demo test test-fast test-browser lint bench-normalize clean

# torch first, pinned: that takes the local CPU wheel instead of gigabytes of CUDA packages.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -e '.[offline,dashboard,training,eval,ray,dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/jobmarket model install-offline
	$(VENV)/bin/jobmarket normalize $(DATA)/postings/European_jobs_batch2.csv --esco $(DATA)/esco --db $(DB) --out eures_normalized.parquet

# The CI command (.ci/run). It runs every test but the headless-browser one, `slow` included (the wheel
# install, Ray, kill tests, the offline model's quality gate); with CI=true a missing input fails, not skips.
test: install
	$(VENV)/bin/jobmarket model install-offline
	@echo "make test: pytest -m 'not browser' (all tests but the browser one; slow ones included)"
	$(PY) -m pytest -q -m "not browser"

# A quick loop while developing: leaves out `slow` (wheel, Ray, subprocess kills, the real model).
test-fast: install
	$(PY) -m pytest -q -m "not browser and not slow"

# The dashboard in headless Chromium: Debian's chromium + chromium-driver (apt, ~70 s the first time).
test-browser: install
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -q && apt-get install -y -q chromium chromium-driver)
	$(PY) -m pytest -q -m browser

lint: install
	$(VENV)/bin/ruff check jobmarket model_training benchmarks tests

bench-normalize: install
	$(PY) benchmarks/normalize.py

clean:
	rm -rf $(VENV) *.duckdb *.duckdb.wal .pytest_cache
