"""Customer behaviour arithmetic (issue 18), pure: what an order contributes to its customer, how a customer's
state moves, the month counters a state adds up to, and the figures read back from those counters.

An order *counts* for its customer when it has a ``customer_id`` and is not cancelled (a cancellation takes
it back: the customer's first order, cohort and months may move). Its day is the business day of
``placed_at`` (``created_at`` without it), its month that day's month; its net is the glossary's net sales
(gross - discounts - returns), taken from the daily sales arithmetic so the two never disagree.

A customer's state is their counted orders per business day and their money per currency. Every month
counter a customer adds to is a function of that state alone (``customer_counters``), so one change of one
order moves the counters by ``customer_counters(after) - customer_counters(before)``: a late order that
becomes the first moves the cohort, a cancelled second order takes its days-to-second back. Orders without
a customer (guest orders) add to their month's guest and channel counts only.

Month counters (``MonthCounters``, per business month and shard; the fields below):
  customers, new, returning   customers in the month, of them first ordering in it, and ordering before it
  orders                      counted orders of customers in the month
  repeat                      customers in the month with 2+ counted orders in all (as the orders stand now)
  second_orders, second_days  customers whose second counted order fell in the month, and the sum of their
                              business days from first to second order
  cohort@{YYYY-MM}            customers in the month whose first month is YYYY-MM (0..12 months before)
  guest_orders                counted orders without a customer
  channel@{channel}           counted orders placed on the channel (guest orders too)
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from shared.dal.keys import shard_of
from shared.models.customer_analytics import (
    COHORT_MONTHS,
    ChannelMix,
    Cohort,
    CohortMonth,
    CustomerBehaviour,
    MonthCustomers,
    Statistics,
)
from shared.models.orders import Order
from shared.reports.days import business_day
from shared.reports.sales import contribution, placed_at, total_key

CUSTOMERS = "customers"
NEW = "new"
RETURNING = "returning"
ORDERS = "orders"
REPEAT = "repeat"
SECOND_ORDERS = "second_orders"
SECOND_DAYS = "second_days"
GUEST_ORDERS = "guest_orders"
COHORT_PREFIX = "cohort@"
CHANNEL_PREFIX = "channel@"

# (business month, shard) -> field -> value
MonthKey = tuple[str, int]
MonthCounters = dict[MonthKey, dict[str, Decimal]]


def cohort_field(first_month: str) -> str:
    return f"{COHORT_PREFIX}{first_month}"


def channel_field(channel: str) -> str:
    return f"{CHANNEL_PREFIX}{channel}"


# --- months --------------------------------------------------------------------------------------


def month_number(month: str) -> int:
    """YYYY-MM as a count of months (so months subtract)."""
    year, _, mm = month.partition("-")
    return int(year) * 12 + int(mm) - 1


def month_text(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included (empty when last is before first)."""
    return [month_text(n) for n in range(month_number(first), month_number(last) + 1)]


# --- one order -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderPart:
    """What one order, as it stands, contributes: nothing (None) when it is cancelled."""

    customer_id: str | None
    day: str  # business day placed
    channel: str
    currency: str
    net: Decimal  # net sales of the order as it stands (returns taken off)

    @property
    def month(self) -> str:
        return self.day[:7]


def part_of(order: Order | None, tz: ZoneInfo) -> OrderPart | None:
    if order is None or order.status == "CANCELLED":
        return None
    total = total_key(order.currency)
    net = Decimal(0)
    for (_, what), fields in contribution(order, tz).items():
        if what == total:
            net += fields.get("gross", Decimal(0)) - fields.get("discounts", Decimal(0))
            net -= fields.get("returns", Decimal(0))
    return OrderPart(
        customer_id=order.customer_id,
        day=business_day(placed_at(order), tz),
        channel=order.channel,
        currency=order.currency,
        net=net,
    )


# --- one customer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    orders: int  # counted orders in the currency
    net: Decimal  # their net sales: the lifetime value in the currency


@dataclass(frozen=True)
class CustomerState:
    """A customer's counted orders per business day, and money per currency (only currencies with counted
    orders). ``version``: the stored item's, for the optimistic write (0: not stored yet)."""

    days: Mapping[str, int] = field(default_factory=dict)
    money: Mapping[str, Money] = field(default_factory=dict)
    version: int = 0

    @property
    def orders(self) -> int:
        return sum(self.days.values())

    @property
    def first_day(self) -> str | None:
        return min(self.days) if self.days else None

    @property
    def second_day(self) -> str | None:
        """The business day of the second counted order (the first's when two fell on it)."""
        if self.orders < 2:
            return None
        first = min(self.days)
        if self.days[first] >= 2:
            return first
        return min(day for day in self.days if day != first)

    def moved(self, part: OrderPart, sign: int) -> CustomerState:
        """This state with one counted order added (sign 1) or taken back (sign -1)."""
        days = dict(self.days)
        days[part.day] = days.get(part.day, 0) + sign
        if days[part.day] <= 0:
            del days[part.day]
        money = dict(self.money)
        was = money.get(part.currency, Money(0, Decimal(0)))
        now = Money(was.orders + sign, was.net + sign * part.net)
        if now.orders <= 0:
            money.pop(part.currency, None)
        else:
            money[part.currency] = now
        return CustomerState(days=days, money=money, version=self.version)


def customer_counters(customer_id: str, state: CustomerState) -> MonthCounters:
    """The month counters one customer adds to, from their state alone (on the customer's shard)."""
    first_day = state.first_day
    if first_day is None:
        return {}
    shard = shard_of(customer_id)
    first_month = first_day[:7]
    per_month: dict[str, int] = defaultdict(int)
    for day, count in state.days.items():
        per_month[day[:7]] += count
    counters: MonthCounters = {}
    repeat = 1 if state.orders >= 2 else 0
    for month, orders in per_month.items():
        fields = {CUSTOMERS: Decimal(1), ORDERS: Decimal(orders), REPEAT: Decimal(repeat)}
        fields[NEW if month == first_month else RETURNING] = Decimal(1)
        if month_number(month) - month_number(first_month) <= COHORT_MONTHS:
            fields[cohort_field(first_month)] = Decimal(1)
        counters[(month, shard)] = fields
    second = state.second_day
    if second is not None:
        waited = (dt.date.fromisoformat(second) - dt.date.fromisoformat(first_day)).days
        fields = counters.setdefault((second[:7], shard), {})
        fields[SECOND_ORDERS] = Decimal(1)
        fields[SECOND_DAYS] = Decimal(waited)
    return counters


def order_counters(order_id: str, part: OrderPart) -> MonthCounters:
    """The month counters one counted order adds to by itself: its channel, and the guest count (without a
    customer). On the customer's shard, or the order's for a guest order."""
    shard = shard_of(part.customer_id if part.customer_id is not None else order_id)
    fields = {channel_field(part.channel): Decimal(1)}
    if part.customer_id is None:
        fields[GUEST_ORDERS] = Decimal(1)
    return {(part.month, shard): fields}


def add_into(total: MonthCounters, counters: MonthCounters, sign: int = 1) -> None:
    for key, fields in counters.items():
        into = total.setdefault(key, {})
        for name, value in fields.items():
            into[name] = into.get(name, Decimal(0)) + sign * value


def nonzero(counters: MonthCounters) -> MonthCounters:
    kept = {key: {name: v for name, v in fields.items() if v} for key, fields in counters.items()}
    return {key: fields for key, fields in kept.items() if fields}


@dataclass(frozen=True)
class Change:
    """What one change of one order does: the customers whose state moves (before and after) and every
    month counter it adds to (customer and order counters together)."""

    customers: dict[str, tuple[CustomerState, CustomerState]]
    counters: MonthCounters


def change(
    order_id: str, old: OrderPart | None, new: OrderPart | None, states: Mapping[str, CustomerState]
) -> Change:
    """One change of an order (its part before and after) applied to the stored states of its customers
    (``states``: each customer ``old`` or ``new`` names)."""
    moved: dict[str, CustomerState] = {cid: state for cid, state in states.items()}
    counters: MonthCounters = {}
    for part, sign in ((old, -1), (new, 1)):
        if part is None:
            continue
        add_into(counters, order_counters(order_id, part), sign)
        if part.customer_id is not None:
            cid = part.customer_id
            moved[cid] = moved.get(cid, CustomerState()).moved(part, sign)
    customers: dict[str, tuple[CustomerState, CustomerState]] = {}
    for cid, after in moved.items():
        before = states.get(cid, CustomerState())
        customers[cid] = (before, after)
        add_into(counters, customer_counters(cid, after))
        add_into(counters, customer_counters(cid, before), -1)
    return Change(customers=customers, counters=nonzero(counters))


# --- recount -------------------------------------------------------------------------------------


def recount(orders: Iterable[Order], tz: ZoneInfo) -> tuple[MonthCounters, dict[str, CustomerState]]:
    """The month counters and customer states a set of orders adds up to, from the orders alone (what the
    stream must agree with)."""
    states: dict[str, CustomerState] = {}
    counters: MonthCounters = {}
    for order in orders:
        part = part_of(order, tz)
        if part is None:
            continue
        add_into(counters, order_counters(order.order_id, part))
        if part.customer_id is not None:
            cid = part.customer_id
            states[cid] = states.get(cid, CustomerState()).moved(part, 1)
    for cid, state in states.items():
        add_into(counters, customer_counters(cid, state))
    return nonzero(counters), states


# --- figures -------------------------------------------------------------------------------------

SHARE = Decimal("0.0001")


def _ratio(numerator: Decimal | int, denominator: Decimal | int, places: Decimal = SHARE) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(places, rounding=ROUND_HALF_UP)


def merged(counters: Mapping[MonthKey, Mapping[str, Decimal]]) -> dict[str, dict[str, Decimal]]:
    """Month counters of every shard added up, per month."""
    months: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for (month, _), fields in counters.items():
        into = months[month]
        for name, value in fields.items():
            into[name] = into.get(name, Decimal(0)) + Decimal(value)
    return dict(months)


def month_figures(month: str, fields: Mapping[str, Decimal]) -> MonthCustomers:
    def count(name: str) -> int:
        return int(fields.get(name, 0))

    customers, orders = count(CUSTOMERS), count(ORDERS)
    channels = {
        name.removeprefix(CHANNEL_PREFIX): int(value)
        for name, value in fields.items()
        if name.startswith(CHANNEL_PREFIX) and int(value)
    }
    all_orders = sum(channels.values())
    return MonthCustomers(
        month=month,
        customers=customers,
        new_customers=count(NEW),
        returning_customers=count(RETURNING),
        orders=orders,
        guest_orders=count(GUEST_ORDERS),
        orders_per_customer=_ratio(orders, customers, Decimal("0.01")),
        repeat_customers=count(REPEAT),
        repeat_purchase_rate=_ratio(count(REPEAT), customers),
        second_orders=count(SECOND_ORDERS),
        average_days_to_second_order=_ratio(count(SECOND_DAYS), count(SECOND_ORDERS), Decimal("0.1")),
        channels=[
            ChannelMix(channel=channel, orders=n, share=_ratio(n, all_orders) or Decimal(0))
            for channel, n in sorted(channels.items(), key=lambda c: (-c[1], c[0]))
        ],
    )


def cohorts(months: list[str], by_month: Mapping[str, Mapping[str, Decimal]]) -> list[Cohort]:
    """A cohort per month of ``months`` (consecutive), followed to 12 months after within them."""
    found: list[Cohort] = []
    for i, first in enumerate(months):
        size = int(by_month.get(first, {}).get(NEW, 0))
        cells = []
        for offset, month in enumerate(months[i : i + COHORT_MONTHS + 1]):
            active = int(by_month.get(month, {}).get(cohort_field(first), 0))
            cells.append(
                CohortMonth(offset=offset, month=month, customers=active, share=_ratio(active, size))
            )
        found.append(Cohort(cohort=first, customers=size, months=cells))
    return found


def customer_behaviour(
    first: str,
    last: str,
    timezone: str,
    counters: Mapping[MonthKey, Mapping[str, Decimal]],
    statistics: Statistics,
) -> CustomerBehaviour:
    """GET /analytics/customers from the month counters of the range (every shard)."""
    months = months_between(first, last)
    by_month = merged(counters)
    return CustomerBehaviour(
        first_month=first,
        last_month=last,
        timezone=timezone,
        months=[month_figures(month, by_month.get(month, {})) for month in months],
        cohorts=cohorts(months, by_month),
        statistics=statistics,
    )
