# Two commands on a fresh machine: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# the PostgreSQL the suite also runs on (make test PG_URL=...)
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: demo test test-sqlite test-later bench bench-web chromium deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/partnerflow demo

# The browser tests drive Debian's chromium (never a downloaded browser): installed with apt when
# missing and we may (root); otherwise said, and those tests are skipped (they fail under CI).
chromium:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "Debian's chromium is missing (apt-get install chromium): the browser tests will be skipped"; fi; }

# The suite runs on SQLite, and on PostgreSQL too when the local server answers.
test: $(VENV)/.installed chromium
	@if $(BIN)/python -c "import sys, sqlalchemy; sqlalchemy.create_engine(sys.argv[1], connect_args={'connect_timeout': 3}).connect().close()" "$(PG_URL)" 2>/dev/null; then \
		echo "PostgreSQL answers at PG_URL: the suite runs on SQLite and PostgreSQL"; \
		PARTNERFLOW_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS); \
	else \
		echo "PostgreSQL does not answer at PG_URL: the suite runs on SQLite only"; \
		$(BIN)/pytest $(PYTEST_ARGS); \
	fi

test-sqlite: $(VENV)/.installed chromium
	$(BIN)/pytest $(PYTEST_ARGS)

# The SQLite suite with the system clock 400 days ahead (Debian's faketime): a test that reads
# the wall clock instead of the frozen one fails here. tests/faketime/ says why the shim is there.
test-later: $(VENV)/.installed chromium
	@command -v faketime >/dev/null || { echo "test-later needs Debian's faketime: apt-get install faketime"; exit 2; }
	tests/faketime/run $(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(BIN)/python bench/review.py

# The work pool and the deployments of prefect.yaml, unattended, on the Prefect server that
# PREFECT_API_URL names (docs/operations.md); `partnerflow doctor` then checks them.
deploy: $(VENV)/.installed
	@test -n "$$PREFECT_API_URL" || { echo "make deploy needs PREFECT_API_URL: the Prefect server to deploy to"; exit 2; }
	$(BIN)/prefect work-pool create partnerflow --type process --overwrite
	PREFECT_CLI_PROMPT=false $(BIN)/prefect --no-prompt deploy --all

bench-web: $(VENV)/.installed
	$(BIN)/python bench/web.py

clean:
	rm -rf $(VENV) demo .pytest_cache
