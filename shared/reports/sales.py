"""Daily sales arithmetic. Pure: no boto3, no clock.

An order *contributes* counters to business days (``contribution``):

* the day it was placed: ``orders``, ``units`` and ``gross`` (for the currency, its channel and each of
  its SKUs), and one to the status it had at the end of that day;
* the day it was cancelled: ``cancelled_orders``, ``cancelled_units`` and ``cancelled_value``;
* the day of each return: ``returned_units`` and ``returned_value`` (units at the price they were sold).

The daily counters are the sum of every order's contribution. The orders stream keeps them: each change
of an order adds ``delta(old, new)`` = contribution(new) - contribution(old), so however many changes an
order goes through, what it has added is exactly the contribution of its current version, and a day's
counters always equal a recount from the orders themselves (``recount``). A day's figures only move
while something happens that day (a late change adds to the day it happens on), so a finished day's
report is the same however often it is run.

The figures are per currency: amounts in two currencies are never added together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import get_args
from zoneinfo import ZoneInfo

from shared.dal.keys import from_key_part, key_part
from shared.models.orders import Order, OrderStatus
from shared.models.reports import (
    ChannelSales,
    CurrencySales,
    DailySales,
    SalesFigures,
    SkuSales,
)
from shared.reports.days import business_day

AMOUNTS = ("gross", "cancelled_value", "returned_value")
COUNTS = ("orders", "units", "cancelled_orders", "cancelled_units", "returned_units")
FIELDS = COUNTS + AMOUNTS
STATUS_FIELD = "orders"
STATUSES: tuple[OrderStatus, ...] = get_args(OrderStatus)

# A counter item: (business day, what it counts). What: TOTAL#{cur}, CHANNEL#{channel}#{cur},
# SKU#{sku}#{cur} or STATUS#{status}. A SKU may hold '#': it is escaped (shared.dal.keys.key_part), so
# no part holds a '#' and the parts split cleanly. Channels and currencies cannot hold one.
CounterKey = tuple[str, str]
Counters = dict[CounterKey, dict[str, Decimal]]


def total_key(currency: str) -> str:
    return f"TOTAL#{currency}"


def channel_key(channel: str, currency: str) -> str:
    return f"CHANNEL#{channel}#{currency}"


def sku_key(sku: str, currency: str) -> str:
    return f"SKU#{key_part(sku)}#{currency}"


def status_key(status: str) -> str:
    return f"STATUS#{status}"


class _Adder:
    def __init__(self) -> None:
        self.counters: Counters = defaultdict(lambda: defaultdict(Decimal))

    def add(self, day: str, what: str, **fields: Decimal | int) -> None:
        for name, value in fields.items():
            if value:
                self.counters[(day, what)][name] += Decimal(value)

    def add_all(self, day: str, order: Order, **fields: Decimal | int) -> None:
        """The same fields for the order's currency total and its channel."""
        self.add(day, total_key(order.currency), **fields)
        self.add(day, channel_key(order.channel, order.currency), **fields)


def status_at_end_of(day: str, order: Order, tz: ZoneInfo) -> OrderStatus:
    """The order's status at the end of a business day, from its history (its status now if the
    history is empty)."""
    status = order.status
    for entry in order.history:
        if business_day(entry.at, tz) > day:
            break
        status = entry.status
    return status


def _cancelled_at(order: Order) -> str | None:
    for entry in order.history:
        if entry.status == "CANCELLED":
            return entry.at
    return None


def _returned_values(order: Order) -> Iterable[tuple[str, str, int, Decimal]]:
    """(returned_at, sku, units, value) per return line. A returned unit is valued at the price of the
    order's lines of that SKU, first lines first (a SKU may be on two lines at two prices)."""
    left = [line.quantity for line in order.lines]
    for record in order.returns:
        for returned in record.lines:
            units, value = returned.quantity, Decimal(0)
            for i, line in enumerate(order.lines):
                if line.sku != returned.sku or not units:
                    continue
                taken = min(units, left[i])
                left[i] -= taken
                units -= taken
                value += line.unit_price * taken
            if units:  # more than the lines hold (never accepted): value the rest at the first price
                price = next(
                    (line.unit_price for line in order.lines if line.sku == returned.sku), Decimal(0)
                )
                value += price * units
            yield record.returned_at, returned.sku, returned.quantity, value


def contribution(order: Order, tz: ZoneInfo) -> Counters:
    """What one order adds to the daily counters, as it is now."""
    adder = _Adder()
    placed = business_day(order.created_at, tz)
    units = sum(line.quantity for line in order.lines)
    adder.add_all(placed, order, orders=1, units=units, gross=order.total)
    adder.add(placed, status_key(status_at_end_of(placed, order, tz)), orders=1)
    for sku, (sku_units, sku_gross) in _by_sku(order).items():
        adder.add(placed, sku_key(sku, order.currency), orders=1, units=sku_units, gross=sku_gross)
    cancelled_at = _cancelled_at(order)
    if cancelled_at is not None:
        day = business_day(cancelled_at, tz)
        adder.add_all(day, order, cancelled_orders=1, cancelled_units=units, cancelled_value=order.total)
        for sku, (sku_units, sku_gross) in _by_sku(order).items():
            adder.add(
                day,
                sku_key(sku, order.currency),
                cancelled_orders=1,
                cancelled_units=sku_units,
                cancelled_value=sku_gross,
            )
    for returned_at, sku, returned_units, value in _returned_values(order):
        day = business_day(returned_at, tz)
        adder.add_all(day, order, returned_units=returned_units, returned_value=value)
        adder.add(day, sku_key(sku, order.currency), returned_units=returned_units, returned_value=value)
    return _plain(adder.counters)


def _by_sku(order: Order) -> dict[str, tuple[int, Decimal]]:
    found: dict[str, tuple[int, Decimal]] = {}
    for line in order.lines:
        units, gross = found.get(line.sku, (0, Decimal(0)))
        found[line.sku] = (units + line.quantity, gross + line.line_total)
    return found


def _plain(counters: Mapping[CounterKey, Mapping[str, Decimal]]) -> Counters:
    return {key: {name: value for name, value in fields.items() if value} for key, fields in counters.items()}


def delta(old: Order | None, new: Order | None, tz: ZoneInfo) -> Counters:
    """What one change of an order adds to the counters: its contribution now minus before. Empty when
    the change moves no figure (a note, an erasure, a shipment that changes no status day)."""
    result: Counters = defaultdict(dict)
    for sign, order in ((1, new), (-1, old)):
        if order is None:
            continue
        for key, fields in contribution(order, tz).items():
            for name, value in fields.items():
                result[key][name] = result[key].get(name, Decimal(0)) + sign * value
    return {key: fields for key, fields in _plain(result).items() if fields}


def recount(orders: Iterable[Order], tz: ZoneInfo) -> Counters:
    """The counters a set of orders adds up to, from the orders alone (what the stream must agree with)."""
    total: Counters = defaultdict(lambda: defaultdict(Decimal))
    for order in orders:
        for key, fields in contribution(order, tz).items():
            for name, value in fields.items():
                total[key][name] += value
    return _plain(total)


@dataclass(frozen=True)
class CounterRow:
    """One counter item of a day as stored: what it counts and its fields."""

    what: str
    fields: Mapping[str, Decimal]


def daily_sales(day: str, timezone: str, rows: Iterable[CounterRow]) -> DailySales:
    """The daily_sales report of a day from its counter items."""
    totals: dict[str, SalesFigures] = {}
    channels: dict[str, list[ChannelSales]] = defaultdict(list)
    skus: dict[str, list[SkuSales]] = defaultdict(list)
    statuses: dict[OrderStatus, int] = {}
    for row in rows:
        kind, _, rest = row.what.partition("#")
        if kind == "STATUS":
            if rest in STATUSES and int(row.fields.get(STATUS_FIELD, 0)):
                statuses[rest] = int(row.fields[STATUS_FIELD])
            continue
        name, _, currency = rest.rpartition("#")
        figures = figures_of(row.fields)
        if kind == "TOTAL":
            totals[rest] = figures
        elif kind == "CHANNEL":
            channels[currency].append(ChannelSales(channel=name, figures=figures))
        elif kind == "SKU":
            skus[currency].append(SkuSales(sku=from_key_part(name), figures=figures))
    currencies = sorted(set(totals) | set(channels) | set(skus))
    return DailySales(
        date=day,
        timezone=timezone,
        currencies=[
            CurrencySales(
                currency=currency,
                totals=totals.get(currency, SalesFigures()),
                by_channel=sorted(channels[currency], key=lambda c: c.channel),
                by_sku=sorted(skus[currency], key=lambda s: (-s.figures.gross, s.sku)),
            )
            for currency in currencies
        ],
        orders_by_status={status: statuses[status] for status in STATUSES if status in statuses},
    )


def figures_of(fields: Mapping[str, Decimal]) -> SalesFigures:
    values: dict[str, int | Decimal] = {name: int(fields.get(name, 0)) for name in COUNTS}
    values.update({name: Decimal(fields.get(name, 0)).quantize(Decimal("0.01")) for name in AMOUNTS})
    return SalesFigures.model_validate(values)


def rows_of(counters: Counters, day: str) -> list[CounterRow]:
    """A day's counters as the rows ``daily_sales`` reads (the recount's side of the comparison)."""
    return [CounterRow(what, fields) for (d, what), fields in sorted(counters.items()) if d == day]


def net_units_by_sku(rows: Iterable[CounterRow]) -> dict[str, int]:
    """Units sold per SKU (all currencies): placed minus cancelled minus returned, as the rows say."""
    sold: dict[str, int] = defaultdict(int)
    for row in rows:
        kind, _, rest = row.what.partition("#")
        if kind != "SKU":
            continue
        sku = from_key_part(rest.rpartition("#")[0])
        fields = row.fields
        sold[sku] += int(
            fields.get("units", 0) - fields.get("cancelled_units", 0) - fields.get("returned_units", 0)
        )
    return dict(sold)
