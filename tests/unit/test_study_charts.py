"""The study charts on small tables: log-log axes, one state per cell, one point per strategy, offline controls."""

import pandas as pd

from labproject.analysis import floor, scaling
from labproject.charts.floor import time_and_memory_map
from labproject.charts.scaling import cost_against_rows
from labproject.charts.survival import STATES, survival_grid

SETTING = {"payload_bytes": 300, "backend": "sqlite", "setup": "sqlite", "debug": False}


def runs() -> pd.DataFrame:
    rows = []
    for name, sizes, kill in (("greedy", [1_000, 10_000, 100_000], 100_000), ("lean", [1_000, 10_000, 100_000], None)):
        for size in sizes:
            killed = size == kill
            rows.append({**SETTING, "strategy": name, "rows": size, "repeat": 0,
                         "status": "killed" if killed else "ok", "rows_done": 84_000 if killed else size,
                         "wall_seconds": size / 10_000,
                         "peak_above_baseline_mib": None if killed else size / 400 if name == "greedy" else 1.0,
                         "killed_at_rss_bytes": 260 * 2**20 if killed else None, "baseline_mib": 45.0})
    return pd.DataFrame(rows)


def test_cost_against_rows_is_log_log_and_names_slopes_in_the_legend():
    table = runs()
    fig = cost_against_rows(table.assign(memory_above_baseline_mib=table["peak_above_baseline_mib"]),
                            metric="memory_above_baseline_mib", fits=scaling.memory_fits(table))
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert [t.name for t in fig.data if t.showlegend is not False] == ["greedy: slope 1.00, O(n)",
                                                                       "lean: slope 0.00, O(1)"]
    assert list(fig.layout.yaxis.ticktext) == ["1", "2", "5", "10", "20"], "never 2 for 20"
    assert fig.layout.updatemenus, "a dropdown that works without a kernel"


def test_memory_below_what_rss_resolves_sits_on_a_marked_floor_line():
    table = runs().assign(peak_above_baseline_mib=lambda t: t["peak_above_baseline_mib"].where(
        t["strategy"] == "greedy", 0.0))
    table["memory_above_baseline_mib"] = table["peak_above_baseline_mib"]
    fig = cost_against_rows(table, metric="memory_above_baseline_mib")
    floor_line = next(t for t in fig.data if t.name and t.name.startswith("0.25 MiB"))
    assert list(floor_line.y) == [0.25, 0.25] and floor_line.line.dash == "dash"
    lean_runs = next(t for t in fig.data if t.mode == "markers" and t.name == "lean")
    assert set(lean_runs.marker.symbol) == {"circle-open"} and set(lean_runs.customdata) == {0.0}
    assert not fig.layout.shapes, "a shape on a log axis would drag its range to zero"


def test_survival_grid_marks_each_cell_survived_killed_or_not_run():
    table = pd.concat([runs(), pd.DataFrame([{**SETTING, "strategy": "late", "rows": 1_000, "repeat": 0,
                                              "status": "ok", "rows_done": 1_000, "peak_above_baseline_mib": 1.0}])])
    predicted = pd.DataFrame([{"strategy": "lean", "rows": 5_000_000, "memory MiB": 1.0, "state": "fits"},
                              {"strategy": "late", "rows": 5_000_000, "memory MiB": 300.0, "state": "unsure"}])
    fig = survival_grid(table, cap_mb=256, predicted=predicted)
    heat = fig.data[0]
    codes = {state: code for state, (code, _colour, _said) in STATES.items()}
    assert list(heat.y) == ["greedy", "lean", "late"]
    assert list(heat.x) == ["1k", "10k", "100k", "5M"]
    assert list(heat.z[0]) == [codes["survived"], codes["survived"], codes["killed"], codes["not run"]]
    assert list(heat.text[0])[2] == "killed at 84k"
    assert list(heat.z[1])[3] == codes["fits"] and list(heat.text[2])[3] == "≈ +300 MiB?"
    assert list(heat.z[2])[:3] == [codes["survived"], codes["not run"], codes["not run"]], "not run above its size"
    legend = {t.name: t.marker.color for t in fig.data[1:]}
    assert legend == {said: colour for code, colour, said in STATES.values()
                      if code in {c for row in heat.z for c in row}}, "the legend shows the cells' own colours"


def test_the_floor_map_has_one_point_per_strategy():
    table = pd.DataFrame([{**SETTING, "strategy": n, "rows": 1_000, "status": "ok", "wall_seconds": s,
                           "peak_above_baseline_mib": p, "baseline_mib": 45.0}
                          for n, s, p in (("sql_update", 0.1, 0.0), ("keyset_executemany", 0.2, 1.0))])
    postgres = table.assign(backend="postgresql", setup="postgresql", wall_seconds=table["wall_seconds"] * 3)
    postgres.loc[postgres["strategy"] == "keyset_executemany", "wall_seconds"] = 0.9
    both = pd.concat([table, postgres], ignore_index=True)
    fig = time_and_memory_map(floor.against_floor(both), both)
    times = [t for t in fig.data if t.xaxis == "x"]
    assert [t.name for t in times] == ["SQLite", "PostgreSQL"], "both backends drawn, no dropdown"
    assert not fig.layout.updatemenus
    points = {(t.name, label): round(x, 6) for t in times for label, x in zip(t.y, t.x, strict=True)}
    assert points == {("SQLite", "sql_update"): 1.0, ("SQLite", "keyset_executemany"): 2.0,
                      ("PostgreSQL", "sql_update"): 1.0, ("PostgreSQL", "keyset_executemany"): 3.0}
    memory = [t for t in fig.data if t.xaxis == "x2"]
    assert list(memory[0].x) == [0.0, 1.0], "zero drawn at zero on a linear axis"
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis2.type != "log"
    assert list(fig.layout.yaxis.categoryarray) == ["sql_update", "keyset_executemany"]
