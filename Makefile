# The README's two commands are `make report` and `make test`; both set the environment up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
MODE ?= full
ROWS ?= 50000

.PHONY: setup test lint lab seed report bench bench-article bench-near-floor bench-walk bench-seed clean pg pg-stop \
	mariadb mariadb-stop pgbouncer pgbouncer-stop redis redis-stop

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

# The lab's own servers under var/<name>/ (loopback only, generated passwords); each prints the URL to use,
# so `export $$(make -s mariadb)` works. POOLER=transaction puts PgBouncer in front (the same as make pgbouncer).
POOLER ?=

pg: setup
	@$(PY) -m labproject.servers pg start --pooler "$(POOLER)"

pg-stop: setup
	@$(PY) -m labproject.servers pg stop

mariadb: setup
	@$(PY) -m labproject.servers mariadb start

mariadb-stop: setup
	@$(PY) -m labproject.servers mariadb stop

# PgBouncer in transaction pooling mode in front of the lab's PostgreSQL (started if needed).
pgbouncer: setup
	@$(PY) -m labproject.servers pgbouncer start

pgbouncer-stop: setup
	@$(PY) -m labproject.servers pgbouncer stop

# Redis with a password and the append-only file on: the Celery workers' broker.
redis: setup
	@$(PY) -m labproject.servers redis start

redis-stop: setup
	@$(PY) -m labproject.servers redis stop

clean:
	rm -rf reports var/results
