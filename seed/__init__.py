"""Seed the lab table: deterministic payloads, fast loaders, presets, and a no-op when already seeded."""

from seed.payload import PayloadSpec, generate_rows
from seed.presets import PRESETS, resolve_size

__all__ = ["PRESETS", "PayloadSpec", "SeedOutcome", "generate_rows", "resolve_size", "seed_table"]


def __getattr__(name: str):
    # seeding needs Django's models, so it is imported on first use, after django.setup().
    if name in {"seed_table", "SeedOutcome"}:
        from seed import seeding

        return getattr(seeding, name)
    raise AttributeError(f"module 'seed' has no attribute {name!r}")
