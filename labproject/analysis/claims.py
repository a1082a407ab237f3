"""The article's claims about its five methods, each checked against this lab's runs of them.

The article measured its five methods at 50,000 rows and said: method 1 loads everything, method 3
climbs steadily (a leak it could not resolve), methods 4 and 5 are the winners, and method 2 was still
killed in its pod. Each claim gets the measured result, a verdict (``analysis.verdicts``' noise rule),
and, where the lab disagrees, the likely reason and the page that tests it.
"""

from __future__ import annotations

import pandas as pd

from labproject.analysis.growth import PER_ROWS, median_growth
from labproject.analysis.verdicts import CONFIRMED, DEPENDS, REFUTED, margin
from labproject.engine.summary import summarize

COLUMNS = ["the article says", "measured here", "verdict", "likely reason where the lab disagrees"]
# Each claim in a few words, the table's index, in the order ``check`` returns them.
SHORT = ["method 1 loads everything", "method 3 leaks", "methods 4 and 5 win", "method 2 was still killed"]
LEAK_PAGE = "02_leak_investigation.html"
SCALING_PAGE = "03_scaling.html"


def _names() -> dict[int, str]:
    from labproject import strategies

    return {s.method: s.name for s in strategies.all_strategies() if s.method}


def check(runs: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """Return one row per claim (``COLUMNS``), judged on the five methods' RSS-only runs at one size."""
    names = _names()
    summary = summarize(runs).set_index("strategy")
    mib, spread = summary["peak_mib_median"], summary["peak_mib_max"] - summary["peak_mib_min"]
    growth = median_growth(samples)
    rows = int(runs["rows"].max())
    rows_out = [_method_1(names[1], mib, spread, rows), _method_3(names[3], mib, growth, rows),
                _methods_4_5(names, mib, spread, summary), _method_2(names[2], mib, growth, rows)]
    return pd.DataFrame(rows_out, columns=COLUMNS, index=SHORT)


def _others(mib: pd.Series, name: str) -> pd.Series:
    return mib.drop(index=name)


def _method_1(name: str, mib: pd.Series, spread: pd.Series, rows: int) -> list[str]:
    others = _others(mib, name)
    gained = mib[name] - others.max()
    verdict = CONFIRMED if gained > margin(spread[name], spread.drop(index=name).max()) else REFUTED
    return ["Method 1, the plain QuerySet loop, loads the whole table into memory before the first row",
            f"`{name}`: +{mib[name]:.1f} MiB at {rows:,} rows ({mib[name] / rows * PER_ROWS:.0f} MiB per 100k rows), "
            f"the other four at most +{others.max():.1f} MiB", verdict,
            "" if verdict == CONFIRMED else "its result cache was not what held memory here"]


def _method_3(name: str, mib: pd.Series, growth: pd.Series, rows: int) -> list[str]:
    rate = float(growth.get(name, float("nan")))
    over = rate * rows / PER_ROWS
    verdict = CONFIRMED if over > margin() else REFUTED if pd.notna(over) else "not measured"
    reason = "" if verdict == CONFIRMED else (
        f"DEBUG: these runs have DEBUG off; with DEBUG on, Django's query log keeps every statement's SQL and "
        f"climbs until it holds 9,000 ([page 02]({LEAK_PAGE}) measures it at the article's batch size)")
    return ["Method 3, iterator() + bulk_update, climbs steadily: a leak",
            f"`{name}`: +{mib[name]:.1f} MiB, " + (f"growing {rate:+.2f} MiB per 100k rows over the walk "
                                                  f"({over:+.1f} MiB over {rows:,} rows)" if pd.notna(rate)
                                                  else "too few batches to fit a climb"), verdict, reason]


def _methods_4_5(names: dict[int, str], mib: pd.Series, spread: pd.Series, summary: pd.DataFrame) -> list[str]:
    paged = [names[4], names[5]]
    flat = mib.drop(index=names[1])
    best_paged = flat[paged].idxmin()
    rivals = flat.drop(index=paged)
    best_rival = rivals.idxmin()
    diff = flat[best_paged] - flat[best_rival]
    needed = margin(spread[best_paged], spread[best_rival])
    verdict = CONFIRMED if diff < -needed else REFUTED if diff > needed else DEPENDS
    wall = summary[["wall_s_min", "wall_s_max"]]
    overlap = wall["wall_s_min"].max() <= wall["wall_s_max"].min()
    fastest = summary["wall_s_median"].idxmin()
    time = (f"on time no method wins: every range overlaps ({wall['wall_s_min'].min():.2f}–"
            f"{wall['wall_s_max'].max():.2f} s)" if overlap else
            f"fastest `{fastest}` ({summary.loc[fastest, 'wall_s_median']:.2f} s median)")
    reason = "" if verdict == CONFIRMED else (
        f"the article's zoom set them beside method 3 while it climbed (DEBUG on); with DEBUG off `{best_rival}` "
        "holds one chunk of rows and no page at all, and OFFSET makes the Paginator dearer as the table grows "
        f"([page 03]({SCALING_PAGE}))")
    return ["Methods 4 and 5, the Paginator, are the winners",
            f"least memory among the flat ones: `{flat.idxmin()}` (+{flat.min():.1f} MiB); `{names[4]}` "
            f"+{flat[names[4]]:.1f}, `{names[5]}` +{flat[names[5]]:.1f} MiB; {time}",
            verdict if verdict != DEPENDS else "within the noise", reason]


def _method_2(name: str, mib: pd.Series, growth: pd.Series, rows: int) -> list[str]:
    rate = float(growth.get(name, float("nan")))
    flat = not rate * rows / PER_ROWS > margin()  # too few batches to fit a slope: nothing shows a climb
    reason = "" if not flat else (
        "a backend that buffers the whole result before the first row: PostgreSQL without server-side cursors "
        f"(behind PgBouncer's transaction pooling) or MySQL/MariaDB; [page 02]({LEAK_PAGE}) measures it on PostgreSQL")
    return ["Method 2, QuerySet.iterator(), was still killed in its pod",
            f"`{name}`: +{mib[name]:.1f} MiB" + (f", {rate:+.2f} MiB per 100k rows" if pd.notna(rate) else "")
            + (": flat on this backend" if flat else ""),
            "not reproduced here" if flat else CONFIRMED, reason]


def held(table: pd.DataFrame) -> tuple[int, int]:
    """Return (claims this lab confirms, claims checked)."""
    return int((table["verdict"] == CONFIRMED).sum()), len(table)
