# Two entry points for a fresh machine with Python 3.11:
#   make run   - venv, database migrations, units seeded, model trained, service started
#   make test  - venv, model trained, the whole test suite (SQLite and PostgreSQL)
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test venv model evaluate bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# The trained model lives in var/ (never committed); `phananh train` rebuilds it from nlp/data/.
model: $(STAMP)
	$(BIN)/phananh train --if-missing

run: model
	$(BIN)/phananh db upgrade
	$(BIN)/phananh seed
	$(BIN)/phananh serve

test: model
	$(BIN)/python -m pytest

evaluate: model
	$(BIN)/phananh evaluate nlp/data/test.jsonl

bench: model
	$(BIN)/phananh bench nlp

clean:
	rm -rf $(VENV) var .pytest_cache
