# `make serve` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: serve test test-sqlite lint test-tools bench clean

$(BIN)/cellar: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/cellar

serve: $(BIN)/cellar
	$(BIN)/cellar serve

# Lint and type-check, then the whole suite; storage and API tests run on SQLite and on a throwaway
# PostgreSQL cluster.
test: lint test-tools
	scripts/with-postgres $(BIN)/pytest -q -n 2 $(PYTEST_ARGS)

# SQLite only (no PostgreSQL cluster).
test-sqlite: lint test-tools
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(BIN)/cellar
	$(BIN)/ruff check .
	$(BIN)/mypy

# Programs the tests run (Debian packages if missing): xmlsec1 checks our SAML signatures independently;
# rclone and cadaver are WebDAV clients people reach boxes with; litmus tests WebDAV servers.
test-tools:
	command -v xmlsec1 >/dev/null || scripts/apt-install xmlsec1
	command -v rclone >/dev/null || scripts/apt-install rclone
	command -v cadaver >/dev/null || scripts/apt-install cadaver
	command -v litmus >/dev/null || scripts/apt-install litmus

bench: $(BIN)/cellar
	$(BIN)/python bench/unit.py

clean:
	rm -rf $(VENV) data .pytest_cache
