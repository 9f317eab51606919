"""Daily sales arithmetic. Pure: no boto3, no clock. The glossary (Shopify's, which merchants know):

* **gross sales**: unit price x quantity, before discounts (the order's ``subtotal``);
* **discounts**: every discount, on lines, on the order and on shipping;
* **returns**: money given back: a refund's amount, and returned units valued at the price they were
  sold for net of their line's discount (never the same units twice, see ``_returns``);
* **net sales** = gross sales - discounts - returns;
* **shipping**: shipping charged, before its discounts (those are in discounts);
* **taxes**: tax charged; **included taxes**: the part of it already inside gross and shipping
  (orders with ``taxes_included``);
* **total sales** = net sales + shipping + taxes - included taxes (an order with taxes on top adds
  them; one whose prices include them does not add them twice).

When each counts, on business days (``OMS_TIMEZONE``):

* an order's orders, units, gross, discounts, shipping and taxes count on the day it was placed
  (``placed_at``, the channel's purchase time; ``created_at`` for orders stored without it). Every
  order counts, whatever its status (``PENDING_PAYMENT`` and Amazon FBA's ``FULFILLED_BY_CHANNEL``
  too), and one to the status it had at the end of that day;
* a refund counts on the day of its ``refunded_at``, a return on its ``returned_at``;
* a cancellation counts on the day it happens: everything the order had added until then (orders,
  units, gross, discounts, returns, shipping, taxes) is taken back on that day, and nothing it does
  later counts. Over any period holding both days a cancelled order counts zero; each day's figures
  say what happened that day, so a finished day stays as it was (unless a channel reports something
  late that is dated on it: a late-arriving order, a refund).

The daily counters are the sum of every order's contribution. The orders stream keeps them: each change
of an order adds ``delta(old, new)`` = contribution(new) - contribution(old), so however many changes an
order goes through, what it has added is exactly the contribution of its current version, and a day's
counters always equal a recount from the orders themselves (``recount``).

The figures are per currency: amounts in two currencies are never added together. SKU rows hold gross,
discounts (their lines' own discounts: a discount on the whole order or on shipping is in the total and
channel rows only), returns and net; shipping and taxes are the order's, in the total and channel rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import get_args
from zoneinfo import ZoneInfo

from shared.dal.keys import Counter, counter_key, parse_counter
from shared.models.orders import Order, OrderStatus, Refund, ReturnRecord
from shared.models.reports import (
    ChannelSales,
    CurrencySales,
    DailySales,
    SalesFigures,
    SkuSales,
    cents,
)
from shared.reports.days import business_day, parse_utc
from shared.reports.money import line_net, order_money
from shared.reports.periods import Period, periods_of

# The counters' fields as stored. ``cancellations`` counts the orders cancelled on the day (their
# figures are taken back from the others).
AMOUNTS = ("gross", "discounts", "returns", "shipping", "taxes", "included_taxes")
COUNTS = ("orders", "units", "cancellations", "returned_units")
FIELDS = COUNTS + AMOUNTS
# Counter items written before the glossary kept cancellations apart (never taken back from orders,
# units and gross) and returns as returned_value: ``figures_of`` folds them into today's figures.
LEGACY = ("cancelled_orders", "cancelled_units", "cancelled_value", "returned_value")
STATUS_FIELD = "orders"
STATUSES: tuple[OrderStatus, ...] = get_args(OrderStatus)

# A counter item: (business day, what it counts). What: the counter's sort key (shared.dal.keys.counter_key:
# the total, a channel's or a SKU's figures in one currency, or a status's count), read back with
# shared.dal.keys.parse_counter.
CounterKey = tuple[str, str]
Counters = dict[CounterKey, dict[str, Decimal]]
# The same counters as stored: each day's added to its DAY, its ISO week's and its month's items (the
# roll-ups hold no STATUS counters: a status is a day's figure).
PeriodCounters = dict[tuple[Period, str], dict[str, Decimal]]


def total_key(currency: str) -> str:
    return counter_key(Counter("TOTAL", currency=currency))


def channel_key(channel: str, currency: str) -> str:
    return counter_key(Counter("CHANNEL", channel, currency))


def sku_key(sku: str, currency: str) -> str:
    return counter_key(Counter("SKU", sku, currency))


def status_key(status: str) -> str:
    return counter_key(Counter("STATUS", status))


class _Adder:
    def __init__(self) -> None:
        self.counters: Counters = defaultdict(lambda: defaultdict(Decimal))
        # What the order has added to each counter so far, whatever the day: a cancellation takes it back.
        self.so_far: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))

    def add(self, day: str, what: str, **fields: Decimal | int) -> None:
        for name, value in fields.items():
            if value:
                self.counters[(day, what)][name] += Decimal(value)
                self.so_far[what][name] += Decimal(value)


def placed_at(order: Order) -> str:
    """When the order was placed: on its channel, or (orders stored without it) when the OMS got it."""
    return order.placed_at or order.created_at


def status_at_end_of(day: str, order: Order, tz: ZoneInfo) -> OrderStatus:
    """The order's status at the end of a business day, from its history (the status it arrived with
    for a day before its first entry: a late-arriving order; its status now if the history is empty)."""
    status = order.history[0].status if order.history else order.status
    for entry in order.history:
        if business_day(entry.at, tz) > day:
            break
        status = entry.status
    return status


def cancelled_at(order: Order) -> str | None:
    for entry in order.history:
        if entry.status == "CANCELLED":
            return entry.at
    return order.updated_at if order.status == "CANCELLED" else None


@dataclass(frozen=True)
class _SkuMoney:
    units: int
    gross: Decimal
    discounts: Decimal


def _by_sku(order: Order) -> dict[str, _SkuMoney]:
    found: dict[str, _SkuMoney] = {}
    for line in order.lines:
        was = found.get(line.sku, _SkuMoney(0, Decimal(0), Decimal(0)))
        found[line.sku] = _SkuMoney(
            was.units + line.quantity, was.gross + line.line_total, was.discounts + line.discount
        )
    return found


@dataclass(frozen=True)
class _Back:
    """Something given back: units (a return) and money (a return's valuation, a refund)."""

    at: str
    sku: str | None  # None: a refund that names no lines (the order's, not a SKU's)
    units: int
    value: Decimal


def _unit_net(order: Order, sku: str) -> Decimal:
    lines = [line for line in order.lines if line.sku == sku]
    units = sum(line.quantity for line in lines)
    return sum((line_net(line) for line in lines), Decimal(0)) / units if units else Decimal(0)


def _allocate(amount: Decimal, weights: list[Decimal], units: list[int]) -> list[Decimal]:
    """``amount`` split in proportion to ``weights`` (to ``units`` when they weigh nothing), to the cent,
    the last share taking what rounding left: the shares add up to ``amount`` exactly."""
    basis = weights if sum(weights) > 0 else [Decimal(u) for u in units]
    whole = sum(basis) or Decimal(1)
    shares = [cents(amount * w / whole) for w in basis[:-1]]
    return [*shares, amount - sum(shares, Decimal(0))]


def _returns(order: Order) -> Iterator[_Back]:
    """Returns and refunds in time order, each unit's money counted once.

    A refund counts its amount. A return counts its units, valued at the price they were sold for net
    of their line's discount share (first lines first: a SKU may be on two lines at two prices), except
    units of that SKU a refund already named (those are valued 0). A refund naming units that a return
    already valued counts its amount minus that value (which may be negative: less was refunded than
    the units were sold for). A refund without lines is money only: it names no units and covers none.
    """
    events: list[tuple[dt.datetime, int, ReturnRecord | Refund]] = [
        (parse_utc(record.returned_at), 0, record) for record in order.returns
    ]
    events += [(parse_utc(refund.refunded_at), 1, refund) for refund in order.refunds]
    left = [line.quantity for line in order.lines]
    refunded: dict[str, int] = defaultdict(int)  # units refunds named that no return has counted yet
    valued_units: dict[str, int] = defaultdict(int)  # returned units valued, no refund has named yet
    valued_value: dict[str, Decimal] = defaultdict(Decimal)
    for _, _, event in sorted(events, key=lambda e: (e[0], e[1])):
        if isinstance(event, ReturnRecord):
            for returned in event.lines:
                sku, units = returned.sku, returned.quantity
                free = min(units, refunded[sku])
                refunded[sku] -= free
                value = _valued(order, left, sku, units, free)
                valued_units[sku] += units - free
                valued_value[sku] += value
                yield _Back(event.returned_at, sku, units, value)
            continue
        if not event.lines:
            yield _Back(event.refunded_at, None, 0, event.amount)
            continue
        quantities = [named.quantity for named in event.lines]
        weights = [_unit_net(order, named.sku) * named.quantity for named in event.lines]
        for named, share in zip(event.lines, _allocate(event.amount, weights, quantities), strict=True):
            sku = named.sku
            covered = min(named.quantity, valued_units[sku])
            already = cents(valued_value[sku] * covered / valued_units[sku]) if covered else Decimal(0)
            valued_units[sku] -= covered
            valued_value[sku] -= already
            refunded[sku] += named.quantity - covered
            yield _Back(event.refunded_at, sku, 0, share - already)


def _valued(order: Order, left: list[int], sku: str, units: int, free: int) -> Decimal:
    """The value of ``units`` returned units of ``sku``, the first ``free`` of them at 0; takes them
    from ``left`` (each line's units not returned yet)."""
    value = Decimal(0)
    for i, line in enumerate(order.lines):
        if line.sku != sku or not units:
            continue
        taken = min(units, left[i])
        left[i] -= taken
        units -= taken
        skipped = min(free, taken)
        free -= skipped
        value += line_net(line) * (taken - skipped) / line.quantity
    if units > free:  # more than the lines hold (never accepted): value the rest at the first line's
        value += _unit_net(order, sku) * (units - free)
    return cents(value)


def counted_returns(order: Order) -> Iterator[_Back]:
    """The order's returns and refunds that count (``_returns``), in time order: none after its
    cancellation (after it, an order counts no more)."""
    cancelled = cancelled_at(order)
    until = parse_utc(cancelled) if cancelled is not None else None
    for back in _returns(order):
        if until is None or parse_utc(back.at) <= until:
            yield back


@dataclass(frozen=True)
class OrderReturns:
    """What the order has given back in all, whatever the day: returned units and returns (money)."""

    units: int
    value: Decimal


def order_returns(order: Order) -> OrderReturns:
    """The order's returns in all (what the counters add for it, on the days they happen)."""
    backs = list(counted_returns(order))
    return OrderReturns(sum(b.units for b in backs), sum((b.value for b in backs), Decimal(0)))


def contribution(order: Order, tz: ZoneInfo) -> Counters:
    """What one order adds to the daily counters, as it is now."""
    adder = _Adder()
    money, currency = order_money(order), order.currency
    whole = (total_key(currency), channel_key(order.channel, currency))
    day = business_day(placed_at(order), tz)
    units = sum(line.quantity for line in order.lines)
    for what in whole:
        adder.add(
            day,
            what,
            orders=1,
            units=units,
            gross=money.gross,
            discounts=money.discounts,
            shipping=money.shipping,
            taxes=money.taxes,
            included_taxes=money.included_taxes,
        )
    for sku, figures in _by_sku(order).items():
        adder.add(
            day,
            sku_key(sku, currency),
            orders=1,
            units=figures.units,
            gross=figures.gross,
            discounts=figures.discounts,
        )
    cancelled = cancelled_at(order)
    for back in counted_returns(order):
        back_day = business_day(back.at, tz)
        for what in whole:
            adder.add(back_day, what, returned_units=back.units, returns=back.value)
        if back.sku is not None:
            adder.add(back_day, sku_key(back.sku, currency), returned_units=back.units, returns=back.value)
    if cancelled is not None:
        cancel_day = business_day(cancelled, tz)
        for what, fields in list(adder.so_far.items()):
            taken_back = {name: -value for name, value in fields.items()}
            adder.add(cancel_day, what, cancellations=1, **taken_back)
    # The status counters say how the day's orders stood at its end: never taken back.
    adder.add(day, status_key(status_at_end_of(day, order, tz)), orders=1)
    return _plain(adder.counters)


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


def rolled_up(counters: Counters) -> PeriodCounters:
    """Each day's counters added to the day, its ISO week and its month (STATUS to the day only); a
    roll-up a change leaves unmoved (it took back on one day of the week what it added on another) is
    not written."""
    result: dict[tuple[Period, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for (day, what), fields in counters.items():
        status = what.startswith(status_key(""))
        for period in periods_of(day):
            if status and period.kind != "DAY":
                continue
            for name, value in fields.items():
                result[(period, what)][name] += value
    plain = {key: {name: value for name, value in fields.items() if value} for key, fields in result.items()}
    return {key: fields for key, fields in sorted(plain.items()) if fields}


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
        counter = parse_counter(row.what)
        if counter is None:
            continue
        if counter.kind == "STATUS":
            status = counter.name
            if status in STATUSES and int(row.fields.get(STATUS_FIELD, 0)):
                statuses[status] = int(row.fields[STATUS_FIELD])
            continue
        figures, currency = figures_of(row.fields), counter.currency
        if counter.kind == "TOTAL":
            totals[currency] = figures
        elif counter.kind == "CHANNEL":
            channels[currency].append(ChannelSales(channel=counter.name, figures=figures))
        else:
            skus[currency].append(SkuSales(sku=counter.name, figures=figures))
    currencies = sorted(set(totals) | set(channels) | set(skus))
    return DailySales(
        date=day,
        timezone=timezone,
        currencies=[
            CurrencySales(
                currency=currency,
                totals=totals.get(currency, SalesFigures()),
                by_channel=sorted(channels[currency], key=lambda c: c.channel),
                by_sku=sorted(skus[currency], key=lambda s: (-s.figures.net_sales, s.sku)),
            )
            for currency in currencies
        ],
        orders_by_status={status: statuses[status] for status in STATUSES if status in statuses},
    )


def figures_of(fields: Mapping[str, Decimal]) -> SalesFigures:
    """A counter item's figures, legacy fields (``LEGACY``) folded in."""

    def count(name: str) -> int:
        return int(fields.get(name, 0))

    def amount(name: str) -> Decimal:
        return Decimal(fields.get(name, 0))

    return SalesFigures(
        orders=count("orders") - count("cancelled_orders"),
        units=count("units") - count("cancelled_units"),
        cancelled_orders=count("cancellations") + count("cancelled_orders"),
        returned_units=count("returned_units"),
        gross_sales=cents(amount("gross") - amount("cancelled_value")),
        discounts=cents(amount("discounts")),
        returns=cents(amount("returns") + amount("returned_value")),
        shipping=cents(amount("shipping")),
        taxes=cents(amount("taxes")),
        included_taxes=cents(amount("included_taxes")),
    )


def rows_of(counters: Counters, day: str) -> list[CounterRow]:
    """A day's counters as the rows ``daily_sales`` reads (the recount's side of the comparison)."""
    return [CounterRow(what, fields) for (d, what), fields in sorted(counters.items()) if d == day]


def net_units_by_sku(rows: Iterable[CounterRow]) -> dict[str, int]:
    """Units sold per SKU (all currencies): placed minus cancelled minus returned, as the rows say
    (cancellations are taken back from ``units`` itself; legacy items kept them in cancelled_units)."""
    sold: dict[str, int] = defaultdict(int)
    for row in rows:
        counter = parse_counter(row.what)
        if counter is None or counter.kind != "SKU":
            continue
        fields = row.fields
        sold[counter.name] += int(
            fields.get("units", 0) - fields.get("cancelled_units", 0) - fields.get("returned_units", 0)
        )
    return dict(sold)
