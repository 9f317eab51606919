"""The rows the analytics export writes (its layout: ``shared.analytics.layout``). Pure: no boto3, no clock.

No personal data: an order's customer is its ``customer_id`` only (never a name, an email, a phone or an
address). Money is a JSON string with two decimals (``"12.30"``), which both engines read into
``decimal(18,2)`` exactly (a JSON number would pass through a double on the way). The money columns are
the sales glossary's (``shared.reports.money``, ``shared.reports.sales``), computed by the same functions
the daily counters use, so the export and ``daily_sales`` cannot disagree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from shared.models.orders import Order
from shared.models.reports import cents
from shared.reports.days import business_day
from shared.reports.money import line_net, order_money
from shared.reports.sales import cancelled_at, order_returns, placed_at

Row = dict[str, Any]


def _amount(value: Decimal) -> str:
    return f"{cents(value):.2f}"


@dataclass(frozen=True)
class OrderRows:
    day: str  # the business day it was placed on: its folder
    order: Row
    lines: list[Row]


def order_rows(order: Order, tz: ZoneInfo) -> OrderRows:
    """The order's row and its lines' rows. Its amounts are what it was sold for and what it has given
    back (before a cancellation); a cancelled order says so (``cancelled``) and counts zero in the sales
    figures: ``WHERE NOT cancelled`` gives what ``daily_sales`` adds up over days that hold its
    placing, returns and cancellation."""
    placed = placed_at(order)
    money = order_money(order)
    back = order_returns(order)
    net = money.gross - money.discounts - back.value
    cancelled = cancelled_at(order)
    row: Row = {
        "order_id": order.order_id,
        "channel": order.channel,
        "external_id": order.external_id,
        "status": order.status,
        "currency": order.currency,
        "placed_at": placed,
        "customer_id": order.customer_id,
        "units": sum(line.quantity for line in order.lines),
        "gross_sales": _amount(money.gross),
        "discounts": _amount(money.discounts),
        "returned_units": back.units,
        "returns": _amount(back.value),
        "net_sales": _amount(net),
        "shipping": _amount(money.shipping),
        "taxes": _amount(money.taxes),
        "included_taxes": _amount(money.included_taxes),
        "total_sales": _amount(net + money.shipping + money.taxes - money.included_taxes),
        "cancelled": cancelled is not None,
        "cancelled_at": cancelled,
    }
    lines = [
        {
            "order_id": order.order_id,
            "line": n,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price": _amount(line.unit_price),
            "line_total": _amount(line.line_total),
            "discount": _amount(line.discount),
            "net": _amount(line_net(line)),
            "currency": order.currency,
            "channel": order.channel,
            "cancelled": cancelled is not None,
        }
        for n, line in enumerate(order.lines, start=1)
    ]
    return OrderRows(business_day(placed, tz), row, lines)


def stockout_row(sku: str, locations: Iterable[str]) -> Row:
    return {"sku": sku, "locations": sorted(set(locations))}


def json_line(row: Row) -> bytes:
    """One JSON Lines record: compact, keys in column order, UTF-8."""
    return (json.dumps(row, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
