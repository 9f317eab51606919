"""Marketplace money -> canonical order lines, exact to the cent.

Marketplaces report the price of a whole line (unit price x quantity); a canonical line carries a
unit price. When the line total does not divide into whole cents, the line becomes two lines of
the same SKU whose totals add up to the marketplace's line total exactly. The line's discount and
tax go whole on the first of the two lines (never split proportionally: splitting them would need
rounding, and the order's sums stay exact either way). A zero-decimal currency (JPY) is split in
whole units where its total is whole. Decimal only, never float.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")
# ISO 4217 currencies without minor units that marketplaces sell in (Amazon.co.jp sends "1795"):
# their lines are split in whole units.
ZERO_DECIMAL = frozenset({"JPY", "KRW", "CLP", "ISK", "VND"})
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


def parse_discount(value: object, field: str) -> Decimal:
    """A discount amount, which some platforms send negative (eBay's ``priceDiscount`` "-13.24"): its size."""
    if isinstance(value, str) and value.strip().startswith("-"):
        return parse_amount(value.strip()[1:], field)
    return parse_amount(value, field)


def split_line(sku: str, quantity: int, line_total: Decimal) -> list[dict[str, Any]]:
    """Canonical lines (``sku``, ``quantity``, ``unit_price`` as a decimal string) for a line total.

    One line when ``line_total / quantity`` is whole cents; otherwise two lines of ``sku`` whose
    quantities add up to ``quantity`` and whose totals add up to ``line_total`` exactly:
    10.00 for 3 -> 2 x 3.33 and 1 x 3.34.
    """
    return [
        {"sku": sku, "quantity": q, "unit_price": _text(unit)} for q, unit in _split(quantity, line_total)
    ]


def channel_lines(
    line: dict[str, Any],
    quantity: int,
    line_total: Decimal | None,
    *,
    discount: Decimal = Decimal("0.00"),
    tax: Decimal = Decimal("0.00"),
    currency: str | None = None,
) -> list[dict[str, Any]]:
    """Canonical channel lines for one platform line: ``line`` holds its ``sku``/``listing``/``line_id``.

    No price (``line_total`` None) or quantity 0: one line without a unit price. Otherwise
    ``split_line``'s one or two lines; ``discount`` and ``tax`` go whole on the first.
    """
    extras = {"discount": _text(discount), "tax": _text(tax)}
    if line_total is None or quantity == 0:
        return [{**line, "quantity": quantity, **extras}]
    step = Decimal(1) if currency in ZERO_DECIMAL and line_total == line_total.to_integral_value() else CENT
    parts = _split(quantity, line_total, step)
    return [
        {**line, "quantity": q, "unit_price": _text(unit), **(extras if n == 0 else {})}
        for n, (q, unit) in enumerate(parts)
    ]


def _split(quantity: int, line_total: Decimal, step: Decimal = CENT) -> list[tuple[int, Decimal]]:
    """``[(quantity, unit price)]``, one or two parts, totalling ``line_total`` exactly."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise ValueError("quantity must be a whole number of at least 1")
    if not isinstance(line_total, Decimal) or not line_total.is_finite():
        raise ValueError("line total must be a finite Decimal")
    if line_total < 0:
        raise ValueError("line total must not be negative")
    if line_total != line_total.quantize(CENT):
        raise ValueError("line total has more than 2 decimals")
    steps = int(line_total / step)
    unit, remainder = divmod(steps, quantity)
    if remainder == 0:
        return [(quantity, unit * step)]
    # remainder units cost one step more: (quantity - remainder) * unit + remainder * (unit + 1) == steps
    return [(quantity - remainder, unit * step), (remainder, (unit + 1) * step)]


def _text(amount: Decimal) -> str:
    return format(amount.quantize(CENT), "f")
