# The README's two commands are `make report` and `make test`; both set the environment up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
MODE ?= full
ROWS ?= 50000

.PHONY: setup test lint lab seed report bench bench-article bench-near-floor bench-walk bench-peers bench-seed clean pg pg-stop

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

test: setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .

lab: setup
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/jupyter lab --notebook-dir=notebooks

seed: setup
	$(PY) manage.py seed_rows --rows $(ROWS)

report: setup
	$(PY) -m labproject.report --mode $(MODE) --out reports

bench-seed: setup
	$(PY) -m labproject.benchmarks.seeding

# Every strategy at 500k rows against the in-SQL floor, and the fastest one's memory from 50k to 5M rows.
bench: setup
	$(PY) -m labproject.benchmarks strategies

# The article's five at 50k rows, 3 repeats.
bench-article: setup
	$(PY) -m labproject.benchmarks article

# The walk library (update_rows) against the SQL floor and the listing it replaced, its memory up to 5M rows.
bench-walk: setup
	$(PY) -m labproject.benchmarks walk

# pipelined against the SQL floor, its process tree's memory up to 5M rows, PSS sampling's cost.
bench-near-floor: setup
	$(PY) -m labproject.benchmarks near-floor

# The libraries a user would install instead, beside the lab's ways and both floors (DATABASE_URL for PostgreSQL).
bench-peers: setup
	$(PY) -m labproject.benchmarks peers

# The lab's own PostgreSQL server under var/pg/ (loopback only); prints the DATABASE_URL to use.
pg: setup
	@$(PY) -m labproject.labserver start

pg-stop: setup
	@$(PY) -m labproject.labserver stop

clean:
	rm -rf reports var/results
