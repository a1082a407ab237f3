"""The profile's grouping: each function's own time lands in one group, a C function's in its caller's."""

from labproject.benchmarks.peer_profile import GROUPS, format_difference, group_of, grouped

BASE = "/venv/lib/python3.11/site-packages/django/db/models/base.py"
BULK = "/venv/lib/python3.11/site-packages/django/db/models/query.py"
PREP = "/venv/lib/python3.11/site-packages/django/db/models/fields/__init__.py"


def test_functions_are_grouped_by_what_they_do():
    assert group_of((BASE, 1, "__init__")) == "model instances"
    assert group_of((BULK, 1, "bulk_update")) == "building SQL"
    assert group_of((BULK, 1, "__iter__")) == "model instances"
    assert group_of((PREP, 1, "get_db_prep_save")) == "binding parameters"
    assert group_of(("/py/lib/python3.11/json/decoder.py", 1, "raw_decode")) == "JSON decoding"
    assert group_of(("/venv/site-packages/psycopg/cursor.py", 1, "execute")) == "round trips"
    assert group_of(("/work/labproject/iteration/calculation.py", 1, "calculate")) == "loop and calculation"
    assert group_of(("/somewhere/else.py", 1, "f")) == "other"


def test_a_c_function_counts_for_its_callers_unless_it_is_the_drivers():
    init, bulk = (BASE, 1, "__init__"), (BULK, 2, "bulk_update")
    join = ("~", 0, "<method 'join' of 'str' objects>")
    execute = ("~", 0, "<method 'execute' of 'sqlite3.Cursor' objects>")
    stats = {
        init: (1, 1, 0.5, 0.9, {}),
        bulk: (1, 1, 1.0, 2.0, {}),
        join: (2, 2, 0.4, 0.4, {init: (1, 1, 0.1, 0.1), bulk: (1, 1, 0.3, 0.3)}),
        execute: (1, 1, 0.6, 0.6, {bulk: (1, 1, 0.6, 0.6)}),
    }
    seconds = grouped(stats)
    assert set(seconds) == set(GROUPS)
    assert round(seconds["model instances"], 6) == 0.6
    assert round(seconds["building SQL"], 6) == 1.3
    assert round(seconds["round trips"], 6) == 0.6
    assert round(sum(seconds.values()), 6) == 2.5


def test_the_difference_names_what_the_peer_spends_beyond_the_lab():
    lab = dict.fromkeys(GROUPS, 0.0) | {"round trips": 1.0, "JSON decoding": 0.5}
    peer = dict.fromkeys(GROUPS, 0.0) | {"round trips": 0.8, "JSON decoding": 1.5, "model instances": 3.0}
    line = format_difference("fast_update", peer, "keyset_update_from_values", lab)
    assert line == ("fast_update: 3.5x keyset_update_from_values's profiled time; what it spends beyond "
                    "keyset_update_from_values: model instances 75%, JSON decoding 25%")
