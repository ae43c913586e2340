# The two commands a new user runs: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXAMPLES := $(CURDIR)/examples/dags
export DAGMAP_HOME ?= $(CURDIR)/.dagmap-home

.PHONY: run test venv browser lint types imports pytest unit integration bench clean demo-elt demo-ml

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,ml]'
	touch $(STAMP)

venv: $(STAMP)

run: venv
	DAGMAP__CORE__DAGS_FOLDER=$(EXAMPLES) $(BIN)/dagmap standalone

lint: venv
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

types: venv
	$(BIN)/mypy

imports: venv
	$(BIN)/lint-imports

# The UI's browser tests (tests/integration/ui) drive Debian's Chromium through Playwright; never a downloaded
# browser. apt-get runs only when it is missing, through sudo unless we are root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	test -x /usr/bin/chromium || ($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

pytest: venv browser
	$(BIN)/pytest -q

unit: venv
	$(BIN)/pytest -q tests/unit

test: lint types imports pytest

bench: venv
	$(BIN)/python bench/fanout.py

# The ML example end to end in a throwaway home and MLflow store; exits 0 only when its results check out.
demo-ml: venv
	BIN=$(abspath $(BIN)) bash scripts/demo_ml.sh

# The ELT example end to end against a throwaway moto S3 server and DuckDB warehouse, the same day run twice;
# exits 0 only when rows, objects and totals check out.
demo-elt: venv
	BIN=$(abspath $(BIN)) bash scripts/demo_elt.sh

clean:
	rm -rf $(VENV) .dagmap-home .pytest_cache .mypy_cache .ruff_cache
