"""Deterministic payloads for the lab table: pure Python, no Django, imported by the loaders above it."""

from seed.payload import PayloadSpec, generate_rows, problem
from seed.presets import PRESETS

__all__ = ["PRESETS", "PayloadSpec", "generate_rows", "problem"]
