"""Strategies that exist only for the engine's tests; loaded through LAB_STRATEGY_MODULES."""

import time

from labproject.strategies.article import iterator_bulk_update
from labproject.strategies.base import strategy


@strategy("test_raises", "Raises after a few rows", why="Proves a crash becomes data.", family="experiment")
def raises(ctx):
    ctx.advance(10)
    raise ValueError("boom at row 10")


@strategy("test_spike", "A short allocation spike, then the real work", why="Peak between samples.",
          family="experiment")
def spike(ctx):
    block = b"x" * (80 * 2**20)
    del block
    iterator_bulk_update(ctx)


@strategy("test_slow", "Reports progress slowly for a long time", why="Something to interrupt.",
          family="experiment")
def slow(ctx):
    for _ in range(600):
        time.sleep(0.05)
        ctx.advance(1)


@strategy("test_helper_hog", "Starts a helper process that holds 100 MiB", why="Tree accounting.",
          family="experiment")
def helper_hog(ctx):
    import subprocess
    import sys

    code = "import time; b = b'x' * (100 * 2**20); time.sleep(1.5)"
    subprocess.run([sys.executable, "-c", code], check=True)
    iterator_bulk_update(ctx)


@strategy("test_helper_sleeper", "Starts a helper that holds 200 MiB and sleeps", why="Orphans.",
          family="experiment")
def helper_sleeper(ctx):
    import os
    import subprocess
    import sys

    marker = os.environ.get("LAB_TEST_MARKER", "lab-test-helper")
    code = "import sys, time; b = b'x' * (200 * 2**20); time.sleep(120)"
    helper = subprocess.Popen([sys.executable, "-c", code, marker])
    for _ in range(1200):
        ctx.advance(0)
        time.sleep(0.1)
    helper.kill()


@strategy("test_slow_walk", "iterator() + save(), a few milliseconds a row", why="A real walk to disturb.",
          family="experiment")
def slow_walk(ctx):
    from labproject.iteration.calculation import some_calculation
    from labproject.iteration.models import SomeModel

    for obj in SomeModel.objects.all().iterator(chunk_size=100):
        time.sleep(0.004)
        obj.field = some_calculation(obj)
        obj.save(update_fields=["field"])
        ctx.advance()


@strategy("test_claims_key", "Writes the calculation but says it writes the key", family="experiment",
          verify_sql=lambda target, vendor: '"id"', why="Proves a run is checked against what its strategy says.")
def claims_key(walk):
    from labproject.strategies.floor import sql_update

    sql_update(walk)
