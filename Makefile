# The README's two commands are `make report` and `make test`; both set the environment up first.
# The Debian packages the suite and the report use: Chromium for the browser test, and the servers the lab
# starts on loopback (PostgreSQL, MariaDB with the headers mysqlclient builds against, PgBouncer, Redis).
SYSTEM_PACKAGES := chromium postgresql mariadb-server libmariadb-dev pkg-config pgbouncer redis-server
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
MODE ?= full
SERVERS ?= main
ROWS ?= 50000

.PHONY: system setup test lint lab seed report bench bench-article bench-near-floor bench-walk bench-peers bench-seed \
	bench-fanout clean pg pg-stop mariadb mariadb-stop pgbouncer pgbouncer-stop redis redis-stop workers workers-stop

setup: system $(STAMP)

# As root on Debian: apt-get installs what SYSTEM_PACKAGES lacks; otherwise make stops with one line naming
# the command. When everything is there it is one dpkg-query call, no apt.
system:
	$(eval missing := $(filter-out $(shell dpkg-query -W -f='$${Package} $${db:Status-Status}\n' \
	  $(SYSTEM_PACKAGES) 2>/dev/null | awk '$$2 == "installed" {print $$1}'),$(SYSTEM_PACKAGES)))
	$(eval install := apt-get install -y --no-install-recommends $(missing))
	$(if $(missing),$(if $(filter 0,$(shell id -u)),,$(error missing Debian packages: $(missing); \
	  as root run: apt-get update && $(install))))
	$(if $(missing),@echo "installing Debian packages: $(missing)" >&2)
	$(if $(missing),DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive $(install) -q)
	@:

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

# Extra options for jupyter lab (the suite passes a free port, a token and --no-browser).
LAB_ARGS ?=
lab: setup
	@$(PY) -m labproject.lab $(LAB_ARGS)

seed: setup
	$(PY) manage.py seed_rows --rows $(ROWS)

report: setup
	$(PY) -m labproject.report --mode $(MODE) --servers $(SERVERS) --out reports

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

# The fan-out's broker (the lab's Redis under var/redis) and N Celery workers writing to $DATABASE_URL.
N ?= 2
workers: setup
	@$(PY) -m labproject.fanout workers start $(N)

workers-stop: setup
	@$(PY) -m labproject.fanout workers stop

# The walk fanned out over 1, 2 and 4 workers against sql_update and pipelined, and the chaos run (PostgreSQL).
bench-fanout: setup
	$(PY) -m labproject.benchmarks fanout

clean:
	rm -rf reports var/results
