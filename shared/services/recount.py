"""Rebuilding the sales counters from the orders (``oms recount --from DATE --to DATE``).

The orders stream keeps the counters (``shared.services.sales``); a recount makes a day's counter items
equal ``shared.reports.sales.recount`` of the orders, for days the stream never saw as they are now: orders
that predate the counters, or counters an incident left wrong. An import's orders go through the stream like
any other (counted on the days they were placed), so after an import a recount only confirms the counters.

A day's counters hold more than the orders placed on it: a refund, a return or a cancellation counts on
the day it happens, for an order placed earlier. So the recount reads the orders placed from
``lookback_days`` before the first day to the end of the last (``by_placed_day``: the UTC dates those
business days overlap), adds up their counters, and keeps those of the days asked for. An order placed
before the lookback whose refund falls in the range would be missed: widen ``--lookback-days`` for a shop
whose refunds come later than that.

Each day, and each ISO week and month the range touches (their roll-ups: counted from all their days,
which the recount reads even where they lie outside the range), is then written as a plan (``day_plan``,
pure) into shard 0 of the period: the counters whose fields differ are put whole, the ones the recount no
longer has are deleted, the rest are left alone, and every item of the other shards (and of a day's
unsharded partition, written before the shards) is deleted. Running it again writes nothing.
It is not atomic with the stream: a change of an order on one of the days while it runs can be lost, and
changes the stream has yet to apply (an import's orders, right after it) would be counted twice, since the
stream marks what it applied by stream position, which a recount cannot know. Run it once the stream has
drained, for days that are quiet (days in the past are).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Protocol
from zoneinfo import ZoneInfo

from shared.models.orders import Order
from shared.reports.days import day_range
from shared.reports.periods import ROLLUPS, Period, PeriodKind, bucket_bounds, buckets, period_bounds
from shared.reports.sales import CounterRow, recount, rolled_up

DEFAULT_LOOKBACK_DAYS = 365
RECOUNT_BATCH = 500  # orders added up at a time (only the range's counters are kept between batches)
MAX_DAYS = 3660  # ten years: a typo'd year is refused rather than read


class PlacedOrders(Protocol):
    def placed_between(self, start: str, end: str) -> Iterator[Order]: ...


Shard = int | None  # None: a day's unsharded partition (written before the shards)


class DayCounters(Protocol):
    def stored(self, period: Period) -> dict[Shard, list[CounterRow]]: ...

    def replace(
        self,
        period: Period,
        put: Mapping[str, Mapping[str, Decimal]],
        delete: Iterable[str],
        stale: Iterable[tuple[Shard, str]] = (),
    ) -> int: ...


@dataclass(frozen=True)
class DayPlan:
    """What a period's counter items need to equal the recount: ``put`` and ``delete`` in its shard 0,
    ``stale`` (every item of its other shards) deleted."""

    day: str  # the period's label: a day, an ISO week (2026-W48) or a month (2026-11)
    put: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # counter -> its fields, whole
    delete: tuple[str, ...] = ()
    unchanged: int = 0
    kind: PeriodKind = "DAY"
    stale: tuple[tuple[Shard, str], ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.put or self.delete or self.stale)


def _nonzero(fields: Mapping[str, Decimal]) -> dict[str, Decimal]:
    return {name: Decimal(value) for name, value in fields.items() if value}


def day_plan(
    day: str,
    stored: Iterable[CounterRow],
    recounted: Mapping[str, Mapping[str, Decimal]],
    *,
    kind: PeriodKind = "DAY",
    stale: Iterable[tuple[Shard, str]] = (),
) -> DayPlan:
    """The writes that make a day's stored counters equal the recounted ones. A field that is zero is
    the same as a field that is absent (the stream's ADDs leave zeros behind): such an item is left as
    it is; a counter all of whose fields are zero is no counter. A put replaces the whole item, so a
    field the recount has not (a legacy one) goes with it."""
    want = {what: _nonzero(fields) for what, fields in recounted.items()}
    want = {what: fields for what, fields in want.items() if fields}
    put: dict[str, dict[str, Decimal]] = {}
    delete: list[str] = []
    unchanged = 0
    seen: set[str] = set()
    for row in stored:
        seen.add(row.what)
        target = want.get(row.what)
        if target is None:
            delete.append(row.what)
        elif _nonzero(row.fields) == target:
            unchanged += 1
        else:
            put[row.what] = target
    for what, fields in want.items():
        if what not in seen:
            put[what] = fields
    return DayPlan(
        day,
        dict(sorted(put.items())),
        tuple(sorted(delete)),
        unchanged,
        kind,
        tuple(sorted(stale, key=lambda s: (-1 if s[0] is None else s[0], s[1]))),
    )


def days_between(first: dt.date, last: dt.date) -> list[str]:
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    if (last - first).days >= MAX_DAYS:
        raise ValueError(f"{(last - first).days + 1} days: at most {MAX_DAYS} at a time")
    return [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


class SalesRecount:
    def __init__(
        self,
        orders: PlacedOrders,
        counters: DayCounters,
        tz: ZoneInfo,
        lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    ) -> None:
        self._orders = orders
        self._counters = counters
        self._tz = tz
        self._lookback = lookback_days
        self.orders_read = 0
        self.open_periods: list[Period] = []  # left alone by the last run: not ended on its ``today``

    def recounted(self, first: dt.date, last: dt.date) -> dict[str, dict[str, dict[str, Decimal]]]:
        """Day -> counter -> fields, for the business days ``first..last``, from the orders alone."""
        days = set(days_between(first, last))
        start, end = day_range(first - dt.timedelta(days=self._lookback), last, self._tz)
        found: dict[str, dict[str, dict[str, Decimal]]] = {day: {} for day in sorted(days)}
        orders = self._orders.placed_between(start, end)
        while batch := list(islice(orders, RECOUNT_BATCH)):
            self.orders_read += len(batch)
            for (day, what), fields in recount(batch, self._tz).items():
                if day in days:
                    into = found[day].setdefault(what, defaultdict(Decimal))
                    for name, value in fields.items():
                        into[name] += value
        return {
            day: {what: dict(fields) for what, fields in counters.items()} for day, counters in found.items()
        }

    def run(
        self, first: dt.date, last: dt.date, *, dry_run: bool = False, today: dt.date | None = None
    ) -> Iterator[DayPlan]:
        """Each day's plan, then each ISO week's and month's the range touches, once written (``dry_run``:
        only planned). The weeks and months are counted from all their days.

        ``today`` (the business day the recount runs on): a week or a month that has not ended by then is
        left alone (listed in ``open_periods``): the stream is adding to it while the recount reads, and a
        replace would lose what it added. Recount it again once it has ended."""
        days_between(first, last)
        wide_first = min(bucket_bounds("WEEK", first)[0], bucket_bounds("MONTH", first)[0])
        wide_last = max(bucket_bounds("WEEK", last)[1], bucket_bounds("MONTH", last)[1])
        counted = self.recounted(wide_first, wide_last)
        flat = {(day, what): fields for day, counters in counted.items() for what, fields in counters.items()}
        by_period: dict[Period, dict[str, dict[str, Decimal]]] = defaultdict(dict)
        for (period, what), fields in rolled_up(flat).items():
            by_period[period][what] = fields
        wanted = [Period("DAY", day) for day in days_between(first, last)]
        wanted += [bucket.period for kind in ROLLUPS for bucket in buckets(kind, first, last)]
        if today is not None:
            self.open_periods = [p for p in wanted if period_bounds(p)[1] >= today]
            wanted = [p for p in wanted if p not in self.open_periods]
        for period in wanted:
            stored = self._counters.stored(period)
            stale = [(shard, row.what) for shard, rows in stored.items() if shard != 0 for row in rows]
            plan = day_plan(
                period.label, stored.get(0, []), by_period.get(period, {}), kind=period.kind, stale=stale
            )
            if plan.changed and not dry_run:
                self._counters.replace(period, plan.put, plan.delete, plan.stale)
            yield plan
