"""Deterministic invoices: a second table shape, wide, with sparse keys and a JSON list of line items.

Each invoice has 1 to 8 lines ``{"sku": "K7", "qty": 3, "unit_cents": 1299, "discount_cents": 50}``,
a few ordinary columns, and a ``notes`` text that pads the row to ``payload_bytes`` bytes: the
columns a walk of the total must not fetch. Keys are sparse (steps of 2 or 3), as in a table that
has lived through deletes, so nothing may assume that keys are dense.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from seed.payload import PayloadSpec

INVOICES_VERSION = 1
_SKUS = [f"{a}{b}" for a in "KLMNPQRS" for b in range(10)]
_CUSTOMERS = [f"customer-{n:03d}" for n in range(500)]
_PADDING = "net thirty days, goods remain ours until paid, thank you for your order " * 1000
_EPOCH = date(2024, 1, 1)


def line_total(line: dict) -> int:
    """Return one line's amount in cents."""
    return line["qty"] * line["unit_cents"] - line["discount_cents"]


def invoice_total(lines: list[dict]) -> int:
    """Return an invoice's total in cents from its decoded line items."""
    return sum(line["qty"] * line["unit_cents"] - line["discount_cents"] for line in lines)


def generate_invoices(spec: PayloadSpec) -> Iterator[tuple[int, str, str, str, str, str]]:
    """Yield ``(pk, number, customer, issued ISO date, lines JSON, notes)`` for ``spec.rows`` invoices."""
    draw = random.Random(spec.seed).getrandbits
    pk = 0
    for index in range(spec.rows):
        bits = draw(64)
        pk += 2 + (bits & 1)
        count = 1 + ((bits >> 1) & 7)
        lines = []
        for n in range(count):
            b = bits >> (4 + 7 * n)
            qty = 1 + (b & 7)
            unit = 99 + ((b >> 3) & 15) * 125
            sku = _SKUS[(index + n) % len(_SKUS)]
            lines.append(f'{{"sku": "{sku}", "qty": {qty}, "unit_cents": {unit}, "discount_cents": {(b & 3) * 25}}}')
        text = "[" + ", ".join(lines) + "]"
        issued = (_EPOCH + timedelta(days=index % 700)).isoformat()
        number = f"INV-{pk:09d}"
        customer = _CUSTOMERS[(bits >> 40) % len(_CUSTOMERS)]
        pad = max(0, spec.payload_bytes - len(text) - len(number) - len(customer) - len(issued))
        yield pk, number, customer, issued, text, _PADDING[(bits >> 50) & 255: ((bits >> 50) & 255) + pad]
