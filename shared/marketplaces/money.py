"""Marketplace money -> canonical order lines, exact to the cent.

Marketplaces report the price of a whole line (unit price x quantity); a canonical line carries a
unit price. When the line total does not divide into whole cents, the line becomes two lines of
the same SKU whose totals add up to the marketplace's line total exactly. Decimal only, never float.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")
_AMOUNT_RE = re.compile(r"^-?\d{1,15}(\.\d{1,20})?$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def parse_amount(value: object, field: str) -> Decimal:
    """A marketplace amount such as ``"19.99"``: exact, non-negative, whole cents.

    Error messages name ``field`` and never repeat the value.
    """
    if value is None:
        raise ValueError(f"{field} is missing")
    if not isinstance(value, str):
        raise ValueError(f'{field} must be a decimal string such as "19.99"')
    text = value.strip()
    if not _AMOUNT_RE.fullmatch(text):
        raise ValueError(f'{field} is not a decimal amount such as "19.99"')
    amount = Decimal(text)
    if amount < 0:
        raise ValueError(f"{field} must not be negative")
    if amount != amount.quantize(CENT):
        raise ValueError(f"{field} has more than 2 decimals")
    return abs(amount).quantize(CENT)  # exact (checked above); "-0" becomes "0.00"


def parse_currency(value: object, field: str) -> str:
    """An ISO 4217 code such as ``"USD"``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"{field} is missing")
    if not isinstance(value, str) or not _CURRENCY_RE.fullmatch(value.strip()):
        raise ValueError(f"{field} must be a three-letter ISO 4217 code")
    return value.strip()


def one_currency(currencies: dict[str, str]) -> str | None:
    """The single currency of an order, from ``{field: currency}``; mixed currencies are refused."""
    distinct = sorted(set(currencies.values()))
    if len(distinct) > 1:
        fields = ", ".join(sorted(currencies))
        raise ValueError(f"more than one currency in one order ({', '.join(distinct)}) across {fields}")
    return distinct[0] if distinct else None


def split_line(sku: str, quantity: int, line_total: Decimal) -> list[dict[str, Any]]:
    """Canonical lines (``sku``, ``quantity``, ``unit_price`` as a decimal string) for a line total.

    One line when ``line_total / quantity`` is whole cents; otherwise two lines of ``sku`` whose
    quantities add up to ``quantity`` and whose totals add up to ``line_total`` exactly:
    10.00 for 3 -> 2 x 3.33 and 1 x 3.34.
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise ValueError("quantity must be a whole number of at least 1")
    if not isinstance(line_total, Decimal) or not line_total.is_finite():
        raise ValueError("line total must be a finite Decimal")
    if line_total < 0:
        raise ValueError("line total must not be negative")
    if line_total != line_total.quantize(CENT):
        raise ValueError("line total has more than 2 decimals")
    cents = int(line_total.quantize(CENT) * 100)
    unit, remainder = divmod(cents, quantity)
    if remainder == 0:
        return [_line(sku, quantity, unit)]
    # remainder units cost one cent more: (quantity - remainder) * unit + remainder * (unit + 1) == cents
    return [_line(sku, quantity - remainder, unit), _line(sku, remainder, unit + 1)]


def _line(sku: str, quantity: int, unit_cents: int) -> dict[str, Any]:
    unit_price = (Decimal(unit_cents) / 100).quantize(CENT)
    return {"sku": sku, "quantity": quantity, "unit_price": format(unit_price, "f")}
