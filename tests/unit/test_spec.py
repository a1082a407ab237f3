import pytest

from labproject import strategies
from labproject.engine.spec import RunSpec
from labproject.errors import BadInput, NotApplicable, UnknownStrategy


def test_a_valid_spec_always_carries_rss():
    spec = RunSpec(strategy="iterator_save", rows=10, backend="sqlite", probes=("queries",))
    assert spec.probes == ("rss", "queries")
    assert RunSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"strategy": "nope"}, UnknownStrategy, "known: queryset_loop"),
        ({"batch_size": 0}, BadInput, "batch size"),
        ({"repeats": -1}, BadInput, "repeats"),
        ({"rows": 0}, BadInput, "rows"),
        ({"probes": ("heapy",)}, BadInput, "unknown probe"),
        ({"memory_cap_mb": 4}, BadInput, "baseline"),
        ({"probes": ("memray", "tracemalloc")}, BadInput, "both hook Python's allocators"),
        ({"backend": "oracle"}, NotApplicable, "does not apply to oracle"),
        ({"backend": "mysql", "strategy": "server_side_cursor"}, NotApplicable, "it runs on postgresql"),
        ({"backend": "mysql", "server_side_cursors": True}, BadInput, "no server-side cursors on mysql"),
        ({"backend": "sqlite", "pooler": "transaction"}, BadInput, "only known in front of postgresql"),
        ({"backend": "postgresql", "pooler": "transaction", "strategy": "held_cursor"}, NotApplicable,
         "cannot run through a transaction pooler: its WITH HOLD cursor lives in one server session"),
    ],
)
def test_bad_specs_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        RunSpec(**{"strategy": "iterator_save", "rows": 10, "backend": "sqlite", **kwargs})


def test_server_side_cursors_default_to_what_django_does_on_the_database():
    def cursors(backend: str, pooler: str | None = None, **asked) -> bool:
        return RunSpec(strategy="iterator_save", rows=10, backend=backend, pooler=pooler, **asked).server_side_cursors

    assert cursors("postgresql") is True
    assert cursors("postgresql", "transaction") is False  # Django requires DISABLE_SERVER_SIDE_CURSORS there
    assert cursors("postgresql", "transaction", server_side_cursors=True) is True  # asked for, to see it break
    assert cursors("mysql") is False
    spec = RunSpec(strategy="iterator_save", rows=10, backend="postgresql", pooler="transaction")
    assert RunSpec.from_dict(spec.to_dict()) == spec


def test_the_registry_lists_the_article_five_in_method_order():
    article = [s for s in strategies.all_strategies() if s.method]
    assert [s.method for s in article] == [1, 2, 3, 4, 5]
    for s in strategies.all_strategies():
        assert s.title and len(s.why) > 60 and s.backends


def test_the_plan_groups_runs_by_table_shape_then_goes_round_robin():
    from labproject.engine.runner import plan

    small = [RunSpec(strategy=n, rows=10, backend="sqlite", repeats=2) for n in ("iterator_save", "sql_update")]
    large = RunSpec(strategy="iterator_save", rows=20, backend="sqlite", repeats=2)
    order = [(spec.strategy, spec.rows, repeat) for spec, repeat in plan([small[0], large, small[1]])]
    assert order == [("iterator_save", 10, 0), ("sql_update", 10, 0), ("iterator_save", 10, 1),
                     ("sql_update", 10, 1), ("iterator_save", 20, 0), ("iterator_save", 20, 1)]
