"""Customer behaviour (issue 18): the aggregates kept from the orders stream, and the figures read from them.

``CustomerStatsAggregator`` is the sales_aggregates function's second aggregator (after the daily sales
counters): one change of an order moves its customer's state and the month counters once (see
shared/dal/customer_stats.py). ``CustomerAnalytics`` answers GET /analytics/customers, its top list and the
customer_behaviour report.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from shared.dal.customer_stats import LtvRow, StatsConflict
from shared.models.customer_analytics import (
    MAX_RANGE_MONTHS,
    CustomerBehaviour,
    Statistics,
    TopCustomer,
    TopCustomers,
)
from shared.models.orders import order_from_item
from shared.models.reports import cents
from shared.reports.customer_stats import (
    Change,
    CustomerState,
    MonthCounters,
    change,
    customer_behaviour,
    month_number,
    month_text,
    months_between,
    part_of,
)
from shared.reports.days import today, zone
from shared.retry import pause

if TYPE_CHECKING:
    from shared.dal.customers import CustomerName

DEFAULT_MONTHS = 12  # GET /analytics/customers without from: the last 12 months
CONFLICT_ATTEMPTS = 8  # a customer item written by another order meanwhile: read again this many times


class InvalidRange(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class CustomerStatsWriter(Protocol):
    def states(self, customer_ids: Iterable[str]) -> dict[str, CustomerState]: ...

    def apply(self, order_id: str, sequence_number: str, change: Change, now: int) -> bool: ...


class CustomerStatsReader(Protocol):
    items_read: int
    requests: int

    def months(self, months: Iterable[str]) -> MonthCounters: ...

    def top(self, currency: str, limit: int) -> list[LtvRow]: ...


class CustomerNames(Protocol):
    def names(self, customer_ids: Sequence[str]) -> dict[str, CustomerName]: ...


class CustomerStatsAggregator:
    def __init__(
        self,
        store: CustomerStatsWriter,
        tz: ZoneInfo,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = store
        self._tz = tz
        self._clock = clock
        self._sleep = sleep

    def order_changed(
        self, sequence_number: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
    ) -> int:
        """Apply one stream record (both images deserialised; None: absent). Returns the number of month
        counters it moved (0 when it moved none, or was applied before)."""
        before = order_from_item(dict(old)) if old else None
        after = order_from_item(dict(new)) if new else None
        order = after or before
        was, now = part_of(before, self._tz), part_of(after, self._tz)
        if order is None or was == now:
            return 0
        customers = sorted({p.customer_id for p in (was, now) if p is not None and p.customer_id is not None})
        for attempt in range(CONFLICT_ATTEMPTS):
            moved = change(order.order_id, was, now, self._store.states(customers))
            try:
                applied = self._store.apply(order.order_id, sequence_number, moved, int(self._clock()))
            except StatsConflict:
                if attempt + 1 >= CONFLICT_ATTEMPTS:
                    raise
                pause(attempt, self._sleep, CONFLICT_ATTEMPTS)
                continue
            return len(moved.counters) if applied else 0
        raise StatsConflict(f"order {order.order_id}: still conflicting")  # pragma: no cover (loop returns)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


FIRST_YEAR, LAST_YEAR = 2000, 2099  # the months a shop's figures can be asked for


class CustomerAnalytics:
    def __init__(
        self,
        stats: CustomerStatsReader,
        names: CustomerNames | None,
        timezone: str,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self._stats = stats
        self._names = names
        self._timezone = timezone
        self._clock = clock

    def period(self, first: str | None, last: str | None) -> tuple[str, str]:
        """The months asked for (YYYY-MM): ``last`` defaults to this business month, ``first`` to 11 months
        before ``last``. ``InvalidRange``: ``last`` before ``first``, or more than 24 months in all."""
        for field, month in (("from", first), ("to", last)):
            if month is not None and not FIRST_YEAR <= int(month[:4]) <= LAST_YEAR:
                # checked first: a default worked out from year 0 is no month at all
                raise InvalidRange(field, f"{field} must be a month from {FIRST_YEAR}-01 to {LAST_YEAR}-12")
        last = last or today(self._clock(), zone(self._timezone)).isoformat()[:7]
        first = first or month_text(month_number(last) - (DEFAULT_MONTHS - 1))
        if month_number(last) < month_number(first):
            raise InvalidRange("to", "to is before from")
        if month_number(last) - month_number(first) + 1 > MAX_RANGE_MONTHS:
            raise InvalidRange("from", f"at most {MAX_RANGE_MONTHS} months from from to to")
        return first, last

    def behaviour(self, first: str, last: str) -> CustomerBehaviour:
        """Month by month from ``first`` to ``last`` (YYYY-MM, inclusive) and the cohorts starting in them."""
        items, requests = self._stats.items_read, self._stats.requests
        counters = self._stats.months(months_between(first, last))
        statistics = Statistics(
            items_read=self._stats.items_read - items, requests=self._stats.requests - requests
        )
        return customer_behaviour(first, last, self._timezone, counters, statistics)

    def top(self, currency: str, limit: int) -> TopCustomers:
        """The ``limit`` customers with the highest lifetime value in ``currency``, named live."""
        items, requests = self._stats.items_read, self._stats.requests
        rows = self._stats.top(currency, limit)
        read, asked = self._stats.items_read - items, self._stats.requests - requests
        names: dict[str, CustomerName] = {}
        if rows and self._names is not None:
            names = self._names.names([row.customer_id for row in rows])
            read += len(names)
            asked += (len(rows) + 99) // 100
        return TopCustomers(
            currency=currency,
            items=[
                TopCustomer(
                    rank=rank,
                    customer_id=row.customer_id,
                    name=names[row.customer_id].name if row.customer_id in names else None,
                    erased=row.customer_id in names and names[row.customer_id].erased,
                    lifetime_value=cents(row.ltv),
                    orders=row.orders,
                    first_order_day=row.first_day,
                )
                for rank, row in enumerate(rows, start=1)
            ],
            statistics=Statistics(items_read=read, requests=asked),
        )
