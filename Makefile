# Two entry points: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit integration clean

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq python3-venv python3-pip; \
	  else echo "python3 -m venv is missing: install python3-venv" >&2; exit 2; fi; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	@echo "== dockopt lint examples/ =="
	@# exit 1 means "findings reported", which is the point of the demo; 2 would be a real failure
	$(BIN)/dockopt lint examples/ || test $$? -eq 1
	@echo "== dockopt verify examples/ml-pipeline =="
	$(BIN)/dockopt verify examples/ml-pipeline -o dockopt-report/verify.md
	$(BIN)/dockopt verify examples/ml-pipeline --format html -o dockopt-report/verify.html
	@echo "The verify report of examples/ml-pipeline is in $(CURDIR)/dockopt-report/: verify.md (Markdown), verify.html (open it in a browser)"

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	scripts/ensure-docker
	scripts/ensure-chromium
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build dist src/*.egg-info
