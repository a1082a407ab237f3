"""Deterministic JSON payloads: the same rows, payload size and seed give byte-identical text.

Each row's payload is exactly ``payload_bytes`` bytes of ASCII JSON with a number and a list
nested in an object, padded by a note string::

    {"id": 7, "metrics": {"score": 512, "tags": ["k2", "q9"]}, "note": "lorem..."}

Rows are built with one random draw and one string format each, from fragments computed once,
so the generator is not what limits the loaders (about a microsecond a row).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

GENERATOR_VERSION = 1
MAX_TAGS = 8
_TAG_POOL = [f"{a}{b}" for a in "abcdefgh" for b in "0123456789"][:64]
_NOTE_SOURCE = ("the quick brown fox jumps over the lazy dog while memory keeps climbing " * 2000)
_TEMPLATE = '{"id": %d, "metrics": {"score": %d, "tags": [%s]}, "note": "%s"}'
# The longest skeleton: the largest id we allow, a 4-digit score and MAX_TAGS tags.
MIN_PAYLOAD_BYTES = len(_TEMPLATE % (10**9, 9999, ", ".join(['"xx"'] * MAX_TAGS), ""))
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_ROWS = 50_000_000


@dataclass(frozen=True)
class PayloadSpec:
    """How many rows to make, how big each payload is, and the random seed."""

    rows: int
    payload_bytes: int = 300
    seed: int = 1
    force: bool = field(default=False, compare=False, repr=False)  # allows more than MAX_ROWS

    def __post_init__(self) -> None:
        wrong = problem(self.rows, self.payload_bytes, self.seed, force=self.force)
        if wrong:
            raise ValueError(wrong)


def problem(rows: object, payload_bytes: object, seed: object, *, force: bool = False) -> str | None:
    """Return why the generator cannot or should not make this table, in one line, or None when it can."""
    if not isinstance(rows, int) or isinstance(rows, bool) or rows <= 0:
        return f"rows must be a positive whole number, got {rows!r}"
    if rows > MAX_ROWS and not force:
        return f"rows={rows:,} is above the lab's ceiling of {MAX_ROWS:,}; pass --force if you mean it"
    if rows >= 10**9:
        return f"rows={rows:,} is beyond what the payload format holds (under 1,000,000,000)"
    if not isinstance(payload_bytes, int) or isinstance(payload_bytes, bool):
        return f"payload bytes must be a whole number, got {payload_bytes!r}"
    if payload_bytes < MIN_PAYLOAD_BYTES:
        return f"payload bytes={payload_bytes} is below the {MIN_PAYLOAD_BYTES} bytes the JSON shape needs"
    if payload_bytes > MAX_PAYLOAD_BYTES:
        return f"payload bytes={payload_bytes:,} is above the lab's limit of {MAX_PAYLOAD_BYTES:,}"
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        return f"seed must be a non-negative whole number, got {seed!r}"
    return None


def _tag_lists() -> list[str]:
    """Return every tags fragment a row can carry, indexed by ``start * MAX_TAGS + (count - 1)``."""
    ring = _TAG_POOL * 2
    return [
        ", ".join(f'"{t}"' for t in ring[start : start + count])
        for start in range(len(_TAG_POOL))
        for count in range(1, MAX_TAGS + 1)
    ]


def generate_rows(spec: PayloadSpec, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, str]]:
    """Yield ``(pk, payload_json)`` for rows ``start`` to ``stop`` (0-based), pk counting from 1.

    A slice gives the same rows as the whole run would at those positions, so loaders may
    work in chunks; the random stream is advanced to ``start`` first.
    """
    stop = spec.rows if stop is None else min(stop, spec.rows)
    tags = _tag_lists()
    note = _NOTE_SOURCE
    template = _TEMPLATE
    size = spec.payload_bytes
    draw = random.Random(spec.seed).getrandbits
    for _ in range(start):
        draw(32)
    fixed = len(template) - 8  # the template's own characters, without its four "%x" markers
    for index in range(start, stop):
        bits = draw(32)
        score = bits & 0x3FF
        tag_text = tags[(bits >> 10) & 0x1FF]
        pk = index + 1
        used = fixed + len(str(pk)) + len(str(score)) + len(tag_text)
        offset = (bits >> 19) & 0xFF
        yield pk, template % (pk, score, tag_text, note[offset : offset + size - used])
