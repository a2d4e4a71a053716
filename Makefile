# `make serve` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: serve test test-sqlite bench clean

$(BIN)/cellar: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/cellar

serve: $(BIN)/cellar
	$(BIN)/cellar serve

# The whole suite; storage and API tests run on SQLite and on a throwaway PostgreSQL cluster.
test: $(BIN)/cellar
	scripts/with-postgres $(BIN)/pytest -q -n 2 $(PYTEST_ARGS)

# SQLite only (no PostgreSQL cluster).
test-sqlite: $(BIN)/cellar
	$(BIN)/pytest -q $(PYTEST_ARGS)

bench: $(BIN)/cellar
	$(BIN)/python bench/unit.py

clean:
	rm -rf $(VENV) data .pytest_cache
