"""The study charts on small tables: log-log axes, one state per cell, one point per strategy, offline controls."""

import pandas as pd

from labproject.analysis import floor, scaling
from labproject.charts.floor import time_and_memory_map
from labproject.charts.scaling import cost_against_rows
from labproject.charts.survival import survival_grid

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
    fig = cost_against_rows(table, metric="peak_above_baseline_mib", fits=scaling.memory_fits(table))
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert [t.name for t in fig.data if t.showlegend is not False] == ["greedy: slope 1.00, O(n)",
                                                                       "lean: slope 0.00, O(1)"]
    assert fig.layout.updatemenus, "a dropdown that works without a kernel"


def test_survival_grid_marks_each_cell_survived_killed_or_not_run():
    table = pd.concat([runs(), pd.DataFrame([{**SETTING, "strategy": "late", "rows": 1_000, "repeat": 0,
                                              "status": "ok", "rows_done": 1_000, "peak_above_baseline_mib": 1.0}])])
    heat = survival_grid(table, cap_mb=256).data[0]
    assert list(heat.y) == ["greedy", "lean", "late"]
    assert list(heat.z[0]) == [0, 0, 1]
    assert list(heat.text[0])[2] == "killed after 84,000 rows"
    assert list(heat.z[2]) == [0, 3, 3], "not run above its size"


def test_the_floor_map_has_one_point_per_strategy():
    table = pd.DataFrame([{**SETTING, "strategy": n, "rows": 1_000, "status": "ok", "wall_seconds": s,
                           "peak_above_baseline_mib": p, "baseline_mib": 45.0}
                          for n, s, p in (("sql_update", 0.1, 0.0), ("keyset_executemany", 0.2, 1.0))])
    fig = time_and_memory_map(floor.against_floor(table), table)
    points = {name: x for trace in fig.data for name, x in zip(trace.text, trace.x, strict=True)}
    assert points == {"sql_update": 1.0, "keyset_executemany": 2.0}
    assert fig.layout.xaxis.type == "log"
