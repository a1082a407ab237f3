"""Named table sizes, so notebooks and commands speak of ``article`` rather than 50000."""

PRESETS: dict[str, int] = {
    "tiny": 1_000,
    "article": 50_000,
    "large": 500_000,
    "huge": 5_000_000,
}
