"""Findings of controlled experiments: a hypothesis, what was changed, the measured effect, and a verdict.

A difference counts only when it clears the noise: at least ``NOISE_MIB`` and three times the
spread of the repeats it compares, so one lucky run cannot confirm anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

CONFIRMED, REFUTED, DEPENDS, NOT_MEASURED = "confirmed", "refuted", "depends", "not measured"
VERDICTS = (CONFIRMED, REFUTED, DEPENDS, NOT_MEASURED)
# RSS moves by about this much between identical runs here (page granularity, allocator arenas, sampling).
NOISE_MIB = 1.0
COLUMNS = ["hypothesis", "experiment", "measured effect", "verdict"]


@dataclass(frozen=True)
class Finding:
    """One row of a verdict table."""

    hypothesis: str
    experiment: str
    effect: str
    verdict: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    def sentence(self) -> str:
        return f"{self.hypothesis}: {self.verdict.upper()}. {self.effect}"


def margin(*spreads: float) -> float:
    """Return the smallest difference that counts, given the spreads (max - min) of the runs compared."""
    known = [s for s in spreads if pd.notna(s)]
    return max([NOISE_MIB, *(3 * s for s in known)])


def verdict_table(findings: Iterable[Finding]) -> pd.DataFrame:
    """Return the findings as a table, one row per hypothesis."""
    return pd.DataFrame([[f.hypothesis, f.experiment, f.effect, f.verdict] for f in findings], columns=COLUMNS)
